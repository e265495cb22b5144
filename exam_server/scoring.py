"""Scoring one response: the work a scoring job does in a worker process.

A job goes through the states of :class:`exam_server.models.JobState`. The
database row is the truth, not the queue: a worker first *claims* the job
with one conditional UPDATE (queued to running, or a running job whose
worker went silent longer than :data:`CLAIM_LEASE_S`), so two workers
handed the same job never score it twice. The slow part, loading audio and
running the scorer, holds no database transaction; the result is written
with a second conditional UPDATE that only succeeds for the claim that is
still current.

Scorers by item kind:

=================  ====================================================
item kind          scorer
=================  ====================================================
``listen_choose``  the answer key: full points when the choice equals it
``read_aloud``     :func:`scoring_engine.read_aloud.score_read_aloud`
``situational``    :func:`scoring_engine.open_answer.score_open_answer`
``topic_talk``     :func:`scoring_engine.open_answer.score_open_answer`
=================  ====================================================

A 0-100 score becomes points with :func:`standards.oral.points_from_score`.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from exam_server.models import Item, JobState, Response, Score, ScoringJob
from exam_server.settings import Settings
from exam_server.wire import ItemKind
from standards.errors import PlatformError

logger = logging.getLogger(__name__)

CHOICE_SCORER = "choice_key/1"
"""Name/version of the answer-key scorer of listen-and-choose items."""

CLAIM_LEASE_S = 15 * 60.0
"""Seconds after which a running job counts as abandoned and may be claimed.

Scoring one answer of at most a few minutes takes seconds; a job still
running after this long lost its worker (a Dramatiq worker killed while the
server stayed up, whose message Redis then delivers again).
"""


class ScoringJobError(PlatformError):
    """A response that cannot be scored: missing audio, answer or key."""


@dataclass
class _Work:
    """What a claimed job needs, read in one short transaction."""

    job_id: int
    tries: int
    response_id: int
    kind: str
    max_points: float
    choice: str | None
    answer_key: str | None
    audio_path: Path | None
    reference_text: str
    reference_answers: list[str] = field(default_factory=list)
    key_points: list[str] = field(default_factory=list)


@dataclass
class _Verdict:
    scorer: str
    score: float | None
    points: float
    detail: dict[str, Any]


def run_scoring_job(settings: Settings, job_id: int) -> JobState | None:
    """Score the response of scoring job ``job_id`` and record the outcome.

    Claims the job, scores its response, then stores a :class:`Score` and
    marks the job done; an input the scorer refuses marks it failed with the
    reason. Runs in a worker process (the local pool or a Dramatiq worker).

    Parameters
    ----------
    settings : Settings
        Where the database and the recorded answers are.
    job_id : int
        The :class:`ScoringJob` to run.

    Returns
    -------
    JobState or None
        The job's new state, or None when another worker holds the job or it
        is already finished (nothing was done).

    Raises
    ------
    Exception
        Anything unexpected (a bug, a database outage) propagates; the
        caller marks the job failed with :func:`mark_job_failed`.
    """
    factory = _session_factory(settings.database_url)

    # Claim the job; a job another worker holds is left alone.
    work = _claim(factory, job_id)
    if work is None:
        logger.debug("scoring job %s is not queued; another worker has it", job_id)
        return None

    # Score without holding a transaction open.
    try:
        verdict = _score(settings, work)
    except PlatformError as exc:
        _finish_failed(factory, work, str(exc))
        logger.warning(
            "scoring job %s (response %s) failed: %s", job_id, work.response_id, exc
        )
        return JobState.FAILED

    # Store the score, provided our claim is still the current one.
    if not _finish_done(factory, work, verdict):
        logger.warning(
            "scoring job %s was claimed again while it ran; result dropped", job_id
        )
        return None
    logger.info(
        "scored response %s (%s) with %s: score %s, %s of %s points",
        work.response_id,
        work.kind,
        verdict.scorer,
        "-" if verdict.score is None else f"{verdict.score:.1f}",
        verdict.points,
        work.max_points,
    )
    return JobState.DONE


def claim_job(session: Session, job_id: int, *, now: datetime | None = None) -> bool:
    """Take job ``job_id`` for this worker in one atomic UPDATE.

    The row changes only if it is queued, or running with its last change
    older than :data:`CLAIM_LEASE_S`; the database serialises the two
    competing UPDATEs, so exactly one caller sees a changed row. Counts a
    try. The caller commits.

    Returns
    -------
    bool
        True when this caller now holds the job.
    """
    now = now or datetime.now(UTC)
    stale = now - timedelta(seconds=CLAIM_LEASE_S)
    result = session.execute(
        update(ScoringJob)
        .where(ScoringJob.id == job_id)
        .where(
            or_(
                ScoringJob.state == JobState.QUEUED.value,
                (ScoringJob.state == JobState.RUNNING.value)
                & (ScoringJob.updated_at < stale),
            )
        )
        .values(
            state=JobState.RUNNING.value,
            tries=ScoringJob.tries + 1,
            error="",
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def mark_job_failed(settings: Settings, job_id: int, error: str) -> None:
    """Mark job ``job_id`` failed with ``error``, unless it is already done."""
    factory = _session_factory(settings.database_url)
    with factory() as session, session.begin():
        session.execute(
            update(ScoringJob)
            .where(ScoringJob.id == job_id)
            .where(ScoringJob.state != JobState.DONE.value)
            .values(
                state=JobState.FAILED.value,
                error=error,
                updated_at=datetime.now(UTC),
            )
            .execution_options(synchronize_session=False)
        )


def requeue_unfinished(settings: Settings) -> list[int]:
    """Put running jobs back to queued and return the ids of all queued jobs.

    Used when a job runner starts: jobs left queued or running by a crash or
    a shutdown are run again. Their tries are kept.
    """
    factory = _session_factory(settings.database_url)
    with factory() as session, session.begin():
        session.execute(
            update(ScoringJob)
            .where(ScoringJob.state == JobState.RUNNING.value)
            .values(state=JobState.QUEUED.value, updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
        ids = session.scalars(
            select(ScoringJob.id)
            .where(ScoringJob.state == JobState.QUEUED.value)
            .order_by(ScoringJob.id)
        ).all()
    return list(ids)


def requeue_job(settings: Settings, job_id: int) -> bool:
    """Put one running job back to queued (its worker died); True if it was."""
    factory = _session_factory(settings.database_url)
    with factory() as session, session.begin():
        result = session.execute(
            update(ScoringJob)
            .where(ScoringJob.id == job_id)
            .where(ScoringJob.state == JobState.RUNNING.value)
            .values(state=JobState.QUEUED.value, updated_at=datetime.now(UTC))
            .execution_options(synchronize_session=False)
        )
    return bool(getattr(result, "rowcount", 0) == 1)


def job_tries(settings: Settings, job_id: int) -> int:
    """Return how many times job ``job_id`` was claimed (0 if it is unknown)."""
    factory = _session_factory(settings.database_url)
    with factory() as session:
        tries = session.scalar(select(ScoringJob.tries).where(ScoringJob.id == job_id))
    return int(tries or 0)


@functools.cache
def _session_factory(database_url: str) -> sessionmaker[Session]:
    """One engine per database and process (a worker runs many jobs)."""
    from exam_server.db import make_engine, make_session_factory

    engine: Engine = make_engine(database_url)
    return make_session_factory(engine)


def _claim(factory: sessionmaker[Session], job_id: int) -> _Work | None:
    with factory() as session, session.begin():
        if not claim_job(session, job_id):
            return None
        job = session.get(ScoringJob, job_id)
        if job is None:  # claimed rows exist; kept for the type checker
            return None
        response: Response = job.response
        item: Item = response.item
        audio_path = None
        if response.audio_path:
            audio_path = Path(response.audio_path)
        return _Work(
            job_id=job.id,
            tries=job.tries,
            response_id=response.id,
            kind=item.kind,
            max_points=item.points,
            choice=response.choice,
            answer_key=item.answer_key,
            audio_path=audio_path,
            reference_text=item.reference_text,
            reference_answers=[str(a) for a in item.reference_answers],
            key_points=[str(p) for p in item.key_points],
        )


def _score(settings: Settings, work: _Work) -> _Verdict:
    """Run the scorer that fits the item kind."""
    if work.kind == ItemKind.LISTEN_CHOOSE:
        return _score_choice(work)
    if work.kind not in (
        ItemKind.READ_ALOUD,
        ItemKind.SITUATIONAL,
        ItemKind.TOPIC_TALK,
    ):
        raise ScoringJobError(
            f"response {work.response_id} answers an item of kind {work.kind!r}, "
            "which no scorer handles; fix the paper's item kind"
        )
    return _score_spoken(settings, work)


def _score_choice(work: _Work) -> _Verdict:
    if not work.answer_key:
        raise ScoringJobError(
            f"the item answered by response {work.response_id} has no answer "
            "key; add the key to the paper and score the response again"
        )
    if work.choice is None:
        raise ScoringJobError(
            f"response {work.response_id} holds no choice for a "
            "listen-and-choose item; the seat must upload the choice"
        )
    correct = work.choice.strip().upper() == work.answer_key.strip().upper()
    return _Verdict(
        scorer=CHOICE_SCORER,
        score=100.0 if correct else 0.0,
        points=work.max_points if correct else 0.0,
        detail={"choice": work.choice, "key": work.answer_key, "correct": correct},
    )


def _score_spoken(settings: Settings, work: _Work) -> _Verdict:
    # Heavy imports (recogniser, numpy) only in the processes that score.
    from scoring_engine.audio import load_audio
    from standards.oral import points_from_score

    if work.audio_path is None:
        raise ScoringJobError(
            f"response {work.response_id} to a {work.kind} item holds no "
            "recording; the seat must upload the audio"
        )
    path = settings.responses_dir / work.audio_path
    y, sr = load_audio(path)

    result = _run_scorer(work, y, sr)
    score = float(result.overall)
    return _Verdict(
        scorer=str(result.scorer),
        score=score,
        points=float(points_from_score(score, max_points=work.max_points)),
        detail=dict(result.to_dict()),
    )


def _run_scorer(work: _Work, y: Any, sr: int) -> Any:
    """Return the scorer's result (``overall``, ``scorer``, ``to_dict()``)."""
    if work.kind == ItemKind.READ_ALOUD:
        from scoring_engine.read_aloud import score_read_aloud

        return score_read_aloud(y, sr=sr, text=work.reference_text)
    from scoring_engine.open_answer import score_open_answer

    return score_open_answer(
        y,
        sr=sr,
        reference_answers=work.reference_answers,
        key_points=work.key_points,
    )


def _finish_done(
    factory: sessionmaker[Session], work: _Work, verdict: _Verdict
) -> bool:
    with factory() as session, session.begin():
        if not _release(session, work, JobState.DONE, ""):
            return False
        session.add(
            Score(
                response_id=work.response_id,
                scorer=verdict.scorer,
                score=verdict.score,
                points=verdict.points,
                detail=verdict.detail,
            )
        )
    return True


def _finish_failed(factory: sessionmaker[Session], work: _Work, error: str) -> None:
    with factory() as session, session.begin():
        _release(session, work, JobState.FAILED, error)


def _release(session: Session, work: _Work, state: JobState, error: str) -> bool:
    """Move our claimed job to ``state`` if no later claim replaced ours."""
    result = session.execute(
        update(ScoringJob)
        .where(ScoringJob.id == work.job_id)
        .where(ScoringJob.state == JobState.RUNNING.value)
        .where(ScoringJob.tries == work.tries)
        .values(state=state.value, error=error, updated_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)
