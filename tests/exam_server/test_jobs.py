"""Scoring jobs in the local process pool, on a real SQLite file database."""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.db import make_engine, make_session_factory, upgrade_database
from exam_server.jobs import JobRunnerError, LocalPoolRunner, make_job_runner
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
    Seat,
    Sitting,
)
from exam_server.settings import Settings
from exam_server.wire import ItemKind, SeatState, SittingState

JOB_WAIT_S = 120.0
"""Longest wait for a job to leave queued/running before a test gives up."""


@dataclass
class ExamFixture:
    """A one-candidate exam with a listen-and-choose and a read-aloud item."""

    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    attempt_id: int
    choose_item_id: int
    read_item_id: int

    def close(self) -> None:
        self.engine.dispose()


def make_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url or f"sqlite:///{data_dir / 'exam.db'}",
        scoring_workers=1,
    )


def seed_exam(settings: Settings) -> ExamFixture:
    """Create the schema and a minimal exam in ``settings``' database."""
    settings.ensure_dirs()
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        exam = Exam(code="T2027", name="test exam", year=2027)
        paper = Paper(exam=exam, code="P1", title="test paper")
        choose = Item(
            paper=paper,
            position=1,
            kind=ItemKind.LISTEN_CHOOSE.value,
            title="listen and choose",
            options=["A", "B", "C"],
            answer_key="B",
            prep_s=2.0,
            answer_s=4.0,
            points=5.0,
        )
        read = Item(
            paper=paper,
            position=2,
            kind=ItemKind.READ_ALOUD.value,
            title="read aloud",
            reference_text="I like to read books in the library.",
            prep_s=2.0,
            answer_s=6.0,
            points=3.0,
        )
        room = Room(code="R01", site="test school", proctor_key_sha256="0" * 64)
        seat = Seat(room=room, code="A01")
        candidate = Candidate(
            exam=exam, ticket_number="270001", name="测试", sex="female"
        )
        sitting = Sitting(
            room=room, paper=paper, code="S1", state=SittingState.STARTED.value
        )
        attempt = Attempt(
            sitting=sitting,
            candidate=candidate,
            seat=seat,
            state=SeatState.IN_EXAM.value,
        )
        session.add_all([choose, read, attempt])
        session.flush()
        ids = (attempt.id, choose.id, read.id)
    return ExamFixture(settings, engine, factory, *ids)


def add_job(
    exam: ExamFixture,
    *,
    item_id: int,
    choice: str | None = None,
    audio: bytes | None = None,
    state: JobState = JobState.QUEUED,
    tries: int = 0,
) -> int:
    """Store a response (a choice or an audio file) with its job; return the id."""
    audio_name = None
    if audio is not None:
        audio_name = f"answer-{item_id}.wav"
        (exam.settings.responses_dir / audio_name).write_bytes(audio)
    with exam.factory() as session, session.begin():
        response = Response(
            attempt_id=exam.attempt_id,
            item_id=item_id,
            sha256="f" * 64,
            choice=choice,
            audio_path=audio_name,
        )
        job = ScoringJob(response=response, state=state.value, tries=tries)
        session.add(job)
        session.flush()
        return job.id


def wait_for_job(exam: ExamFixture, job_id: int) -> ScoringJob:
    """Return the job once it is done or failed (polling the database)."""
    deadline = time.monotonic() + JOB_WAIT_S
    while True:
        with exam.factory() as session:
            job = session.get(ScoringJob, job_id)
            assert job is not None
            if job.state in (JobState.DONE, JobState.FAILED):
                return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.state} after {JOB_WAIT_S} s")
        time.sleep(0.05)


def scores_of(exam: ExamFixture, job_id: int) -> list[Score]:
    with exam.factory() as session:
        job = session.get(ScoringJob, job_id)
        assert job is not None
        return list(
            session.scalars(select(Score).where(Score.response_id == job.response_id))
        )


@pytest.fixture
def exam(tmp_path: Path) -> Iterator[ExamFixture]:
    fixture = seed_exam(make_settings(tmp_path))
    yield fixture
    fixture.close()


@pytest.fixture
def runner(exam: ExamFixture) -> Iterator[LocalPoolRunner]:
    pool = LocalPoolRunner(exam.settings)
    pool.start()
    yield pool
    pool.stop()


def test_a_submitted_choice_is_scored_by_its_key(
    exam: ExamFixture, runner: LocalPoolRunner
) -> None:
    job_id = add_job(exam, item_id=exam.choose_item_id, choice="B")
    runner.submit(job_id)

    job = wait_for_job(exam, job_id)

    assert (job.state, job.tries, job.error) == (JobState.DONE, 1, "")
    (score,) = scores_of(exam, job_id)
    assert (score.scorer, score.score, score.points) == ("choice_key/1", 100.0, 5.0)


def test_a_wrong_choice_scores_zero_points(
    exam: ExamFixture, runner: LocalPoolRunner
) -> None:
    job_id = add_job(exam, item_id=exam.choose_item_id, choice="C")
    runner.submit(job_id)

    assert wait_for_job(exam, job_id).state == JobState.DONE
    (score,) = scores_of(exam, job_id)
    assert (score.score, score.points) == (0.0, 0.0)


def test_start_requeues_jobs_a_crash_left_running_or_queued(
    exam: ExamFixture,
) -> None:
    # A crash left one job running (claimed once) and one never started.
    running = add_job(
        exam,
        item_id=exam.choose_item_id,
        choice="B",
        state=JobState.RUNNING,
        tries=1,
    )
    queued = add_job(exam, item_id=exam.read_item_id, audio=b"not audio at all")

    pool = LocalPoolRunner(exam.settings)
    pool.start()
    try:
        done = wait_for_job(exam, running)
        other = wait_for_job(exam, queued)
    finally:
        pool.stop()

    assert (done.state, done.tries) == (JobState.DONE, 2)  # the try was kept
    assert other.state == JobState.FAILED
    assert len(scores_of(exam, running)) == 1


def test_unreadable_audio_marks_the_job_failed_with_the_reason(
    exam: ExamFixture, runner: LocalPoolRunner
) -> None:
    job_id = add_job(exam, item_id=exam.read_item_id, audio=b"RIFF\x00garbage")
    runner.submit(job_id)

    job = wait_for_job(exam, job_id)

    assert job.state == JobState.FAILED
    assert "cannot read audio file" in job.error
    assert f"answer-{exam.read_item_id}.wav" in job.error
    assert scores_of(exam, job_id) == []


def test_a_choice_item_without_a_choice_fails_with_the_reason(
    exam: ExamFixture, runner: LocalPoolRunner
) -> None:
    job_id = add_job(exam, item_id=exam.choose_item_id, choice=None)
    runner.submit(job_id)

    job = wait_for_job(exam, job_id)

    assert job.state == JobState.FAILED
    assert "holds no choice" in job.error


def test_a_dead_worker_process_is_replaced_and_its_job_run_again(
    exam: ExamFixture, runner: LocalPoolRunner
) -> None:
    first = add_job(exam, item_id=exam.choose_item_id, choice="B")
    runner.submit(first)
    assert wait_for_job(exam, first).state == JobState.DONE

    # Kill every worker process of the pool, as an out-of-memory kill would.
    pool = runner._pool
    assert pool is not None
    for process in list(pool._processes.values()):
        os.kill(process.pid, signal.SIGKILL)
        process.join()

    second = add_job(exam, item_id=exam.read_item_id, audio=b"still not audio")
    runner.submit(second)

    assert wait_for_job(exam, second).state == JobState.FAILED
    assert runner._pool is not pool


def test_submit_before_start_is_refused(exam: ExamFixture) -> None:
    runner = make_job_runner(exam.settings)
    assert isinstance(runner, LocalPoolRunner)
    with pytest.raises(JobRunnerError, match="start"):
        runner.submit(1)


def test_a_worker_process_logs_one_info_line_per_scored_response(
    exam: ExamFixture, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    pool = LocalPoolRunner(exam.settings)
    pool.start()
    try:
        job_id = add_job(exam, item_id=exam.choose_item_id, choice="B")
        pool.submit(job_id)
        assert wait_for_job(exam, job_id).state == JobState.DONE
    finally:
        pool.stop()  # stops the log relay after the last record arrived

    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "exam_server.scoring" and r.levelno == logging.INFO
    ]
    assert len(lines) == 1
    assert "choice_key/1" in lines[0] and "5.0 of 5.0 points" in lines[0]
