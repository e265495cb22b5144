"""Points of attempts and of whole exams, from the newest score of each response.

An item's points are those of the newest :class:`~exam_server.models.Score`
of its response. An attempt's total exists once every item of its paper has
points; after the room end an item never answered counts 0, so a candidate
who skipped an item still gets a total.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from exam_server.models import (
    Attempt,
    Candidate,
    Exam,
    Item,
    Paper,
    Response,
    Room,
    Score,
    Sitting,
)
from exam_server.wire import ItemKind, ItemResult, ResultRow, SittingState


@dataclass(frozen=True)
class CurrentScore:
    points: float
    score: float | None


def current_sitting(session: Session, room: Room) -> Sitting | None:
    """Return the room's sitting that is running, else the next, else the last."""
    sittings = list(
        session.scalars(
            select(Sitting).where(Sitting.room_id == room.id).order_by(Sitting.id)
        )
    )
    for state in (SittingState.STARTED, SittingState.SCHEDULED):
        for sitting in sittings:
            if sitting.state == state:
                return sitting
    return sittings[-1] if sittings else None


def newest_scores(
    session: Session, response_ids: Iterable[int]
) -> dict[int, CurrentScore]:
    """Return the newest score of each response that has one, by response id."""
    ids = list(response_ids)
    if not ids:
        return {}
    newest: dict[int, CurrentScore] = {}
    rows = session.execute(
        select(Score.response_id, Score.points, Score.score)
        .where(Score.response_id.in_(ids))
        .order_by(Score.created_at, Score.id)
    )
    for response_id, points, score in rows:
        newest[response_id] = CurrentScore(points=points, score=score)
    return newest


def item_results(
    items: list[Item],
    responses: list[Response],
    scores: dict[int, CurrentScore],
    *,
    sitting_ended: bool,
) -> list[ItemResult]:
    """Return each item's result; unanswered items count 0 once the sitting ended."""
    by_item = {response.item_id: response for response in responses}
    results = []
    for item in items:
        response = by_item.get(item.id)
        current = None if response is None else scores.get(response.id)
        if current is not None:
            points: float | None = current.points
            score = current.score
        else:
            points = 0.0 if response is None and sitting_ended else None
            score = None
        results.append(
            ItemResult(
                position=item.position,
                kind=ItemKind(item.kind),
                points=points,
                max_points=item.points,
                score=score,
            )
        )
    return results


def total_points(results: list[ItemResult]) -> float | None:
    """Return the sum of the items' points, or None while any item lacks points."""
    if not results or any(result.points is None for result in results):
        return None
    return round(sum(result.points or 0.0 for result in results), 4)


def attempt_results(session: Session, attempt: Attempt) -> list[ItemResult]:
    """Return the item results of one attempt."""
    scores = newest_scores(session, (r.id for r in attempt.responses))
    return item_results(
        attempt.sitting.paper.items,
        attempt.responses,
        scores,
        sitting_ended=attempt.sitting.state == SittingState.ENDED,
    )


def exam_results(session: Session, exam: Exam) -> list[ResultRow]:
    """Return one row per candidate of ``exam``, by ticket number.

    A candidate with several attempts (a re-sit) is reported by the newest.
    """
    candidates = list(
        session.scalars(
            select(Candidate)
            .where(Candidate.exam_id == exam.id)
            .order_by(Candidate.ticket_number)
        )
    )
    attempts = session.scalars(
        select(Attempt)
        .join(Candidate)
        .where(Candidate.exam_id == exam.id)
        .order_by(Attempt.id)
        .options(
            selectinload(Attempt.responses),
            selectinload(Attempt.sitting)
            .selectinload(Sitting.paper)
            .selectinload(Paper.items),
        )
    )
    newest_attempt = {attempt.candidate_id: attempt for attempt in attempts}
    scores = newest_scores(
        session,
        (r.id for a in newest_attempt.values() for r in a.responses),
    )
    rows = []
    for candidate in candidates:
        attempt = newest_attempt.get(candidate.id)
        results: list[ItemResult] = []
        if attempt is not None:
            results = item_results(
                attempt.sitting.paper.items,
                attempt.responses,
                scores,
                sitting_ended=attempt.sitting.state == SittingState.ENDED,
            )
        rows.append(
            ResultRow(
                ticket_number=candidate.ticket_number,
                name=candidate.name,
                sex=candidate.sex,
                school=candidate.school,
                status=candidate.status,
                items=results,
                total=total_points(results),
            )
        )
    return rows
