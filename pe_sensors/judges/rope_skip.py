"""One-minute rope-skipping judge: foot lifts from the pose, rope from pixels.

Rule (national student physical fitness standard, test rules for one-minute
rope skipping): one count per turn of the rope passing under the feet; a miss
(the rope stopped by the feet) is not counted, nor is a jump with no rope
passing.

Each foot's height above its recent ground row is followed with a
hysteresis switch; a lift of one foot is a step (alternate-foot skipping), a
lift of both feet together is a jump. A step or jump counts only when the
rope evidence (see :mod:`pe_sensors.pose.rope`) of the band around the feet
or of the band above the head peaks inside it, and each pass counts for
one step or jump only (alternate steps overlap in time). Double-unders (two
turns in one jump) count once per jump, as the source of the labelled clips
counts them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from pe_sensors.errors import JudgeInputError
from pe_sensors.judges.common import Hysteresis, JudgeResult, Refusal, Repetition
from pe_sensors.pose.landmarks import (
    BoolArray,
    FloatArray,
    Landmark,
    PoseSequence,
    distance,
    typical_length,
)

logger = logging.getLogger(__name__)

# Trailing window for a foot's ground row (the lowest it has been), seconds.
GROUND_WINDOW_S = 0.6
# Trailing window for the recent lift amplitude, seconds.
AMPLITUDE_WINDOW_S = 1.0
# A foot is lifted when its height reaches LIFT_ON of the recent amplitude
# (and at least MIN_LIFT_ON torso lengths) and down again at LIFT_OFF.
LIFT_ON = 0.5
LIFT_OFF = 0.25
MIN_LIFT_ON_TORSO = 0.08
MIN_LIFT_OFF_TORSO = 0.04
# Lifts of the two feet overlapping by this share of the shorter one are one
# jump with both feet.
BOTH_FEET_OVERLAP = 0.3
# The rope may pass a little before take-off or after landing, seconds.
ROPE_MARGIN_S = 0.07
# A lift longer than this is no step or jump over a rope (even a triple
# turn keeps the feet up well under it): walking, or feet lost from view.
MAX_SKIP_S = 0.8
# Rope evidence needed: above this floor (share of band pixels) and
# ROPE_PEAK_RATIO times the quiet level around the step or jump, the
# ROPE_QUIET_PERCENTILE-th percentile of the evidence from ROPE_CONTEXT_S
# before take-off to as long after landing. Below the median, because in
# fast or double-under skipping the rope is in a band for much of each turn.
ROPE_MIN_EVIDENCE = 0.002
ROPE_PEAK_RATIO = 3.0
ROPE_QUIET_PERCENTILE = 40.0
ROPE_CONTEXT_S = 0.6


@dataclass(frozen=True)
class Lift:
    """An interval when one foot (or both) was off the ground, seconds."""

    start_s: float
    end_s: float

    def overlap_s(self, other: Lift) -> float:
        """Length of the intersection of two lifts, seconds."""
        return max(0.0, min(self.end_s, other.end_s) - max(self.start_s, other.start_s))


def foot_lifts(
    foot_y: FloatArray, times_s: FloatArray, *, torso_px: float
) -> list[Lift]:
    """Intervals when one foot was lifted, from its image row over time.

    Parameters
    ----------
    foot_y : np.ndarray, shape (n_frames,)
        The foot's image row, pixels (down is positive); NaN where unseen.
    times_s : np.ndarray, shape (n_frames,)
        Frame times, seconds.
    torso_px : float
        Torso length, pixels (the body scale).

    Returns
    -------
    list of Lift
        Lift height is ``ground - foot_y`` with ``ground`` the foot's lowest
        point over the last :data:`GROUND_WINDOW_S`; the switch turns on at
        ``max(LIFT_ON * amplitude, MIN_LIFT_ON_TORSO * torso)`` and off at the
        matching LIFT_OFF level, ``amplitude`` being the highest lift over the
        last :data:`AMPLITUDE_WINDOW_S`. Causal: uses no future frame.
    """
    lifts: list[Lift] = []
    switch = Hysteresis(on=np.inf, off=0.0)
    heights: list[tuple[float, float]] = []
    rows: list[tuple[float, float]] = []
    started = np.nan
    for y, t in zip(foot_y, times_s, strict=True):
        if not np.isfinite(y):
            continue
        rows = [(tt, yy) for tt, yy in rows if t - tt <= GROUND_WINDOW_S]
        rows.append((float(t), float(y)))
        height = max(yy for _, yy in rows) - float(y)
        heights = [(tt, hh) for tt, hh in heights if t - tt <= AMPLITUDE_WINDOW_S]
        heights.append((float(t), height))
        amplitude = max(hh for _, hh in heights)
        switch.on = max(LIFT_ON * amplitude, MIN_LIFT_ON_TORSO * torso_px)
        switch.off = max(LIFT_OFF * amplitude, MIN_LIFT_OFF_TORSO * torso_px)
        was_up = switch.state
        up = switch.update(height)
        if up and not was_up:
            started = float(t)
        elif was_up and not up:
            lifts.append(Lift(start_s=started, end_s=float(t)))
    return lifts


def merge_feet(left: list[Lift], right: list[Lift]) -> list[Lift]:
    """Steps and jumps from the lifts of each foot, in time order.

    Lifts of the two feet that overlap by at least :data:`BOTH_FEET_OVERLAP`
    of the shorter one are one jump spanning both; the rest are steps.
    """
    events = sorted(left + right, key=lambda lift: lift.start_s)
    merged: list[Lift] = []
    for lift in events:
        if merged:
            last = merged[-1]
            shorter = min(last.end_s - last.start_s, lift.end_s - lift.start_s)
            if shorter > 0 and last.overlap_s(lift) >= BOTH_FEET_OVERLAP * shorter:
                merged[-1] = Lift(
                    min(last.start_s, lift.start_s), max(last.end_s, lift.end_s)
                )
                continue
        merged.append(lift)
    return merged


def rope_threshold(
    evidence: FloatArray, times_s: FloatArray, *, start_s: float, end_s: float
) -> float:
    """Evidence level that means "a rope passed" during one step or jump.

    Parameters
    ----------
    evidence : np.ndarray, shape (n_frames,)
        Per-frame rope evidence, NaN where not measured.
    times_s : np.ndarray, shape (n_frames,)
        Frame times, seconds.
    start_s, end_s : float
        Take-off and landing of the step or jump, seconds.

    Returns
    -------
    float
        ``max(ROPE_MIN_EVIDENCE, ROPE_PEAK_RATIO * quiet)``, ``quiet`` being
        the :data:`ROPE_QUIET_PERCENTILE`-th percentile of the evidence from
        :data:`ROPE_CONTEXT_S` before take-off to as long after landing;
        infinite when no frame there has evidence. The rope is in a band
        only part of each turn, so a low percentile of the surrounding
        frames is the local quiet level. A local level
        follows a camera whose floor or lighting changes within the attempt,
        and it rises where legs and a swinging rope stir the band without a
        clear pass (walking off with the rope), where one level for the
        whole attempt would be either too strict or too lenient.
    """
    around = (times_s >= start_s - ROPE_CONTEXT_S) & (times_s <= end_s + ROPE_CONTEXT_S)
    seen = evidence[around & np.isfinite(evidence)]
    if seen.size == 0:
        return np.inf
    return max(
        ROPE_MIN_EVIDENCE,
        ROPE_PEAK_RATIO * float(np.percentile(seen, ROPE_QUIET_PERCENTILE)),
    )


def _rope_passed(
    evidence: FloatArray, times_s: FloatArray, *, lift: Lift, claimed: BoolArray
) -> bool:
    """Whether one band shows a rope pass not yet counted, during a lift.

    The pass is the run of frames at or above the lift's threshold around
    the highest unclaimed frame in the lift's window; its frames are marked
    in ``claimed`` so that two overlapping steps cannot both count it.
    """
    threshold = rope_threshold(
        evidence, times_s, start_s=lift.start_s, end_s=lift.end_s
    )
    inside = (times_s >= lift.start_s - ROPE_MARGIN_S) & (
        times_s <= lift.end_s + ROPE_MARGIN_S
    )
    free = np.where(inside & ~claimed & np.isfinite(evidence), evidence, -np.inf)
    peak = int(np.argmax(free))
    if not free[peak] >= threshold:
        return False
    first = last = peak
    while first > 0 and evidence[first - 1] >= threshold:
        first -= 1
    while last < evidence.size - 1 and evidence[last + 1] >= threshold:
        last += 1
    claimed[first : last + 1] = True
    return True


def _foot_rows(poses: PoseSequence, side: str) -> FloatArray:
    """Mean image row of a foot's ankle, heel and toe, pixels."""
    names = ("ANKLE", "HEEL", "FOOT_INDEX")
    rows = np.stack([poses.point(Landmark[f"{side}_{n}"])[:, 1] for n in names])
    seen = np.isfinite(rows)
    total = np.where(seen, rows, 0.0).sum(axis=0)
    count = seen.sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def judge_rope_skips(poses: PoseSequence, rope_evidence: FloatArray) -> JudgeResult:
    """Count rope skips: every step or jump, counted when the rope passed.

    Parameters
    ----------
    poses : PoseSequence
        Smoothed landmarks of one candidate.
    rope_evidence : np.ndarray, shape (n_frames,) or (n_frames, n_bands)
        Per-frame rope evidence, one column per band searched (around the
        feet, above the head), NaN where not measured.

    Returns
    -------
    JudgeResult
        One repetition per step or jump, from take-off to landing (when it is
        decided); refused with :attr:`Refusal.NOT_A_SKIP` when the feet
        stayed up longer than :data:`MAX_SKIP_S`, and with
        :attr:`Refusal.NO_ROPE_PASSED` when in every
        band the evidence stays below its :func:`rope_threshold` from
        :data:`ROPE_MARGIN_S` before take-off to as long after landing.

    Raises
    ------
    JudgeInputError
        If the evidence does not have one row per frame of ``poses``.
    """
    bands = np.asarray(rope_evidence, dtype=float).reshape(len(rope_evidence), -1)
    if bands.shape[0] != poses.n_frames:
        raise JudgeInputError(
            f"rope evidence has {bands.shape[0]} rows for {poses.n_frames} "
            "frames; measure it on the same frames as the landmarks"
        )
    shoulders = poses.pair_midpoint(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    hips = poses.pair_midpoint(Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
    torso = typical_length(distance(shoulders, hips))
    times = poses.times_s

    # Step 1: when each foot was off the ground, then steps and jumps.
    left = foot_lifts(_foot_rows(poses, "LEFT"), times, torso_px=torso)
    right = foot_lifts(_foot_rows(poses, "RIGHT"), times, torso_px=torso)
    events = merge_feet(left, right)

    # Step 2: did the rope pass during each of them?
    # A pass counts once, for the first step or jump that finds it.
    result = JudgeResult(event="rope_skip")
    claimed = np.zeros(bands.shape, dtype=bool)
    for event in events:
        reason: Refusal | None = None
        if event.end_s - event.start_s > MAX_SKIP_S:
            reason = Refusal.NOT_A_SKIP
        elif not any(
            [
                _rope_passed(band, times, lift=event, claimed=claimed[:, i])
                for i, band in enumerate(bands.T)
            ]
        ):
            reason = Refusal.NO_ROPE_PASSED
        result.repetitions.append(
            Repetition(
                start_s=event.start_s,
                end_s=event.end_s,
                counted=reason is None,
                reason=reason,
            )
        )
    logger.debug("rope skips: %s lifts, %s counted", len(events), result.count)
    return result
