"""The command line: `migrate` builds the schema, `serve` answers over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from exam_server.__main__ import main
from tests.exam_server.builders import ADMIN_TOKEN

REPO = Path(__file__).resolve().parents[2]


def _environ(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXAM_")}
    env.pop("DATABASE_URL", None)
    env["EXAM_DATA_DIR"] = str(data_dir)
    env["EXAM_ADMIN_TOKEN"] = ADMIN_TOKEN
    return env


def test_migrate_creates_the_schema_in_the_data_folder(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "exam_server", "migrate", "--data-dir", str(tmp_path)],
        cwd=REPO,
        env=_environ(tmp_path / "unused"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "exam.db") as connection:
        version = connection.execute("SELECT version_num FROM alembic_version")
        assert version.fetchall() == [(_head_revision(),)]
    assert (tmp_path / "logs" / "server.log").is_file()


def _head_revision() -> str:
    from alembic.script import ScriptDirectory

    from exam_server.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def test_an_unknown_command_is_refused() -> None:
    try:
        main(["bake"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("argparse accepted an unknown command")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_answers_over_http_and_stops_cleanly(tmp_path: Path) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "exam_server",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
        ],
        cwd=REPO,
        env=_environ(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        health = None
        for _ in range(300):  # bounded wait for start-up, about 30 s at most
            if server.poll() is not None:
                break
            try:
                health = httpx.get(f"{base}/api/health", timeout=1.0)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None, "the server did not come up"
        assert health.json()["status"] == "ok"
        missing = httpx.get(
            f"{base}/api/exams/NONE/results",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert missing.status_code == 404
        refused = httpx.get(f"{base}/api/exams/NONE/results")
        assert refused.status_code == 401
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=60)
    # uvicorn finishes its shutdown, then re-raises the signal it caught
    assert server.returncode in (0, -signal.SIGTERM), stderr
    assert "exam server stopped" in stderr
