"""Loading, resampling and checking audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from scoring_engine.audio import SR, check_audio, load_audio
from scoring_engine.errors import ScoringError


def test_load_resamples_and_mixes_to_mono(tmp_path: Path) -> None:
    t = np.arange(44100) / 44100
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    sf.write(tmp_path / "stereo.flac", np.stack([tone, tone], axis=1), 44100)
    y, sr = load_audio(tmp_path / "stereo.flac")
    assert sr == SR and y.dtype == np.float32
    assert abs(y.size - SR) <= 2
    spectrum = np.abs(np.fft.rfft(y))
    assert abs(np.argmax(spectrum) * SR / y.size - 440) < 2


def test_unreadable_file_is_a_scoring_error(tmp_path: Path) -> None:
    (tmp_path / "bad.wav").write_bytes(b"not audio")
    with pytest.raises(ScoringError, match="bad.wav"):
        load_audio(tmp_path / "bad.wav")


@pytest.mark.parametrize(
    ("y", "sr", "message"),
    [
        (np.zeros(0, dtype=np.float32), SR, "shorter than"),
        (np.zeros(SR, dtype=np.float32), 16000.0, "must be an int"),
        (np.zeros(SR, dtype=np.float32), 8000, "must be 16000"),
        (np.zeros((SR, 2), dtype=np.float32), SR, "mono"),
        ([0.0] * SR, SR, "numpy array"),
    ],
)
def test_unscorable_input_is_refused(y: object, sr: object, message: str) -> None:
    with pytest.raises(ScoringError, match=message):
        check_audio(y, sr=sr)
