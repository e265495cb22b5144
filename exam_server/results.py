"""Points of attempts and of whole exams, from the newest score of each response.

An item's points are those of the newest :class:`~exam_server.models.Score`
of its response. An attempt's total exists once every item of its paper has
points; after the room end an item never answered counts 0, so a candidate
who skipped an item still gets a total.

An answer needs a person's review when its scoring job failed (it then has
no points, so the total waits for the reviewer) or when the scorer flagged
it (no speech, clipping, another text read...: its machine points stand
until a reviewer replaces them). A reviewer's score is the newest row, so
it overrides the machine.
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
    JobState,
    Paper,
    Response,
    Room,
    Score,
    ScoringJob,
    Sitting,
)
from exam_server.wire import (
    ItemKind,
    ItemResult,
    ResultRow,
    ScoringState,
    SittingState,
)

HUMAN_SCORER = "human/1"
"""The scorer name of points given by a reviewer."""


@dataclass(frozen=True)
class CurrentScore:
    points: float
    score: float | None
    scorer: str = ""
    flags: tuple[str, ...] = ()
    note: str = ""  # a reviewer's reason


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
        select(Score.response_id, Score.points, Score.score, Score.scorer, Score.detail)
        .where(Score.response_id.in_(ids))
        .order_by(Score.created_at, Score.id)
    )
    for response_id, points, score, scorer, detail in rows:
        flags = detail.get("flags", []) if isinstance(detail, dict) else []
        note = detail.get("reason", "") if isinstance(detail, dict) else ""
        newest[response_id] = CurrentScore(
            points=points,
            score=score,
            scorer=scorer,
            flags=tuple(str(flag) for flag in flags),
            note=str(note) if scorer == HUMAN_SCORER else "",
        )
    return newest


def failed_jobs(session: Session, response_ids: Iterable[int]) -> dict[int, str]:
    """Return the error of each response whose scoring job failed, by response id."""
    ids = list(response_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(ScoringJob.response_id, ScoringJob.error).where(
            ScoringJob.response_id.in_(ids),
            ScoringJob.state == JobState.FAILED.value,
        )
    )
    return {response_id: error for response_id, error in rows}


def item_results(
    items: list[Item],
    responses: list[Response],
    scores: dict[int, CurrentScore],
    *,
    sitting_ended: bool,
    failures: dict[int, str] | None = None,
) -> list[ItemResult]:
    """Return each item's result; unanswered items count 0 once the sitting ended."""
    by_item = {response.item_id: response for response in responses}
    failures = failures or {}
    return [
        _item_result(item, by_item.get(item.id), scores, failures, sitting_ended)
        for item in items
    ]


def _item_result(
    item: Item,
    response: Response | None,
    scores: dict[int, CurrentScore],
    failures: dict[int, str],
    sitting_ended: bool,
) -> ItemResult:
    result = ItemResult(
        position=item.position,
        kind=ItemKind(item.kind),
        points=None,
        max_points=item.points,
        score=None,
    )
    if response is None:
        result.state = ScoringState.UNANSWERED
        result.points = 0.0 if sitting_ended else None
        return result
    result.response_id = response.id
    current = scores.get(response.id)
    if current is None:
        if response.id in failures:
            result.state = ScoringState.NEEDS_REVIEW
            result.review_reason = failures[response.id]
        return result
    result.points = current.points
    result.score = current.score
    result.flags = list(current.flags)
    if current.scorer == HUMAN_SCORER:
        result.state = ScoringState.REVIEWED
        result.review_reason = current.note
    elif current.flags:
        result.state = ScoringState.NEEDS_REVIEW
        result.review_reason = "flagged by the scorer: " + ", ".join(current.flags)
    else:
        result.state = ScoringState.SCORED
    return result


def total_points(results: list[ItemResult]) -> float | None:
    """Return the sum of the items' points, or None while any item lacks points."""
    if not results or any(result.points is None for result in results):
        return None
    return round(sum(result.points or 0.0 for result in results), 4)


def attempt_results(session: Session, attempt: Attempt) -> list[ItemResult]:
    """Return the item results of one attempt."""
    response_ids = [r.id for r in attempt.responses]
    return item_results(
        attempt.sitting.paper.items,
        attempt.responses,
        newest_scores(session, response_ids),
        sitting_ended=attempt.sitting.state == SittingState.ENDED,
        failures=failed_jobs(session, response_ids),
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
    response_ids = [r.id for a in newest_attempt.values() for r in a.responses]
    scores = newest_scores(session, response_ids)
    failures = failed_jobs(session, response_ids)
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
                failures=failures,
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
