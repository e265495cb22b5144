"""Routes of the exam office: candidate import, seat assignment, results, exports.

Every change and every export is written to the audit log. Id numbers are
stored encrypted and appear in full only in the exports, which demand a
reason.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response as HttpResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.auth import AdminActor
from exam_server.candidates_csv import CandidateRow, parse_candidates
from exam_server.dbf import DbfError
from exam_server.errors import Conflict, NotFound, Unprocessable
from exam_server.export import (
    Cell,
    export_table,
    to_csv_bytes,
    to_dbf_bytes,
    to_xlsx_bytes,
)
from exam_server.identity import IdCipher
from exam_server.models import (
    Attempt,
    Candidate,
    CandidateStatus,
    Exam,
    Response,
    Score,
    Sitting,
)
from exam_server.pe import pe_tables
from exam_server.results import HUMAN_SCORER, attempt_results, exam_results
from exam_server.routes.common import exam_by_code, sitting_by_id
from exam_server.routes.deps import SessionDep, SettingsDep
from exam_server.settings import Settings
from exam_server.wire import (
    AssignReport,
    AssignRequest,
    ImportReport,
    ItemResult,
    ResultRow,
    ReviewRequest,
    SeatAssignment,
    SeatState,
    SittingState,
)
from standards.oral import POINT_STEP

logger = logging.getLogger(__name__)

router = APIRouter()

MAX_CSV_BYTES = 16 << 20
"""Largest candidate file taken: some hundred thousand rows."""

ReasonQuery = Annotated[
    str,
    Query(min_length=1, description="why the export is made (kept in the audit log)"),
]


@router.post("/api/exams/{exam_code}/candidates/import")
def import_candidates(
    exam_code: str,
    file: Annotated[UploadFile, File(description="candidate list, CSV")],
    session: SessionDep,
    settings: SettingsDep,
    actor: AdminActor,
) -> ImportReport:
    """Create or update the exam's candidates from a CSV file, all or nothing."""
    exam = exam_by_code(session, exam_code)
    data = file.file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise Unprocessable(
            f"the candidate file is over {MAX_CSV_BYTES >> 20} MiB; split it"
        )
    rows = parse_candidates(data)
    cipher = IdCipher.from_data_dir(settings.data_dir)
    created, updated = _store_candidates(session, exam, rows, cipher)
    audit.record(
        session,
        actor=actor,
        action="candidates.import",
        reason=f"import of {file.filename or 'a CSV file'}",
        detail={
            "exam": exam.code,
            "file": file.filename or "",
            "created": created,
            "updated": updated,
        },
    )
    session.commit()
    logger.info(
        "imported candidates of %s: %s new, %s updated", exam.code, created, updated
    )
    return ImportReport(created=created, updated=updated, errors=[])


def _store_candidates(
    session: Session, exam: Exam, rows: list[CandidateRow], cipher: IdCipher
) -> tuple[int, int]:
    known = {
        candidate.ticket_number: candidate
        for candidate in session.scalars(
            select(Candidate).where(Candidate.exam_id == exam.id)
        )
    }
    created = updated = 0
    for row in rows:
        candidate = known.get(row.ticket_number)
        if candidate is None:
            candidate = Candidate(exam_id=exam.id, ticket_number=row.ticket_number)
            session.add(candidate)
            created += 1
        else:
            updated += 1
        candidate.name = row.name
        candidate.sex = row.sex
        candidate.id_number_encrypted = (
            cipher.encrypt(row.id_number) if row.id_number else None
        )
        candidate.student_number = row.student_number
        candidate.school = row.school
    return created, updated


@router.post("/api/sittings/{sitting_id}/assign")
def assign(
    sitting_id: int, body: AssignRequest, session: SessionDep, actor: AdminActor
) -> AssignReport:
    """Seat candidates on the room's exam seats (spares stay free), in order."""
    sitting = sitting_by_id(session, sitting_id)
    if sitting.state != SittingState.SCHEDULED:
        raise Conflict(
            f"sitting {sitting.code} is {sitting.state}; seats are assigned before "
            "the room start"
        )
    candidates = _candidates_to_seat(session, sitting, body.ticket_numbers)
    taken = {attempt.seat_id for attempt in sitting.attempts}
    free = [s for s in sitting.room.seats if not s.is_spare and s.id not in taken]
    if len(candidates) > len(free):
        raise Conflict(
            f"{len(candidates)} candidates but only {len(free)} free exam seats in "
            f"room {sitting.room.code}; assign the rest to another sitting"
        )
    assignments = []
    for candidate, seat in zip(candidates, free, strict=False):
        session.add(
            Attempt(
                sitting_id=sitting.id,
                candidate_id=candidate.id,
                seat_id=seat.id,
                state=SeatState.NOT_LOGGED_IN,
            )
        )
        assignments.append(SeatAssignment(candidate.ticket_number, seat.code))
    audit.record(
        session,
        actor=actor,
        action="seats.assign",
        reason=f"seat assignment of sitting {sitting.code}",
        detail={
            "sitting_id": sitting.id,
            "room": sitting.room.code,
            "assigned": len(assignments),
        },
    )
    session.commit()
    logger.info(
        "assigned %s candidates in room %s", len(assignments), sitting.room.code
    )
    return AssignReport(assignments=assignments)


def _candidates_to_seat(
    session: Session, sitting: Sitting, tickets: list[str]
) -> list[Candidate]:
    exam_id = sitting.paper.exam_id
    seated = set(
        session.scalars(
            select(Attempt.candidate_id)
            .join(Sitting)
            .join(Candidate)
            .where(Candidate.exam_id == exam_id)
        )
    )
    pool = list(
        session.scalars(
            select(Candidate)
            .where(Candidate.exam_id == exam_id)
            .order_by(Candidate.ticket_number)
        )
    )
    if not tickets:
        return [
            c for c in pool if c.id not in seated and c.status != CandidateStatus.EXEMPT
        ]
    by_ticket = {candidate.ticket_number: candidate for candidate in pool}
    if len(set(tickets)) != len(tickets):
        raise Unprocessable("the ticket list names a ticket more than once")
    unknown = [ticket for ticket in tickets if ticket not in by_ticket]
    if unknown:
        raise NotFound(
            f"not on this exam's candidate list: {', '.join(unknown[:10])}; "
            "import them first"
        )
    already = [t for t in tickets if by_ticket[t].id in seated]
    if already:
        raise Conflict(
            f"already seated in a sitting of this exam: {', '.join(already[:10])}"
        )
    return [by_ticket[ticket] for ticket in tickets]


@router.get("/api/exams/{exam_code}/results")
def results(exam_code: str, session: SessionDep, _actor: AdminActor) -> list[ResultRow]:
    """Every candidate's points by item and total (no id numbers)."""
    return exam_results(session, exam_by_code(session, exam_code))


@router.post("/api/responses/{response_id}/review")
def review(
    response_id: int,
    request: ReviewRequest,
    session: SessionDep,
    actor: AdminActor,
) -> ItemResult:
    """Give one answer a person's points; they override the machine's."""
    response = session.get(Response, response_id)
    if response is None:
        raise NotFound(f"there is no answer {response_id}")
    item = response.item
    if not 0 <= request.points <= item.points:
        raise Unprocessable(
            f"item {item.position} is worth 0 to {item.points:g} points, "
            f"not {request.points:g}"
        )
    if abs(request.points / POINT_STEP - round(request.points / POINT_STEP)) > 1e-9:
        raise Unprocessable(
            f"points are given in steps of {POINT_STEP:g}, as the machine gives "
            f"them; {request.points:g} is not one"
        )
    if not request.reason.strip():
        raise Unprocessable("a review needs a reason, written for the audit log")
    detail = {"reviewer": actor, "reason": request.reason.strip()}
    session.add(
        Score(
            response_id=response.id,
            scorer=HUMAN_SCORER,
            score=None,
            points=request.points,
            detail=detail,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="review_response",
        reason=request.reason,
        detail={"response_id": response.id, "points": request.points},
    )
    session.commit()
    logger.info(
        "answer %s reviewed by %s: %s points", response.id, actor, request.points
    )
    results = attempt_results(session, response.attempt)
    return next(r for r in results if r.response_id == response.id)


def _render_dbf(header: list[str], rows: list[list[Cell]]) -> bytes:
    try:
        return to_dbf_bytes(header, rows, updated=datetime.date.today())
    except DbfError as exc:
        raise Unprocessable(f"the DBF export is refused: {exc}") from exc


Renderer = Callable[[list[str], list[list[Cell]]], bytes]

EXPORT_FORMATS: dict[str, tuple[str, Renderer]] = {
    "csv": ("text/csv; charset=utf-8", to_csv_bytes),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        to_xlsx_bytes,
    ),
    "dbf": ("application/dbase", _render_dbf),
}
"""Each export format's media type and renderer, by file suffix."""


@router.get("/api/exams/{exam_code}/export.{suffix}")
def export(
    exam_code: str,
    suffix: Literal["csv", "xlsx", "dbf"],
    reason: ReasonQuery,
    session: SessionDep,
    settings: SettingsDep,
    actor: AdminActor,
) -> HttpResponse:
    """The admissions export: CSV (UTF-8 with a byte-order mark), Excel, or
    dBase III with GBK text.

    A value that does not fit its DBF field (an over-long school name, say)
    is refused with 422 and no file, and the refusal is not logged as an
    export.
    """
    media_type, render = EXPORT_FORMATS[suffix]
    body = _export(session, settings, exam_code, reason, actor, suffix, render)
    return HttpResponse(
        body, media_type=media_type, headers=_attachment(exam_code, suffix)
    )


def _attachment(exam_code: str, suffix: str) -> dict[str, str]:
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in exam_code)
    return {"Content-Disposition": f'attachment; filename="{safe}-results.{suffix}"'}


def _export(
    session: Session,
    settings: Settings,
    exam_code: str,
    reason: str,
    actor: str,
    kind: str,
    render: Renderer,
) -> bytes:
    """Make the export's file and log it; a file that cannot be made logs nothing."""
    if not reason.strip():
        raise Unprocessable("an export needs a reason, written for the audit log")
    exam = exam_by_code(session, exam_code)
    cipher = IdCipher.from_data_dir(settings.data_dir)
    tables = pe_tables(settings.pe_tables_dir)
    header, rows = export_table(session, exam, cipher, tables=tables)
    body = render(header, rows)
    audit.record(
        session,
        actor=actor,
        action=f"export.{kind}",
        reason=reason.strip(),
        detail={"exam": exam.code, "rows": len(rows)},
    )
    session.commit()
    logger.info("export %s of %s: %s rows by %s", kind, exam.code, len(rows), actor)
    return body
