"""Command line of the exam server.

``python -m exam_server serve [--host H] [--port P] [--data-dir D]``
    run the server (uvicorn) with settings from the EXAM_* environment;
``python -m exam_server migrate [--data-dir D]``
    create or upgrade the database schema and exit;
``python -m exam_server demo ...``
    build a demonstration exam and run it (see :mod:`exam_server.demo`).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import logging.handlers
import sys
from pathlib import Path

from exam_server.settings import Settings, load_settings

logger = logging.getLogger("exam_server")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Settings, *, verbose: bool = False) -> None:
    """Log to stderr and to ``<data dir>/logs/server.log`` (rotated)."""
    log_dir = settings.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    to_file = logging.handlers.RotatingFileHandler(
        log_dir / "server.log", maxBytes=20 << 20, backupCount=10, encoding="utf-8"
    )
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format=LOG_FORMAT,
        handlers=[logging.StreamHandler(), to_file],
    )


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings()
    changes: dict[str, object] = {}
    if getattr(args, "data_dir", None):
        data_dir = Path(args.data_dir).resolve()
        changes["data_dir"] = data_dir
        if settings.database_url.startswith("sqlite:///") and (
            settings.database_url == f"sqlite:///{settings.data_dir / 'exam.db'}"
        ):
            changes["database_url"] = f"sqlite:///{data_dir / 'exam.db'}"
    if getattr(args, "host", None):
        changes["host"] = args.host
    if getattr(args, "port", None):
        changes["port"] = args.port
    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from exam_server.app import create_app

    settings = _settings(args)
    configure_logging(settings, verbose=args.verbose)
    logger.info("admin token kept in %s", settings.data_dir / "admin_token")
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
    )
    return 0


def migrate(args: argparse.Namespace) -> int:
    from exam_server.db import upgrade_database

    settings = _settings(args)
    configure_logging(settings, verbose=args.verbose)
    upgrade_database(settings.database_url)
    logger.info("database schema is up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "demo":
        from exam_server import demo

        result: int = demo.main(argv[1:])
        return result
    parser = argparse.ArgumentParser(prog="python -m exam_server")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler, help_text in (
        ("serve", serve, "run the exam server"),
        ("migrate", migrate, "create or upgrade the database schema"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--data-dir", help="folder for database, audio, keys")
        command.add_argument("-v", "--verbose", action="store_true")
        command.set_defaults(handler=handler)
        if name == "serve":
            command.add_argument("--host")
            command.add_argument("--port", type=int)
    commands.add_parser("demo", help="build and run a demonstration exam")
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
