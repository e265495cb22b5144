"""The station's logic, free of widgets, as explicit state machines.

The station::

    IDLE -> READY -> COUNTDOWN -> RUNNING -> JUDGING -> CONFIRMING -> READY/IDLE

and each lane (one candidate each)::

    EMPTY -> CHECKED_IN -> TESTED -> EMPTY        (decided: confirm or dispute)
                  ^           |
                  +-----------+                   (another trial, if allowed)

:meth:`StationSession.check_in` and :meth:`StationSession.run_attempt` block
(HTTP, the camera) and run on one worker thread; :meth:`StationSession.stop`
and :meth:`StationSession.decide` may be called from the GUI thread.
Progress goes out through a :class:`StationListener`. Timed events stop by
themselves when the frame clock reaches the time limit; pull-ups stop when
the examiner says so (or at :data:`UNTIMED_LIMIT_S`). The result of every
lane is journaled with the attempt's evidence clip before it is shown, and
the uploader sends it on; the candidate's decision is journaled at once and
sent after the trial and its clip.
"""

from __future__ import annotations

import datetime as dt
import enum
import importlib.metadata
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from exam_client.errors import ClientError, SessionError
from exam_client.pe_station.api import StationClient
from exam_client.pe_station.capture import (
    CaptureError,
    ClipWriter,
    PoseFrame,
    PoseStream,
    draw_skeletons,
    write_evidence,
)
from exam_client.pe_station.journal import (
    Decision,
    StationJournal,
    TrialRecord,
    TrialState,
    fsync_and_rename,
)
from exam_client.pe_station.live import LiveCount, LiveJudge, LiveJudgeError
from exam_client.pe_station.uploader import StationUploader, UploadNotice
from exam_server.wire import PeCandidateCard, PeItem, PeRepetition, PeStationInfo
from pe_sensors.judges import Event, JudgeResult

logger = logging.getLogger(__name__)

# The item each judged event is, on the server.
EVENT_ITEMS = {
    Event.PULLUP: PeItem.PULL_UP,
    Event.SITUP: PeItem.SIT_UP_1MIN,
    Event.ROPE_SKIP: PeItem.ROPE_SKIP_1MIN,
}
# One-minute events stop by themselves (national standard test rules).
TIME_LIMIT_S = {Event.SITUP: 60.0, Event.ROPE_SKIP: 60.0}
# Pull-ups have no time limit; a forgotten station stops after this long.
UNTIMED_LIMIT_S = 240.0
COUNTDOWN_S = 3.0
DISPLAY_EVERY_S = 0.05  # at most 20 images a second to the screen


class StationState(enum.Enum):
    """Where the station is."""

    IDLE = "idle"  # no candidate checked in
    READY = "ready"  # candidates checked in; the examiner may start
    COUNTDOWN = "countdown"  # 3, 2, 1 before the start signal
    RUNNING = "running"  # the attempt runs; live counts on screen
    JUDGING = "judging"  # final judge, evidence clip, journal
    CONFIRMING = "confirming"  # results shown; candidates decide


class LaneState(enum.Enum):
    """Where one lane's candidate is."""

    EMPTY = "empty"  # nobody checked in
    CHECKED_IN = "checked_in"  # waiting for the start
    TESTED = "tested"  # a result is shown; waiting for the candidate


@dataclass
class Lane:
    """One lane: its candidate, and the trials journaled for them here."""

    number: int  # 1-based
    state: LaneState = LaneState.EMPTY
    card: PeCandidateCard | None = None
    next_trial: int = 1
    trials: list[TrialRecord] = field(default_factory=list)
    error: str = ""

    @property
    def best(self) -> TrialRecord | None:
        """The best trial journaled for this attempt (highest count, earliest)."""
        usable = [t for t in self.trials if t.trial_state is not TrialState.REFUSED]
        if not usable:
            return None
        return max(usable, key=lambda t: (t.value, -t.trial_number))

    @property
    def can_try_again(self) -> bool:
        return self.card is not None and self.next_trial <= self.card.trials_allowed


class StationListener:
    """What a station tells its user interface (called off the GUI thread)."""

    def state_changed(self, state: StationState, detail: str) -> None:
        """The station entered ``state``."""

    def lane_changed(self, lane: Lane) -> None:
        """A lane's candidate, state or result changed."""

    def countdown(self, remaining_s: float) -> None:
        """Seconds before the start signal."""

    def frame(self, image: object, time_s: float, limit_s: float | None) -> None:
        """A camera image (BGR array with skeletons) at ``time_s`` of the attempt."""

    def counts(self, counts: list[LiveCount]) -> None:
        """The running count of every lane."""

    def notice(self, text: str, ok: bool) -> None:
        """Something worth showing: an upload, a refusal, a problem."""


@dataclass(frozen=True)
class StationConfig:
    """What the station is and where it keeps its journal."""

    server_url: str
    station_key: str
    event: Event
    data_dir: Path
    lanes: int = 1
    countdown_s: float = COUNTDOWN_S
    timeout_s: float = 10.0
    backoff_s: float = 0.5
    max_backoff_s: float = 5.0
    device: str = "camera"
    station_code: str = ""  # when given, the key must belong to this station


def judge_version(event: Event) -> str:
    """The judge's name and version sent with each trial."""
    try:
        version = importlib.metadata.version("exam-platform")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return f"pe_sensors.judges.{event.value} {version}"


def wire_repetitions(result: JudgeResult) -> list[PeRepetition]:
    return [
        PeRepetition(
            start_s=round(r.start_s, 3),
            end_s=round(r.end_s, 3),
            counted=r.counted,
            reason=None if r.reason is None else str(r.reason),
        )
        for r in result.repetitions
    ]


class StationSession:
    """A PE station's day: check-ins, attempts, results, decisions.

    Parameters
    ----------
    config : StationConfig
    stream : PoseStream
        The camera (or video file, or replay) with its pose trackers.
    listener : StationListener or None
    """

    def __init__(
        self,
        config: StationConfig,
        *,
        stream: PoseStream,
        listener: StationListener | None = None,
    ) -> None:
        self.config = config
        self.stream = stream
        self.listener = listener or StationListener()
        self.client = StationClient(
            config.server_url, config.station_key, timeout_s=config.timeout_s
        )
        self.lanes = [Lane(number=k + 1) for k in range(config.lanes)]
        self.station: PeStationInfo | None = None
        self.journal = StationJournal.open(config.data_dir)
        self.uploader = StationUploader(
            self.journal,
            StationClient(
                config.server_url, config.station_key, timeout_s=config.timeout_s
            ),
            notify=self._on_upload,
            backoff_s=config.backoff_s,
            max_backoff_s=config.max_backoff_s,
        )
        self.uploader.start()
        self.uploader.wake()  # work left by an earlier run
        self._state = StationState.IDLE
        self._lock = threading.Lock()
        self._stop = threading.Event()

    @property
    def state(self) -> StationState:
        return self._state

    @property
    def time_limit_s(self) -> float | None:
        return TIME_LIMIT_S.get(self.config.event)

    def close(self) -> None:
        self._stop.set()
        self.uploader.stop()
        self.client.close()
        self.uploader.client.close()
        self.journal.close()

    def _enter(self, state: StationState, detail: str = "") -> None:
        with self._lock:
            self._state = state
        logger.info("station state %s %s", state.value, detail)
        self.journal.add_event("state", f"{state.value} {detail}".strip())
        self.listener.state_changed(state, detail)

    def _require(self, *states: StationState) -> None:
        if self._state not in states:
            wanted = " or ".join(s.value for s in states)
            raise SessionError(
                f"this step needs the station to be {wanted}, but it is "
                f"{self._state.value}"
            )

    def _settle(self) -> None:
        """READY when a lane waits for the start, CONFIRMING when one waits for
        a decision, else IDLE."""
        states = {lane.state for lane in self.lanes}
        if LaneState.TESTED in states:
            self._enter(StationState.CONFIRMING)
        elif LaneState.CHECKED_IN in states:
            self._enter(StationState.READY)
        else:
            self._enter(StationState.IDLE)

    # station and check-in

    def identify(self) -> PeStationInfo:
        """Ask the server who this station is; check it tests our event."""
        info = self.client.station()
        wanted = EVENT_ITEMS[self.config.event]
        if self.config.station_code and info.code != self.config.station_code:
            raise SessionError(
                f"the station key belongs to station {info.code}, not "
                f"{self.config.station_code}; check the key and --station"
            )
        if info.item is not wanted:
            raise SessionError(
                f"the station key belongs to station {info.code}, which tests "
                f"{info.item.value}, but this program judges {wanted.value}; "
                f"start it with the --event of that station"
            )
        self.station = info
        return info

    def check_in(self, lane_number: int, ticket_number: str) -> PeCandidateCard:
        """Check a candidate in on a lane (typed or scanned ticket number)."""
        self._require(StationState.IDLE, StationState.READY, StationState.CONFIRMING)
        lane = self._lane(lane_number)
        ticket = ticket_number.strip()
        if not ticket:
            raise SessionError("type or scan the ticket number / 请输入或扫描准考证号")
        if lane.state is not LaneState.EMPTY:
            raise SessionError(
                f"lane {lane_number} already has a candidate; finish them first"
            )
        for other in self.lanes:
            if other.card is not None and other.card.ticket_number == ticket:
                raise SessionError(
                    f"candidate {ticket} is already checked in on lane {other.number}"
                )
        card = self.client.check_in(ticket)
        if not card.item_applies or card.attempt_id is None:
            raise SessionError(
                f"candidate {ticket} ({card.name}) is not tested on "
                f"{card.item.value} / 该考生不参加本项目"
            )
        if card.trial_number > card.trials_allowed:
            raise SessionError(
                f"candidate {ticket} has used all {card.trials_allowed} trials "
                "of this item / 该考生本项目测试次数已用完"
            )
        lane.card = card
        lane.next_trial = card.trial_number
        lane.trials = []
        lane.error = ""
        lane.state = LaneState.CHECKED_IN
        self.journal.add_event("check_in", f"lane {lane_number}: {ticket}")
        logger.info("checked in %s on lane %s", ticket, lane_number)
        self.listener.lane_changed(lane)
        self._settle()
        return card

    def clear_lane(self, lane_number: int) -> None:
        """Send a checked-in candidate away untested (the attempt stays open)."""
        lane = self._lane(lane_number)
        if lane.state is LaneState.TESTED:
            raise SessionError(
                f"lane {lane_number}'s candidate has a result to confirm or dispute"
            )
        self._free(lane)

    def _free(self, lane: Lane) -> None:
        lane.state = LaneState.EMPTY
        lane.card = None
        lane.trials = []
        lane.error = ""
        self.listener.lane_changed(lane)
        if self._state not in (StationState.RUNNING, StationState.COUNTDOWN):
            self._settle()

    def _lane(self, number: int) -> Lane:
        if not 1 <= number <= len(self.lanes):
            raise SessionError(
                f"lane {number} does not exist; this station has lanes 1 to "
                f"{len(self.lanes)}"
            )
        return self.lanes[number - 1]

    # the attempt

    def stop(self) -> None:
        """The examiner ends the attempt (pull-ups), or the window closes."""
        self._stop.set()

    def run_attempt(self) -> list[Lane]:
        """Count down, run the attempt, judge, journal; return the tested lanes."""
        self._require(StationState.READY)
        testing = [lane for lane in self.lanes if lane.state is LaneState.CHECKED_IN]
        self._stop.clear()
        self._count_down()
        if self._stop.is_set():
            self._settle()
            return []
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        code = self.station.code if self.station else self.config.event.value
        stem = f"{code}-{stamp}"
        raw = self.journal.folder / "raw"
        raw.mkdir(exist_ok=True)
        judges = [
            LiveJudge(self.config.event, frame_size=self.stream.frame_size)
            for _ in self.lanes
        ]
        self._enter(StationState.RUNNING, stem)
        try:
            raw_clip = self._capture(judges, raw / f"{stem}.mp4")
            self._enter(StationState.JUDGING)
            self._finish(testing, judges, raw_clip, stem)
        except ClientError as exc:
            logger.error("the attempt %s failed: %s", stem, exc)
            self.listener.notice(f"{exc}", False)
            self._settle()
            raise
        self._settle()
        return testing

    def _count_down(self) -> None:
        self._enter(StationState.COUNTDOWN)
        end = time.monotonic() + self.config.countdown_s
        while not self._stop.is_set():
            remaining = end - time.monotonic()
            if remaining <= 0:
                break
            self.listener.countdown(remaining)
            self._stop.wait(min(0.1, remaining))
        self.listener.countdown(0.0)

    def _capture(self, judges: list[LiveJudge], raw_path: Path) -> Path:
        """Run frames through the live judges until the limit, stop or the end."""
        limit_s = self.time_limit_s or UNTIMED_LIMIT_S
        writer = ClipWriter(
            raw_path, fps=self.stream.fps, frame_size=self.stream.frame_size
        )
        shown_at = 0.0
        frames = self.stream.frames(self._stop)
        try:
            for frame in frames:
                if frame.time_s >= limit_s:
                    break
                writer.write(frame.image)
                if self._feed(judges, frame):
                    self.listener.counts([j.latest for j in judges])
                if time.monotonic() - shown_at >= DISPLAY_EVERY_S:
                    shown_at = time.monotonic()
                    image = draw_skeletons(
                        frame.image, frame.lanes, self.stream.lane_boxes
                    )
                    self.listener.frame(image, frame.time_s, self.time_limit_s)
        finally:
            close = getattr(frames, "close", None)
            if close is not None:
                close()  # release the camera and the pose models now
            writer.close()
        if writer.n_frames == 0:
            raise CaptureError(
                "the camera gave no frame during the attempt; check it and "
                "test the candidates again"
            )
        logger.info("attempt captured: %s frames", writer.n_frames)
        return raw_path

    @staticmethod
    def _feed(judges: list[LiveJudge], frame: PoseFrame) -> bool:
        ran = False
        for judge, lane in zip(judges, frame.lanes, strict=True):
            count = judge.add_frame(
                time_s=frame.time_s,
                xy=lane.xy,
                visibility=lane.visibility,
                rope_evidence=lane.rope_evidence,
            )
            ran = ran or count is not None
        return ran

    def _finish(
        self, testing: list[Lane], judges: list[LiveJudge], raw_clip: Path, stem: str
    ) -> None:
        """Final judge per lane, one evidence clip, one journaled trial per lane."""
        results: list[JudgeResult] = []
        for lane, judge in zip(self.lanes, judges, strict=True):
            if lane in testing:
                try:
                    results.append(judge.final())
                    continue
                except LiveJudgeError as exc:
                    lane.error = str(exc)
                    self.listener.notice(f"lane {lane.number}: {exc}", False)
            results.append(JudgeResult(event=self.config.event.value))
        self.listener.counts([j.latest for j in judges])

        # the evidence: every lane's skeleton and count over the raw frames
        tmp, clip = self.journal.new_clip_paths(stem)
        write_evidence(
            raw_clip,
            fps=self.stream.fps,
            lanes=[
                (j.poses(), j.rope_evidence(), box)
                for j, box in zip(judges, self.stream.lane_boxes, strict=True)
            ],
            results=results,
            out_path=tmp,
        )
        fsync_and_rename(tmp, clip)
        raw_clip.unlink(missing_ok=True)

        for lane, result in zip(self.lanes, results, strict=True):
            if lane in testing and not lane.error:
                self._journal_trial(lane, result, clip)
        self.uploader.wake()

    def _journal_trial(self, lane: Lane, result: JudgeResult, clip: Path) -> None:
        card = lane.card
        assert card is not None and card.attempt_id is not None  # checked in
        stream = self.stream
        record = self.journal.store_trial(
            ticket_number=card.ticket_number,
            candidate_name=card.name,
            attempt_id=card.attempt_id,
            trial_number=lane.next_trial,
            lane=lane.number,
            event=self.config.event.value,
            value=float(result.count),
            repetitions=wire_repetitions(result),
            judge_version=judge_version(self.config.event),
            device=(
                f"{self.config.device} {stream.frame_size[0]}x"
                f"{stream.frame_size[1]} {stream.fps:.2f} fps, lane "
                f"{lane.number} of {len(self.lanes)}"
            ),
            clip=clip,
        )
        lane.trials.append(record)
        lane.next_trial += 1
        lane.state = LaneState.TESTED
        self.listener.lane_changed(lane)

    # the candidate's decision

    def decide(self, lane_number: int, decision: Decision, reason: str = "") -> None:
        """The candidate confirms the result, or disputes it (with a reason)."""
        lane = self._lane(lane_number)
        if lane.state is not LaneState.TESTED or lane.card is None:
            raise SessionError(f"lane {lane_number} has no result to decide on")
        best = lane.best
        if best is None or lane.card.attempt_id is None:
            raise SessionError(f"lane {lane_number}'s result was refused")
        if decision is Decision.DISPUTE and not reason.strip():
            raise SessionError(
                "a dispute needs the candidate's reason / 请填写异议理由"
            )
        self.journal.record_decision(
            attempt_id=lane.card.attempt_id,
            ticket_number=lane.card.ticket_number,
            decision=decision,
            best_local_id=best.local_id,
            reason=reason.strip(),
        )
        self.uploader.wake()
        self._free(lane)

    def try_again(self, lane_number: int) -> None:
        """The candidate takes another trial of the same attempt."""
        lane = self._lane(lane_number)
        if lane.state is not LaneState.TESTED or not lane.can_try_again:
            raise SessionError(f"lane {lane_number} has no trial left")
        lane.state = LaneState.CHECKED_IN
        self.listener.lane_changed(lane)
        self._settle()

    def _on_upload(self, notice: UploadNotice) -> None:
        self.listener.notice(f"{notice.ticket_number}: {notice.text}", notice.ok)
