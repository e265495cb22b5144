"""Running scoring jobs: a local process pool, or Dramatiq workers on Redis.

The server calls :func:`make_job_runner` once and uses three methods of the
runner it returns: ``start()`` when it starts, ``submit(job_id)`` after it
commits a new :class:`~exam_server.models.ScoringJob`, and ``stop()`` at
shutdown. Either way the job's state lives in the database, and a worker
claims a job with one conditional UPDATE before scoring it
(:func:`exam_server.scoring.claim_job`), so a job handed out twice (a
requeue after a crash, a message Redis delivers again) is scored once.

Local pool (the default)
    :class:`LocalPoolRunner` keeps ``EXAM_SCORING_WORKERS`` processes
    (started by a fork server, never forked from the threaded server). A
    worker process that dies is replaced and its jobs are submitted again;
    a job whose worker died :data:`MAX_TRIES` times is marked failed.

Dramatiq (when ``EXAM_REDIS_URL`` is set)
    :class:`DramatiqRunner` only sends messages to the Redis broker; the
    scoring runs in Dramatiq worker processes, on this machine or others.
    Start them with the same ``EXAM_*`` environment as the server (the
    database URL, and a data folder whose ``responses/`` holds the same
    recordings, for example a network share)::

        EXAM_REDIS_URL=redis://host:6379/0 \\
        EXAM_DATABASE_URL=postgresql+psycopg://exam@host/exam \\
        EXAM_DATA_DIR=/srv/exam \\
        python -m dramatiq exam_server.dramatiq_actors --processes 2

    The module :mod:`exam_server.dramatiq_actors` configures its broker from
    ``EXAM_REDIS_URL`` when imported, as the Dramatiq command needs.
"""

from __future__ import annotations

import logging
import logging.handlers
import multiprocessing
import multiprocessing.queues
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, Protocol

from exam_server.scoring import (
    job_tries,
    mark_job_failed,
    requeue_job,
    requeue_unfinished,
    run_scoring_job,
)
from exam_server.settings import Settings, load_settings
from standards.errors import PlatformError

if TYPE_CHECKING:
    LogQueue = multiprocessing.queues.Queue[logging.LogRecord]
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

logger = logging.getLogger(__name__)

MAX_TRIES = 3
"""Claims of one job before a worker death on it marks it failed."""

QUEUE_NAME = "exam_scoring"
"""The Dramatiq queue of scoring jobs."""

ACTOR_NAME = "score_response"
"""The Dramatiq actor that runs one scoring job."""

NAMESPACE = "exam_server"
"""Prefix of the platform's keys in Redis."""


class JobRunnerError(PlatformError):
    """A job runner used out of order (submit before start, after stop)."""


class JobRunner(Protocol):
    """What the server needs of a job runner."""

    def start(self) -> None:
        """Get ready to run jobs and submit those a crash left unfinished."""

    def submit(self, job_id: int) -> None:
        """Have job ``job_id`` (committed, state queued) run soon."""

    def stop(self) -> None:
        """Stop taking jobs; unfinished ones stay queued for the next start."""


def make_job_runner(settings: Settings) -> JobRunner:
    """Return a Dramatiq runner when ``settings.redis_url`` is set, else a pool."""
    if settings.redis_url:
        return DramatiqRunner(settings)
    return LocalPoolRunner(settings)


class LocalPoolRunner:
    """Scoring jobs in a pool of ``settings.scoring_workers`` local processes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._stopping = False
        self._context = multiprocessing.get_context("forkserver")
        self._log_queue: LogQueue | None = None
        self._log_listener: logging.handlers.QueueListener | None = None

    def start(self) -> None:
        with self._lock:
            if self._pool is not None:
                raise JobRunnerError(
                    "the scoring pool is already started; call stop() first"
                )
            self._stopping = False
            self._start_log_relay()
            self._pool = self._new_pool()
        job_ids = requeue_unfinished(self.settings)
        if job_ids:
            logger.info("requeued %s unfinished scoring jobs", len(job_ids))
        for job_id in job_ids:
            self.submit(job_id)

    def submit(self, job_id: int) -> None:
        with self._lock:
            pool = self._pool
            if pool is None or self._stopping:
                raise JobRunnerError(
                    f"cannot submit scoring job {job_id}: the scoring pool is not "
                    "running; start() it first (the job stays queued in the "
                    "database and runs at the next start)"
                )
            try:
                future = pool.submit(run_scoring_job, self.settings, job_id)
            except BrokenProcessPool:
                pool = self._replace_pool(pool)
                future = pool.submit(run_scoring_job, self.settings, job_id)
        future.add_done_callback(lambda f: self._on_done(job_id, pool, f))
        logger.debug("submitted scoring job %s to the local pool", job_id)

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            self._stopping = True
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if self._log_listener is not None:
            self._log_listener.stop()
            self._log_listener = None

    def _start_log_relay(self) -> None:
        """Pass the workers' log records to this process's handlers."""
        log_queue: LogQueue = self._context.Queue()
        self._log_queue = log_queue
        self._log_listener = logging.handlers.QueueListener(log_queue, _RelayHandler())
        self._log_listener.start()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.settings.scoring_workers,
            mp_context=self._context,
            initializer=_log_to_queue,
            initargs=(self._log_queue, logging.getLogger().getEffectiveLevel()),
        )

    def _replace_pool(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """Swap a broken pool for a new one (the caller holds the lock)."""
        if self._pool is broken:
            logger.warning("a scoring worker process died; starting a new pool")
            broken.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
        if self._pool is None:
            raise JobRunnerError("the scoring pool was stopped")
        return self._pool

    def _on_done(
        self, job_id: int, pool: ProcessPoolExecutor, future: Future[Any]
    ) -> None:
        """Handle a job whose worker died or that raised unexpectedly."""
        if future.cancelled():
            return  # stop() cancelled it; it stays queued in the database
        exc = future.exception()
        if exc is None:
            return
        if isinstance(exc, BrokenProcessPool):
            self._after_worker_death(job_id, pool)
            return
        logger.error(
            "scoring job %s raised unexpectedly; marking it failed",
            job_id,
            exc_info=exc,
        )
        mark_job_failed(self.settings, job_id, f"{type(exc).__name__}: {exc}")

    def _after_worker_death(self, job_id: int, pool: ProcessPoolExecutor) -> None:
        tries = job_tries(self.settings, job_id)
        if tries >= MAX_TRIES:
            mark_job_failed(
                self.settings,
                job_id,
                f"the scoring worker process died {tries} times on this "
                "response; check the recording and the scorer's log",
            )
            logger.error(
                "scoring job %s failed: its worker died %s times", job_id, tries
            )
            return
        requeue_job(self.settings, job_id)
        with self._lock:
            if self._stopping or self._pool is None:
                return  # stays queued in the database for the next start
            self._replace_pool(pool)
        logger.warning("requeued scoring job %s after its worker died", job_id)
        self.submit(job_id)


class _RelayHandler(logging.Handler):
    """Hands a worker's record to the logger of the same name here."""

    def emit(self, record: logging.LogRecord) -> None:
        logging.getLogger(record.name).handle(record)


def _log_to_queue(log_queue: LogQueue | None, level: int) -> None:
    """Pool worker start-up: send every log record to the server process."""
    if log_queue is None:
        return
    root = logging.getLogger()
    root.handlers[:] = [logging.handlers.QueueHandler(log_queue)]
    root.setLevel(level)


class DramatiqRunner:
    """Scoring jobs sent to Dramatiq workers through a Redis broker."""

    def __init__(self, settings: Settings, *, namespace: str = NAMESPACE) -> None:
        if not settings.redis_url:
            raise JobRunnerError(
                "the Dramatiq runner needs a Redis URL; set EXAM_REDIS_URL or "
                "use the local pool"
            )
        self.settings = settings
        self.namespace = namespace
        self._broker: RedisBroker | None = None

    def start(self) -> None:
        if self._broker is not None:
            raise JobRunnerError("the Dramatiq runner is already started")
        self._broker = make_broker(
            str(self.settings.redis_url), namespace=self.namespace
        )
        self._broker.declare_queue(QUEUE_NAME)
        job_ids = requeue_unfinished(self.settings)
        if job_ids:
            logger.info("requeued %s unfinished scoring jobs to Redis", len(job_ids))
        for job_id in job_ids:
            self.submit(job_id)

    def submit(self, job_id: int) -> None:
        import dramatiq
        from redis.exceptions import RedisError

        if self._broker is None:
            raise JobRunnerError(
                f"cannot submit scoring job {job_id}: the Dramatiq runner is not "
                "started; start() it first"
            )
        message: dramatiq.Message[None] = dramatiq.Message(
            queue_name=QUEUE_NAME,
            actor_name=ACTOR_NAME,
            args=(job_id,),
            kwargs={},
            options={},
        )
        try:
            self._broker.enqueue(message)
        except RedisError as exc:
            raise JobRunnerError(
                f"cannot send scoring job {job_id} to Redis: {exc}; the job "
                "stays queued in the database and is sent again when the "
                "server restarts"
            ) from exc
        logger.debug("sent scoring job %s to Redis", job_id)

    def stop(self) -> None:
        broker, self._broker = self._broker, None
        if broker is not None:
            broker.close()


def make_broker(redis_url: str, *, namespace: str = NAMESPACE) -> RedisBroker:
    """Return a Dramatiq Redis broker for ``redis_url``."""
    from dramatiq.brokers.redis import RedisBroker

    return RedisBroker(url=redis_url, namespace=namespace)


def declare_scoring_actor(broker: RedisBroker) -> dramatiq.Actor[[int], None]:
    """Declare the scoring actor on ``broker`` (in every Dramatiq worker)."""
    import dramatiq

    decorate = dramatiq.actor(
        broker=broker,
        actor_name=ACTOR_NAME,
        queue_name=QUEUE_NAME,
        max_retries=0,  # the database job, not the message, is retried
    )
    return decorate(score_response)


def score_response(job_id: int) -> None:
    """Run scoring job ``job_id`` with settings from the environment.

    The Dramatiq actor's body. An unexpected error marks the job failed with
    its text, so the exam office sees it among the results.
    """
    settings = load_settings()
    try:
        run_scoring_job(settings, job_id)
    except Exception as exc:  # the job boundary: record any failure on the job
        logger.exception("scoring job %s raised unexpectedly", job_id)
        mark_job_failed(settings, job_id, f"{type(exc).__name__}: {exc}")
