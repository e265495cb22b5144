"""Pull-up judge (boys), as a state machine over elbow angle and chin height.

Rule (national student physical fitness standard, test rules for pull-ups):
overhand grip, start from a still straight-arm hang; a repetition counts when
the chin rises above the bar and the body returns to a straight-arm hang;
kicking, swinging (kipping) or restarting from bent arms do not count.

The bar is taken at the height of the wrists (the hands hold it) unless the
caller gives the bar's image row. The chin is not a BlazePose landmark: it is
placed below the mouth by :data:`CHIN_BELOW_MOUTH` times the nose-to-mouth
distance (the nose-to-mouth and mouth-to-chin spans of a face are about 1:2).
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
    joint_angle_deg,
    typical_length,
)

logger = logging.getLogger(__name__)

# Elbow angle at or above which the arms count as straight, and at or below
# which a pull has begun (hysteresis between the two; degrees).
STRAIGHT_ELBOW_DEG = 155.0
BENT_ELBOW_DEG = 140.0
# A hang must last this long to be a still starting position, seconds.
STILL_HANG_S = 0.15
CHIN_BELOW_MOUTH = 2.0
# After the chin has been over the bar, a drop of the chin by this many torso
# lengths below the bar followed by a new rise is a bent-arm restart.
RESTART_DROP_TORSO = 0.3
# Sideways travel of the hips during a repetition, in torso lengths, above
# which the body swung.
SWING_TORSO = 0.35
# Drop of the knee angle or of the hip angle (thigh against trunk) from the
# starting hang, degrees, above which the legs kicked.
KICK_KNEE_DEG = 50.0
KICK_HIP_DEG = 45.0


class PullupState(Enum):
    """Where the candidate is in the pull-up cycle."""

    # No straight-arm hang seen yet (start of the attempt).
    WAITING = "waiting"
    # Hanging with straight arms: ready to pull.
    HANG = "hang"
    # Elbows bent: a repetition is under way.
    PULLING = "pulling"


@dataclass
class _Rep:
    """What the judge has noted about the repetition under way."""

    start_s: float
    from_hang: bool
    hip_x0: float
    knee0: float
    hip_angle0: float
    chin_over: bool = False
    lowest_after_top: float = -np.inf
    hip_x_min: float = np.inf
    hip_x_max: float = -np.inf
    knee_min: float = np.inf
    hip_angle_min: float = np.inf


@dataclass(frozen=True)
class PullupSignals:
    """Per-frame quantities the pull-up judge reads, shape (n_frames,) each."""

    elbow_deg: FloatArray
    chin_over_bar_px: FloatArray  # bar row minus chin row: > 0 is over
    hip_x: FloatArray
    knee_deg: FloatArray
    hip_deg: FloatArray
    torso_px: float


def pullup_signals(
    poses: PoseSequence, *, bar_y_px: float | None = None
) -> PullupSignals:
    """Elbow angle, chin height over the bar and leg posture per frame."""
    p = poses.point
    left_elbow = joint_angle_deg(
        p(Landmark.LEFT_SHOULDER), p(Landmark.LEFT_ELBOW), p(Landmark.LEFT_WRIST)
    )
    right_elbow = joint_angle_deg(
        p(Landmark.RIGHT_SHOULDER), p(Landmark.RIGHT_ELBOW), p(Landmark.RIGHT_WRIST)
    )
    elbow = np.nanmean(np.stack([left_elbow, right_elbow]), axis=0)

    nose = poses.xy[:, Landmark.NOSE, 1]
    mouth = poses.pair_midpoint(
        Landmark.MOUTH_LEFT, Landmark.MOUTH_RIGHT, min_visibility=0.0
    )
    chin = mouth[:, 1] + CHIN_BELOW_MOUTH * (mouth[:, 1] - nose)
    if bar_y_px is None:
        bar = poses.pair_midpoint(Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST)[:, 1]
    else:
        bar = np.full(poses.n_frames, bar_y_px)

    shoulders = poses.pair_midpoint(Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    hips = poses.pair_midpoint(Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
    knees = poses.pair_midpoint(Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE)
    ankles = poses.pair_midpoint(Landmark.LEFT_ANKLE, Landmark.RIGHT_ANKLE)
    torso = typical_length(np.linalg.norm(shoulders - hips, axis=1))
    return PullupSignals(
        elbow_deg=elbow,
        chin_over_bar_px=bar - chin,
        hip_x=hips[:, 0],
        knee_deg=joint_angle_deg(hips, knees, ankles),
        hip_deg=joint_angle_deg(shoulders, hips, knees),
        torso_px=torso,
    )


def judge_pullups(poses: PoseSequence, *, bar_y_px: float | None = None) -> JudgeResult:
    """Count pull-ups and refuse invalid ones.

    Parameters
    ----------
    poses : PoseSequence
        Smoothed landmarks of one candidate.
    bar_y_px : float, optional
        Image row of the bar's top, pixels; by default the wrists' row.

    Returns
    -------
    JudgeResult
        A repetition ends (and is decided) when the arms are straight again:
        counted if the chin rose above the bar, the pull began from a
        straight-arm hang, and neither swinging nor kicking was seen.
    """
    s = pullup_signals(poses, bar_y_px=bar_y_px)
    times = poses.times_s
    straight = Hysteresis(on=STRAIGHT_ELBOW_DEG, off=BENT_ELBOW_DEG)
    state = PullupState.WAITING
    hang_since = np.nan
    rep: _Rep | None = None
    result = JudgeResult(event="pullup")
    # A pull already under way when the video starts has no hang before it.
    first = np.flatnonzero(np.isfinite(s.elbow_deg))
    if first.size and s.elbow_deg[first[0]] < BENT_ELBOW_DEG:
        rep = _start(s, first[0], times, from_hang=False)
        state = PullupState.PULLING

    for i in range(poses.n_frames):
        if not np.isfinite(s.elbow_deg[i]):
            continue
        arms_straight = straight.update(float(s.elbow_deg[i]))
        if state is PullupState.WAITING:
            if arms_straight:
                hang_since = times[i] if np.isnan(hang_since) else hang_since
                if times[i] - hang_since >= STILL_HANG_S:
                    state = PullupState.HANG
            else:
                hang_since = np.nan
                rep = _start(s, i, times, from_hang=False)
                state = PullupState.PULLING
        elif state is PullupState.HANG and not arms_straight:
            rep = _start(s, i, times, from_hang=True)
            state = PullupState.PULLING
        elif state is PullupState.PULLING and rep is not None:
            if arms_straight:
                result.repetitions.append(_finish(rep, s, end_s=times[i]))
                rep = None
                state = PullupState.HANG
            elif _restarted(rep, s, i):
                result.repetitions.append(
                    Repetition(
                        start_s=rep.start_s,
                        end_s=float(times[i]),
                        counted=False,
                        reason=Refusal.NO_STRAIGHT_HANG_AFTER,
                    )
                )
                rep = _start(s, i, times, from_hang=False)
            else:
                _observe(rep, s, i)
    logger.debug("pull-ups: %s repetitions seen", len(result.repetitions))
    return result


def _start(s: PullupSignals, i: int, times: FloatArray, *, from_hang: bool) -> _Rep:
    """Open a repetition at frame ``i``, noting the starting posture."""
    rep = _Rep(
        start_s=float(times[i]),
        from_hang=from_hang,
        hip_x0=float(s.hip_x[i]),
        knee0=float(s.knee_deg[i]),
        hip_angle0=float(s.hip_deg[i]),
    )
    _observe(rep, s, i)
    return rep


def _observe(rep: _Rep, s: PullupSignals, i: int) -> None:
    """Fold frame ``i`` into the running extremes of the repetition."""
    over = s.chin_over_bar_px[i]
    if np.isfinite(over):
        if over > 0:
            rep.chin_over = True
            rep.lowest_after_top = -np.inf
        elif rep.chin_over:
            rep.lowest_after_top = max(rep.lowest_after_top, -float(over))
    if np.isfinite(s.hip_x[i]):
        rep.hip_x_min = min(rep.hip_x_min, float(s.hip_x[i]))
        rep.hip_x_max = max(rep.hip_x_max, float(s.hip_x[i]))
    if np.isfinite(s.knee_deg[i]):
        rep.knee_min = min(rep.knee_min, float(s.knee_deg[i]))
    if np.isfinite(s.hip_deg[i]):
        rep.hip_angle_min = min(rep.hip_angle_min, float(s.hip_deg[i]))


def _restarted(rep: _Rep, s: PullupSignals, i: int) -> bool:
    """True when the chin, having dropped well below the bar, is over it again."""
    dropped = rep.lowest_after_top >= RESTART_DROP_TORSO * s.torso_px
    return bool(dropped and s.chin_over_bar_px[i] > 0)


def _finish(rep: _Rep, s: PullupSignals, *, end_s: float) -> Repetition:
    """Decide a repetition that has returned to straight arms."""
    reason: Refusal | None = None
    swing = (rep.hip_x_max - rep.hip_x_min) / s.torso_px
    knee_drop = rep.knee0 - rep.knee_min
    hip_drop = rep.hip_angle0 - rep.hip_angle_min
    if not rep.from_hang:
        reason = Refusal.NO_STRAIGHT_HANG_BEFORE
    elif not rep.chin_over:
        reason = Refusal.CHIN_BELOW_BAR
    elif swing > SWING_TORSO:
        reason = Refusal.SWINGING
    elif knee_drop > KICK_KNEE_DEG or hip_drop > KICK_HIP_DEG:
        reason = Refusal.KICKING
    return Repetition(
        start_s=rep.start_s, end_s=end_s, counted=reason is None, reason=reason
    )
