"""One-minute sit-up judge (girls), a state machine over trunk and elbows.

Rule (national student physical fitness standard, test rules for the
one-minute sit-up): lying on the mat, knees bent about 90 degrees, fingers
interlaced behind the head; a repetition counts when both elbows touch or
pass the knees; the next one starts only after both shoulder blades touch
the mat; hands leaving the head or the hips bouncing do not count; a
repetition unfinished when the minute ends does not count.

The camera looks from the side. The mat is the line from the hips to the
heels (both rest on it), so the trunk's rise is the angle between that line
and hip-to-shoulder, whatever the camera's tilt. From a side view the far
elbow is hidden, so "both elbows" is judged on the one seen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

import numpy as np

from pe_sensors.judges.common import Hysteresis, JudgeResult, Refusal, Repetition
from pe_sensors.pose.landmarks import (
    FloatArray,
    Landmark,
    PoseSequence,
    distance,
    joint_angle_deg,
    typical_length,
)

logger = logging.getLogger(__name__)

# Trunk rise from the mat, degrees: at or below ON_MAT the shoulder blades
# are down (lying with the head on the hands leaves about 15 degrees), at or
# above OFF_MAT a sit-up has begun.
ON_MAT_DEG = 25.0
OFF_MAT_DEG = 35.0
# Elbow position along the hip-to-knee line (0 at the hip, 1 at the knee):
# at or above REACH the elbow touches the knee (joint centres stay about a
# limb's thickness apart when skin touches), at or below RELEASE it has left.
REACH_KNEE = 0.75
RELEASE_KNEE = 0.5
# A seen wrist farther than this many torso lengths from the ear midpoint for
# HANDS_OFF_S seconds has left the head.
HANDS_OFF_TORSO = 0.8
HANDS_OFF_S = 0.2
# Rise of the hips above their resting row, in torso lengths, that is a bounce.
HIP_BOUNCE_TORSO = 0.25
TIME_LIMIT_S = 60.0
# A rise and fall of the trunk shorter than this is jitter, not an attempt.
MIN_ATTEMPT_S = 0.3


class SitupState(Enum):
    """Where the candidate is in the sit-up cycle."""

    # Nothing seen yet.
    UNKNOWN = "unknown"
    # Shoulder blades on the mat: ready for a repetition.
    ON_MAT = "on_mat"
    # Trunk rising, elbows not yet at the knees.
    RISING = "rising"
    # Elbows reached the knees; waiting for the shoulders to go back down.
    UP = "up"
    # Elbows left the knees, shoulders not yet on the mat: reaching the knees
    # again from here is a repetition without the shoulders down.
    LEANING_BACK = "leaning_back"


@dataclass(frozen=True)
class SitupSignals:
    """Per-frame quantities the sit-up judge reads, shape (n_frames,) each."""

    trunk_deg: FloatArray
    elbow_along_thigh: FloatArray
    hands_off: FloatArray  # 1.0 off, 0.0 on, NaN unseen
    hip_rise: FloatArray  # torso lengths above the hips' resting row


def situp_signals(poses: PoseSequence) -> SitupSignals:
    """Trunk rise, elbow-to-knee progress, hand and hip checks per frame."""
    shoulders = poses.pair_midpoint(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    hips = poses.pair_midpoint(Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
    knees = poses.pair_midpoint(Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE)
    heels = poses.pair_midpoint(Landmark.LEFT_HEEL, Landmark.RIGHT_HEEL)
    ankles = poses.pair_midpoint(Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE)
    heels = np.where(np.isfinite(heels), heels, ankles)
    elbows = poses.pair_midpoint(Landmark.LEFT_ELBOW, Landmark.RIGHT_ELBOW)
    ears = poses.pair_midpoint(
        Landmark.LEFT_EAR, Landmark.RIGHT_EAR, min_visibility=0.0
    )
    torso = typical_length(distance(shoulders, hips))

    # Step 1: trunk rise against the mat line (hips to heels).
    trunk = 180.0 - joint_angle_deg(shoulders, hips, heels)

    # Step 2: elbow projected on the hip-to-knee line.
    thigh = knees - hips
    with np.errstate(invalid="ignore", divide="ignore"):
        along = np.sum((elbows - hips) * thigh, axis=1) / np.sum(thigh * thigh, axis=1)

    # Step 3: each seen wrist's distance from the head.
    off = np.full(poses.n_frames, np.nan)
    for wrist in (Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST):
        gap = distance(poses.point(wrist), ears) / torso
        far = np.where(np.isfinite(gap), (gap > HANDS_OFF_TORSO).astype(float), np.nan)
        off = np.where(np.isfinite(far), np.fmax(np.nan_to_num(off, nan=0.0), far), off)

    # Step 4: hips above their usual row (image y grows downwards).
    resting = np.nanmedian(hips[:, 1]) if np.isfinite(hips[:, 1]).any() else np.nan
    rise = (resting - hips[:, 1]) / torso
    return SitupSignals(
        trunk_deg=trunk, elbow_along_thigh=along, hands_off=off, hip_rise=rise
    )


@dataclass
class _Rep:
    """What the judge has noted about the repetition under way."""

    start_s: float
    after_mat: bool
    # The rule broken when it did not start from the mat.
    missing_mat: Refusal = Refusal.SHOULDERS_NOT_ON_MAT
    hands_off_since: float = np.nan
    hands_off: bool = False
    hips_bounced: bool = False


def judge_situps(
    poses: PoseSequence,
    *,
    test_start_s: float | None = None,
    time_limit_s: float = TIME_LIMIT_S,
) -> JudgeResult:
    """Count sit-ups and refuse invalid ones.

    Parameters
    ----------
    poses : PoseSequence
        Smoothed landmarks of one candidate, seen from the side.
    test_start_s : float, optional
        Video time of the start signal; by default the first frame.
    time_limit_s : float
        Length of the test, seconds (60 by the standard).

    Returns
    -------
    JudgeResult
        A repetition runs from the trunk leaving the mat to the elbows
        reaching the knees (when it is decided), or to the trunk falling back
        without reaching them.
    """
    s = situp_signals(poses)
    times = poses.times_s
    deadline = (times[0] if test_start_s is None else test_start_s) + time_limit_s
    on_mat = Hysteresis(on=ON_MAT_DEG, off=OFF_MAT_DEG)
    reach = Hysteresis(on=REACH_KNEE, off=RELEASE_KNEE)
    state = SitupState.UNKNOWN
    rep: _Rep | None = None
    leaned_back_s = np.nan
    result = JudgeResult(event="situp")

    for i in range(poses.n_frames):
        trunk = float(s.trunk_deg[i])
        if not np.isfinite(trunk):
            continue
        t = float(times[i])
        down = on_mat.update(trunk)
        reached = reach.update(float(s.elbow_along_thigh[i]))
        if rep is not None:
            _observe(rep, s, i, t)

        if state is SitupState.UNKNOWN:
            if down:
                state = SitupState.ON_MAT
            elif trunk >= OFF_MAT_DEG:
                rep = _Rep(
                    start_s=t, after_mat=False, missing_mat=Refusal.NO_START_ON_MAT
                )
                state = SitupState.RISING
        elif state is SitupState.ON_MAT and not down:
            rep = _Rep(start_s=t, after_mat=True)
            state = SitupState.RISING
        elif state is SitupState.RISING and rep is not None:
            if reached:
                result.repetitions.append(_finish(rep, end_s=t, deadline_s=deadline))
                rep = None
                state = SitupState.UP
            elif down:
                # A twitch of the trunk shorter than MIN_ATTEMPT_S is noise.
                if t - rep.start_s >= MIN_ATTEMPT_S:
                    result.repetitions.append(
                        Repetition(rep.start_s, t, False, Refusal.ELBOWS_SHORT_OF_KNEES)
                    )
                rep = None
                state = SitupState.ON_MAT
        elif state is SitupState.UP:
            if down:
                state = SitupState.ON_MAT
            elif not reached:
                state = SitupState.LEANING_BACK
                leaned_back_s = t
        elif state is SitupState.LEANING_BACK:
            if down:
                state = SitupState.ON_MAT
            elif reached:
                result.repetitions.append(
                    Repetition(leaned_back_s, t, False, Refusal.SHOULDERS_NOT_ON_MAT)
                )
                state = SitupState.UP
    logger.debug("sit-ups: %s repetitions seen", len(result.repetitions))
    return result


def _observe(rep: _Rep, s: SitupSignals, i: int, t: float) -> None:
    """Note hands leaving the head and hips rising during a repetition."""
    off = s.hands_off[i]
    if off == 1.0:
        if np.isnan(rep.hands_off_since):
            rep.hands_off_since = t
        if t - rep.hands_off_since >= HANDS_OFF_S:
            rep.hands_off = True
    elif off == 0.0:
        rep.hands_off_since = np.nan
    if s.hip_rise[i] > HIP_BOUNCE_TORSO:
        rep.hips_bounced = True


def _finish(rep: _Rep, *, end_s: float, deadline_s: float) -> Repetition:
    """Decide a repetition whose elbows reached the knees."""
    reason: Refusal | None = None
    if not rep.after_mat:
        reason = rep.missing_mat
    elif end_s > deadline_s:
        reason = Refusal.AFTER_TIME_LIMIT
    elif rep.hands_off:
        reason = Refusal.HANDS_OFF_HEAD
    elif rep.hips_bounced:
        reason = Refusal.HIPS_BOUNCED
    return Repetition(rep.start_s, end_s, reason is None, reason)
