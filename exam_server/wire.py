"""Wire schemas of the exam server's HTTP API, as plain data classes.

The server uses them as FastAPI request and response models; the seat
program imports this module (and only this module) of the server, and turns
JSON back into these classes with :func:`from_json`. Nothing here imports
FastAPI, SQLAlchemy or Qt.

Routes (all JSON unless said otherwise; errors are ``{"detail": "..."}``
with a sentence for a person):

Anyone
    ``GET  /api/health``                     -> Health

Seat program, ``Authorization: Bearer <seat token>`` after login
    ``POST /api/seat/login``                 SeatLoginRequest -> SeatLogin
    ``GET  /api/seat/paper``                 -> PaperOut
    ``GET  /api/seat/prompts/{item_id}``     -> audio/wav of the item's prompt
    ``GET  /api/seat/status``                -> SeatStatus
    ``POST /api/seat/state``                 SeatStateReport -> SeatStatus
    ``PUT  /api/seat/responses/{item_id}/audio``
        multipart form: ``file`` (WAV), ``sha256`` (hex) -> UploadReceipt
    ``PUT  /api/seat/responses/{item_id}/choice``  ChoiceAnswer -> UploadReceipt

Proctor page, ``Authorization: Bearer <room proctor key>``
    ``GET  /api/rooms/{room_code}/board``    -> RoomBoard
    ``POST /api/sittings/{sitting_id}/start``  ProctorAction -> SittingInfo
    ``POST /api/sittings/{sitting_id}/end``    ProctorAction -> SittingInfo
    ``POST /api/sittings/{sitting_id}/seats/{seat_code}/mark``
        SeatMarkRequest -> SeatBoardRow
    ``POST /api/sittings/{sitting_id}/move``   MoveRequest -> SeatBoardRow

Exam office, ``Authorization: Bearer <admin token>``
    ``POST /api/exams/{exam_code}/candidates/import``  multipart ``file``
        (CSV, UTF-8 or GBK) -> ImportReport
    ``POST /api/sittings/{sitting_id}/assign``  AssignRequest -> AssignReport
    ``GET  /api/exams/{exam_code}/results``  -> list[ResultRow]
    ``POST /api/responses/{response_id}/review``  ReviewRequest -> ItemResult
    ``GET  /api/exams/{exam_code}/export.csv?reason=...``  UTF-8 with BOM
    ``GET  /api/exams/{exam_code}/export.xlsx?reason=...``
        (for a PE exam both exports carry the PE columns: per item the best
        result, table points, exam points and the provisional flag)

PE station program, ``Authorization: Bearer <station key>`` (体育中考)
    ``GET  /api/pe/station``                 -> PeStationInfo
    ``GET  /api/pe/station/candidates/{ticket_number}``  -> PeCandidateCard
        (a look-up without check-in; ``item_applies`` may be False)
    ``POST /api/pe/station/checkin``         PeCheckinRequest -> PeCandidateCard
        (refuses an unknown ticket 404, an item not tested for the
        candidate's sex 409, an item already finished 409)
    ``GET  /api/pe/station/attempts/{attempt_id}``  -> PeCandidateCard
    ``POST /api/pe/station/attempts/{attempt_id}/trials``  PeTrialIn -> PeTrialOut
        (the same trial sent twice answers the stored one, ``duplicate``)
    ``PUT  /api/pe/station/trials/{trial_id}/evidence``
        multipart form: ``file``, ``sha256`` (hex), ``kind`` (PeEvidenceKind)
        -> PeEvidenceOut
    ``POST /api/pe/station/attempts/{attempt_id}/confirm``
        PeConfirmRequest -> PeItemResult  (the candidate confirms; final)
    ``POST /api/pe/station/retests``         PeRetestRequest -> PeRetestOut

PE station key before the candidate's confirmation, or the admin token
    ``POST /api/pe/trials/{trial_id}/correct``  PeCorrectionIn -> PeTrialOut
        (a new trial row superseding ``trial_id``; never an edit)

Exam office, PE exams, ``Authorization: Bearer <admin token>``
    ``POST /api/exams/{exam_code}/pe/stations``  PeStationCreate -> PeStationCreated
    ``GET  /api/exams/{exam_code}/pe/stations``  -> list[PeStationInfo]
    ``GET  /api/exams/{exam_code}/pe/retests``   -> list[PeRetestOut]
    ``POST /api/pe/retests/{retest_id}/decide``  PeRetestDecision -> PeRetestOut
    ``GET  /api/exams/{exam_code}/pe/results``   -> list[PeResultRow]
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar


class SeatState(enum.StrEnum):
    """Where a candidate at a seat is in the exam, as the proctor sees it."""

    NOT_LOGGED_IN = "not_logged_in"  # assigned, nobody has logged in yet
    LOGGED_IN = "logged_in"  # ticket accepted, photo and name confirmed
    DEVICE_CHECK = "device_check"  # testing headset and microphone
    WAITING = "waiting"  # device check passed, waiting for room start
    IN_EXAM = "in_exam"  # items running on the system's clock
    UPLOADING = "uploading"  # all items done, answers still uploading
    FINISHED = "finished"  # every answer confirmed by the server
    ABSENT = "absent"  # marked absent by the proctor (缺考)
    ABNORMAL = "abnormal"  # trouble reported by the seat or the proctor


class SittingState(enum.StrEnum):
    """The life of one timed session of a room (场次)."""

    SCHEDULED = "scheduled"  # seats may log in and check devices
    STARTED = "started"  # the proctor gave the room start (统一开考)
    ENDED = "ended"  # the proctor gave the room end (统一结束)


class ItemKind(enum.StrEnum):
    """Item types of the listening-and-speaking paper."""

    LISTEN_CHOOSE = "listen_choose"  # 听后选择: answered by choosing
    READ_ALOUD = "read_aloud"  # 朗读短文
    SITUATIONAL = "situational"  # 情景问答
    TOPIC_TALK = "topic_talk"  # 话题简述


SPOKEN_KINDS = frozenset(
    {ItemKind.READ_ALOUD, ItemKind.SITUATIONAL, ItemKind.TOPIC_TALK}
)


@dataclass
class Health:
    status: str  # "ok"
    server_time: str  # ISO 8601, UTC


@dataclass
class SeatLoginRequest:
    room_code: str
    seat_code: str
    ticket_number: str


@dataclass
class CandidateCard:
    """What the seat shows a candidate to confirm: ticket, name, school."""

    ticket_number: str
    name: str
    school: str


@dataclass
class SittingInfo:
    sitting_id: int
    code: str
    room_code: str
    state: SittingState
    paper_id: int
    started_at: str | None = None  # ISO 8601, UTC
    ended_at: str | None = None


@dataclass
class SeatLogin:
    token: str
    candidate: CandidateCard
    sitting: SittingInfo
    seat_code: str
    answered_item_ids: list[int] = field(default_factory=list)


@dataclass
class ItemOut:
    item_id: int
    position: int  # 1-based order on the paper
    kind: ItemKind
    title: str
    instructions: str
    prompt_text: str  # shown on screen: passage, question or topic
    options: list[str]  # choice labels for listen_choose, else empty
    prompt_audio_sha256: str | None
    prep_s: float
    answer_s: float
    points: float


@dataclass
class PaperOut:
    paper_id: int
    code: str
    title: str
    items: list[ItemOut]


@dataclass
class SeatStateReport:
    state: SeatState
    detail: str = ""


@dataclass
class SeatStatus:
    seat_code: str
    seat_state: SeatState
    sitting_state: SittingState
    answered_item_ids: list[int]
    server_time: str  # ISO 8601, UTC


@dataclass
class ChoiceAnswer:
    choice: str


@dataclass
class UploadReceipt:
    item_id: int
    sha256: str
    duplicate: bool  # True when the server already held this very answer
    received_at: str  # ISO 8601, UTC, of the first time it was stored


@dataclass
class SeatBoardRow:
    seat_code: str
    is_spare: bool
    state: SeatState | None  # None: no candidate assigned to the seat
    ticket_number: str | None
    candidate_name: str | None
    answered: int
    total_items: int
    points: float | None  # total points once every item is scored
    max_points: float


@dataclass
class RoomBoard:
    room_code: str
    sitting: SittingInfo | None
    seats: list[SeatBoardRow]


@dataclass
class ProctorAction:
    reason: str = ""


@dataclass
class SeatMarkRequest:
    """The proctor marks the candidate at a seat absent (缺考) or abnormal."""

    status: SeatState  # only ABSENT or ABNORMAL
    reason: str


@dataclass
class MoveRequest:
    """The proctor moves a candidate to a free spare seat; answers stay."""

    ticket_number: str
    to_seat: str
    reason: str


@dataclass
class RowError:
    line: int  # 1-based line of the CSV file, the header being line 1
    column: str
    message: str


@dataclass
class ImportReport:
    created: int
    updated: int
    errors: list[RowError]


@dataclass
class AssignRequest:
    """Tickets in seat order; empty means every unseated candidate, by ticket."""

    ticket_numbers: list[str] = field(default_factory=list)


@dataclass
class SeatAssignment:
    ticket_number: str
    seat_code: str


@dataclass
class AssignReport:
    assignments: list[SeatAssignment]


class ScoringState(enum.StrEnum):
    """Where an answer is between the seat and its final points."""

    UNANSWERED = "unanswered"  # no answer; counts 0 once the sitting ended
    PENDING = "pending"  # answered; the scorer has not finished
    SCORED = "scored"  # scored by machine, nothing flagged
    NEEDS_REVIEW = "needs_review"  # the scorer refused or flagged it
    REVIEWED = "reviewed"  # scored by a person, which overrides the machine


@dataclass
class ItemResult:
    position: int
    kind: ItemKind
    points: float | None  # None until scored
    max_points: float
    score: float | None  # the scorer's 0-100 before conversion to points
    state: ScoringState = ScoringState.PENDING
    response_id: int | None = None
    flags: list[str] = field(default_factory=list)  # the scorer's, for review
    review_reason: str = ""  # why a person must look, or what they decided


@dataclass
class ReviewRequest:
    """A person's points for one answer, with the reason (kept in the audit log)."""

    points: float
    reason: str


@dataclass
class ResultRow:
    ticket_number: str
    name: str
    sex: str  # "male" or "female"
    school: str
    status: str  # normal, absent, misconduct, re-sit, exempt
    items: list[ItemResult]
    total: float | None  # None until every item is scored


# --- PE exam (体育中考) -------------------------------------------------------


class PeItem(enum.StrEnum):
    """An event tested at a PE station, named as ``standards.fitness.Item``.

    Rope skipping is not in the 2014 national table: its points come only
    from a city's configuration, and without one its result has no points.
    """

    BMI = "bmi"  # 体重指数, kg/m2 (from height and weight)
    VITAL_CAPACITY = "vital_capacity"  # 肺活量, ml
    RUN_50M = "run_50m"  # 50米跑, s
    SIT_AND_REACH = "sit_and_reach"  # 坐位体前屈, cm
    STANDING_LONG_JUMP = "standing_long_jump"  # 立定跳远, cm
    PULL_UP = "pull_up"  # 引体向上 (boys), reps
    SIT_UP_1MIN = "sit_up_1min"  # 1分钟仰卧起坐 (girls), reps
    RUN_1000M = "run_1000m"  # 1000米跑 (boys), s
    RUN_800M = "run_800m"  # 800米跑 (girls), s
    ROPE_SKIP_1MIN = "rope_skip_1min"  # 1分钟跳绳, reps; no national table


class PeSource(enum.StrEnum):
    """Where a trial's result comes from."""

    JUDGE = "judge"  # counted from video by a judge (pe_sensors.judges)
    DEVICE = "device"  # read from a measuring device (pe_sensors.drivers)
    MANUAL = "manual"  # entered by the examiner; needs a reason


class PeEvidenceKind(enum.StrEnum):
    """What an evidence file is, kept for arbitration (仲裁)."""

    CLIP = "clip"  # the judge's annotated video, MP4
    DEVICE_LOG = "device_log"  # the device's readings as text (UTF-8)


class PeAttemptState(enum.StrEnum):
    """The life of one candidate's go at one item."""

    OPEN = "open"  # checked in; trials may be added
    CONFIRMED = "confirmed"  # the candidate confirmed the result: final
    REPLACED = "replaced"  # an approved retest (补测) replaced it


class PeRetestState(enum.StrEnum):
    """A retest (补测) request as the exam office decides it."""

    REQUESTED = "requested"  # filed at a station, waiting for the exam office
    APPROVED = "approved"  # approved: a new attempt exists for it
    REJECTED = "rejected"  # refused by the exam office, with a reason


@dataclass
class PeStationCreate:
    code: str  # unique in the exam, e.g. "pull_up-2"
    name: str  # shown to people, e.g. "引体向上 2号测试点"
    item: PeItem


@dataclass
class PeStationInfo:
    station_id: int
    exam_code: str
    code: str
    name: str
    item: PeItem
    item_zh: str  # the item's Chinese name, from the glossary
    unit: str  # "s", "cm", "ml", "reps" or "kg/m2"
    better: str  # "higher", "lower" (runs) or "none" (bmi: one measurement)
    trials_allowed: int  # trials per attempt (best of these counts)
    has_table: bool  # False: results of this item get no points


@dataclass
class PeStationCreated:
    station: PeStationInfo
    station_key: str  # shown once; the server keeps only its SHA-256


@dataclass
class PeCheckinRequest:
    ticket_number: str


@dataclass
class PeRepetition:
    """One repetition a judge saw, as ``pe_sensors.judges.Repetition``."""

    start_s: float
    end_s: float
    counted: bool
    reason: str | None = None  # why it did not count (a judge's Refusal value)


@dataclass
class PeEvidenceOut:
    sha256: str
    kind: PeEvidenceKind
    size_bytes: int
    received_at: str  # ISO 8601, UTC
    duplicate: bool = False  # True when this trial already held this file


@dataclass
class PeTrialIn:
    """One trial's result, sent by the station after the trial.

    ``value`` is in the station's unit (runs in seconds); for BMI send
    ``height_cm`` and ``weight_kg`` and leave ``value`` out.
    """

    trial_number: int  # 1-based within the attempt; must be the next one
    source: PeSource
    unit: str
    value: float | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    device: str = ""  # device identity: kind, serial number, boot id
    judge_version: str = ""  # judge name/version for source "judge"
    repetitions: list[PeRepetition] = field(default_factory=list)
    reason: str = ""  # required for source "manual"


@dataclass
class PeTrialOut:
    trial_id: int
    attempt_id: int
    trial_number: int
    source: PeSource
    value: float  # as measured (BMI: computed from height and weight)
    recorded: float | None  # as the test rules record it; None: no table
    unit: str
    height_cm: float | None
    weight_kg: float | None
    device: str
    judge_version: str
    repetitions: list[PeRepetition]
    reason: str
    recorded_by: str  # "station:<code>" or "admin"
    recorded_at: str  # ISO 8601, UTC
    supersedes_trial_id: int | None  # the trial this one corrects
    superseded: bool  # True when a later correction replaced this trial
    evidence: list[PeEvidenceOut]
    duplicate: bool = False  # True when the server already held this trial


@dataclass
class PeCorrectionIn:
    """A corrected result for a trial; stored as a new, superseding trial."""

    reason: str
    unit: str
    source: PeSource = PeSource.MANUAL
    value: float | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    device: str = ""
    judge_version: str = ""
    repetitions: list[PeRepetition] = field(default_factory=list)


@dataclass
class PeItemResult:
    """The counted result of one item: the best valid trial and its points."""

    item: PeItem
    item_zh: str
    attempt_id: int | None
    round: int  # 1, or 2... after approved retests (补测)
    state: PeAttemptState | None  # None: not tested yet
    trials_used: int
    trials_allowed: int
    best_trial_id: int | None
    value: float | None  # the best trial's recorded result
    unit: str
    table_points: int | None  # 0-100 from the 2014 table; None: no table
    bonus: int  # extra points (加分) beyond full marks
    band: str | None  # fitness Band value of table_points
    exam_points: float | None  # the city's exam points; None: not configured
    max_exam_points: float | None
    provisional: bool  # a table row used rests on a single source
    provisional_reason: str
    points_note: str  # why points are missing, or ""


@dataclass
class PeCandidateCard:
    """What a station shows at check-in, and after each trial."""

    ticket_number: str
    name: str
    sex: str  # "male" or "female"
    school: str
    item: PeItem
    item_applies: bool  # False: the item is not tested for this sex
    attempt_id: int | None  # None when not checked in (a look-up)
    round: int
    trial_number: int  # the next trial, 1-based; above trials_allowed: done
    trials_allowed: int
    trials: list[PeTrialOut]  # every row, superseded ones included
    result: PeItemResult | None  # None before the first trial


@dataclass
class PeConfirmRequest:
    """The candidate confirms the shown result; the ticket guards mix-ups."""

    ticket_number: str
    best_trial_id: int  # the trial whose result the candidate saw


@dataclass
class PeRetestRequest:
    """A retest (补测) asked for at a station, for the station's item."""

    ticket_number: str
    reason: str


@dataclass
class PeRetestDecision:
    approve: bool
    reason: str


@dataclass
class PeRetestOut:
    retest_id: int
    ticket_number: str
    name: str
    item: PeItem
    state: PeRetestState
    reason: str
    requested_by: str
    requested_at: str  # ISO 8601, UTC
    decided_by: str | None
    decision_reason: str
    decided_at: str | None
    attempt_id: int | None  # the new attempt once approved


@dataclass
class PeResultRow:
    ticket_number: str
    name: str
    sex: str
    school: str
    status: str  # normal, absent, misconduct, re-sit, exempt
    items: list[PeItemResult]  # every item the candidate was tested on
    total: float | None  # exam points over the configured slots; None: incomplete
    max_total: float | None
    provisional: bool  # any counted item is provisional


T = TypeVar("T")


def to_json(value: Any) -> Any:
    """Return ``value`` (a data class, enum, list or scalar) as JSON data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def from_json(cls: type[T], data: Any) -> T:
    """Build a ``cls`` instance from JSON data, checking names and kinds.

    Raises
    ------
    ValueError
        When a required field is missing or a value has the wrong kind.
    """
    return typing.cast(T, _decode(cls, data, cls.__name__))


def _decode(tp: Any, data: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _decode(option, data, where)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors))
    if origin is list:
        if not isinstance(data, list):
            raise ValueError(f"{where}: expected a list, got {type(data).__name__}")
        (inner,) = typing.get_args(tp)
        return [_decode(inner, v, f"{where}[{i}]") for i, v in enumerate(data)]
    if origin is dict:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
        _, inner = typing.get_args(tp)
        return {k: _decode(inner, v, f"{where}.{k}") for k, v in data.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
        hints = typing.get_type_hints(tp)
        kwargs = {}
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _decode(
                    hints[f.name], data[f.name], f"{where}.{f.name}"
                )
            elif (
                f.default is dataclasses.MISSING
                and f.default_factory is dataclasses.MISSING
            ):
                raise ValueError(f"{where}: the field {f.name!r} is missing")
        return typing.cast(Any, tp)(**kwargs)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError as exc:
            raise ValueError(f"{where}: {data!r} is not a {tp.__name__}") from exc
    if tp is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if tp is Any:
        return data
    if (
        isinstance(tp, type)
        and isinstance(data, tp)
        and not isinstance(data, bool)
        or (tp is bool and isinstance(data, bool))
    ):
        return data
    raise ValueError(f"{where}: expected {getattr(tp, '__name__', tp)}, got {data!r}")
