"""The PE exam (体育中考) on the exam server: stations, trials, points, results.

A PE exam is an :class:`~exam_server.models.Exam` of kind ``pe`` with
candidates. The exam office creates stations (测试点), each testing one item
and holding a key like a room's proctor key. At a station:

1. the examiner's program checks a candidate in by admission ticket; the
   server answers with the candidate card, or refuses an unknown ticket, an
   item not tested for the candidate's sex, or an item already finished;
2. each trial's result arrives from a judge (camera), a device, or the
   examiner (manual, with a reason), with its evidence file uploaded after;
3. the candidate confirms the shown result; from then on it is final.

Results are never edited. A correction is a new trial row that supersedes the
old one, with a reason and an audit entry; the station may correct before the
confirmation, afterwards only the exam office may (arbitration, 仲裁, on the
kept evidence). A retest (补测) is requested at a station with a reason and
decided by the exam office; an approval replaces the candidate's attempt at
the item by a new one (the next round).

An item's counted result is the best of its attempt's trials (see
:data:`TRIALS_ALLOWED`), recorded as the test rules say
(:func:`standards.fitness.round_result`), scored with the 2014 table
(:func:`standards.fitness.points`) and converted to the city's exam points
(:mod:`standards.pe_exam`) when the exam year has a configuration. An
unconfirmed result is scored when read, from the stored trials; at the
confirmation the value, the points, the ``provisional`` flag and the
tables' version (:class:`PeTables`) are kept on the attempt, and reads
answer those, so a later correction of a table cannot move a final score.
Only an arbitration correction scores a confirmed attempt again, keeps the
new points and audits old and new. ``provisional`` marks a score resting on
a single-source table row, and travels into results and the export.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, selectinload

from exam_server import audit
from exam_server.auth import secret_sha256
from exam_server.errors import Conflict, Forbidden, NotFound, Unprocessable
from exam_server.models import (
    Candidate,
    CandidateStatus,
    Exam,
    ExamKind,
    PeAttempt,
    PeEvidence,
    PeRetest,
    PeStation,
    PeTrial,
)
from exam_server.timeutil import as_utc, iso
from exam_server.wire import (
    PeAttemptState,
    PeCandidateCard,
    PeCorrectionIn,
    PeEvidenceKind,
    PeEvidenceOut,
    PeItem,
    PeItemResult,
    PeRepetition,
    PeResultRow,
    PeRetestDecision,
    PeRetestOut,
    PeRetestState,
    PeSource,
    PeStationCreate,
    PeStationInfo,
    PeTrialIn,
    PeTrialOut,
)
from standards import fitness, glossary, pe_exam
from standards.errors import StandardsError

logger = logging.getLogger(__name__)

# --- rules as data -----------------------------------------------------------

TRIALS_ALLOWED: Mapping[PeItem, int] = {
    # The test rules of the national student physical fitness standard
    # (国家学生体质健康标准测试细则): vital capacity and sit-and-reach are
    # measured twice and the standing long jump three times, the best trial
    # counting; every other item is tested once.
    PeItem.VITAL_CAPACITY: 2,
    PeItem.SIT_AND_REACH: 2,
    PeItem.STANDING_LONG_JUMP: 3,
}
"""Trials per attempt for items tested more than once; others have one."""

UNITS: Mapping[PeItem, str] = {
    PeItem.BMI: "kg/m2",
    PeItem.VITAL_CAPACITY: "ml",
    PeItem.RUN_50M: "s",
    PeItem.SIT_AND_REACH: "cm",
    PeItem.STANDING_LONG_JUMP: "cm",
    PeItem.PULL_UP: "reps",
    PeItem.SIT_UP_1MIN: "reps",
    PeItem.RUN_1000M: "s",
    PeItem.RUN_800M: "s",
    PeItem.ROPE_SKIP_1MIN: "reps",
}
"""The unit a station's results are sent in: the 2014 tables' units."""

TIMED_ITEMS = frozenset({PeItem.RUN_50M, PeItem.RUN_800M, PeItem.RUN_1000M})
"""Items whose better result is the lower one."""

ROPE_SKIP_MAX_REPS = Decimal(400)
"""Most rope skips a person completes in one minute (records are near 350)."""

DEFAULT_GRADE = 9
"""The grade scored when the exam year has no configuration: the PE exam is
taken in the last year of junior middle school (初三)."""

EVIDENCE_MAX_BYTES = 512 << 20
"""Largest evidence file taken: a few minutes of annotated 720p video."""

_CHUNK_BYTES = 1 << 20

DUPLICATE_FIELDS = ("source", "value", "unit", "device", "judge_version")
"""Fields that must match for a resent trial to count as the same trial."""


def trials_allowed(item: PeItem) -> int:
    """Return how many trials an attempt at ``item`` has (best of them counts)."""
    return TRIALS_ALLOWED.get(item, 1)


def better_direction(item: PeItem) -> str:
    """Return ``"lower"`` for runs, ``"none"`` for BMI, else ``"higher"``."""
    if item in TIMED_ITEMS:
        return "lower"
    return "none" if item is PeItem.BMI else "higher"


def item_zh(item: PeItem) -> str:
    """Return the item's Chinese name."""
    return glossary.zh(item.value)


def fitness_item(item: PeItem) -> fitness.Item | None:
    """Return the 2014 table's item, or None for an item it does not have."""
    try:
        return fitness.Item(item.value)
    except ValueError:
        return None


def item_applies(item: PeItem, sex: str) -> bool:
    """Return whether ``item`` is tested for candidates of ``sex``."""
    table_item = fitness_item(item)
    if table_item is None:
        return True
    return table_item in fitness.ITEMS_BY_SEX[fitness.as_sex(sex)]


# --- exam configuration ------------------------------------------------------


PACKAGED_TABLES_DIR = fitness.DATA_DIR.parent
"""The packaged standards data: ``fitness_2014/`` and ``pe_exam/``."""


@dataclass(frozen=True)
class PeTables:
    """The tables PE results are scored with, loaded from one folder.

    ``folder`` is laid out like ``standards/data``: the 2014 tables in
    ``fitness_2014/`` and the exam configurations in ``pe_exam/``.
    """

    folder: Path
    standard: fitness.FitnessStandard = field(compare=False)

    @property
    def config_dir(self) -> Path:
        return self.folder / "pe_exam"

    def config(self, year: int) -> pe_exam.ExamConfig | None:
        """Return the PE exam configuration of ``year``, or None without one.

        A configuration file that exists but is invalid raises
        :class:`standards.errors.TableError`: scores must not silently fall
        back.
        """
        return _exam_config(self, year)

    def version(self, year: int) -> str:
        """Return which tables score ``year``: short SHA-256 of their files.

        The 2014 tables hash over every file of ``fitness_2014/`` by name; the
        configuration over its JSON file (``none`` without one), for instance
        ``fitness_2014:1a2b3c4d5e6f pe_exam/2026:0f1e2d3c4b5a``.
        """
        return _tables_version(self, year)


@functools.cache
def pe_tables(folder: Path | None = None) -> PeTables:
    """Return the tables in ``folder`` (the packaged ones by default), loaded once.

    Raises
    ------
    standards.errors.TableError
        A table file is missing, malformed or inconsistent.
    """
    root = PACKAGED_TABLES_DIR if folder is None else folder.resolve()
    standard = fitness.load_standard(root / "fitness_2014")
    logger.info("PE results are scored with the tables in %s", root)
    return PeTables(folder=root, standard=standard)


@functools.cache
def _exam_config(tables: PeTables, year: int) -> pe_exam.ExamConfig | None:
    if not (tables.config_dir / f"{year}.json").is_file():
        logger.warning("no PE exam configuration for %s; no exam points", year)
        return None
    return pe_exam.load_exam_config(
        year, folder=tables.config_dir, standard=tables.standard
    )


@functools.cache
def _tables_version(tables: PeTables, year: int) -> str:
    fitness_hash = hashlib.sha256()
    for path in sorted((tables.folder / "fitness_2014").iterdir()):
        if path.is_file():
            fitness_hash.update(path.name.encode("utf-8") + b"\0")
            fitness_hash.update(path.read_bytes() + b"\0")
    config_path = tables.config_dir / f"{year}.json"
    config_hash = (
        hashlib.sha256(config_path.read_bytes()).hexdigest()[:12]
        if config_path.is_file()
        else "none"
    )
    return f"fitness_2014:{fitness_hash.hexdigest()[:12]} pe_exam/{year}:{config_hash}"


def _grade(config: pe_exam.ExamConfig | None) -> int:
    return DEFAULT_GRADE if config is None else config.grade


def _slot_for(
    config: pe_exam.ExamConfig | None, item: PeItem, sex: str
) -> pe_exam.Slot | None:
    if config is None:
        return None
    for group in config.groups:
        for slot in group.slots:
            if slot.table[fitness.as_sex(sex)].value == item.value:
                return slot
    return None


# --- values ------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """A trial's value as sent, checked, with the value the rules record."""

    value: Decimal  # as measured; BMI computed from height and weight
    recorded: Decimal  # after the test rules' rounding


def measure(
    item: PeItem,
    *,
    unit: str,
    value: float | None,
    height_cm: float | None,
    weight_kg: float | None,
) -> Measured:
    """Check a sent result and return it with its recorded value.

    Parameters
    ----------
    item : PeItem
        The station's item.
    unit : str
        Must be ``UNITS[item]``.
    value : float, optional
        The result in ``unit``; for BMI leave it out and give body size.
    height_cm, weight_kg : float, optional
        Standing height (cm) and weight (kg), for BMI only.

    Returns
    -------
    Measured
        The value and the value recorded by
        :func:`standards.fitness.round_result` (rope skips: whole counts).

    Raises
    ------
    Unprocessable
        Wrong unit, missing or extra numbers, or an implausible result.
    """
    expected = UNITS[item]
    if unit != expected:
        raise Unprocessable(
            f"{item} results are sent in {expected!r}, not {unit!r}; convert "
            "the result (runs in seconds) and send it again"
        )
    try:
        if item is PeItem.BMI:
            return _measure_bmi(value, height_cm, weight_kg)
        if height_cm is not None or weight_kg is not None:
            raise Unprocessable(
                f"height_cm and weight_kg belong to bmi, not {item}; send value"
            )
        if value is None:
            raise Unprocessable(f"a {item} result needs a value in {expected}")
        number = Decimal(str(value))
        table_item = fitness_item(item)
        if table_item is None:
            return Measured(number, _whole_reps(item, number))
        return Measured(number, fitness.round_result(table_item, number))
    except StandardsError as exc:
        raise Unprocessable(f"{exc}; nothing was stored") from exc


def _measure_bmi(
    value: float | None, height_cm: float | None, weight_kg: float | None
) -> Measured:
    if value is not None or height_cm is None or weight_kg is None:
        raise Unprocessable(
            "a bmi result is sent as height_cm and weight_kg (the server "
            f"computes the BMI), got value={value!r}, height_cm={height_cm!r}, "
            f"weight_kg={weight_kg!r}"
        )
    bmi = fitness.bmi_from(height_cm=height_cm, weight_kg=weight_kg)
    return Measured(bmi, fitness.round_result(fitness.Item.BMI, bmi))


def _whole_reps(item: PeItem, number: Decimal) -> Decimal:
    if not 0 <= number <= ROPE_SKIP_MAX_REPS or number != number.to_integral():
        raise Unprocessable(
            f"{item} result {number} is not a whole count from 0 to "
            f"{ROPE_SKIP_MAX_REPS}; count only completed skips"
        )
    return number


def recorded_value(item: PeItem, trial: PeTrial) -> Decimal:
    """Return a stored trial's value as the test rules record it."""
    return measure(
        item,
        unit=trial.unit,
        value=None if item is PeItem.BMI else float(trial.value),
        height_cm=trial.height_cm,
        weight_kg=trial.weight_kg,
    ).recorded


def _value_text(value: Decimal) -> str:
    # BMI has many digits; eight decimals keep it exact enough to show
    if value.as_tuple().exponent < -8:  # type: ignore[operator]
        value = value.quantize(Decimal("1e-8"))
    return str(value)


# --- best of the trials, and points ------------------------------------------


def effective_trials(attempt: PeAttempt) -> list[PeTrial]:
    """Return the attempt's trials that no correction superseded, by number."""
    superseded = {t.supersedes_id for t in attempt.trials if t.supersedes_id}
    current = [t for t in attempt.trials if t.id not in superseded]
    return sorted(current, key=lambda t: (t.trial_number, t.id))


def best_trial(item: PeItem, trials: Iterable[PeTrial]) -> PeTrial | None:
    """Return the trial whose recorded result counts: the best, earliest on ties.

    Runs count the lowest time, every other item the highest value (BMI has
    a single trial).
    """
    best: PeTrial | None = None
    best_value = Decimal(0)
    lower = item in TIMED_ITEMS
    for trial in trials:
        value = recorded_value(item, trial)
        if best is None or (value < best_value if lower else value > best_value):
            best, best_value = trial, value
    return best


def _latest_attempt(
    session: Session, candidate: Candidate, item: PeItem
) -> PeAttempt | None:
    return session.scalars(
        select(PeAttempt)
        .where(PeAttempt.candidate_id == candidate.id, PeAttempt.item == item.value)
        .order_by(PeAttempt.round.desc())
        .limit(1)
    ).first()


def item_result(
    item: PeItem,
    candidate: Candidate,
    attempt: PeAttempt | None,
    *,
    tables: PeTables,
    year: int,
    live: bool = False,
) -> PeItemResult:
    """Return the counted result of ``attempt`` with its table and exam points.

    A confirmed attempt answers the points kept at its confirmation (see
    :func:`freeze_points`), whatever the tables say now; other attempts, or
    any attempt with ``live``, are scored with ``tables`` for exam ``year``.
    """
    config = tables.config(year)
    slot = _slot_for(config, item, candidate.sex)
    result = PeItemResult(
        item=item,
        item_zh=item_zh(item),
        attempt_id=None if attempt is None else attempt.id,
        round=1 if attempt is None else attempt.round,
        state=None if attempt is None else PeAttemptState(attempt.state),
        trials_used=0,
        trials_allowed=trials_allowed(item),
        best_trial_id=None,
        value=None,
        unit=UNITS[item],
        table_points=None,
        bonus=0,
        band=None,
        exam_points=None,
        max_exam_points=None if slot is None else float(slot.points),
        provisional=False,
        provisional_reason="",
        points_note="not tested yet",
    )
    if attempt is None:
        return result
    trials = effective_trials(attempt)
    result.trials_used = len(trials)
    result.trials_allowed = attempt.trials_allowed
    if attempt.standards_version is not None and not live:
        _use_frozen(result, attempt)
        return result
    best = best_trial(item, trials)
    if best is None:
        return result
    result.best_trial_id = best.id
    result.value = float(recorded_value(item, best))
    _add_points(result, item, candidate, best, config=config, slot=slot, tables=tables)
    return result


def freeze_points(attempt: PeAttempt, result: PeItemResult, *, version: str) -> None:
    """Keep ``result``'s value and points on ``attempt``, with the tables' version.

    From then on :func:`item_result` answers these, so a later change of the
    tables leaves a confirmed score as the candidate saw it.
    """
    attempt.confirmed_trial_id = result.best_trial_id
    attempt.frozen_value = None if result.value is None else str(result.value)
    attempt.frozen_table_points = result.table_points
    attempt.frozen_bonus = result.bonus
    attempt.frozen_band = result.band
    attempt.frozen_exam_points = result.exam_points
    attempt.frozen_max_exam_points = result.max_exam_points
    attempt.frozen_provisional = result.provisional
    attempt.frozen_points_note = result.points_note
    attempt.standards_version = version


def _use_frozen(result: PeItemResult, attempt: PeAttempt) -> None:
    result.best_trial_id = attempt.confirmed_trial_id
    result.value = None if attempt.frozen_value is None else float(attempt.frozen_value)
    result.table_points = attempt.frozen_table_points
    result.bonus = attempt.frozen_bonus or 0
    result.band = attempt.frozen_band
    result.exam_points = attempt.frozen_exam_points
    result.max_exam_points = attempt.frozen_max_exam_points
    result.provisional = bool(attempt.frozen_provisional)
    result.provisional_reason = (
        fitness.PROVISIONAL_REASON if attempt.frozen_provisional else ""
    )
    result.points_note = attempt.frozen_points_note or ""


def points_detail(result: PeItemResult, version: str | None) -> dict[str, Any]:
    """Return the scored part of ``result`` for an audit entry."""
    return {
        "trial_id": result.best_trial_id,
        "value": result.value,
        "table_points": result.table_points,
        "bonus": result.bonus,
        "exam_points": result.exam_points,
        "provisional": result.provisional,
        "standards_version": version,
    }


def _add_points(
    result: PeItemResult,
    item: PeItem,
    candidate: Candidate,
    best: PeTrial,
    *,
    config: pe_exam.ExamConfig | None,
    slot: pe_exam.Slot | None,
    tables: PeTables,
) -> None:
    table_item = fitness_item(item)
    if table_item is None:
        result.points_note = (
            f"{item} has no table in the 2014 national standard and the exam "
            "configuration scores only table items; the result gets no points"
        )
        return
    if item is PeItem.BMI:
        raw: fitness.RawResult = fitness.BodySize(
            height_cm=best.height_cm or 0.0, weight_kg=best.weight_kg or 0.0
        )
    else:
        raw = Decimal(best.value)
    score = fitness.points(
        table_item,
        grade=_grade(config),
        sex=candidate.sex,
        value=raw,
        standard=tables.standard,
    )
    result.table_points = score.points
    result.bonus = score.bonus
    result.band = score.band.value
    result.provisional = score.provisional
    result.provisional_reason = score.provisional_reason
    result.points_note = ""
    if slot is not None:
        result.exam_points = pe_exam.exam_points(
            table_points=score.points, max_points=float(slot.points)
        )
    elif config is None:
        result.points_note = "the exam year has no PE configuration: no exam points"
    else:
        result.points_note = (
            f"{item} is not an item of the {config.year} exam configuration: "
            "table points only"
        )


def exam_total(
    results: Iterable[PeItemResult], candidate: Candidate, config: pe_exam.ExamConfig
) -> float | None:
    """Return the candidate's exam points over the configuration's groups.

    Each group counts its ``choose`` best slots among the items tested; the
    total is None while a group has fewer tested items than it needs. (The
    candidate's choice of items is not stored, so the best ones count.)
    """
    by_item = {
        r.item.value: r.exam_points for r in results if r.exam_points is not None
    }
    sex = fitness.as_sex(candidate.sex)
    total = Decimal(0)
    for group in config.groups:
        earned = sorted(
            (
                Decimal(str(by_item[slot.table[sex].value]))
                for slot in group.slots
                if slot.table[sex].value in by_item
            ),
            reverse=True,
        )
        if len(earned) < group.choose:
            return None
        total += sum(earned[: group.choose], Decimal(0))
    return float(total)


# --- stations ----------------------------------------------------------------


def check_pe_exam(exam: Exam) -> None:
    if exam.kind != ExamKind.PE:
        raise Conflict(
            f"exam {exam.code} is a {exam.kind} exam, not a PE exam; PE stations "
            "and results belong to an exam of kind 'pe'"
        )


def create_station(
    session: Session, exam: Exam, body: PeStationCreate, *, actor: str
) -> tuple[PeStation, str]:
    """Create a station with a fresh key; return it and the key (shown once)."""
    check_pe_exam(exam)
    code = body.code.strip()
    if not code or not body.name.strip():
        raise Unprocessable("a station needs a code and a name")
    taken = session.scalars(
        select(PeStation).where(PeStation.exam_id == exam.id, PeStation.code == code)
    ).first()
    if taken is not None:
        raise Conflict(f"exam {exam.code} already has a station {code!r}")
    key = secrets.token_urlsafe(24)
    station = PeStation(
        exam=exam,
        code=code,
        name=body.name.strip(),
        item=body.item.value,
        station_key_sha256=secret_sha256(key),
    )
    session.add(station)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="pe.station.create",
        reason=f"station {code} for {body.item}",
        detail={"exam": exam.code, "station": code, "item": body.item.value},
    )
    return station, key


def station_by_key(session: Session, key: str) -> PeStation | None:
    return session.scalars(
        select(PeStation).where(PeStation.station_key_sha256 == secret_sha256(key))
    ).first()


def station_actor(station: PeStation) -> str:
    return f"station:{station.code}"


def station_info(station: PeStation) -> PeStationInfo:
    item = PeItem(station.item)
    return PeStationInfo(
        station_id=station.id,
        exam_code=station.exam.code,
        code=station.code,
        name=station.name,
        item=item,
        item_zh=item_zh(item),
        unit=UNITS[item],
        better=better_direction(item),
        trials_allowed=trials_allowed(item),
        has_table=fitness_item(item) is not None,
    )


# --- check-in and the candidate card -----------------------------------------


def candidate_by_ticket(session: Session, exam_id: int, ticket: str) -> Candidate:
    candidate = session.scalars(
        select(Candidate).where(
            Candidate.exam_id == exam_id, Candidate.ticket_number == ticket.strip()
        )
    ).first()
    if candidate is None:
        raise NotFound(
            f"准考证号 {ticket} is not on the candidate list of this exam; check "
            "the number on the admission ticket"
        )
    return candidate


def check_in(session: Session, station: PeStation, ticket: str) -> PeAttempt:
    """Return the candidate's open attempt at the station's item, opening one.

    Raises
    ------
    NotFound
        Unknown ticket.
    Conflict
        The item is not tested for the candidate's sex, or the candidate
        already finished it (a retest needs the exam office's approval).
    Forbidden
        The candidate is exempt (免考).
    """
    item = PeItem(station.item)
    candidate = candidate_by_ticket(session, station.exam_id, ticket)
    if not item_applies(item, candidate.sex):
        raise Conflict(
            f"{item_zh(item)} ({item}) is not tested for {glossary.zh(candidate.sex)} "
            f"candidates; 准考证号 {candidate.ticket_number} goes to another station",
            extra={"item_applies": False},
        )
    if candidate.status == CandidateStatus.EXEMPT:
        raise Forbidden(
            f"准考证号 {candidate.ticket_number} is exempt (免考) from the PE exam"
        )
    attempt = _latest_attempt(session, candidate, item)
    if attempt is not None and attempt.state == PeAttemptState.CONFIRMED:
        raise Conflict(
            f"准考证号 {candidate.ticket_number} finished {item_zh(item)} "
            f"(confirmed {iso(attempt.confirmed_at)}); a retest (补测) needs a "
            "request with a reason and the exam office's approval"
        )
    now = datetime.now(UTC)
    if attempt is None or attempt.state != PeAttemptState.OPEN:
        attempt = PeAttempt(
            candidate=candidate,
            item=item.value,
            round=1 if attempt is None else attempt.round + 1,
            state=PeAttemptState.OPEN.value,
            trials_allowed=trials_allowed(item),
        )
        session.add(attempt)
    attempt.checked_in_at = now
    attempt.checked_in_station_id = station.id
    session.flush()
    logger.info(
        "check-in: ticket %s at station %s (round %s)",
        candidate.ticket_number,
        station.code,
        attempt.round,
    )
    return attempt


def candidate_card(
    station: PeStation,
    candidate: Candidate,
    attempt: PeAttempt | None,
    *,
    tables: PeTables | None = None,
) -> PeCandidateCard:
    """Return what the station shows for ``candidate`` and their attempt.

    ``tables`` score the result (the packaged tables by default).
    """
    item = PeItem(station.item)
    trials = [] if attempt is None else list(attempt.trials)
    original = [t for t in trials if t.supersedes_id is None]
    result = None
    if trials:
        result = item_result(
            item,
            candidate,
            attempt,
            tables=tables or pe_tables(),
            year=station.exam.year,
        )
    superseded = {t.supersedes_id for t in trials if t.supersedes_id}
    return PeCandidateCard(
        ticket_number=candidate.ticket_number,
        name=candidate.name,
        sex=candidate.sex,
        school=candidate.school,
        item=item,
        item_applies=item_applies(item, candidate.sex),
        attempt_id=None if attempt is None else attempt.id,
        round=1 if attempt is None else attempt.round,
        trial_number=len(original) + 1,
        trials_allowed=trials_allowed(item)
        if attempt is None
        else attempt.trials_allowed,
        trials=[trial_out(t, superseded=t.id in superseded) for t in trials],
        result=result,
    )


def lookup_card(
    session: Session,
    station: PeStation,
    ticket: str,
    *,
    tables: PeTables | None = None,
) -> PeCandidateCard:
    """Return the card of a ticket without checking in (the item may not apply)."""
    candidate = candidate_by_ticket(session, station.exam_id, ticket)
    attempt = _latest_attempt(session, candidate, PeItem(station.item))
    return candidate_card(station, candidate, attempt, tables=tables)


def station_attempt(
    session: Session, station: PeStation, attempt_id: int, *, lock: bool = False
) -> PeAttempt:
    """Return an attempt at the station's item in the station's exam.

    With ``lock`` the row is locked until commit (PostgreSQL), so that two
    requests for the same attempt (a resent trial) are taken one at a time.
    """
    attempt = session.get(PeAttempt, attempt_id, with_for_update=lock)
    if (
        attempt is None
        or attempt.candidate.exam_id != station.exam_id
        or attempt.item != station.item
    ):
        raise NotFound(
            f"attempt {attempt_id} is not an attempt at {station.item} in this "
            "station's exam; check the candidate in again"
        )
    return attempt


# --- trials ------------------------------------------------------------------


def trial_out(
    trial: PeTrial, *, superseded: bool, duplicate: bool = False
) -> PeTrialOut:
    item = PeItem(trial.attempt.item)
    try:
        recorded: float | None = float(recorded_value(item, trial))
    except Unprocessable:
        recorded = None
    return PeTrialOut(
        trial_id=trial.id,
        attempt_id=trial.attempt_id,
        trial_number=trial.trial_number,
        source=PeSource(trial.source),
        value=float(Decimal(trial.value)),
        recorded=recorded,
        unit=trial.unit,
        height_cm=trial.height_cm,
        weight_kg=trial.weight_kg,
        device=trial.device,
        judge_version=trial.judge_version,
        repetitions=[_repetition(r) for r in trial.repetitions],
        reason=trial.reason,
        recorded_by=trial.recorded_by,
        recorded_at=iso(trial.recorded_at) or "",
        supersedes_trial_id=trial.supersedes_id,
        superseded=superseded,
        evidence=[evidence_out(e) for e in trial.evidence],
        duplicate=duplicate,
    )


def _repetition(data: Any) -> PeRepetition:
    return PeRepetition(
        start_s=float(data["start_s"]),
        end_s=float(data["end_s"]),
        counted=bool(data["counted"]),
        reason=data.get("reason"),
    )


def _check_source(
    item: PeItem,
    measured: Measured,
    *,
    source: PeSource,
    device: str,
    judge_version: str,
    repetitions: list[PeRepetition],
    reason: str,
) -> None:
    """Refuse a result whose source lacks what identifies it."""
    if source is PeSource.MANUAL and not reason.strip():
        raise Unprocessable(
            "a result entered by hand needs a reason (why no judge or device "
            "gave it); write it and send again"
        )
    if source is PeSource.DEVICE and not device.strip():
        raise Unprocessable(
            "a device result needs the device identity (kind, serial number, "
            "boot id); send it with the result"
        )
    if source is PeSource.JUDGE:
        if not judge_version.strip():
            raise Unprocessable("a judged result needs the judge's name/version")
        counted = sum(1 for r in repetitions if r.counted)
        if repetitions and Decimal(counted) != measured.recorded:
            raise Unprocessable(
                f"the judge counted {counted} repetitions in its list but the "
                f"result says {measured.value} {UNITS[item]}; send matching data"
            )
    for rep in repetitions:
        if rep.end_s < rep.start_s:
            raise Unprocessable(
                f"a repetition ends at {rep.end_s} s before it starts at "
                f"{rep.start_s} s; send the judge's list unchanged"
            )


def _check_open(attempt: PeAttempt, *, what: str) -> None:
    state = PeAttemptState(attempt.state)
    if state is PeAttemptState.CONFIRMED:
        raise Conflict(
            f"the candidate confirmed this result at {iso(attempt.confirmed_at)}; "
            f"it is final and the station cannot {what}: a dispute goes to the "
            "exam office (仲裁)"
        )
    if state is PeAttemptState.REPLACED:
        raise Conflict(
            f"attempt {attempt.id} was replaced by an approved retest (补测); "
            f"check the candidate in again to {what} on the new attempt"
        )


def add_trial(
    session: Session, station: PeStation, attempt: PeAttempt, body: PeTrialIn
) -> tuple[PeTrial, bool]:
    """Store one trial's result; return it and whether it was already stored."""
    item = PeItem(station.item)
    measured = measure(
        item,
        unit=body.unit,
        value=body.value,
        height_cm=body.height_cm,
        weight_kg=body.weight_kg,
    )
    original = [t for t in attempt.trials if t.supersedes_id is None]
    same_number = [t for t in original if t.trial_number == body.trial_number]
    if same_number:
        stored = same_number[0]
        if _same_trial(stored, body, measured):
            return stored, True
        raise Conflict(
            f"trial {body.trial_number} of this attempt is already stored with "
            f"{stored.value} {stored.unit} ({stored.source}); a different result "
            "is a correction: send it with a reason to the correct route"
        )
    _check_open(attempt, what="add a trial")
    if len(original) >= attempt.trials_allowed:
        raise Conflict(
            f"all {attempt.trials_allowed} trials of {item} are used; the best "
            "counts: let the candidate confirm it"
        )
    if body.trial_number != len(original) + 1:
        raise Conflict(
            f"trial {body.trial_number} was sent but the next trial is "
            f"{len(original) + 1}; refresh the candidate card"
        )
    _check_source(
        item,
        measured,
        source=body.source,
        device=body.device,
        judge_version=body.judge_version,
        repetitions=body.repetitions,
        reason=body.reason,
    )
    trial = _new_trial(
        attempt,
        body,
        measured,
        station_id=station.id,
        trial_number=body.trial_number,
        recorded_by=station_actor(station),
    )
    session.add(trial)
    session.flush()
    if body.source is PeSource.MANUAL:
        audit.record(
            session,
            actor=station_actor(station),
            action="pe.trial.manual",
            reason=trial.reason,
            detail=_trial_detail(attempt, trial),
        )
    logger.info(
        "trial: %s %s of ticket %s at station %s: %s %s (%s)",
        item,
        trial.trial_number,
        attempt.candidate.ticket_number,
        station.code,
        trial.value,
        trial.unit,
        trial.source,
    )
    return trial, False


def _same_trial(stored: PeTrial, body: PeTrialIn, measured: Measured) -> bool:
    sent = {
        "source": body.source.value,
        "value": _value_text(measured.value),
        "unit": body.unit,
        "device": body.device.strip(),
        "judge_version": body.judge_version.strip(),
    }
    return all(getattr(stored, name) == sent[name] for name in DUPLICATE_FIELDS)


def _repetition_json(rep: PeRepetition) -> dict[str, Any]:
    return {
        "start_s": rep.start_s,
        "end_s": rep.end_s,
        "counted": rep.counted,
        "reason": rep.reason,
    }


def _trial_detail(attempt: PeAttempt, trial: PeTrial) -> dict[str, Any]:
    return {
        "ticket": attempt.candidate.ticket_number,
        "item": attempt.item,
        "round": attempt.round,
        "trial": trial.trial_number,
        "trial_id": trial.id,
        "source": trial.source,
        "value": trial.value,
        "unit": trial.unit,
    }


def _new_trial(
    attempt: PeAttempt,
    body: PeTrialIn | PeCorrectionIn,
    measured: Measured,
    *,
    station_id: int | None,
    trial_number: int,
    recorded_by: str,
    supersedes_id: int | None = None,
) -> PeTrial:
    """A trial row from a station's result or a correction (never edited after)."""
    return PeTrial(
        attempt=attempt,
        station_id=station_id,
        trial_number=trial_number,
        source=body.source.value,
        value=_value_text(measured.value),
        unit=body.unit,
        height_cm=body.height_cm,
        weight_kg=body.weight_kg,
        device=body.device.strip(),
        judge_version=body.judge_version.strip(),
        repetitions=[_repetition_json(r) for r in body.repetitions],
        reason=body.reason.strip(),
        recorded_by=recorded_by,
        supersedes_id=supersedes_id,
    )


def correct_trial(
    session: Session,
    trial: PeTrial,
    body: PeCorrectionIn,
    *,
    actor: str,
    station: PeStation | None,
    tables: PeTables | None = None,
) -> PeTrial:
    """Store a correction of ``trial`` as a new row superseding it, audited.

    ``station`` is the correcting station (None for the exam office); a
    station may correct only its own item and only before the confirmation.
    A correction of a confirmed result (arbitration, 仲裁) scores the
    attempt again with ``tables`` (the packaged ones by default) and keeps
    the new points; the audit entry names the old and the new points.
    """
    attempt = trial.attempt
    item = PeItem(attempt.item)
    if station is not None:
        if attempt.item != station.item or attempt.candidate.exam_id != station.exam_id:
            raise Forbidden(
                f"trial {trial.id} is not a {station.item} trial of this station's "
                "exam; correct it at its own station or ask the exam office"
            )
        _check_open(attempt, what="correct a trial")
    if not body.reason.strip():
        raise Unprocessable("a correction needs a reason, kept in the audit log")
    newer = session.scalars(
        select(PeTrial).where(PeTrial.supersedes_id == trial.id)
    ).first()
    if newer is not None:
        raise Conflict(
            f"trial {trial.id} was already corrected by trial {newer.id}; "
            "correct the newest row"
        )
    measured = measure(
        item,
        unit=body.unit,
        value=body.value,
        height_cm=body.height_cm,
        weight_kg=body.weight_kg,
    )
    _check_source(
        item,
        measured,
        source=body.source,
        device=body.device,
        judge_version=body.judge_version,
        repetitions=body.repetitions,
        reason=body.reason,
    )
    before = None
    if attempt.confirmed_at is not None:
        before = item_result(
            item,
            attempt.candidate,
            attempt,
            tables=tables or pe_tables(),
            year=attempt.candidate.exam.year,
        )
    correction = _new_trial(
        attempt,
        body,
        measured,
        station_id=None if station is None else station.id,
        trial_number=trial.trial_number,
        recorded_by=actor,
        supersedes_id=trial.id,
    )
    session.add(correction)
    session.flush()
    detail = _trial_detail(attempt, correction)
    detail.update(
        supersedes=trial.id, old_value=trial.value, confirmed=bool(attempt.confirmed_at)
    )
    if before is not None:
        detail.update(_refreeze(attempt, tables or pe_tables(), before=before))
    audit.record(
        session,
        actor=actor,
        action="pe.trial.correct",
        reason=correction.reason,
        detail=detail,
    )
    session.expire(attempt, ["trials"])
    return correction


def _refreeze(
    attempt: PeAttempt, tables: PeTables, *, before: PeItemResult
) -> dict[str, Any]:
    """Score a confirmed attempt again and keep the new points; return both."""
    item = PeItem(attempt.item)
    candidate = attempt.candidate
    year = candidate.exam.year
    session = object_session(attempt)
    if session is not None:
        session.expire(attempt, ["trials"])
    old, old_version = before, attempt.standards_version
    new = item_result(item, candidate, attempt, tables=tables, year=year, live=True)
    version = tables.version(year)
    freeze_points(attempt, new, version=version)
    logger.info(
        "arbitration: %s of ticket %s scored again: %s -> %s table points",
        item,
        candidate.ticket_number,
        old.table_points,
        new.table_points,
    )
    return {
        "old_points": points_detail(old, old_version),
        "new_points": points_detail(new, version),
    }


# --- confirmation ------------------------------------------------------------


def confirm(
    session: Session,
    station: PeStation,
    attempt: PeAttempt,
    *,
    ticket_number: str,
    best_trial_id: int,
    tables: PeTables | None = None,
) -> PeItemResult:
    """Make the attempt's result final, once the candidate confirmed it.

    The result is scored with ``tables`` (the packaged ones by default) and
    its value, points and the tables' version are kept on the attempt: later
    reads answer them even if the tables change.
    """
    tables = tables or pe_tables()
    item = PeItem(station.item)
    candidate = attempt.candidate
    if candidate.ticket_number != ticket_number.strip():
        raise Conflict(
            f"attempt {attempt.id} belongs to 准考证号 {candidate.ticket_number}, "
            f"not {ticket_number}; check the candidate in again"
        )
    _check_open(attempt, what="confirm again")
    best = best_trial(item, effective_trials(attempt))
    if best is None:
        raise Conflict("there is no result to confirm yet; record a trial first")
    if best.id != best_trial_id:
        raise Conflict(
            f"the result changed since it was shown (best trial is now "
            f"{best.id}, not {best_trial_id}); show it to the candidate again"
        )
    year = station.exam.year
    result = item_result(item, candidate, attempt, tables=tables, year=year, live=True)
    version = tables.version(year)
    attempt.state = PeAttemptState.CONFIRMED.value
    attempt.confirmed_at = datetime.now(UTC)
    freeze_points(attempt, result, version=version)
    audit.record(
        session,
        actor=station_actor(station),
        action="pe.result.confirm",
        reason="the candidate confirmed the result shown at the station",
        detail={
            "ticket": candidate.ticket_number,
            "item": item.value,
            "round": attempt.round,
            "trial_id": best.id,
            "value": best.value,
            "points": points_detail(result, version),
        },
    )
    logger.info(
        "confirmed: %s of ticket %s at station %s", item, ticket_number, station.code
    )
    result.state = PeAttemptState.CONFIRMED
    return result


# --- retests (补测) ------------------------------------------------------------


def request_retest(
    session: Session, station: PeStation, ticket: str, reason: str
) -> PeRetest:
    """File a retest request for the station's item, to be decided by the office."""
    if not reason.strip():
        raise Unprocessable("a retest request needs a reason for the exam office")
    candidate = candidate_by_ticket(session, station.exam_id, ticket)
    item = PeItem(station.item)
    if not item_applies(item, candidate.sex):
        raise Conflict(f"{item} is not tested for {candidate.sex} candidates")
    pending = session.scalars(
        select(PeRetest).where(
            PeRetest.candidate_id == candidate.id,
            PeRetest.item == item.value,
            PeRetest.state == PeRetestState.REQUESTED.value,
        )
    ).first()
    if pending is not None:
        raise Conflict(
            f"a retest of {item} for 准考证号 {candidate.ticket_number} is "
            f"already waiting for the exam office (request {pending.id})"
        )
    retest = PeRetest(
        candidate=candidate,
        item=item.value,
        state=PeRetestState.REQUESTED.value,
        reason=reason.strip(),
        requested_by=station_actor(station),
    )
    session.add(retest)
    session.flush()
    audit.record(
        session,
        actor=station_actor(station),
        action="pe.retest.request",
        reason=retest.reason,
        detail={
            "ticket": candidate.ticket_number,
            "item": item.value,
            "retest": retest.id,
        },
    )
    return retest


def decide_retest(
    session: Session, retest: PeRetest, decision: PeRetestDecision, *, actor: str
) -> PeRetest:
    """Approve (opening a new attempt, replacing the old) or reject a request."""
    if retest.state != PeRetestState.REQUESTED:
        raise Conflict(
            f"retest request {retest.id} was already {retest.state} by "
            f"{retest.decided_by}"
        )
    if not decision.reason.strip():
        raise Unprocessable("a retest decision needs a reason, kept in the audit log")
    item = PeItem(retest.item)
    retest.decided_by = actor
    retest.decision_reason = decision.reason.strip()
    retest.decided_at = datetime.now(UTC)
    retest.state = (
        PeRetestState.APPROVED if decision.approve else PeRetestState.REJECTED
    ).value
    if decision.approve:
        previous = _latest_attempt(session, retest.candidate, item)
        if previous is not None:
            previous.state = PeAttemptState.REPLACED.value
        attempt = PeAttempt(
            candidate=retest.candidate,
            item=item.value,
            round=1 if previous is None else previous.round + 1,
            state=PeAttemptState.OPEN.value,
            trials_allowed=trials_allowed(item),
        )
        session.add(attempt)
        session.flush()
        retest.attempt_id = attempt.id
    audit.record(
        session,
        actor=actor,
        action=f"pe.retest.{'approve' if decision.approve else 'reject'}",
        reason=retest.decision_reason,
        detail={
            "ticket": retest.candidate.ticket_number,
            "item": item.value,
            "retest": retest.id,
            "attempt_id": retest.attempt_id,
        },
    )
    return retest


def retest_out(retest: PeRetest) -> PeRetestOut:
    return PeRetestOut(
        retest_id=retest.id,
        ticket_number=retest.candidate.ticket_number,
        name=retest.candidate.name,
        item=PeItem(retest.item),
        state=PeRetestState(retest.state),
        reason=retest.reason,
        requested_by=retest.requested_by,
        requested_at=iso(retest.requested_at) or "",
        decided_by=retest.decided_by,
        decision_reason=retest.decision_reason,
        decided_at=iso(retest.decided_at),
        attempt_id=retest.attempt_id,
    )


# --- evidence ----------------------------------------------------------------


def evidence_dir(data_dir: Path) -> Path:
    """Return where evidence files live: ``evidence/<aa>/<sha256>.<ext>``."""
    return data_dir / "evidence"


_SUFFIX = {PeEvidenceKind.CLIP: "mp4", PeEvidenceKind.DEVICE_LOG: "log"}


def evidence_out(evidence: PeEvidence, *, duplicate: bool = False) -> PeEvidenceOut:
    return PeEvidenceOut(
        sha256=evidence.sha256,
        kind=PeEvidenceKind(evidence.kind),
        size_bytes=evidence.size_bytes,
        received_at=iso(as_utc(evidence.received_at)) or "",
        duplicate=duplicate,
    )


def add_evidence(
    session: Session,
    trial: PeTrial,
    source: BinaryIO,
    *,
    data_dir: Path,
    expected_sha256: str,
    kind: PeEvidenceKind,
) -> PeEvidence:
    """Keep an evidence file for ``trial`` once its SHA-256 and format check.

    The file is streamed to a temporary file while hashed; on any refusal
    the temporary file is removed and nothing is stored.
    """
    stored = next((e for e in trial.evidence if e.sha256 == expected_sha256), None)
    folder = evidence_dir(data_dir)
    incoming = folder / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    temporary = incoming / f"{secrets.token_hex(16)}.part"
    try:
        digest, size = _copy_hashing(source, temporary)
        if digest != expected_sha256:
            raise Unprocessable(
                f"the evidence file's SHA-256 is {digest} but the station sent "
                f"{expected_sha256}: it was damaged on the way; nothing was "
                "stored, upload it again"
            )
        _check_format(temporary, kind)
        if stored is not None:
            temporary.unlink()
            return stored
        relative = f"{digest[:2]}/{digest}.{_SUFFIX[kind]}"
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    evidence = PeEvidence(
        trial=trial, kind=kind.value, sha256=digest, path=relative, size_bytes=size
    )
    session.add(evidence)
    session.flush()
    logger.info("evidence %s for trial %s (%s bytes)", relative, trial.id, size)
    return evidence


def _copy_hashing(source: BinaryIO, destination: Path) -> tuple[str, int]:
    hasher = hashlib.sha256()
    size = 0
    with destination.open("wb") as out:
        while chunk := source.read(_CHUNK_BYTES):
            size += len(chunk)
            if size > EVIDENCE_MAX_BYTES:
                raise Unprocessable(
                    f"the evidence file is over {EVIDENCE_MAX_BYTES >> 20} MiB; "
                    "nothing was stored: cut the clip to the trial"
                )
            hasher.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return hasher.hexdigest(), size


def _check_format(path: Path, kind: PeEvidenceKind) -> None:
    """Refuse a clip that is not ISO media (MP4) or a log that is not UTF-8 text."""
    if kind is PeEvidenceKind.CLIP:
        with path.open("rb") as handle:
            head = handle.read(12)
        # an MP4 file starts with a box whose type, at bytes 4-8, is "ftyp"
        if len(head) < 12 or head[4:8] != b"ftyp":
            raise Unprocessable(
                "the clip is not an MP4 file (no 'ftyp' box at its start); "
                "nothing was stored: upload the judge's annotated MP4"
            )
        return
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unprocessable(
            f"the device log is not UTF-8 text (byte {exc.start}); nothing was "
            "stored: upload the log the station wrote"
        ) from exc


# --- results of a PE exam ----------------------------------------------------


def exam_pe_results(
    session: Session, exam: Exam, *, tables: PeTables | None = None
) -> list[PeResultRow]:
    """Return one row per candidate: each item's counted result and the total.

    An item counts its newest attempt (a retest's round replaces the
    earlier one); the total is the exam points of the configured slots.
    Confirmed results answer their kept points; the others are scored with
    ``tables`` (the packaged ones by default).
    """
    check_pe_exam(exam)
    tables = tables or pe_tables()
    config = tables.config(exam.year)
    candidates = list(
        session.scalars(
            select(Candidate)
            .where(Candidate.exam_id == exam.id)
            .order_by(Candidate.ticket_number)
        )
    )
    attempts = session.scalars(
        select(PeAttempt)
        .join(Candidate)
        .where(Candidate.exam_id == exam.id)
        .order_by(PeAttempt.round)
        .options(selectinload(PeAttempt.trials).selectinload(PeTrial.evidence))
    )
    newest: dict[tuple[int, str], PeAttempt] = {}
    for attempt in attempts:
        newest[(attempt.candidate_id, attempt.item)] = attempt
    rows = []
    for candidate in candidates:
        results = [
            item_result(
                item,
                candidate,
                newest[(candidate.id, item.value)],
                tables=tables,
                year=exam.year,
            )
            for item in PeItem
            if (candidate.id, item.value) in newest
        ]
        counted = [r for r in results if r.value is not None]
        rows.append(
            PeResultRow(
                ticket_number=candidate.ticket_number,
                name=candidate.name,
                sex=candidate.sex,
                school=candidate.school,
                status=candidate.status,
                items=results,
                total=None
                if config is None
                else exam_total(results, candidate, config),
                max_total=None if config is None else float(config.total_points),
                provisional=any(r.provisional for r in counted),
            )
        )
    return rows


def exam_items(session: Session, exam: Exam) -> list[PeItem]:
    """Return the items the exam's stations test, in the standard's order."""
    tested = set(
        session.scalars(select(PeStation.item).where(PeStation.exam_id == exam.id))
    )
    return [item for item in PeItem if item.value in tested]


def exam_stations(session: Session, exam: Exam) -> list[PeStation]:
    return list(
        session.scalars(
            select(PeStation)
            .where(PeStation.exam_id == exam.id)
            .order_by(PeStation.code)
        )
    )


def exam_retests(session: Session, exam: Exam) -> list[PeRetest]:
    return list(
        session.scalars(
            select(PeRetest)
            .join(Candidate)
            .where(Candidate.exam_id == exam.id)
            .order_by(PeRetest.id)
        )
    )
