"""Fixtures of the exam server tests: databases, a running app, a built exam.

Database tests run on SQLite and on PostgreSQL. The PostgreSQL server is
named by ``EXAM_TEST_POSTGRES_URL`` (the Makefile sets it; CI starts the
server); each test module gets a fresh database, dropped afterwards, and
each test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from exam_server.app import create_app
from exam_server.db import make_engine, make_session_factory, upgrade_database
from exam_server.models import Base
from exam_server.settings import Settings
from tests.exam_server.builders import ADMIN_TOKEN, RecordingRunner

POSTGRES_ENV = "EXAM_TEST_POSTGRES_URL"

DATABASE_KINDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


def postgres_server_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.fail(
            f"{POSTGRES_ENV} is not set: the PostgreSQL tests need a server, e.g. "
            f"{POSTGRES_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test "
            "(`make test` sets it)"
        )
    return url


def _admin_engine(server_url: str) -> Engine:
    return create_engine(server_url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="module")
def fresh_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A new, empty database of the parametrized kind, migrated to head."""
    kind = request.param
    if kind == "sqlite":
        folder = tmp_path_factory.mktemp("sqlite")
        url = f"sqlite:///{folder / 'exam.db'}"
        upgrade_database(url)
        yield url
        return
    server_url = postgres_server_url()
    name = f"exam_test_{uuid.uuid4().hex[:16]}"
    admin = _admin_engine(server_url)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_database(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "fresh_database_url" in metafunc.fixturenames:
        metafunc.parametrize(
            "fresh_database_url", DATABASE_KINDS, indirect=True, scope="module"
        )


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    """The module's database with every table emptied for this test."""
    engine = make_engine(fresh_database_url)
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()
    return fresh_database_url


@pytest.fixture
def session_factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
    )


@pytest.fixture
def runner() -> RecordingRunner:
    return RecordingRunner()


@pytest.fixture
def client(settings: Settings, runner: RecordingRunner) -> Iterator[TestClient]:
    """The real application, lifespan included, over httpx."""
    with TestClient(create_app(settings, job_runner=runner)) as test_client:
        yield test_client
