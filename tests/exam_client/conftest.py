"""Fixtures of the seat program's tests: a Qt application, sample speech."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
        "item3": "I usually walk to school.",
        "item4": "I like reading books about science.",
    }
    for take, text in texts.items():
        speak_to_wav(text, folder / f"{take}.wav", words_per_minute=220)
    return folder
