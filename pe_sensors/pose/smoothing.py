"""Causal smoothing of landmark tracks with the One Euro filter.

The One Euro filter (Casiez, Roussel and Vogel, "1 Euro filter: a simple
speed-based low-pass filter for noisy input in interactive systems", CHI 2012)
is a first-order low-pass filter whose cutoff rises with the signal's speed:
still landmarks are smoothed hard (jitter removed), fast ones lightly (little
lag). It is causal, so a live judge sees exactly what an offline one sees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pe_sensors.pose.landmarks import FloatArray, PoseSequence


@dataclass(frozen=True)
class OneEuroSettings:
    """Parameters of the One Euro filter.

    ``min_cutoff_hz`` is the cutoff for a still landmark; ``beta`` adds
    ``beta * speed`` to it, speed in frame heights per second; ``d_cutoff_hz``
    smooths the speed estimate itself.
    """

    min_cutoff_hz: float = 2.0
    beta: float = 4.0
    d_cutoff_hz: float = 1.0


def _alpha(*, cutoff_hz: float, dt_s: float) -> float:
    """Smoothing factor of an exponential filter with the given cutoff."""
    tau = 1.0 / (2.0 * math.pi * cutoff_hz)
    return 1.0 / (1.0 + tau / dt_s)


def one_euro(
    values: FloatArray, times_s: FloatArray, *, settings: OneEuroSettings
) -> FloatArray:
    """Filter many independent tracks at once, causally.

    Parameters
    ----------
    values : np.ndarray, shape (n_frames, n_tracks)
        Samples, NaN where missing. A gap restarts the filter so that a
        person reappearing elsewhere is not dragged from the old position.
    times_s : np.ndarray, shape (n_frames,)
        Sample times, seconds, increasing.
    settings : OneEuroSettings
        Filter parameters.

    Returns
    -------
    np.ndarray, shape (n_frames, n_tracks)
        ``x_hat[i] = x_hat[i-1] + alpha(fc) * (x[i] - x_hat[i-1])`` with
        ``fc = min_cutoff + beta * |dx_hat|``; NaN where the input is NaN.
    """
    out = np.full_like(values, np.nan)
    previous = np.full(values.shape[1], np.nan)
    speed = np.zeros(values.shape[1])
    last_time = np.nan
    for i in range(values.shape[0]):
        x = values[i]
        dt_s = times_s[i] - last_time if np.isfinite(last_time) else np.nan
        restart = ~np.isfinite(previous) | ~np.isfinite(x)
        if np.isfinite(dt_s) and dt_s > 0:
            a_d = _alpha(cutoff_hz=settings.d_cutoff_hz, dt_s=dt_s)
            raw_speed = np.where(restart, 0.0, (x - previous) / dt_s)
            speed = np.where(restart, 0.0, speed + a_d * (raw_speed - speed))
            cutoff = settings.min_cutoff_hz + settings.beta * np.abs(speed)
            tau = 1.0 / (2.0 * math.pi * cutoff)
            a = 1.0 / (1.0 + tau / dt_s)
            filtered = np.where(restart, x, previous + a * (x - previous))
        else:
            filtered = x.copy()
            speed = np.zeros_like(speed)
        out[i] = filtered
        previous = filtered
        last_time = times_s[i]
    return out


def smooth_sequence(
    sequence: PoseSequence, *, settings: OneEuroSettings | None = None
) -> PoseSequence:
    """The sequence with every landmark coordinate One-Euro filtered.

    Coordinates are filtered in units of the frame height so that the
    filter's ``beta`` means the same at every resolution.
    """
    settings = settings or OneEuroSettings()
    height = float(sequence.frame_size[1])
    flat = sequence.xy.reshape(sequence.n_frames, -1) / height
    filtered = one_euro(flat, sequence.times_s, settings=settings) * height
    return PoseSequence(
        times_s=sequence.times_s,
        xy=filtered.reshape(sequence.xy.shape),
        visibility=sequence.visibility,
        frame_size=sequence.frame_size,
    )
