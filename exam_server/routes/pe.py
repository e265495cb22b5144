"""Routes of the PE exam (体育中考): stations, trials, evidence, retests, results.

A PE station program authenticates with its station key (``Authorization:
Bearer <station key>``); the exam office with the admin token. The domain
rules live in :mod:`exam_server.pe`; these routes find the rows, call them
and commit.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile

from exam_server import pe
from exam_server.auth import AdminActor, bearer_secret, is_admin_secret
from exam_server.errors import Forbidden, NotAuthenticated, NotFound
from exam_server.models import PeRetest, PeStation, PeTrial
from exam_server.routes.common import exam_by_code
from exam_server.routes.deps import SessionDep, SettingsDep
from exam_server.storage import normalize_sha256
from exam_server.wire import (
    PeCandidateCard,
    PeCheckinRequest,
    PeConfirmRequest,
    PeCorrectionIn,
    PeEvidenceKind,
    PeEvidenceOut,
    PeItemResult,
    PeResultRow,
    PeRetestDecision,
    PeRetestOut,
    PeRetestRequest,
    PeStationCreate,
    PeStationCreated,
    PeStationInfo,
    PeTrialIn,
    PeTrialOut,
)

logger = logging.getLogger(__name__)

router = APIRouter()


def station_of_request(request: Request, session: SessionDep) -> PeStation:
    """Return the station whose key the request carries."""
    station = pe.station_by_key(session, bearer_secret(request))
    if station is None:
        raise NotAuthenticated(
            "this key is not the key of any PE station; use the key printed for "
            "the station, or ask the exam office"
        )
    return station


StationDep = Annotated[PeStation, Depends(station_of_request)]


def tables_of_settings(settings: SettingsDep) -> pe.PeTables:
    """Return the tables PE results are scored with (``EXAM_PE_TABLES_DIR``)."""
    return pe.pe_tables(settings.pe_tables_dir)


TablesDep = Annotated[pe.PeTables, Depends(tables_of_settings)]


# --- the station program -----------------------------------------------------


@router.get("/api/pe/station")
def station_itself(station: StationDep) -> PeStationInfo:
    """Which station the key belongs to, and what it tests."""
    return pe.station_info(station)


@router.get("/api/pe/station/candidates/{ticket_number}")
def look_up(
    ticket_number: str, station: StationDep, session: SessionDep, tables: TablesDep
) -> PeCandidateCard:
    """The candidate card of a ticket, without checking in."""
    return pe.lookup_card(session, station, ticket_number, tables=tables)


@router.post("/api/pe/station/checkin")
def check_in(
    body: PeCheckinRequest, station: StationDep, session: SessionDep, tables: TablesDep
) -> PeCandidateCard:
    """Check a candidate in at the station by admission ticket."""
    attempt = pe.check_in(session, station, body.ticket_number)
    session.commit()
    return pe.candidate_card(station, attempt.candidate, attempt, tables=tables)


@router.get("/api/pe/station/attempts/{attempt_id}")
def attempt_card(
    attempt_id: int, station: StationDep, session: SessionDep, tables: TablesDep
) -> PeCandidateCard:
    """The candidate card of an attempt, with its trials and counted result."""
    attempt = pe.station_attempt(session, station, attempt_id)
    return pe.candidate_card(station, attempt.candidate, attempt, tables=tables)


@router.post("/api/pe/station/attempts/{attempt_id}/trials")
def add_trial(
    attempt_id: int, body: PeTrialIn, station: StationDep, session: SessionDep
) -> PeTrialOut:
    """Store one trial's result from a judge, a device or the examiner."""
    attempt = pe.station_attempt(session, station, attempt_id, lock=True)
    trial, duplicate = pe.add_trial(session, station, attempt, body)
    session.commit()
    return pe.trial_out(trial, superseded=False, duplicate=duplicate)


@router.put("/api/pe/station/trials/{trial_id}/evidence")
def upload_evidence(
    trial_id: int,
    station: StationDep,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="annotated MP4 clip or device log")],
    sha256: Annotated[str, Form(description="hex SHA-256 of the file")],
    kind: Annotated[PeEvidenceKind, Form(description="clip or device_log")],
) -> PeEvidenceOut:
    """Keep a trial's evidence file, content-addressed, after checking its hash."""
    trial = _station_trial(session, station, trial_id)
    expected = normalize_sha256(sha256)
    known = {e.sha256 for e in trial.evidence}
    evidence = pe.add_evidence(
        session,
        trial,
        file.file,
        data_dir=settings.data_dir,
        expected_sha256=expected,
        kind=kind,
    )
    session.commit()
    return pe.evidence_out(evidence, duplicate=expected in known)


def _station_trial(session: SessionDep, station: PeStation, trial_id: int) -> PeTrial:
    trial = session.get(PeTrial, trial_id)
    if trial is None or trial.attempt.candidate.exam_id != station.exam_id:
        raise NotFound(f"there is no trial {trial_id} in this station's exam")
    if trial.attempt.item != station.item:
        raise Forbidden(
            f"trial {trial_id} is a {trial.attempt.item} trial, not one of this "
            f"station's item {station.item}"
        )
    return trial


@router.post("/api/pe/station/attempts/{attempt_id}/confirm")
def confirm(
    attempt_id: int,
    body: PeConfirmRequest,
    station: StationDep,
    session: SessionDep,
    tables: TablesDep,
) -> PeItemResult:
    """The candidate confirms the shown result; it is final from now on."""
    attempt = pe.station_attempt(session, station, attempt_id, lock=True)
    result = pe.confirm(
        session,
        station,
        attempt,
        ticket_number=body.ticket_number,
        best_trial_id=body.best_trial_id,
        tables=tables,
    )
    session.commit()
    return result


@router.post("/api/pe/station/retests")
def request_retest(
    body: PeRetestRequest, station: StationDep, session: SessionDep
) -> PeRetestOut:
    """Ask the exam office for a retest (补测) of the station's item."""
    retest = pe.request_retest(session, station, body.ticket_number, body.reason)
    session.commit()
    return pe.retest_out(retest)


# --- corrections: the station before confirmation, or the exam office ---------


@router.post("/api/pe/trials/{trial_id}/correct")
def correct_trial(
    trial_id: int,
    body: PeCorrectionIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    tables: TablesDep,
) -> PeTrialOut:
    """Store a corrected result as a new trial superseding ``trial_id``.

    The exam office's correction of a confirmed result (arbitration) scores
    it again and keeps the new points.
    """
    secret = bearer_secret(request)
    station: PeStation | None = None
    if is_admin_secret(secret, settings.resolved_admin_token()):
        actor = "admin"
        trial = session.get(PeTrial, trial_id)
        if trial is None:
            raise NotFound(f"there is no trial {trial_id}")
    else:
        station = pe.station_by_key(session, secret)
        if station is None:
            raise NotAuthenticated(
                "a correction needs a station key or the exam office's token"
            )
        actor = pe.station_actor(station)
        trial = _station_trial(session, station, trial_id)
    correction = pe.correct_trial(
        session, trial, body, actor=actor, station=station, tables=tables
    )
    session.commit()
    return pe.trial_out(correction, superseded=False)


# --- the exam office ---------------------------------------------------------


@router.post("/api/exams/{exam_code}/pe/stations")
def create_station(
    exam_code: str, body: PeStationCreate, session: SessionDep, actor: AdminActor
) -> PeStationCreated:
    """Create a station testing one item; its key is shown only in this answer."""
    exam = exam_by_code(session, exam_code)
    station, key = pe.create_station(session, exam, body, actor=actor)
    session.commit()
    logger.info("PE station %s (%s) created in %s", station.code, body.item, exam.code)
    return PeStationCreated(station=pe.station_info(station), station_key=key)


@router.get("/api/exams/{exam_code}/pe/stations")
def list_stations(
    exam_code: str, session: SessionDep, _actor: AdminActor
) -> list[PeStationInfo]:
    """The exam's stations, by code."""
    exam = exam_by_code(session, exam_code)
    pe.check_pe_exam(exam)
    return [pe.station_info(s) for s in pe.exam_stations(session, exam)]


@router.get("/api/exams/{exam_code}/pe/retests")
def list_retests(
    exam_code: str, session: SessionDep, _actor: AdminActor
) -> list[PeRetestOut]:
    """Every retest request of the exam, oldest first."""
    exam = exam_by_code(session, exam_code)
    pe.check_pe_exam(exam)
    return [pe.retest_out(r) for r in pe.exam_retests(session, exam)]


@router.post("/api/pe/retests/{retest_id}/decide")
def decide_retest(
    retest_id: int, body: PeRetestDecision, session: SessionDep, actor: AdminActor
) -> PeRetestOut:
    """Approve or reject a retest request, with a reason."""
    retest = session.get(PeRetest, retest_id)
    if retest is None:
        raise NotFound(f"there is no retest request {retest_id}")
    pe.decide_retest(session, retest, body, actor=actor)
    session.commit()
    return pe.retest_out(retest)


@router.get("/api/exams/{exam_code}/pe/results")
def results(
    exam_code: str, session: SessionDep, _actor: AdminActor, tables: TablesDep
) -> list[PeResultRow]:
    """Every candidate's counted result per item, points and total.

    Confirmed results answer the points kept at the confirmation.
    """
    return pe.exam_pe_results(session, exam_by_code(session, exam_code), tables=tables)
