"""Checks of the recording itself: silence, clipping, noise.

These run before any decoding, so an empty or broken recording is flagged
quickly and never given a score it did not earn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scoring_engine.audio import SR

FRAME_LENGTH = 400
"""25 ms analysis window at 16 kHz."""
HOP_LENGTH = 160
"""10 ms hop at 16 kHz."""

SILENCE_DBFS = -45.0
"""Frames quieter than this (RMS, dB full scale) are never speech."""
SPEECH_OVER_FLOOR_DB = 6.0
"""A speech frame is this much louder than the recording's noise floor."""
MIN_SPEECH_S = 0.15
"""Less speech than this, in seconds, means the candidate said nothing."""
CLIP_LEVEL = 0.99
"""Samples at or above this magnitude are taken as clipped."""
MAX_CLIPPED_FRACTION = 0.001
"""More clipped samples than this fraction raises the clipping flag."""
MIN_SNR_DB = 15.0
"""Speech level over noise floor below which the recording is noisy."""


@dataclass(frozen=True)
class SignalReport:
    """What the waveform alone says about a recording."""

    duration_s: float
    speech_s: float
    clipped_fraction: float
    snr_db: float

    def flags(self) -> list[str]:
        """Flags for the result: no_speech, clipping, low_snr."""
        flags = []
        if self.speech_s < MIN_SPEECH_S:
            flags.append("no_speech")
        if self.clipped_fraction > MAX_CLIPPED_FRACTION:
            flags.append("clipping")
        if self.speech_s >= MIN_SPEECH_S and self.snr_db < MIN_SNR_DB:
            flags.append("low_snr")
        return flags


def frame_db(y: np.ndarray) -> np.ndarray:
    """RMS level per 10 ms frame in dB full scale, shape (n_frames,)."""
    if y.size < FRAME_LENGTH:
        y = np.pad(y, (0, FRAME_LENGTH - y.size))
    frames = np.lib.stride_tricks.sliding_window_view(y, FRAME_LENGTH)[::HOP_LENGTH]
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-6))


def check_signal(y: np.ndarray) -> SignalReport:
    """Measure speech time, clipping and signal-to-noise ratio of ``y``.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,), float32
        Samples in [-1, 1] at 16 kHz.

    Notes
    -----
    The noise floor is the 10th percentile of the frame levels, the speech
    level the 95th; their difference is the SNR estimate in dB. Speech
    frames are louder than both :data:`SILENCE_DBFS` and the floor plus
    :data:`SPEECH_OVER_FLOOR_DB`.
    """
    db = frame_db(y)
    floor = float(np.percentile(db, 10))
    speech = (db > SILENCE_DBFS) & (db > floor + SPEECH_OVER_FLOOR_DB)
    return SignalReport(
        duration_s=y.size / SR,
        speech_s=float(speech.sum()) * HOP_LENGTH / SR,
        clipped_fraction=float(np.mean(np.abs(y) >= CLIP_LEVEL)),
        snr_db=float(np.percentile(db, 95)) - floor,
    )
