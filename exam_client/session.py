"""The seat's exam logic, free of widgets, as an explicit state machine.

A :class:`SeatSession` walks one candidate through a sitting::

    LOGIN -> CONFIRM -> DEVICE_CHECK -> WAITING
          -> (PROMPT -> PREPARING -> ANSWERING) for each item
          -> UPLOADING -> FINISHED          (or ABNORMAL)

Its blocking steps (:meth:`SeatSession.login`, :meth:`SeatSession.run_exam`
and the device check) run on one worker thread; :meth:`SeatSession.choose`
and :meth:`SeatSession.finish_answer` may be called from any thread (the
GUI's). Progress goes out through a :class:`SessionListener`, which the Qt
layer turns into signals. Items run on the seat's clock: the candidate can
end an answer early but never go back. The seat's state reaches the server
(and the proctor's board) through a background reporter, so a slow network
never holds up an item.
"""

from __future__ import annotations

import enum
import logging
import string
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exam_client.api import ServerClient
from exam_client.audio import (
    BLOCK_S,
    CHECK_TAKE,
    SR,
    AudioInput,
    AudioOutput,
    item_take,
    read_wav,
    rms_dbfs,
)
from exam_client.errors import (
    ClientError,
    EntryMismatch,
    ServerRefused,
    ServerUnreachable,
    SessionError,
)
from exam_client.journal import (
    ItemStage,
    Journal,
    LoginRecord,
    StoredAnswer,
    UploadState,
    durable_write,
    file_sha256,
    utc_now,
)
from exam_client.uploader import Uploader, UploadListener
from exam_server.wire import (
    CandidateCard,
    ItemKind,
    ItemOut,
    PaperOut,
    SeatLogin,
    SeatState,
    SeatStatus,
    SittingState,
    UploadReceipt,
)

logger = logging.getLogger(__name__)

POLL_S = 1.0  # seconds between status polls while waiting for the room start
TICK_S = 0.1  # seconds between countdown reports
CHECK_RECORD_S = 3.0  # length of the device check's recording
CHECK_TONE_HZ = 660.0  # the device check's sample: a tone the candidate hears
CHECK_TONE_S = 1.5
CHECK_TONE_DBFS = -12.0


class SessionState(enum.Enum):
    """Where the seat program is with its candidate."""

    LOGIN = "login"  # waiting for the ticket number, typed twice
    CONFIRM = "confirm"  # ticket accepted; candidate confirms name and photo
    DEVICE_CHECK = "device_check"  # play a sample, record, play back, judge
    WAITING = "waiting"  # device check passed; waiting for the room start
    PROMPT = "prompt"  # an item's prompt audio is playing
    PREPARING = "preparing"  # the item's preparation countdown runs
    ANSWERING = "answering"  # recording, or choosing, until time or "finish"
    UPLOADING = "uploading"  # every item done; answers still on their way
    FINISHED = "finished"  # every answer confirmed by the server
    ABNORMAL = "abnormal"  # an answer was refused or the seat failed


# what the proctor's board shows for each state
_SEAT_STATE = {
    SessionState.CONFIRM: SeatState.LOGGED_IN,
    SessionState.DEVICE_CHECK: SeatState.DEVICE_CHECK,
    SessionState.WAITING: SeatState.WAITING,
    SessionState.PROMPT: SeatState.IN_EXAM,
    SessionState.PREPARING: SeatState.IN_EXAM,
    SessionState.ANSWERING: SeatState.IN_EXAM,
    SessionState.UPLOADING: SeatState.UPLOADING,
    SessionState.FINISHED: SeatState.FINISHED,
    SessionState.ABNORMAL: SeatState.ABNORMAL,
}

_ITEM_STATES = (SessionState.PROMPT, SessionState.PREPARING, SessionState.ANSWERING)

_NEXT = {
    SessionState.LOGIN: {SessionState.CONFIRM},
    SessionState.CONFIRM: {SessionState.DEVICE_CHECK, SessionState.WAITING},
    SessionState.DEVICE_CHECK: {SessionState.WAITING},
    SessionState.WAITING: {*_ITEM_STATES, SessionState.UPLOADING},
    SessionState.PROMPT: {SessionState.PREPARING, SessionState.ANSWERING},
    SessionState.PREPARING: {SessionState.ANSWERING},
    SessionState.ANSWERING: {*_ITEM_STATES, SessionState.UPLOADING},
    SessionState.UPLOADING: {SessionState.FINISHED, SessionState.ABNORMAL},
    SessionState.FINISHED: set(),
    SessionState.ABNORMAL: {SessionState.UPLOADING},
}


class SessionListener:
    """What a session tells its user interface; every method may be overridden.

    Methods are called on the thread that does the work (the session's
    worker thread or the uploader's), never on the GUI thread.
    """

    def state_changed(self, state: SessionState, detail: str) -> None:
        """The session entered ``state``."""

    def item_started(self, item: ItemOut, total: int) -> None:
        """An item's page should show (``item.position`` of ``total``)."""

    def countdown(
        self, phase: SessionState, remaining_s: float, total_s: float
    ) -> None:
        """Time left in the prompt, preparation or answer phase."""

    def level(self, dbfs: float) -> None:
        """The microphone's level of the latest block, in dBFS."""

    def answer_stored(self, item: ItemOut, stored: StoredAnswer | None) -> None:
        """An item's answer is safe in the journal (None: nothing chosen)."""

    def upload_confirmed(self, position: int, receipt: UploadReceipt) -> None:
        """The server confirmed the answer of item ``position``."""

    def upload_refused(self, position: int, reason: str) -> None:
        """The server refused the answer of item ``position``."""

    def notice(self, text: str) -> None:
        """A passing problem worth showing (the server is unreachable...)."""


@dataclass(frozen=True)
class SeatConfig:
    """Where the seat is and how it reaches the server."""

    server_url: str
    room_code: str
    seat_code: str
    data_dir: Path
    timeout_s: float = 10.0
    poll_s: float = POLL_S
    backoff_s: float = 0.5
    max_backoff_s: float = 5.0


def option_letters(item: ItemOut) -> list[str]:
    """The letters naming an item's options in order: A, B, C, ..."""
    return list(string.ascii_uppercase[: len(item.options)])


def check_ticket_entries(first: str, second: str) -> str:
    """Return the ticket number typed twice, or raise when the two differ."""
    a, b = first.strip(), second.strip()
    if not a or not b:
        raise EntryMismatch(
            "type the ticket number in both boxes / 请在两个输入框中都输入准考证号"
        )
    if a != b:
        raise EntryMismatch(
            "the two ticket numbers differ; type them again / "
            "两次输入的准考证号不一致，请重新输入"
        )
    return a


def check_tone(*, sr: int = SR) -> np.ndarray:
    """The device check's sample: a tone at :data:`CHECK_TONE_DBFS` peak.

    Returns
    -------
    np.ndarray [shape=(round(CHECK_TONE_S * sr),), dtype=int16]
    """
    t = np.arange(round(CHECK_TONE_S * sr)) / sr
    peak = 32767 * 10 ** (CHECK_TONE_DBFS / 20)
    y = peak * np.sin(2 * np.pi * CHECK_TONE_HZ * t)
    return np.round(y).astype(np.int16)


class SeatSession:
    """One candidate's exam at one seat (see the module notes).

    Parameters
    ----------
    config : SeatConfig
    audio_input : AudioInput
        The microphone (or a file input for demos and tests).
    audio_output : AudioOutput
        The headset.
    listener : SessionListener or None
    """

    def __init__(
        self,
        config: SeatConfig,
        *,
        audio_input: AudioInput,
        audio_output: AudioOutput,
        listener: SessionListener | None = None,
    ) -> None:
        self.config = config
        self.audio_input = audio_input
        self.audio_output = audio_output
        self.listener = listener or SessionListener()
        self.client = ServerClient(config.server_url, timeout_s=config.timeout_s)
        self.journal: Journal | None = None
        self.paper: PaperOut | None = None
        self.seat_login: SeatLogin | None = None
        self._state = SessionState.LOGIN
        self._state_lock = threading.Lock()
        self._finish = threading.Event()
        self._choice: str | None = None
        self._current: ItemOut | None = None
        self._check_recording: np.ndarray | None = None
        self._refusals: list[str] = []
        self._room_ended = False
        self._uploader: Uploader | None = None
        self._reporter: _StateReporter | None = None

    # state

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def current_item(self) -> ItemOut | None:
        return self._current

    @property
    def refusals(self) -> list[str]:
        return list(self._refusals)

    def _enter(self, state: SessionState, detail: str = "") -> None:
        with self._state_lock:
            if state not in _NEXT[self._state] and state is not self._state:
                raise SessionError(
                    f"the seat cannot go from {self._state.value} to "
                    f"{state.value}; this is a fault of the seat program, call "
                    "the proctor"
                )
            self._state = state
        logger.info("seat state %s %s", state.value, detail)
        if self.journal is not None:
            self.journal.add_event("state", f"{state.value} {detail}".strip())
        self._report(state, detail)
        self.listener.state_changed(state, detail)

    def _require(self, *states: SessionState) -> None:
        if self._state not in states:
            wanted = " or ".join(s.value for s in states)
            raise SessionError(
                f"this step needs the seat to be in {wanted}, but it is in "
                f"{self._state.value}"
            )

    def _report(self, state: SessionState, detail: str) -> None:
        seat_state = _SEAT_STATE.get(state)
        if self._reporter is None or seat_state is None:
            return
        if self._refusals and seat_state is not SeatState.FINISHED:
            detail = "; ".join([*self._refusals, f"now {state.value} {detail}"])
            seat_state = SeatState.ABNORMAL
        self._reporter.send(seat_state, detail.strip())

    # login

    def login(self, first_entry: str, second_entry: str) -> CandidateCard:
        """Check the two entries, log in, open the journal, fetch the paper."""
        self._require(SessionState.LOGIN)
        ticket = check_ticket_entries(first_entry, second_entry)
        cfg = self.config
        self._stop_background()  # from a login that failed half-way
        seat_login = self.client.login(cfg.room_code, cfg.seat_code, ticket)
        self.seat_login = seat_login
        folder = cfg.data_dir / f"{ticket}-sitting{seat_login.sitting.sitting_id}"
        journal = Journal.open(folder)
        resumed = journal.login() is not None
        journal.record_login(
            LoginRecord(
                room_code=cfg.room_code,
                seat_code=cfg.seat_code,
                ticket_number=ticket,
                candidate_name=seat_login.candidate.name,
                token=seat_login.token,
                sitting_id=seat_login.sitting.sitting_id,
                logged_in_at=utc_now(),
            )
        )
        if resumed:
            journal.add_event("resumed", f"resume point {journal.resume_point()}")
            logger.info("resuming the journal in %s", folder)
        self.journal = journal
        self._start_background(seat_login.token)

        # the paper and its prompts are on the seat before the room start
        self.paper = self.client.paper()
        journal.record_paper(self.paper)
        journal.mark_answered_elsewhere(seat_login.answered_item_ids)
        self._fetch_prompts()
        self._enter(SessionState.CONFIRM, seat_login.candidate.ticket_number)
        return seat_login.candidate

    def _start_background(self, token: str) -> None:
        cfg = self.config
        assert self.journal is not None  # set by login just before
        upload_client = ServerClient(
            cfg.server_url, timeout_s=cfg.timeout_s, token=token
        )
        self._uploader = Uploader(
            self.journal,
            upload_client,
            listener=UploadListener(
                confirmed=self._on_confirmed,
                refused=self._on_refused,
                retrying=self._on_retrying,
            ),
            backoff_s=cfg.backoff_s,
            max_backoff_s=cfg.max_backoff_s,
        )
        self._uploader.start()
        self._uploader.wake()
        report_client = ServerClient(
            cfg.server_url, timeout_s=cfg.timeout_s, token=token
        )
        self._reporter = _StateReporter(report_client, retry_s=cfg.backoff_s)

    def confirm_identity(self) -> SessionState:
        """The candidate confirmed name and photo; go to the device check.

        A candidate who passed the device check before a restart goes
        straight to waiting.
        """
        self._require(SessionState.CONFIRM)
        assert self.journal is not None
        if self.journal.resume_point().device_check_passed:
            self._enter(SessionState.WAITING, "device check passed before")
        else:
            self._enter(SessionState.DEVICE_CHECK)
        return self._state

    # device check

    def play_check_sample(self) -> None:
        self._require(SessionState.DEVICE_CHECK)
        self.audio_output.play(check_tone(), sr=SR)

    def record_check(self, *, duration_s: float = CHECK_RECORD_S) -> float:
        """Record the device check; return its loudest block level in dBFS."""
        self._require(SessionState.DEVICE_CHECK)
        peak = [-np.inf]

        def on_block(block: np.ndarray) -> None:
            level = rms_dbfs(block)
            peak[0] = max(peak[0], level)
            self.listener.level(level)

        y = self.audio_input.record(
            duration_s=duration_s, take=CHECK_TAKE, on_block=on_block
        )
        self._check_recording = y
        return float(peak[0])

    def play_back_check(self) -> None:
        self._require(SessionState.DEVICE_CHECK)
        if self._check_recording is None:
            raise SessionError("record the device check before playing it back")
        self.audio_output.play(self._check_recording, sr=SR)

    def finish_device_check(self, *, clear: bool) -> SessionState:
        """The candidate's verdict; "not clear" keeps the check open."""
        self._require(SessionState.DEVICE_CHECK)
        assert self.journal is not None
        if clear:
            self.journal.set_fact("device_check", "clear")
            self._enter(SessionState.WAITING)
        else:
            self.journal.add_event("device_check", "the candidate says: not clear")
            if self._reporter is not None:
                self._reporter.send(
                    SeatState.ABNORMAL, "device check: the candidate says not clear"
                )
            self.listener.notice(
                "please raise your hand for the proctor / 请举手示意监考员"
            )
        return self._state

    # the exam

    def run_exam(self, stop: threading.Event) -> bool:
        """Wait for the room start, run the items, upload; True when all confirmed."""
        if not self.wait_for_start(stop):
            return False
        self.run_items(stop)
        if stop.is_set():
            return False
        return self.upload_and_finish(stop)

    def wait_for_start(self, stop: threading.Event) -> bool:
        """Poll the server until the room start; False when ``stop`` is set."""
        self._require(SessionState.WAITING)
        while not stop.is_set():
            try:
                status = self.client.status()
            except ServerUnreachable as exc:
                self.listener.notice(str(exc))
            else:
                if status.sitting_state is not SittingState.SCHEDULED:
                    logger.info("room start seen: sitting %s", status.sitting_state)
                    self._room_ended = status.sitting_state is SittingState.ENDED
                    return True
            stop.wait(self.config.poll_s)
        return False

    def run_items(self, stop: threading.Event) -> None:
        """Run every item from the resume point, in order, with no going back."""
        assert self.journal is not None and self.paper is not None
        resume = self.journal.resume_point()
        if resume.restarted_item_id is not None:
            self.journal.add_event(
                "item_restarted", "interrupted by a restart", resume.restarted_item_id
            )
        items = sorted(self.paper.items, key=lambda item: item.position)
        total = len(items)
        for item in items:
            if resume.next_position is None or item.position < resume.next_position:
                continue
            if self.journal.item_stage(item.item_id) is ItemStage.ANSWERED:
                continue
            if stop.is_set():
                return
            if self._sitting_ended():
                self.journal.add_event("room_end", "before the item", item.item_id)
                self.listener.notice("the room end was given / 考试已统一结束")
                return
            self._run_item(item, total, stop)

    def _run_item(self, item: ItemOut, total: int, stop: threading.Event) -> None:
        assert self.journal is not None
        self._current = item
        self._finish.clear()
        with self._state_lock:
            self._choice = None
        self.journal.mark_item(item.item_id, ItemStage.STARTED)
        self._enter(SessionState.PROMPT, f"item {item.position}/{total}")
        self.listener.item_started(item, total)

        # 1. the prompt, 2. preparation, 3. the answer
        self._play_prompt(item, stop)
        self.journal.mark_item(item.item_id, ItemStage.PROMPT_PLAYED)
        if item.prep_s > 0:
            self._enter(SessionState.PREPARING, f"item {item.position}/{total}")
            self._countdown(SessionState.PREPARING, item.prep_s, stop, finishable=False)
        self.journal.mark_item(item.item_id, ItemStage.PREP_DONE)
        self._enter(SessionState.ANSWERING, f"item {item.position}/{total}")
        if item.kind is ItemKind.LISTEN_CHOOSE:
            self._countdown(
                SessionState.ANSWERING, item.answer_s, stop, finishable=True
            )
            with self._state_lock:
                choice = self._choice
            stored = self.journal.store_choice(item.item_id, choice)
        else:
            y = self._record_answer(item, stop)
            stored = self.journal.store_recording(item.item_id, y, sr=SR)
        if self._uploader is not None:
            self._uploader.wake()
        self.listener.answer_stored(item, stored)
        self._current = None

    def choose(self, letter: str) -> None:
        """The candidate picked option ``letter`` (A, B, ...); thread-safe.

        The choice may change until the answer time ends or the candidate
        finishes the answer.
        """
        item = self._current
        if item is None or item.kind is not ItemKind.LISTEN_CHOOSE:
            raise SessionError("choosing is possible only in a listen-and-choose item")
        letters = option_letters(item)
        letter = letter.strip().upper()
        if letter not in letters:
            raise SessionError(
                f"{letter!r} is not an option of item {item.position}; the options "
                f"are {', '.join(letters)}"
            )
        with self._state_lock:
            if self._state not in (SessionState.PREPARING, SessionState.ANSWERING):
                raise SessionError("choose after the question has been played")
            self._choice = letter
        logger.info("item %s: option %s chosen", item.position, letter)

    def finish_answer(self) -> None:
        """End the current answer early (thread-safe; ignored outside answers)."""
        if self._state is SessionState.ANSWERING:
            self._finish.set()

    def _play_prompt(self, item: ItemOut, stop: threading.Event) -> None:
        path = self._prompt_path(item)
        if item.prompt_audio_sha256 is None:
            return
        if not path.exists():
            self._fetch_prompt(item)
        if not path.exists():
            self.listener.notice(
                f"the prompt audio of item {item.position} is missing; read the "
                "text on screen / 音频缺失，请阅读屏幕上的文字"
            )
            return
        y = read_wav(path, sr=SR)
        duration_s = y.size / SR
        ticker = threading.Thread(
            target=self._countdown,
            args=(SessionState.PROMPT, duration_s, stop),
            kwargs={"finishable": False},
            daemon=True,
        )
        ticker.start()
        self.audio_output.play(y, sr=SR, stop=stop)
        ticker.join()

    def _countdown(
        self,
        phase: SessionState,
        total_s: float,
        stop: threading.Event,
        *,
        finishable: bool,
    ) -> None:
        deadline = time.monotonic() + total_s
        while True:
            remaining_s = max(0.0, deadline - time.monotonic())
            self.listener.countdown(phase, remaining_s, total_s)
            if remaining_s <= 0 or stop.is_set():
                return
            if finishable and self._finish.wait(min(TICK_S, remaining_s)):
                return
            if not finishable:
                time.sleep(min(TICK_S, remaining_s))

    def _record_answer(self, item: ItemOut, stop: threading.Event) -> np.ndarray:
        total_s = item.answer_s
        frame_length = round(SR * BLOCK_S)
        done = [0]
        ender = _either(self._finish, stop)

        def on_block(block: np.ndarray) -> None:
            done[0] += block.size
            self.listener.level(rms_dbfs(block[:frame_length]))
            remaining_s = max(0.0, total_s - done[0] / SR)
            self.listener.countdown(SessionState.ANSWERING, remaining_s, total_s)

        y = self.audio_input.record(
            duration_s=total_s,
            take=item_take(item.position),
            stop=ender,
            on_block=on_block,
        )
        return y

    def _sitting_ended(self) -> bool:
        """Whether the room end was given, as of the last state report's reply.

        No request is made here, so a slow network never delays an item.
        """
        if self._room_ended:
            return True
        status = None if self._reporter is None else self._reporter.last_status
        return status is not None and status.sitting_state is SittingState.ENDED

    # prompts

    def _prompt_path(self, item: ItemOut) -> Path:
        assert self.journal is not None
        return self.journal.folder / "prompts" / f"item{item.position:02d}.wav"

    def _fetch_prompts(self) -> None:
        assert self.paper is not None
        for item in self.paper.items:
            if item.prompt_audio_sha256 is not None:
                self._fetch_prompt(item)

    def _fetch_prompt(self, item: ItemOut) -> None:
        path = self._prompt_path(item)
        if path.exists() and file_sha256(path) == item.prompt_audio_sha256:
            return
        try:
            data = self.client.prompt_audio(item.item_id)
        except ClientError as exc:
            logger.warning("prompt of item %s not fetched: %s", item.position, exc)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        durable_write(path, data)
        if file_sha256(path) != item.prompt_audio_sha256:
            logger.warning(
                "the prompt audio of item %s does not match the paper's SHA-256",
                item.position,
            )

    # uploading

    def upload_and_finish(self, stop: threading.Event) -> bool:
        """Wait for every answer's receipt; True when all are confirmed."""
        assert self.journal is not None and self._uploader is not None
        if self._state is not SessionState.UPLOADING:
            self._enter(SessionState.UPLOADING)
        self._uploader.wake()
        while not stop.is_set():
            if self._uploader.wait_idle(timeout_s=0.5):
                break
        if stop.is_set():
            return False
        answers = self.journal.answers()
        unconfirmed = [a for a in answers if a.upload is not UploadState.CONFIRMED]
        if unconfirmed:
            detail = "; ".join(
                f"item {a.position}: {a.upload.value} {a.refusal or ''}".strip()
                for a in unconfirmed
            )
            self._enter(SessionState.ABNORMAL, detail)
            ok = False
        else:
            self._enter(SessionState.FINISHED, f"{len(answers)} answers confirmed")
            ok = True
        if self._reporter is not None:
            self._reporter.flush(timeout_s=self.config.timeout_s)
        return ok

    def _on_confirmed(self, stored: StoredAnswer, receipt: UploadReceipt) -> None:
        self.listener.upload_confirmed(stored.position, receipt)

    def _on_refused(self, stored: StoredAnswer, reason: str) -> None:
        self._refusals.append(f"item {stored.position} refused: {reason}")
        self._report(self._state, "")
        self.listener.upload_refused(stored.position, reason)

    def _on_retrying(self, stored: StoredAnswer, why: str, wait_s: float) -> None:
        self.listener.notice(
            f"answer {stored.position} waits for the server (retry in "
            f"{wait_s:.0f} s) / 答案等待上传"
        )

    def close(self) -> None:
        self._stop_background()
        self.client.close()

    def _stop_background(self) -> None:
        if self._uploader is not None:
            self._uploader.stop()
            self._uploader.client.close()
            self._uploader = None
        if self._reporter is not None:
            self._reporter.stop()
            self._reporter = None
        if self.journal is not None:
            self.journal.close()
            self.journal = None


def _either(a: threading.Event, b: threading.Event) -> threading.Event:
    """An event that reads as set when ``a`` or ``b`` is set (polled, not waited)."""
    return _EitherEvent(a, b)


class _EitherEvent(threading.Event):
    def __init__(self, a: threading.Event, b: threading.Event) -> None:
        super().__init__()
        self._a, self._b = a, b

    def is_set(self) -> bool:
        return self._a.is_set() or self._b.is_set()


class _StateReporter:
    """Sends the seat's latest state to the server from its own thread.

    When the server cannot be reached, newer states replace older ones not
    yet sent, and the latest is retried every ``retry_s`` seconds.
    """

    def __init__(self, client: ServerClient, *, retry_s: float) -> None:
        self.client = client
        self.retry_s = retry_s
        self._latest: tuple[SeatState, str] | None = None
        self.last_status: SeatStatus | None = None  # the server's latest reply
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, name="seat-state-reporter", daemon=True
        )
        self._thread.start()

    def send(self, state: SeatState, detail: str) -> None:
        with self._cond:
            self._latest = (state, detail)
            self._cond.notify_all()

    def flush(self, *, timeout_s: float) -> bool:
        """Wait until the latest state reached the server; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._latest is None, timeout_s)

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(2.0)
        self.client.close()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or self._latest is not None)
                if self._stopping:
                    return
                assert self._latest is not None
                state, detail = self._latest
            try:
                self.last_status = self.client.report_state(state, detail)
            except ServerRefused as exc:
                logger.warning("the server refused the seat state %s: %s", state, exc)
            except ClientError as exc:
                logger.warning("seat state %s not reported yet: %s", state, exc)
                with self._cond:
                    self._cond.wait(self.retry_s)
                continue
            with self._cond:
                if self._latest == (state, detail):
                    self._latest = None
                    self._cond.notify_all()
