"""The exam server's FastAPI application.

:func:`create_app` builds it; its lifespan upgrades the database schema,
opens the engine, and starts the scoring job runner (stopping it at
shutdown). Every refusal answers ``{"detail": "<sentence>"}``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from exam_server.db import make_engine, make_session_factory, upgrade_database
from exam_server.errors import ServerError
from exam_server.routes import office, pe, proctor, seat
from exam_server.settings import Settings
from exam_server.timeutil import now_iso
from exam_server.wire import Health

logger = logging.getLogger(__name__)


class JobRunner(Protocol):
    """What the server needs of a scoring job runner."""

    def start(self) -> None: ...

    def submit(self, job_id: int) -> None: ...

    def stop(self) -> None: ...


def create_app(settings: Settings, *, job_runner: JobRunner | None = None) -> FastAPI:
    """Return the server application for ``settings``.

    ``job_runner`` replaces the runner :func:`exam_server.jobs.make_job_runner`
    would make (tests pass one that only records job ids).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.ensure_dirs()
        upgrade_database(settings.database_url)
        engine = make_engine(settings.database_url)
        app.state.session_factory = make_session_factory(engine)
        runner = job_runner if job_runner is not None else _default_runner(settings)
        app.state.job_runner = runner
        runner.start()
        logger.info("exam server ready (data in %s)", settings.data_dir)
        try:
            yield
        finally:
            runner.stop()
            engine.dispose()
            logger.info("exam server stopped")

    app = FastAPI(title="Exam server", lifespan=lifespan)
    app.state.settings = settings
    app.add_exception_handler(ServerError, _server_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(seat.router)
    app.include_router(proctor.router)
    app.include_router(office.router)
    app.include_router(pe.router)
    _include_proctor_page(app)

    @app.get("/api/health")
    def health() -> Health:
        """Answers while the server runs."""
        return Health(status="ok", server_time=now_iso())

    return app


def _default_runner(settings: Settings) -> JobRunner:
    from exam_server.jobs import make_job_runner

    runner: JobRunner = make_job_runner(settings)
    return runner


def _include_proctor_page(app: FastAPI) -> None:
    try:
        proctor_page = importlib.import_module("exam_server.proctor_page")
    except ModuleNotFoundError as exc:
        if exc.name != "exam_server.proctor_page":
            raise
        logger.warning("no proctor page module; serving the API only")
        return
    app.include_router(proctor_page.router)


async def _server_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ServerError):
        raise exc
    if exc.status_code >= 500:
        logger.error("%s", exc.message)
    return JSONResponse(
        {"detail": exc.message, **exc.extra},
        status_code=exc.status_code,
        headers={"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None,
    )


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
        problems.append(f"{where or 'the request'}: {error.get('msg', 'invalid')}")
    return JSONResponse(
        {"detail": "the request is malformed: " + "; ".join(problems)},
        status_code=422,
    )
