"""The real exam server in a subprocess, with the demo exam and short timings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select

from exam_server.db import make_engine, make_session_factory, upgrade_database
from exam_server.demo import DemoInfo, build_demo, store_prompt_audio
from exam_server.models import Item
from exam_server.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[2]
STARTUP_LIMIT_S = 60.0

# item timings of the test paper: long enough to run every phase, short enough
# for a whole exam in about 15 seconds
TEST_PREP_S = 1.0
TEST_ANSWER_S = {1: 2.0, 2: 3.0, 3: 2.0, 4: 3.0}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings_for(data_dir: Path) -> Settings:
    return load_settings({"EXAM_DATA_DIR": str(data_dir)})


def build_test_exam(data_dir: Path) -> DemoInfo:
    """The demo exam with one-line prompts and 1-3 s item timings."""
    settings = settings_for(data_dir)
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        factory = make_session_factory(engine)
        info = build_demo(factory, settings, fast=True)
        prompt = store_prompt_audio([("en-us", "Listen.")], settings.prompts_dir)
        with factory() as session, session.begin():
            for item in session.scalars(select(Item)):
                item.prep_s = TEST_PREP_S
                item.answer_s = TEST_ANSWER_S[item.position]
                item.prompt_audio_sha256 = prompt
    finally:
        engine.dispose()
    return info


@dataclass
class ServerProcess:
    """``python -m exam_server serve`` on a localhost port."""

    data_dir: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        env = {**os.environ, "EXAM_DATA_DIR": str(self.data_dir)}
        log = (self.data_dir / "server-stdout.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "exam_server",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited early; see {log.name}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {STARTUP_LIMIT_S} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


def start_sitting(server_url: str, info: DemoInfo) -> None:
    """The proctor's room start."""
    reply = httpx.post(
        f"{server_url}/api/sittings/{info.sitting_id}/start",
        json={"reason": "test"},
        headers={"Authorization": f"Bearer {info.proctor_key}"},
        timeout=10.0,
    )
    reply.raise_for_status()


@dataclass
class LiveExam:
    url: str
    info: DemoInfo
    server: ServerProcess

    def ticket(self, seat_code: str) -> str:
        for candidate in self.info.candidates:
            if candidate.seat_code == seat_code:
                return candidate.ticket_number
        raise KeyError(seat_code)
