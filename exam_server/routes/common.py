"""Lookups and conversions that several route modules share."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.errors import NotFound
from exam_server.models import Attempt, Exam, Room, Sitting
from exam_server.timeutil import iso
from exam_server.wire import SittingInfo, SittingState


def sitting_info(sitting: Sitting) -> SittingInfo:
    return SittingInfo(
        sitting_id=sitting.id,
        code=sitting.code,
        room_code=sitting.room.code,
        state=SittingState(sitting.state),
        paper_id=sitting.paper_id,
        started_at=iso(sitting.started_at),
        ended_at=iso(sitting.ended_at),
    )


def answered_item_ids(attempt: Attempt) -> list[int]:
    """Return the ids of the items the server holds an answer for, in paper order."""
    answered = {response.item_id for response in attempt.responses}
    return [item.id for item in attempt.sitting.paper.items if item.id in answered]


def room_by_code(session: Session, room_code: str) -> Room:
    room = session.scalars(select(Room).where(Room.code == room_code)).first()
    if room is None:
        raise NotFound(
            f"there is no room {room_code!r}; check the room code on the door sign"
        )
    return room


def sitting_by_id(session: Session, sitting_id: int) -> Sitting:
    sitting = session.get(Sitting, sitting_id)
    if sitting is None:
        raise NotFound(f"there is no sitting with id {sitting_id}")
    return sitting


def exam_by_code(session: Session, exam_code: str) -> Exam:
    exam = session.scalars(select(Exam).where(Exam.code == exam_code)).first()
    if exam is None:
        raise NotFound(f"there is no exam {exam_code!r}; check the exam code")
    return exam
