"""Routes of the proctor page: the room board, room start and end, seat marks, moves.

Each action is written to the audit log with the actor (``proctor:<room>``
or ``admin``) and the reason given.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.auth import proctor_actor
from exam_server.errors import Conflict, NotFound, Unprocessable
from exam_server.models import (
    Attempt,
    Candidate,
    CandidateStatus,
    Seat,
    Sitting,
)
from exam_server.results import attempt_results, current_sitting, total_points
from exam_server.routes.common import room_by_code, sitting_by_id, sitting_info
from exam_server.routes.deps import SessionDep, SettingsDep
from exam_server.wire import (
    MoveRequest,
    ProctorAction,
    RoomBoard,
    SeatBoardRow,
    SeatMarkRequest,
    SeatState,
    SittingInfo,
    SittingState,
)

logger = logging.getLogger(__name__)

router = APIRouter()


@router.get("/api/rooms/{room_code}/board")
def board(
    room_code: str, request: Request, session: SessionDep, settings: SettingsDep
) -> RoomBoard:
    """Every seat of the room, spares included, with its candidate's progress."""
    room = room_by_code(session, room_code)
    proctor_actor(request, settings, room)
    sitting = current_sitting(session, room)
    by_seat: dict[int, Attempt] = {}
    if sitting is not None:
        by_seat = {attempt.seat_id: attempt for attempt in sitting.attempts}
    return RoomBoard(
        room_code=room.code,
        sitting=None if sitting is None else sitting_info(sitting),
        seats=[
            _board_row(session, seat, sitting, by_seat.get(seat.id))
            for seat in room.seats
        ],
    )


def _board_row(
    session: Session, seat: Seat, sitting: Sitting | None, attempt: Attempt | None
) -> SeatBoardRow:
    items = [] if sitting is None else sitting.paper.items
    if attempt is None:
        return SeatBoardRow(
            seat_code=seat.code,
            is_spare=seat.is_spare,
            state=None,
            ticket_number=None,
            candidate_name=None,
            answered=0,
            total_items=len(items),
            points=None,
            max_points=sum(item.points for item in items),
        )
    return SeatBoardRow(
        seat_code=seat.code,
        is_spare=seat.is_spare,
        state=SeatState(attempt.state),
        ticket_number=attempt.candidate.ticket_number,
        candidate_name=attempt.candidate.name,
        answered=len(attempt.responses),
        total_items=len(items),
        points=total_points(attempt_results(session, attempt)),
        max_points=sum(item.points for item in items),
    )


@router.post("/api/sittings/{sitting_id}/start")
def start(
    sitting_id: int,
    body: ProctorAction,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> SittingInfo:
    """The room start (统一开考): seats may then begin their items."""
    return _change_sitting(
        request, session, settings, sitting_id, body, SittingState.STARTED
    )


@router.post("/api/sittings/{sitting_id}/end")
def end(
    sitting_id: int,
    body: ProctorAction,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> SittingInfo:
    """The room end (统一结束): no more logins; recorded answers may still arrive."""
    return _change_sitting(
        request, session, settings, sitting_id, body, SittingState.ENDED
    )


_SITTING_MOVES = {
    SittingState.STARTED: SittingState.SCHEDULED,
    SittingState.ENDED: SittingState.STARTED,
}


def _change_sitting(
    request: Request,
    session: Session,
    settings: SettingsDep,
    sitting_id: int,
    body: ProctorAction,
    wanted: SittingState,
) -> SittingInfo:
    sitting = sitting_by_id(session, sitting_id)
    actor = proctor_actor(request, settings, sitting.room)
    current = SittingState(sitting.state)
    if current != _SITTING_MOVES[wanted]:
        raise Conflict(
            f"sitting {sitting.code} of room {sitting.room.code} is "
            f"{current.value}; only a {_SITTING_MOVES[wanted].value} sitting can "
            f"become {wanted.value}"
        )
    now = datetime.now(UTC)
    sitting.state = wanted
    if wanted == SittingState.STARTED:
        sitting.started_at = now
    else:
        sitting.ended_at = now
    audit.record(
        session,
        actor=actor,
        action=f"sitting.{'start' if wanted == SittingState.STARTED else 'end'}",
        reason=body.reason,
        detail={"sitting_id": sitting.id, "room": sitting.room.code},
    )
    session.commit()
    logger.info("sitting %s of room %s is %s", sitting.code, sitting.room.code, wanted)
    return sitting_info(sitting)


def _require_reason(reason: str, action: str) -> str:
    if not reason.strip():
        raise Unprocessable(f"{action} needs a reason, written for the audit log")
    return reason.strip()


@router.post("/api/sittings/{sitting_id}/seats/{seat_code}/mark")
def mark(
    sitting_id: int,
    seat_code: str,
    body: SeatMarkRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> SeatBoardRow:
    """Mark the candidate at a seat absent (缺考) or abnormal, with a reason."""
    sitting = sitting_by_id(session, sitting_id)
    actor = proctor_actor(request, settings, sitting.room)
    reason = _require_reason(body.reason, "marking a seat")
    if body.status not in (SeatState.ABSENT, SeatState.ABNORMAL):
        raise Unprocessable(
            f"a proctor marks a seat absent or abnormal, not {body.status.value}"
        )
    attempt = _attempt_at_seat(session, sitting, seat_code)
    if body.status == SeatState.ABSENT:
        if attempt.responses:
            raise Conflict(
                f"the candidate at seat {seat_code} has {len(attempt.responses)} "
                "answers on the server and cannot be absent; mark the seat "
                "abnormal instead"
            )
        attempt.candidate.status = CandidateStatus.ABSENT
        attempt.token_sha256 = None
    elif attempt.state in (SeatState.FINISHED, SeatState.ABSENT):
        raise Conflict(
            f"the candidate at seat {seat_code} is {attempt.state}; "
            "such a seat cannot be marked abnormal"
        )
    previous = attempt.state
    attempt.state = body.status
    attempt.state_detail = reason
    audit.record(
        session,
        actor=actor,
        action=f"seat.mark_{body.status.value}",
        reason=reason,
        detail={
            "sitting_id": sitting.id,
            "seat": seat_code,
            "ticket_number": attempt.candidate.ticket_number,
            "previous_state": previous,
        },
    )
    session.commit()
    logger.info(
        "seat %s of room %s marked %s", seat_code, sitting.room.code, body.status
    )
    return _board_row(session, attempt.seat, sitting, attempt)


def _attempt_at_seat(session: Session, sitting: Sitting, seat_code: str) -> Attempt:
    attempt = session.scalars(
        select(Attempt)
        .join(Seat, Attempt.seat_id == Seat.id)
        .where(Attempt.sitting_id == sitting.id, Seat.code == seat_code)
    ).first()
    if attempt is None:
        raise NotFound(
            f"no candidate sits at seat {seat_code!r} in sitting {sitting.code} "
            f"of room {sitting.room.code}"
        )
    return attempt


@router.post("/api/sittings/{sitting_id}/move")
def move(
    sitting_id: int,
    body: MoveRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> SeatBoardRow:
    """Move a candidate to a free spare seat; the answers so far stay with them.

    The old seat token stops working: the candidate logs in again at the
    spare seat, which is allowed after the room start because they had
    logged in before it.
    """
    sitting = sitting_by_id(session, sitting_id)
    actor = proctor_actor(request, settings, sitting.room)
    reason = _require_reason(body.reason, "moving a candidate")
    if sitting.state == SittingState.ENDED:
        raise Conflict(f"sitting {sitting.code} has ended; nobody moves any more")
    attempt = session.scalars(
        select(Attempt)
        .join(Candidate)
        .where(
            Attempt.sitting_id == sitting.id,
            Candidate.ticket_number == body.ticket_number,
        )
    ).first()
    if attempt is None:
        raise NotFound(
            f"准考证号 {body.ticket_number} has no seat in sitting {sitting.code} "
            f"of room {sitting.room.code}"
        )
    if attempt.state in (SeatState.FINISHED, SeatState.ABSENT):
        raise Conflict(
            f"准考证号 {body.ticket_number} is {attempt.state}; only a candidate "
            "still sitting the exam is moved"
        )
    target = _free_spare_seat(session, sitting, body.to_seat)
    old_seat = attempt.seat.code
    attempt.seat = target
    attempt.token_sha256 = None
    attempt.state = SeatState.NOT_LOGGED_IN
    attempt.state_detail = f"moved from {old_seat}: {reason}"
    audit.record(
        session,
        actor=actor,
        action="seat.move",
        reason=reason,
        detail={
            "sitting_id": sitting.id,
            "ticket_number": body.ticket_number,
            "from_seat": old_seat,
            "to_seat": target.code,
            "answers_kept": len(attempt.responses),
        },
    )
    session.commit()
    logger.info(
        "ticket %s moved from %s to %s in room %s",
        body.ticket_number,
        old_seat,
        target.code,
        sitting.room.code,
    )
    return _board_row(session, target, sitting, attempt)


def _free_spare_seat(session: Session, sitting: Sitting, seat_code: str) -> Seat:
    seat = session.scalars(
        select(Seat).where(Seat.room_id == sitting.room_id, Seat.code == seat_code)
    ).first()
    if seat is None:
        raise NotFound(f"room {sitting.room.code} has no seat {seat_code!r}")
    if not seat.is_spare:
        raise Conflict(
            f"seat {seat_code} is not a spare seat; move candidates to a free "
            "spare seat (S01, S02, ...)"
        )
    taken = session.scalars(
        select(Attempt).where(
            Attempt.sitting_id == sitting.id, Attempt.seat_id == seat.id
        )
    ).first()
    if taken is not None:
        raise Conflict(
            f"spare seat {seat_code} is taken by 准考证号 "
            f"{taken.candidate.ticket_number}; choose another spare seat"
        )
    return seat
