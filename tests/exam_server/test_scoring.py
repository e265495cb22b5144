"""Claiming and scoring one job, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from exam_server.models import JobState, ScoringJob
from exam_server.scoring import CLAIM_LEASE_S, claim_job, run_scoring_job
from scoring_engine.synth import speak_to_wav
from standards.oral import points_from_score
from tests.exam_server.test_jobs import (
    ExamFixture,
    add_job,
    make_settings,
    scores_of,
    seed_exam,
)


@pytest.fixture
def exam(tmp_path: Path) -> Iterator[ExamFixture]:
    fixture = seed_exam(make_settings(tmp_path))
    yield fixture
    fixture.close()


def job_row(exam: ExamFixture, job_id: int) -> ScoringJob:
    with exam.factory() as session:
        job = session.get(ScoringJob, job_id)
        assert job is not None
        return job


def test_a_finished_job_is_not_scored_again(exam: ExamFixture) -> None:
    job_id = add_job(exam, item_id=exam.choose_item_id, choice="b")

    first = run_scoring_job(exam.settings, job_id)
    second = run_scoring_job(exam.settings, job_id)

    assert (first, second) == (JobState.DONE, None)
    (score,) = scores_of(exam, job_id)
    assert score.points == 5.0  # a lower-case choice matches the key B
    assert score.detail == {"choice": "b", "key": "B", "correct": True}


def test_a_running_job_is_left_alone_until_its_lease_runs_out(
    exam: ExamFixture,
) -> None:
    job_id = add_job(
        exam, item_id=exam.choose_item_id, choice="B", state=JobState.RUNNING
    )
    soon = datetime.now(UTC) + timedelta(seconds=CLAIM_LEASE_S / 2)
    late = datetime.now(UTC) + timedelta(seconds=CLAIM_LEASE_S + 60)

    with exam.factory() as session, session.begin():
        assert not claim_job(session, job_id, now=soon)
    with exam.factory() as session, session.begin():
        assert claim_job(session, job_id, now=late)

    assert (job_row(exam, job_id).state, job_row(exam, job_id).tries) == (
        JobState.RUNNING,
        1,
    )


def test_a_missing_recording_fails_with_the_reason(exam: ExamFixture) -> None:
    job_id = add_job(exam, item_id=exam.read_item_id)

    assert run_scoring_job(exam.settings, job_id) == JobState.FAILED
    assert "holds no recording" in job_row(exam, job_id).error


def test_a_read_aloud_recording_gets_points_from_its_score(
    exam: ExamFixture, tmp_path: Path
) -> None:
    wav = speak_to_wav("I like to read books in the library.", tmp_path / "r.wav")
    job_id = add_job(exam, item_id=exam.read_item_id, audio=wav.read_bytes())

    state = run_scoring_job(exam.settings, job_id)

    assert state == JobState.DONE, job_row(exam, job_id).error
    (score,) = scores_of(exam, job_id)
    assert score.score is not None and 0.0 <= score.score <= 100.0
    assert score.points == points_from_score(score.score, max_points=3.0)
    assert "/" in score.scorer  # name/version of the scorer


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    base = os.environ.get("EXAM_TEST_POSTGRES_URL")
    if not base:
        pytest.fail(
            "EXAM_TEST_POSTGRES_URL is not set; point it at a PostgreSQL server "
            "for tests, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test "
            "(`make test` sets it)"
        )
    name = f"exam_scoring_claim_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.postgres
def test_two_workers_claiming_one_job_on_postgres_one_wins(
    tmp_path: Path, postgres_url: str
) -> None:
    exam = seed_exam(make_settings(tmp_path, postgres_url))
    job_id = add_job(exam, item_id=exam.choose_item_id, choice="B")
    outcomes: dict[str, bool] = {}

    # The first worker claims and holds its transaction open ...
    first = exam.factory()
    first.begin()
    outcomes["first"] = claim_job(first, job_id)

    # ... while the second one tries; PostgreSQL makes it wait for the row.
    def second_worker() -> None:
        with exam.factory() as session, session.begin():
            outcomes["second"] = claim_job(session, job_id)

    thread = threading.Thread(target=second_worker)
    thread.start()
    first.commit()
    first.close()
    thread.join()
    job = job_row(exam, job_id)
    exam.close()

    assert outcomes == {"first": True, "second": False}
    assert (job.state, job.tries) == (JobState.RUNNING, 1)
