"""Alembic environment of the exam server, configured from code.

:func:`exam_server.db.upgrade_database` passes the database URL in
``config.attributes["database_url"]``; there is no ``alembic.ini``.
"""

from __future__ import annotations

from alembic import context

from exam_server.db import make_engine
from exam_server.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.attributes["database_url"]
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite alters tables by copying them; later revisions rely on it
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError(
        "offline (SQL script) migrations are not supported; "
        "run `python -m exam_server migrate` against a database"
    )
run_migrations_online()
