"""Loading and checking audio for scoring.

Every scorer works on float32 mono samples ``y`` in [-1, 1] at
:data:`SR` (16 kHz), the rate of the pocketsphinx acoustic model.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from scoring_engine.errors import ScoringError

logger = logging.getLogger(__name__)

SR = 16000
"""Sample rate of every scorer, in Hz (the acoustic model's rate)."""

MIN_DURATION_S = 0.1
"""Shortest audio accepted, in seconds: less than ten 10 ms frames."""

MAX_DURATION_S = 600.0
"""Longest audio accepted, in seconds: no exam item runs over 10 minutes."""


def load_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a WAV or FLAC file as float32 mono samples at 16 kHz.

    Parameters
    ----------
    path : str or Path
        The audio file, any sample rate, any number of channels (averaged).

    Returns
    -------
    y : np.ndarray, shape (n_samples,), float32
        Samples in [-1, 1] at :data:`SR`.
    sr : int
        Always :data:`SR`.
    """
    path = Path(path)
    try:
        data, sr_file = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise ScoringError(
            f"cannot read audio file {path}: {exc}; give a readable WAV or FLAC file"
        ) from exc
    y = data.mean(axis=1, dtype=np.float32)
    if sr_file != SR and y.size:
        logger.debug("resampling %s from %s Hz to %s Hz", path, sr_file, SR)
        y = soxr.resample(y, sr_file, SR, quality="HQ").astype(np.float32)
    return y, SR


def check_audio(y: object, *, sr: object) -> np.ndarray:
    """Return ``y`` as float32 mono at 16 kHz or raise :class:`ScoringError`.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,)
        Samples in [-1, 1].
    sr : int
        Must be :data:`SR`; use :func:`load_audio` to resample a file.
    """
    if isinstance(sr, bool) or not isinstance(sr, int | np.integer):
        raise ScoringError(
            f"sr must be an int in Hz, got {sr!r} of type {type(sr).__name__}; "
            f"pass sr={SR}"
        )
    if sr != SR:
        raise ScoringError(
            f"sr must be {SR} Hz, got {sr}; load the file with "
            "scoring_engine.audio.load_audio, which resamples"
        )
    if not isinstance(y, np.ndarray):
        raise ScoringError(
            f"y must be a numpy array of samples, got {type(y).__name__}"
        )
    if y.ndim != 1:
        raise ScoringError(
            f"y must be mono with shape (n_samples,), got shape {y.shape}; "
            "average the channels first"
        )
    duration_s = y.size / SR
    if duration_s < MIN_DURATION_S:
        raise ScoringError(
            f"audio is {duration_s:.3f} s long, shorter than the "
            f"{MIN_DURATION_S} s needed; check the recording"
        )
    if duration_s > MAX_DURATION_S:
        raise ScoringError(
            f"audio is {duration_s:.0f} s long, over the {MAX_DURATION_S:.0f} s "
            "limit; cut it into items"
        )
    y = y.astype(np.float32, copy=False)
    if not np.all(np.isfinite(y)):
        raise ScoringError("audio holds NaN or infinite samples; re-record it")
    return y


def to_pcm16(y: np.ndarray) -> bytes:
    """Samples in [-1, 1] as little-endian 16-bit PCM bytes (clipped)."""
    pcm = np.clip(np.round(y * 32767.0), -32768, 32767).astype("<i2")
    return pcm.tobytes()
