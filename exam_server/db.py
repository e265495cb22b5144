"""Database engine, sessions and schema upgrades for the exam server.

SQLite (the default, one file in the data folder) runs with foreign keys
enforced, write-ahead logging and a busy timeout so that the seat uploads of
a room can overlap. PostgreSQL is reached with a psycopg 3 URL such as
``postgresql+psycopg://user@host:5432/exams``. The schema is created and
upgraded by the Alembic scripts in ``exam_server/migrations`` only, never by
``create_all``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from exam_server.errors import ServerError

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

SQLITE_BUSY_TIMEOUT_MS = 15_000
"""How long a SQLite writer waits for another one before giving up."""


class DatabaseError(ServerError):
    """The database cannot be reached, or its URL is unusable."""

    status_code = 503


def make_engine(url: str) -> Engine:
    """Return an engine for ``url`` with the pragmas the server relies on."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(
            f"the database URL {url!r} cannot be parsed; use sqlite:///path/exam.db "
            "or postgresql+psycopg://user@host:5432/name"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise DatabaseError(
        f"the database URL {url!r} names {parsed.get_backend_name()!r}; "
        "the server runs on SQLite or PostgreSQL"
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory the routes and jobs use.

    Objects stay readable after commit (``expire_on_commit=False``) so a
    route can build its answer from what it just stored.
    """
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    """Return an Alembic configuration for ``url`` without any ``alembic.ini``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # the URL travels as an attribute: a '%' in a password would otherwise
    # be taken for configparser interpolation
    config.attributes["database_url"] = url
    return config


def upgrade_database(url: str) -> None:
    """Create or upgrade the schema at ``url`` to the newest migration."""
    logger.info("upgrading the database schema to head")
    try:
        command.upgrade(alembic_config(url), "head")
    except OperationalError as exc:
        raise DatabaseError(
            f"the database at {make_url(url).render_as_string()} could not be "
            f"upgraded: {exc.orig}; check that it is running and reachable"
        ) from exc
