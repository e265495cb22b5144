"""The station's crash-safe local journal of trials, clips and decisions.

A folder: ``journal.sqlite`` (WAL mode, ``synchronous=FULL``) and ``clips/``
with one annotated evidence clip per attempt. A clip is written under a
``.tmp.mp4`` name, fsynced and renamed; only then does a trial row name it
with its SHA-256, so the row is the commit point, as in the seat's journal
(both build on :mod:`exam_client.durable`).

Each trial goes to the server in three steps, each journaled when the
server confirms it: the trial's result (:class:`TrialState`), then its clip
(:class:`EvidenceState`), then the candidate's decision on the attempt
(confirm, or dispute for arbitration: :class:`DecisionState`). Nothing is
deleted when the server confirms it: the clips stay for arbitration.
"""

from __future__ import annotations

import enum
import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from exam_client.durable import (
    SqliteJournal,
    file_sha256,
    move_aside,
    utc_now,
)
from exam_client.durable import (
    fsync_and_rename as fsync_and_rename,  # the session imports it from here
)
from exam_client.errors import JournalError
from exam_server.wire import PeRepetition, from_json, to_json

logger = logging.getLogger(__name__)

CLIPS = "clips"
TMP_SUFFIX = ".tmp.mp4"


class TrialState(enum.StrEnum):
    """Where a trial's result is on its way to the server."""

    PENDING = "pending"  # journaled; not yet stored by the server
    SENT = "sent"  # the server stored it and gave its trial id
    REFUSED = "refused"  # the server refused it; an examiner must look


class EvidenceState(enum.StrEnum):
    """Where a trial's evidence clip is on its way to the server."""

    PENDING = "pending"  # waiting for its trial, or for upload
    CONFIRMED = "confirmed"  # the server holds it with the same SHA-256
    REFUSED = "refused"  # the server refused it
    CORRUPT = "corrupt"  # the file is gone or no longer matches; never sent


class Decision(enum.StrEnum):
    """What the candidate said about the result shown."""

    CONFIRM = "confirm"  # the result is final (考生确认)
    DISPUTE = "dispute"  # kept with its evidence for arbitration (仲裁)


class DecisionState(enum.StrEnum):
    """Where a candidate's decision is on its way to the server."""

    PENDING = "pending"  # waiting for the attempt's trials, or for upload
    SENT = "sent"  # the server recorded it
    REFUSED = "refused"  # the server refused it; an examiner must look


@dataclass(frozen=True)
class TrialRecord:
    """One trial in the journal."""

    local_id: int
    ticket_number: str
    candidate_name: str
    attempt_id: int
    trial_number: int
    lane: int  # 1-based
    event: str
    value: float  # the count
    repetitions: list[PeRepetition]
    judge_version: str
    device: str
    clip: Path
    clip_sha256: str
    recorded_at: str
    trial_id: int | None  # the server's id, once sent
    trial_state: TrialState
    evidence_state: EvidenceState
    refusal: str | None


@dataclass(frozen=True)
class DecisionRecord:
    attempt_id: int
    ticket_number: str
    decision: Decision
    best_local_id: int  # the trial whose result the candidate saw
    reason: str
    state: DecisionState
    refusal: str | None
    decided_at: str


_SCHEMA = """
CREATE TABLE IF NOT EXISTS trials (
    local_id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_number TEXT NOT NULL, candidate_name TEXT NOT NULL,
    attempt_id INTEGER NOT NULL, trial_number INTEGER NOT NULL,
    lane INTEGER NOT NULL, event TEXT NOT NULL, value REAL NOT NULL,
    repetitions TEXT NOT NULL, judge_version TEXT NOT NULL, device TEXT NOT NULL,
    clip TEXT NOT NULL, clip_sha256 TEXT NOT NULL, recorded_at TEXT NOT NULL,
    trial_id INTEGER, trial_state TEXT NOT NULL, evidence_state TEXT NOT NULL,
    refusal TEXT,
    UNIQUE (attempt_id, trial_number)
);
CREATE TABLE IF NOT EXISTS decisions (
    attempt_id INTEGER PRIMARY KEY, ticket_number TEXT NOT NULL,
    decision TEXT NOT NULL, best_local_id INTEGER NOT NULL
        REFERENCES trials(local_id),
    reason TEXT NOT NULL, state TEXT NOT NULL, refusal TEXT,
    reply TEXT, decided_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
    kind TEXT NOT NULL, detail TEXT NOT NULL DEFAULT ''
);
"""


class StationJournal(SqliteJournal):
    """The station's journal; safe to share between threads."""

    SCHEMA = _SCHEMA
    FILES = CLIPS
    OWNER = "station"

    def __init__(self, folder: Path, connection: sqlite3.Connection) -> None:
        super().__init__(folder, connection)
        self.clips_dir = folder / CLIPS

    # clips and trials

    def new_clip_paths(self, stem: str) -> tuple[Path, Path]:
        """A temporary and a final path for an evidence clip named ``stem``."""
        return self.clips_dir / f"{stem}{TMP_SUFFIX}", self.clips_dir / f"{stem}.mp4"

    def store_trial(
        self,
        *,
        ticket_number: str,
        candidate_name: str,
        attempt_id: int,
        trial_number: int,
        lane: int,
        event: str,
        value: float,
        repetitions: list[PeRepetition],
        judge_version: str,
        device: str,
        clip: Path,
    ) -> TrialRecord:
        """Journal a judged trial whose clip is already durable at ``clip``."""
        if not clip.is_file() or clip.parent != self.clips_dir:
            raise JournalError(
                f"the evidence clip {clip} is not a file in {self.clips_dir}; "
                "write it with new_clip_paths before journaling the trial"
            )
        sha256 = file_sha256(clip)
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO trials (ticket_number, candidate_name, attempt_id, "
                "trial_number, lane, event, value, repetitions, judge_version, "
                "device, clip, clip_sha256, recorded_at, trial_state, "
                "evidence_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ticket_number,
                    candidate_name,
                    attempt_id,
                    trial_number,
                    lane,
                    event,
                    value,
                    json.dumps(to_json(repetitions)),
                    judge_version,
                    device,
                    clip.name,
                    sha256,
                    utc_now(),
                    TrialState.PENDING.value,
                    EvidenceState.PENDING.value,
                ),
            )
            local_id = int(cursor.lastrowid or 0)
            self._event(
                db,
                "trial_stored",
                f"ticket {ticket_number} attempt {attempt_id} trial "
                f"{trial_number}: {value:g} ({sha256[:12]})",
            )
        logger.info(
            "journaled trial %s of %s: %s (clip sha256 %s)",
            trial_number,
            ticket_number,
            value,
            sha256[:12],
        )
        return self.trial(local_id)

    def trial(self, local_id: int) -> TrialRecord:
        rows = self._trials("WHERE local_id = ?", (local_id,))
        if not rows:
            raise JournalError(f"trial {local_id} is not in the station journal")
        return rows[0]

    def trials(self, attempt_id: int | None = None) -> list[TrialRecord]:
        if attempt_id is None:
            return self._trials("", ())
        return self._trials("WHERE attempt_id = ?", (attempt_id,))

    def pending_trials(self) -> list[TrialRecord]:
        return self._trials("WHERE trial_state = ?", (TrialState.PENDING.value,))

    def pending_evidence(self) -> list[TrialRecord]:
        return self._trials(
            "WHERE trial_state = ? AND evidence_state = ?",
            (TrialState.SENT.value, EvidenceState.PENDING.value),
        )

    def _trials(self, where: str, args: tuple[object, ...]) -> list[TrialRecord]:
        rows = self._query(f"SELECT * FROM trials {where} ORDER BY local_id", args)
        return [self._trial_of(row) for row in rows]

    def _trial_of(self, row: sqlite3.Row) -> TrialRecord:
        repetitions = from_json(list[PeRepetition], json.loads(row["repetitions"]))
        return TrialRecord(
            local_id=row["local_id"],
            ticket_number=row["ticket_number"],
            candidate_name=row["candidate_name"],
            attempt_id=row["attempt_id"],
            trial_number=row["trial_number"],
            lane=row["lane"],
            event=row["event"],
            value=row["value"],
            repetitions=repetitions,
            judge_version=row["judge_version"],
            device=row["device"],
            clip=self.clips_dir / row["clip"],
            clip_sha256=row["clip_sha256"],
            recorded_at=row["recorded_at"],
            trial_id=row["trial_id"],
            trial_state=TrialState(row["trial_state"]),
            evidence_state=EvidenceState(row["evidence_state"]),
            refusal=row["refusal"],
        )

    def mark_trial_sent(self, local_id: int, *, trial_id: int) -> None:
        self._update_trial(
            local_id,
            "trial_sent",
            f"server trial {trial_id}",
            trial_id=trial_id,
            trial_state=TrialState.SENT.value,
        )

    def mark_trial_refused(self, local_id: int, *, reason: str) -> None:
        self._update_trial(
            local_id,
            "trial_refused",
            reason,
            trial_state=TrialState.REFUSED.value,
            refusal=reason,
        )

    def mark_evidence(
        self, local_id: int, state: EvidenceState, *, detail: str = ""
    ) -> None:
        refusal = detail if state is not EvidenceState.CONFIRMED else None
        self._update_trial(
            local_id,
            f"evidence_{state.value}",
            detail,
            evidence_state=state.value,
            refusal=refusal,
        )

    def _update_trial(
        self, local_id: int, kind: str, detail: str, **columns: object
    ) -> None:
        names = ", ".join(f"{name} = ?" for name in columns)
        with self._transaction() as db:
            cursor = db.execute(
                f"UPDATE trials SET {names} WHERE local_id = ?",
                (*columns.values(), local_id),
            )
            if cursor.rowcount != 1:
                raise JournalError(f"trial {local_id} is not in the station journal")
            self._event(db, kind, f"trial {local_id}: {detail}")

    # decisions

    def record_decision(
        self,
        *,
        attempt_id: int,
        ticket_number: str,
        decision: Decision,
        best_local_id: int,
        reason: str = "",
    ) -> DecisionRecord:
        """Journal the candidate's decision; it is final on the station."""
        with self._transaction() as db:
            row = db.execute(
                "SELECT decision FROM decisions WHERE attempt_id = ?", (attempt_id,)
            ).fetchone()
            if row is not None:
                raise JournalError(
                    f"attempt {attempt_id} already has the decision {row[0]}; a "
                    "decision is never changed at the station: ask the exam "
                    "office for a retest instead"
                )
            db.execute(
                "INSERT INTO decisions (attempt_id, ticket_number, decision, "
                "best_local_id, reason, state, decided_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    attempt_id,
                    ticket_number,
                    decision.value,
                    best_local_id,
                    reason,
                    DecisionState.PENDING.value,
                    utc_now(),
                ),
            )
            self._event(db, f"decision_{decision.value}", f"attempt {attempt_id}")
        logger.info(
            "candidate %s: %s (attempt %s)", ticket_number, decision, attempt_id
        )
        return self.decision(attempt_id)

    def decision(self, attempt_id: int) -> DecisionRecord:
        rows = self._decisions("WHERE attempt_id = ?", (attempt_id,))
        if not rows:
            raise JournalError(f"attempt {attempt_id} has no decision in the journal")
        return rows[0]

    def decisions(self) -> list[DecisionRecord]:
        return self._decisions("", ())

    def pending_decisions(self) -> list[DecisionRecord]:
        return self._decisions("WHERE state = ?", (DecisionState.PENDING.value,))

    def _decisions(self, where: str, args: tuple[object, ...]) -> list[DecisionRecord]:
        rows = self._query(f"SELECT * FROM decisions {where} ORDER BY decided_at", args)
        return [
            DecisionRecord(
                attempt_id=row["attempt_id"],
                ticket_number=row["ticket_number"],
                decision=Decision(row["decision"]),
                best_local_id=row["best_local_id"],
                reason=row["reason"],
                state=DecisionState(row["state"]),
                refusal=row["refusal"],
                decided_at=row["decided_at"],
            )
            for row in rows
        ]

    def mark_decision(
        self, attempt_id: int, state: DecisionState, *, detail: str
    ) -> None:
        refusal = detail if state is DecisionState.REFUSED else None
        reply = detail if state is DecisionState.SENT else None
        with self._transaction() as db:
            db.execute(
                "UPDATE decisions SET state = ?, refusal = ?, reply = ? "
                "WHERE attempt_id = ?",
                (state.value, refusal, reply, attempt_id),
            )
            self._event(db, f"decision_{state.value}", f"attempt {attempt_id}")

    # events

    def add_event(self, kind: str, detail: str = "") -> None:
        with self._transaction() as db:
            self._event(db, kind, detail)

    def events(self) -> list[tuple[str, str, str]]:
        rows = self._query("SELECT at, kind, detail FROM events ORDER BY id")
        return [(r["at"], r["kind"], r["detail"]) for r in rows]

    @staticmethod
    def _event(db: sqlite3.Connection, kind: str, detail: str) -> None:
        db.execute(
            "INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)",
            (utc_now(), kind, detail),
        )

    # recovery

    def _recover(self) -> None:
        """Sort out what a crash left behind; runs when the journal opens.

        1. ``.tmp.mp4`` clips are incomplete writes: moved to ``discarded/``.
        2. A clip awaiting upload that is gone or no longer matches its
           SHA-256 is marked corrupt and never sent; its trial's result
           still goes to the server, and an examiner sees the clip missing.
        """
        for tmp in sorted(self.clips_dir.glob(f"*{TMP_SUFFIX}")):
            move_aside(tmp, self.folder)
            logger.warning("moved the incomplete clip %s aside", tmp.name)
            self.add_event("clip_discarded", tmp.name)
        for trial in self._trials(
            "WHERE evidence_state = ?", (EvidenceState.PENDING.value,)
        ):
            if trial.clip.is_file() and file_sha256(trial.clip) == trial.clip_sha256:
                continue
            logger.error(
                "the clip of trial %s of %s is gone or altered; it will not be sent",
                trial.trial_number,
                trial.ticket_number,
            )
            self.mark_evidence(
                trial.local_id,
                EvidenceState.CORRUPT,
                detail="the clip on disk is gone or does not match its SHA-256",
            )
