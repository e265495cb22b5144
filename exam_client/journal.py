"""The seat's crash-safe local journal of one candidate's sitting.

A journal is a folder: ``journal.sqlite`` (WAL mode, ``synchronous=FULL``)
and ``recordings/`` with one WAV file per spoken answer. The seat program
writes every recording to a ``.part`` file, flushes and fsyncs it, renames
it to its final name, fsyncs the folder, and only then records it in the
journal with its SHA-256. The row in the journal is the commit point: the
uploader takes answers from the journal only, so a half-written file is
never uploaded.

What the journal keeps: the login (ticket number, seat token, sitting), the
paper, each item's progress (:class:`ItemStage`), each answer with its
upload state and the server's receipt, and a list of events.

Resuming after a crash (断点续考)
-------------------------------
:meth:`Journal.resume_point` names the first item whose answer is not in the
journal. An item that was interrupted (started, but its answer was not
stored) restarts from its prompt with its full preparation and answer time:
a partial recording is not a fair answer, and time lost to the crash is
given back, as a proctor does when pausing a seat. Items whose answers are
in the journal are never repeated; their answers upload as usual.
"""

from __future__ import annotations

import enum
import io
import json
import logging
import sqlite3
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from exam_client.durable import (
    PART_SUFFIX,
    SqliteJournal,
    durable_write,
    file_sha256,
    move_aside,
    sha256_hex,
    utc_now,
)
from exam_client.errors import JournalError
from exam_server.wire import ItemKind, PaperOut, UploadReceipt, from_json, to_json

logger = logging.getLogger(__name__)

RECORDINGS = "recordings"


class ItemStage(enum.IntEnum):
    """How far an item of the paper got at this seat, in order."""

    NOT_STARTED = 0  # the item has not been shown yet
    STARTED = 1  # the item's page is shown, its prompt is about to play
    PROMPT_PLAYED = 2  # the prompt audio played to its end
    PREP_DONE = 3  # the preparation countdown ran out
    ANSWERED = 4  # the answer (or the fact that there is none) is journaled


class UploadState(enum.StrEnum):
    """Where a journaled answer is on its way to the server."""

    PENDING = "pending"  # waiting for upload, or being retried
    CONFIRMED = "confirmed"  # the server's receipt matches its SHA-256
    REFUSED = "refused"  # the server refused it; a proctor must look
    CORRUPT = "corrupt"  # the file no longer matches its hash; never sent


@dataclass(frozen=True)
class LoginRecord:
    room_code: str
    seat_code: str
    ticket_number: str
    candidate_name: str
    token: str
    sitting_id: int
    logged_in_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class StoredAnswer:
    """One answer in the journal: a recording or a chosen option."""

    item_id: int
    position: int
    kind: ItemKind
    sha256: str
    path: Path | None  # the WAV file of a spoken answer
    choice: str | None  # the option of a listen-and-choose answer
    upload: UploadState
    received_at: str | None  # from the server's receipt
    refusal: str | None  # the server's reason, when refused


@dataclass(frozen=True)
class ResumePoint:
    """Where the exam continues after a restart.

    ``next_position`` is None when every item has its answer journaled.
    ``restarted_item_id`` names the item that was interrupted and runs again
    from its prompt, or None when the crash fell between two items.
    """

    next_position: int | None
    restarted_item_id: int | None
    waiting_uploads: list[StoredAnswer]
    device_check_passed: bool


_SCHEMA = """
CREATE TABLE IF NOT EXISTS login (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    room_code TEXT NOT NULL, seat_code TEXT NOT NULL,
    ticket_number TEXT NOT NULL, candidate_name TEXT NOT NULL,
    token TEXT NOT NULL, sitting_id INTEGER NOT NULL,
    logged_in_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    item_id INTEGER PRIMARY KEY, position INTEGER NOT NULL UNIQUE,
    kind TEXT NOT NULL, stage INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT
);
CREATE TABLE IF NOT EXISTS answers (
    item_id INTEGER PRIMARY KEY REFERENCES items(item_id),
    sha256 TEXT NOT NULL, path TEXT, choice TEXT,
    upload TEXT NOT NULL, received_at TEXT, refusal TEXT,
    stored_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
    kind TEXT NOT NULL, item_id INTEGER, detail TEXT NOT NULL DEFAULT ''
);
"""


def choice_sha256(choice: str) -> str:
    """The SHA-256 of a chosen option's letter (``A``...), as ASCII text."""
    return sha256_hex(choice.encode("ascii"))


def wav_bytes(y: np.ndarray, *, sr: int) -> bytes:
    """Encode mono int16 samples ``y`` (shape ``(n,)``) at ``sr`` Hz as WAV."""
    if y.ndim != 1 or y.dtype != np.int16:
        raise JournalError(
            f"a recording must be mono int16 samples, got dtype {y.dtype} with "
            f"shape {y.shape}; convert it before storing"
        )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sr)
        out.writeframes(y.astype("<i2").tobytes())
    return buffer.getvalue()


def _is_readable_wav(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as stream:
            n = stream.getnframes()
            stream.readframes(n)
            return stream.getnchannels() == 1 and stream.getsampwidth() == 2
    except (wave.Error, EOFError, OSError):
        return False


class Journal(SqliteJournal):
    """One candidate's journal at one seat; safe to share between threads.

    Open it with :meth:`open`; the folder is made when missing, and files
    left by a crash are sorted out (see :meth:`_recover`).
    """

    SCHEMA = _SCHEMA
    FILES = RECORDINGS
    OWNER = "seat"

    def __init__(self, folder: Path, connection: sqlite3.Connection) -> None:
        super().__init__(folder, connection)
        self.recordings_dir = folder / RECORDINGS

    # login, paper and facts

    def record_login(self, login: LoginRecord) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO login VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                (
                    login.room_code,
                    login.seat_code,
                    login.ticket_number,
                    login.candidate_name,
                    login.token,
                    login.sitting_id,
                    login.logged_in_at,
                ),
            )
            self._event(db, "login", None, f"ticket {login.ticket_number}")

    def login(self) -> LoginRecord | None:
        rows = self._query("SELECT * FROM login WHERE id = 1")
        if not rows:
            return None
        row = dict(rows[0])
        row.pop("id")
        return LoginRecord(**row)

    def record_paper(self, paper: PaperOut) -> None:
        """Keep the paper, and a progress row for each of its items."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO facts VALUES ('paper', ?)",
                (json.dumps(to_json(paper)),),
            )
            for item in paper.items:
                db.execute(
                    "INSERT OR IGNORE INTO items (item_id, position, kind) "
                    "VALUES (?, ?, ?)",
                    (item.item_id, item.position, item.kind.value),
                )

    def paper(self) -> PaperOut | None:
        rows = self._query("SELECT value FROM facts WHERE key = 'paper'")
        if not rows:
            return None
        return from_json(PaperOut, json.loads(rows[0]["value"]))

    def set_fact(self, key: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO facts VALUES (?, ?)", (key, value))

    def fact(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM facts WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    # item progress

    def mark_item(self, item_id: int, stage: ItemStage) -> None:
        """Record that an item reached ``stage`` (answers use store_*)."""
        with self._transaction() as db:
            self._set_stage(db, item_id, stage)
            self._event(db, f"item_{stage.name.lower()}", item_id, "")

    def item_stage(self, item_id: int) -> ItemStage:
        rows = self._query("SELECT stage FROM items WHERE item_id = ?", (item_id,))
        if not rows:
            raise JournalError(
                f"item {item_id} is not on the journaled paper; record the paper "
                "before the items"
            )
        return ItemStage(rows[0]["stage"])

    def mark_answered_elsewhere(self, item_ids: list[int]) -> None:
        """Mark items the server already holds answers for (a seat move)."""
        with self._transaction() as db:
            for item_id in item_ids:
                row = db.execute(
                    "SELECT stage FROM items WHERE item_id = ?", (item_id,)
                ).fetchone()
                if row is not None and row[0] < ItemStage.ANSWERED:
                    self._set_stage(db, item_id, ItemStage.ANSWERED)
                    self._event(db, "answered_elsewhere", item_id, "")

    def _set_stage(
        self, db: sqlite3.Connection, item_id: int, stage: ItemStage
    ) -> None:
        cursor = db.execute(
            "UPDATE items SET stage = ?, updated_at = ? WHERE item_id = ?",
            (int(stage), utc_now(), item_id),
        )
        if cursor.rowcount != 1:
            raise JournalError(
                f"item {item_id} is not on the journaled paper; record the paper "
                "before the items"
            )

    # answers

    def store_recording(self, item_id: int, y: np.ndarray, *, sr: int) -> StoredAnswer:
        """Write a spoken answer durably, then journal it with its SHA-256.

        Parameters
        ----------
        item_id : int
            The item answered.
        y : np.ndarray [shape=(n,), dtype=int16]
            The recorded samples.
        sr : int
            Their sample rate, in Hz.
        """
        position = self._position(item_id)
        data = wav_bytes(y, sr=sr)
        path = self.recordings_dir / f"item{position:02d}-id{item_id}.wav"
        try:
            durable_write(path, data)
        except OSError as exc:
            raise JournalError(
                f"the recording of item {position} cannot be written to {path} "
                f"({exc}); check the disk, then call the proctor"
            ) from exc
        sha256 = sha256_hex(data)
        self._store_answer(item_id, sha256=sha256, path=path, choice=None)
        logger.info(
            "stored the recording of item %s (%s bytes, sha256 %s)",
            position,
            len(data),
            sha256[:12],
        )
        return self.answer(item_id)

    def store_choice(self, item_id: int, choice: str | None) -> StoredAnswer | None:
        """Journal a chosen option; ``None`` records that nothing was chosen."""
        if choice is None:
            with self._transaction() as db:
                self._set_stage(db, item_id, ItemStage.ANSWERED)
                self._event(db, "no_choice", item_id, "the time ran out")
            return None
        self._store_answer(
            item_id, sha256=choice_sha256(choice), path=None, choice=choice
        )
        logger.info("stored choice %s for item %s", choice, self._position(item_id))
        return self.answer(item_id)

    def _store_answer(
        self, item_id: int, *, sha256: str, path: Path | None, choice: str | None
    ) -> None:
        with self._transaction() as db:
            row = db.execute(
                "SELECT upload FROM answers WHERE item_id = ?", (item_id,)
            ).fetchone()
            if row is not None and row[0] == UploadState.CONFIRMED:
                raise JournalError(
                    f"item {item_id} already has an answer confirmed by the "
                    "server; an answer is never replaced once confirmed"
                )
            db.execute(
                "INSERT OR REPLACE INTO answers (item_id, sha256, path, choice, "
                "upload, stored_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    item_id,
                    sha256,
                    None if path is None else path.name,
                    choice,
                    UploadState.PENDING.value,
                    utc_now(),
                ),
            )
            self._set_stage(db, item_id, ItemStage.ANSWERED)
            self._event(db, "answer_stored", item_id, sha256)

    def confirm_upload(self, item_id: int, receipt: UploadReceipt) -> None:
        """Record the server's receipt of an answer (its hash already checked)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE answers SET upload = ?, received_at = ?, refusal = NULL "
                "WHERE item_id = ?",
                (UploadState.CONFIRMED.value, receipt.received_at, item_id),
            )
            detail = json.dumps(to_json(receipt))
            self._event(db, "upload_confirmed", item_id, detail)

    def record_refusal(self, item_id: int, *, status: int, reason: str) -> None:
        """Record that the server refused an answer; it is not sent again."""
        with self._transaction() as db:
            db.execute(
                "UPDATE answers SET upload = ?, refusal = ? WHERE item_id = ?",
                (UploadState.REFUSED.value, f"HTTP {status}: {reason}", item_id),
            )
            self._event(db, "upload_refused", item_id, f"HTTP {status}: {reason}")

    def answer(self, item_id: int) -> StoredAnswer:
        rows = self._answers("WHERE a.item_id = ?", (item_id,))
        if not rows:
            raise JournalError(f"item {item_id} has no answer in the journal")
        return rows[0]

    def answers(self) -> list[StoredAnswer]:
        return self._answers("", ())

    def pending_uploads(self) -> list[StoredAnswer]:
        return self._answers("WHERE a.upload = ?", (UploadState.PENDING.value,))

    def _answers(self, where: str, args: tuple[object, ...]) -> list[StoredAnswer]:
        rows = self._query(
            "SELECT a.*, i.position, i.kind FROM answers a "
            f"JOIN items i USING (item_id) {where} ORDER BY i.position",
            args,
        )
        return [
            StoredAnswer(
                item_id=row["item_id"],
                position=row["position"],
                kind=ItemKind(row["kind"]),
                sha256=row["sha256"],
                path=None if row["path"] is None else self.recordings_dir / row["path"],
                choice=row["choice"],
                upload=UploadState(row["upload"]),
                received_at=row["received_at"],
                refusal=row["refusal"],
            )
            for row in rows
        ]

    def _position(self, item_id: int) -> int:
        rows = self._query("SELECT position FROM items WHERE item_id = ?", (item_id,))
        if not rows:
            raise JournalError(
                f"item {item_id} is not on the journaled paper; record the paper "
                "before the items"
            )
        return int(rows[0]["position"])

    # events

    def add_event(
        self, kind: str, detail: str = "", item_id: int | None = None
    ) -> None:
        with self._transaction() as db:
            self._event(db, kind, item_id, detail)

    def events(self) -> list[tuple[str, str, int | None, str]]:
        rows = self._query("SELECT at, kind, item_id, detail FROM events ORDER BY id")
        return [(r["at"], r["kind"], r["item_id"], r["detail"]) for r in rows]

    @staticmethod
    def _event(
        db: sqlite3.Connection, kind: str, item_id: int | None, detail: str
    ) -> None:
        db.execute(
            "INSERT INTO events (at, kind, item_id, detail) VALUES (?, ?, ?, ?)",
            (utc_now(), kind, item_id, detail),
        )

    # resuming

    def resume_point(self) -> ResumePoint:
        """Say where the exam continues after a restart (see the module notes)."""
        items = self._query(
            "SELECT item_id, position, stage FROM items ORDER BY position"
        )
        next_row = next((r for r in items if r["stage"] < ItemStage.ANSWERED), None)
        restarted = None
        if next_row is not None and next_row["stage"] >= ItemStage.STARTED:
            restarted = int(next_row["item_id"])
        return ResumePoint(
            next_position=None if next_row is None else int(next_row["position"]),
            restarted_item_id=restarted,
            waiting_uploads=self.pending_uploads(),
            device_check_passed=self.fact("device_check") == "clear",
        )

    def _recover(self) -> None:
        """Sort out what a crash left behind; runs when the journal opens.

        1. ``.part`` files are incomplete writes: moved to ``discarded/``.
        2. A complete WAV file without a journal row (a crash between the
           rename and the row) is adopted when its item has no answer yet.
        3. A pending answer whose file is missing or no longer matches its
           SHA-256 is marked corrupt, never uploaded, and its item restarts.
        """
        for part in sorted(self.recordings_dir.glob(f"*{PART_SUFFIX}")):
            self._discard(part, "an incomplete write left by a crash")

        known = {a.path.name for a in self.answers() if a.path is not None}
        for path in sorted(self.recordings_dir.glob("item*-id*.wav")):
            if path.name not in known:
                self._adopt_or_discard(path)

        for stored in self.pending_uploads():
            if stored.path is None:
                continue
            if stored.path.exists() and file_sha256(stored.path) == stored.sha256:
                continue
            logger.error(
                "the recording of item %s does not match its journaled hash; "
                "the item will run again",
                stored.position,
            )
            with self._transaction() as db:
                db.execute(
                    "UPDATE answers SET upload = ? WHERE item_id = ?",
                    (UploadState.CORRUPT.value, stored.item_id),
                )
                self._set_stage(db, stored.item_id, ItemStage.NOT_STARTED)
                self._event(db, "answer_corrupt", stored.item_id, stored.sha256)

    def _adopt_or_discard(self, path: Path) -> None:
        try:
            item_id = int(path.stem.split("-id", 1)[1])
            stage = self.item_stage(item_id)
        except (IndexError, ValueError, JournalError):
            self._discard(path, "a recording of no item on the paper")
            return
        if stage >= ItemStage.ANSWERED or not _is_readable_wav(path):
            self._discard(path, "a recording the journal does not hold")
            return
        sha256 = file_sha256(path)
        self._store_answer(item_id, sha256=sha256, path=path, choice=None)
        self.add_event("answer_adopted", path.name, item_id)
        logger.warning("adopted the complete recording %s left by a crash", path.name)

    def _discard(self, path: Path, why: str) -> None:
        move_aside(path, self.folder)
        logger.warning("moved %s aside: %s", path.name, why)
        self.add_event("file_discarded", f"{path.name}: {why}")
