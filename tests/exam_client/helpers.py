"""Known-answer inputs shared by the seat program's tests."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from exam_server.wire import ItemKind, ItemOut, PaperOut

SR = 16000


def sine(*, f0: float, duration_s: float, peak: float, sr: int = SR) -> np.ndarray:
    """An int16 sine of ``f0`` Hz with ``peak`` as a fraction of full scale."""
    t = np.arange(round(duration_s * sr)) / sr
    return np.round(peak * 32767 * np.sin(2 * np.pi * f0 * t)).astype(np.int16)


def write_wav(path: Path, y: np.ndarray, *, sr: int = SR) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sr)
        out.writeframes(y.astype("<i2").tobytes())
    return path


def demo_paper(*, prep_s: float = 1.0, answer_s: float = 1.0) -> PaperOut:
    """A four-item paper like the demo's, with item ids 11 to 14."""
    kinds = [
        ItemKind.LISTEN_CHOOSE,
        ItemKind.READ_ALOUD,
        ItemKind.SITUATIONAL,
        ItemKind.TOPIC_TALK,
    ]
    items = [
        ItemOut(
            item_id=10 + position,
            position=position,
            kind=kind,
            title=kind.value,
            instructions="",
            prompt_text="",
            options=["A", "B", "C"] if kind is ItemKind.LISTEN_CHOOSE else [],
            prompt_audio_sha256=None,
            prep_s=prep_s,
            answer_s=answer_s,
            points=5.0,
        )
        for position, kind in enumerate(kinds, start=1)
    ]
    return PaperOut(paper_id=1, code="P1", title="test paper", items=items)
