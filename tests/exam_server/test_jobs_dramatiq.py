"""Scoring jobs sent through the real Redis to an in-process Dramatiq worker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import dramatiq
import pytest
from dramatiq.brokers.redis import RedisBroker

from exam_server.jobs import (
    QUEUE_NAME,
    DramatiqRunner,
    declare_scoring_actor,
    make_broker,
    make_job_runner,
)
from exam_server.models import JobState
from scoring_engine.synth import speak_to_wav
from standards.oral import points_from_score
from tests.exam_server.test_jobs import (
    ExamFixture,
    add_job,
    make_settings,
    scores_of,
    seed_exam,
    wait_for_job,
)

pytestmark = pytest.mark.redis

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("EXAM_TEST_REDIS_URL")
    if not url:
        pytest.fail(
            "EXAM_TEST_REDIS_URL is not set; point it at a Redis server for "
            "tests, e.g. redis://127.0.0.1:6379/15 (`make test` sets it)"
        )
    return url


@pytest.fixture
def exam(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ExamFixture]:
    settings = replace(make_settings(tmp_path), redis_url=redis_url)
    # The actor reads its settings from the environment, as a worker does.
    monkeypatch.setenv("EXAM_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EXAM_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("EXAM_REDIS_URL", redis_url)
    fixture = seed_exam(settings)
    yield fixture
    fixture.close()


@dataclass
class Workers:
    """The server's sender and an in-process Dramatiq worker on its broker."""

    sender: DramatiqRunner
    worker: dramatiq.Worker
    broker: RedisBroker

    def drain(self) -> None:
        """Wait until every message sent so far has been handled."""
        self.broker.join(QUEUE_NAME)
        self.worker.join()


@pytest.fixture
def workers(exam: ExamFixture) -> Iterator[Workers]:
    namespace = f"exam_test_{os.getpid()}"
    worker_broker = make_broker(str(exam.settings.redis_url), namespace=namespace)
    worker_broker.flush_all()
    declare_scoring_actor(worker_broker)
    worker = dramatiq.Worker(worker_broker, worker_threads=1)
    worker.start()

    sender = DramatiqRunner(exam.settings, namespace=namespace)
    sender.start()
    try:
        yield Workers(sender, worker, worker_broker)
    finally:
        sender.stop()
        worker.stop()
        worker_broker.flush_all()
        worker_broker.close()


def test_the_factory_picks_dramatiq_when_redis_is_set(exam: ExamFixture) -> None:
    assert isinstance(make_job_runner(exam.settings), DramatiqRunner)


def test_a_dramatiq_worker_scores_a_choice(exam: ExamFixture, workers: Workers) -> None:
    job_id = add_job(exam, item_id=exam.choose_item_id, choice="B")
    workers.sender.submit(job_id)

    job = wait_for_job(exam, job_id)

    assert (job.state, job.tries) == (JobState.DONE, 1)
    (score,) = scores_of(exam, job_id)
    assert (score.scorer, score.points) == ("choice_key/1", 5.0)


def test_a_dramatiq_worker_scores_a_read_aloud_recording(
    exam: ExamFixture, workers: Workers, tmp_path: Path
) -> None:
    wav = speak_to_wav("I like to read books in the library.", tmp_path / "read.wav")
    job_id = add_job(exam, item_id=exam.read_item_id, audio=wav.read_bytes())
    workers.sender.submit(job_id)

    job = wait_for_job(exam, job_id)

    assert job.state == JobState.DONE, job.error
    (score,) = scores_of(exam, job_id)
    assert score.scorer.startswith("read_aloud")
    assert score.score is not None
    assert score.points == points_from_score(score.score, max_points=3.0)
    assert score.detail  # the scorer's evidence is kept for arbitration


def test_a_message_sent_twice_scores_the_response_once(
    exam: ExamFixture, workers: Workers
) -> None:
    job_id = add_job(exam, item_id=exam.choose_item_id, choice="A")
    workers.sender.submit(job_id)
    workers.sender.submit(job_id)

    workers.drain()

    job = wait_for_job(exam, job_id)
    assert (job.state, job.tries) == (JobState.DONE, 1)
    assert len(scores_of(exam, job_id)) == 1


def test_the_worker_module_refuses_to_start_without_a_redis_url() -> None:
    env = {k: v for k, v in os.environ.items() if k != "EXAM_REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "-c", "import exam_server.dramatiq_actors"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "EXAM_REDIS_URL is not set" in result.stderr
