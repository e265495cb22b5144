"""The exam server's database tables (SQLAlchemy 2 declarative models).

States are stored as the string values of the enums in
:mod:`exam_server.wire`, not as database enum types, so SQLite and
PostgreSQL hold the same thing and a new state needs no type migration.
Every time is timezone-aware UTC. Alembic migrations in
``exam_server/migrations`` create these tables; a change here needs a new
migration.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


# Named constraints, so that later migrations (SQLite copies a table to alter
# it) can refer to a constraint by a name that is the same on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class ExamKind(enum.StrEnum):
    ORAL = "oral"  # 人机对话听说考试
    PE = "pe"  # 体育中考


class CandidateStatus(enum.StrEnum):
    """A candidate's standing in an exam, as exports report it."""

    NORMAL = "normal"
    ABSENT = "absent"  # 缺考
    MISCONDUCT = "misconduct"  # 违纪
    RESIT = "re-sit"  # 补考
    EXEMPT = "exempt"  # 免考


class JobState(enum.StrEnum):
    QUEUED = "queued"  # waiting for a worker
    RUNNING = "running"  # a worker took it; back to queued if it dies
    DONE = "done"  # a score row exists for the response
    FAILED = "failed"  # the scorer refused the input; error says why


class Exam(Base):
    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default=ExamKind.ORAL.value)
    year: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    papers: Mapped[list[Paper]] = relationship(back_populates="exam")
    candidates: Mapped[list[Candidate]] = relationship(back_populates="exam")


class Paper(Base):
    __tablename__ = "papers"
    __table_args__ = (UniqueConstraint("exam_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"))
    code: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))

    exam: Mapped[Exam] = relationship(back_populates="papers")
    items: Mapped[list[Item]] = relationship(
        back_populates="paper", order_by="Item.position"
    )


class Item(Base):
    """One item of a paper: prompt, timings, and what it is scored against."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("paper_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"))
    position: Mapped[int] = mapped_column(Integer)  # 1-based
    kind: Mapped[str] = mapped_column(String(32))  # wire.ItemKind value
    title: Mapped[str] = mapped_column(String(200))
    instructions: Mapped[str] = mapped_column(Text, default="")
    prompt_text: Mapped[str] = mapped_column(Text, default="")
    # what the prompt audio says (the listening text), never sent to seats
    prompt_script: Mapped[str] = mapped_column(Text, default="")
    prompt_audio_sha256: Mapped[str | None] = mapped_column(String(64))
    options: Mapped[list[Any]] = mapped_column(default=list)
    answer_key: Mapped[str | None] = mapped_column(String(16))
    reference_text: Mapped[str] = mapped_column(Text, default="")  # read-aloud
    reference_answers: Mapped[list[Any]] = mapped_column(default=list)
    key_points: Mapped[list[Any]] = mapped_column(default=list)
    prep_s: Mapped[float] = mapped_column(Float)
    answer_s: Mapped[float] = mapped_column(Float)
    points: Mapped[float] = mapped_column(Float)

    paper: Mapped[Paper] = relationship(back_populates="items")


class Room(Base):
    """A physical exam room (考场); its code is unique across sites."""

    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    site: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the room's proctor key; the key itself is shown once
    proctor_key_sha256: Mapped[str] = mapped_column(String(64))

    seats: Mapped[list[Seat]] = relationship(
        back_populates="room", order_by="Seat.code"
    )


class Seat(Base):
    __tablename__ = "seats"
    __table_args__ = (UniqueConstraint("room_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    code: Mapped[str] = mapped_column(String(8))
    is_spare: Mapped[bool] = mapped_column(Boolean, default=False)

    room: Mapped[Room] = relationship(back_populates="seats")


class Candidate(Base):
    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("exam_id", "ticket_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"))
    ticket_number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str] = mapped_column(String(8))  # "male" or "female"
    # the id number (身份证号) encrypted at rest; masked everywhere but exports
    id_number_encrypted: Mapped[str | None] = mapped_column(Text)
    student_number: Mapped[str] = mapped_column(String(32), default="")
    school: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(
        String(16), default=CandidateStatus.NORMAL.value
    )

    exam: Mapped[Exam] = relationship(back_populates="candidates")


class Sitting(Base):
    """One timed session of a room (场次) on one paper."""

    __tablename__ = "sittings"
    __table_args__ = (UniqueConstraint("room_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    paper_id: Mapped[int] = mapped_column(ForeignKey("papers.id"))
    code: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # wire.SittingState value
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    room: Mapped[Room] = relationship()
    paper: Mapped[Paper] = relationship()
    attempts: Mapped[list[Attempt]] = relationship(back_populates="sitting")


class Attempt(Base):
    """A candidate in a sitting, at a seat: the unit a seat logs in to."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("sitting_id", "candidate_id"),
        UniqueConstraint("sitting_id", "seat_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sitting_id: Mapped[int] = mapped_column(ForeignKey("sittings.id"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id"))
    state: Mapped[str] = mapped_column(String(16))  # wire.SeatState value
    state_detail: Mapped[str] = mapped_column(Text, default="")
    # SHA-256 of the seat token handed out at login; None before login
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    logged_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    sitting: Mapped[Sitting] = relationship(back_populates="attempts")
    candidate: Mapped[Candidate] = relationship()
    seat: Mapped[Seat] = relationship()
    responses: Mapped[list[Response]] = relationship(back_populates="attempt")


class Response(Base):
    """One answer to one item: a recording (kept once per SHA-256) or a choice."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("attempt_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    audio_path: Mapped[str | None] = mapped_column(String(300))  # under responses/
    choice: Mapped[str | None] = mapped_column(String(16))
    duration_s: Mapped[float | None] = mapped_column(Float)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    upload_count: Mapped[int] = mapped_column(Integer, default=1)

    attempt: Mapped[Attempt] = relationship(back_populates="responses")
    item: Mapped[Item] = relationship()
    scores: Mapped[list[Score]] = relationship(back_populates="response")


class Score(Base):
    """A scorer's verdict on a response; the newest row is the current one."""

    __tablename__ = "scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), index=True)
    scorer: Mapped[str] = mapped_column(String(64))  # name/version
    score: Mapped[float | None] = mapped_column(Float)  # 0-100
    points: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    response: Mapped[Response] = relationship(back_populates="scores")


class ScoringJob(Base):
    """Scoring work for one response; its state is the truth, not the queue's."""

    __tablename__ = "scoring_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    response: Mapped[Response] = relationship()


class AuditEntry(Base):
    """A privileged action, chained to the previous entry by SHA-256."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_sha256: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)


# --- PE exam (体育中考) -------------------------------------------------------


class PeStation(Base):
    """A place where one item of a PE exam is tested (测试点), with its key."""

    __tablename__ = "pe_stations"
    __table_args__ = (UniqueConstraint("exam_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    item: Mapped[str] = mapped_column(String(32))  # wire.PeItem value
    # SHA-256 of the station key; the key itself is shown once at creation
    station_key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    exam: Mapped[Exam] = relationship()


class PeAttempt(Base):
    """A candidate's go at one item; a retest (补测) is a later round."""

    __tablename__ = "pe_attempts"
    __table_args__ = (UniqueConstraint("candidate_id", "item", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    item: Mapped[str] = mapped_column(String(32))  # wire.PeItem value
    round: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16))  # wire.PeAttemptState value
    trials_allowed: Mapped[int] = mapped_column(Integer)
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_in_station_id: Mapped[int | None] = mapped_column(
        ForeignKey("pe_stations.id")
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the trial the candidate confirmed; the result is final from then on
    confirmed_trial_id: Mapped[int | None] = mapped_column(Integer)
    # the result as scored at the confirmation, kept so that a later change of
    # the standards tables cannot move a confirmed score; only an arbitration
    # (仲裁) by the exam office scores it again and keeps the new points
    frozen_value: Mapped[str | None] = mapped_column(String(32))
    frozen_table_points: Mapped[int | None] = mapped_column(Integer)
    frozen_bonus: Mapped[int | None] = mapped_column(Integer)
    frozen_band: Mapped[str | None] = mapped_column(String(32))
    frozen_exam_points: Mapped[float | None] = mapped_column(Float)
    frozen_max_exam_points: Mapped[float | None] = mapped_column(Float)
    frozen_provisional: Mapped[bool | None] = mapped_column(Boolean)
    frozen_points_note: Mapped[str | None] = mapped_column(Text)
    # which tables scored it: short hashes of the table files, see pe.PeTables
    standards_version: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    candidate: Mapped[Candidate] = relationship()
    trials: Mapped[list[PeTrial]] = relationship(
        back_populates="attempt", order_by="PeTrial.id"
    )


class PeTrial(Base):
    """One trial's result, never edited: a correction is a new superseding row."""

    __tablename__ = "pe_trials"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("pe_attempts.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("pe_stations.id"))
    trial_number: Mapped[int] = mapped_column(Integer)  # 1-based in the attempt
    source: Mapped[str] = mapped_column(String(16))  # wire.PeSource value
    # the measured value as decimal text, so 7.41 s stays exactly 7.41
    value: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16))
    height_cm: Mapped[float | None] = mapped_column(Float)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    device: Mapped[str] = mapped_column(String(200), default="")
    judge_version: Mapped[str] = mapped_column(String(100), default="")
    repetitions: Mapped[list[Any]] = mapped_column(default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    # the trial this row corrects; at most one correction per trial
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("pe_trials.id"), unique=True
    )

    attempt: Mapped[PeAttempt] = relationship(back_populates="trials")
    evidence: Mapped[list[PeEvidence]] = relationship(
        back_populates="trial", order_by="PeEvidence.id"
    )


class PeEvidence(Base):
    """A file kept for arbitration (clip or device log), stored by SHA-256."""

    __tablename__ = "pe_evidence"
    __table_args__ = (UniqueConstraint("trial_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("pe_trials.id"))
    kind: Mapped[str] = mapped_column(String(16))  # wire.PeEvidenceKind value
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(300))  # under evidence/
    size_bytes: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    trial: Mapped[PeTrial] = relationship(back_populates="evidence")


class PeRetest(Base):
    """A retest (补测) request and the exam office's decision on it."""

    __tablename__ = "pe_retests"

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidates.id"))
    item: Mapped[str] = mapped_column(String(32))  # wire.PeItem value
    state: Mapped[str] = mapped_column(String(16))  # wire.PeRetestState value
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the new attempt an approval created
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("pe_attempts.id"))

    candidate: Mapped[Candidate] = relationship()
