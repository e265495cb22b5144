"""Fixtures of the seat program's tests: a Qt application, sample speech."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.exam_client.server import LiveExam

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def qapp() -> Iterator[object]:
    from PyQt6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["seat-tests"])
    yield app


@pytest.fixture(scope="session")
def speech_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Answers spoken by espeak-ng, named as a seat's file input expects."""
    from scoring_engine.synth import speak_to_wav

    folder = tmp_path_factory.mktemp("speech")
    texts = {
        "check": "Testing, one, two, three.",
        "item2": "My school is near a small river.",
    }
    for take, text in texts.items():
        speak_to_wav(text, folder / f"{take}.wav", words_per_minute=220)
    return folder


@pytest.fixture(scope="module")
def started_exam(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveExam]:
    """A running server whose sitting has started; seats A01-A10 logged in before.

    A candidate who did not log in before the room start is refused as late,
    so the first ten log in once while the sitting is scheduled.
    """
    from exam_client.api import ServerClient
    from tests.exam_client.server import (
        ServerProcess,
        build_test_exam,
        free_port,
        start_sitting,
    )

    data_dir = tmp_path_factory.mktemp("server")
    info = build_test_exam(data_dir)
    server = ServerProcess(data_dir, free_port()).start()
    try:
        with ServerClient(server.url) as client:
            for candidate in info.candidates[:10]:
                client.login("R01", candidate.seat_code, candidate.ticket_number)
        start_sitting(server.url, info)
        yield LiveExam(url=server.url, info=info, server=server)
    finally:
        server.stop()
