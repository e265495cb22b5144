"""The proctor page, served by the real demo server, driven in Chromium."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from exam_server import demo

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_S = 120.0
"""Longest wait for the demo server to answer (building the demo included)."""

UI_WAIT_MS = 15_000
"""Longest wait for the page to show a change (it polls every second)."""


@dataclass
class DemoServer:
    base_url: str
    data_dir: Path
    proctor_key: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_demo_server(data_dir: Path, port: int) -> Iterator[DemoServer]:
    """``python -m exam_server demo --fast`` in a subprocess, stopped on exit.

    The demo in ``data_dir`` is built on the first start and reused after.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("EXAM_DATABASE_URL", "DATABASE_URL", "EXAM_REDIS_URL")
    }
    log_path = data_dir / "server.log"
    log = log_path.open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "exam_server", "demo", "--fast"]
        + ["--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, process, log_path)
        key = (data_dir / demo.PROCTOR_KEY_FILE).read_text(encoding="ascii").strip()
        yield DemoServer(base_url, data_dir, key)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo server on a free port, for the whole module."""
    with running_demo_server(tmp_path_factory.mktemp("proctor"), free_port()) as up:
        yield up


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the demo server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"the demo server did not answer:\n{log.read_text()}")


def test_the_page_its_files_and_labels_are_served(server: DemoServer) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        page = client.get("/proctor")
        assert page.status_code == 200
        assert 'src="/static/proctor.js"' in page.text
        assert client.get("/static/proctor.css").status_code == 200
        assert client.get("/static/../app.py").status_code == 404
        assert client.get("/static/secret.key").status_code == 404
        labels = client.get("/proctor/labels.json").json()
    assert labels["seat_states"]["logged_in"] == {"zh": "已登录", "en": "logged in"}
    assert labels["sitting_states"]["started"]["en"] == "started"


@pytest.mark.browser
def test_a_proctor_watches_a_seat_log_in_and_starts_the_room(
    server: DemoServer,
) -> None:
    from playwright.sync_api import Dialog, expect, sync_playwright

    first = demo.make_candidates(demo.N_CANDIDATES, seed=demo.RANDOM_SEED)[0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{server.base_url}/proctor?room=R01")

            # Log in with the form; a wrong key is refused with a banner.
            page.fill("#key-input", "not-the-key")
            page.click("#login button[type=submit]")
            expect(page.locator("#banner")).to_contain_text("Login refused")
            page.fill("#room-input", "R01")
            page.fill("#key-input", server.proctor_key)
            page.click("#login button[type=submit]")

            # 30 exam seats and 3 spares, each with its state.
            tiles = page.locator(".tile[data-seat]")
            expect(tiles).to_have_count(33, timeout=UI_WAIT_MS)
            expect(page.locator("#login")).to_be_hidden()
            expect(page.locator("#banner")).to_be_hidden()
            a01 = page.locator('.tile[data-seat="A01"]')
            expect(a01).to_have_attribute("data-state", "not_logged_in")
            expect(a01).to_contain_text(first.name)
            expect(page.locator('.tile[data-seat="S03"]')).to_have_attribute(
                "data-state", "empty"
            )

            # A seat logs in over HTTP; the page shows it without a reload.
            login = httpx.post(
                f"{server.base_url}/api/seat/login",
                json={
                    "room_code": "R01",
                    "seat_code": "A01",
                    "ticket_number": first.ticket_number,
                },
            )
            assert login.status_code == 200, login.text
            expect(a01).to_have_attribute("data-state", "logged_in", timeout=UI_WAIT_MS)
            expect(a01).to_contain_text("已登录")

            # Start the room, answering the reason prompt and the confirmation.
            dialogs: list[str] = []

            def answer(dialog: Dialog) -> None:
                dialogs.append(dialog.type)
                dialog.accept()

            page.on("dialog", answer)
            expect(page.locator("#sitting")).to_have_attribute(
                "data-state", "scheduled"
            )
            page.click("#start-button")
            expect(page.locator("#sitting")).to_have_attribute(
                "data-state", "started", timeout=UI_WAIT_MS
            )
            assert dialogs == ["prompt", "confirm"]
            expect(page.locator("#start-button")).to_be_disabled()
            expect(page.locator("#end-button")).to_be_enabled()
            if os.environ.get("PROCTOR_SCREENSHOT"):
                page.screenshot(path=os.environ["PROCTOR_SCREENSHOT"], full_page=True)
            assert re.search(r"/proctor\?room=R01$", page.url)
        finally:
            browser.close()
