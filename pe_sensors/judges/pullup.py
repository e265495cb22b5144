"""Pull-up judge (boys), as a state machine over elbow angle and chin height.

Rule (national student physical fitness standard, test rules for pull-ups):
overhand grip, start from a still straight-arm hang; a repetition counts when
the chin rises above the bar and the body returns to a straight-arm hang;
kicking, swinging (kipping) or restarting from bent arms do not count.

The bar is taken at the height of the wrists (the hands hold it) unless the
caller gives the bar's image row. The chin is not a BlazePose landmark: it is
placed below the mouth by :data:`CHIN_BELOW_MOUTH` times the nose-to-mouth
distance (the nose-to-mouth and mouth-to-chin spans of a face are about 1:2).

Straight arms are judged the same way from any camera height:

* The elbow angle in the picture must reach the straight level. Arms seen at
  their full length (camera level with the bar) keep the strict level,
  :data:`STRAIGHT_ELBOW_DEG`. Arms seen foreshortened (camera well below or
  above the bar, so the hanging arm points partly towards it) get the lower
  floor :data:`FORESHORTENED_STRAIGHT_DEG`: a shortened limb shows any bend,
  and any misplacement of the elbow landmark, as a larger angle. The view is
  measured once per attempt (:func:`arm_view`): the arm's longest reach,
  shoulder to wrist, against its upper arm plus forearm, each segment at the
  length it is seen best. An arm in the picture's plane that is bent no
  further than the floor still reaches :data:`FULL_VIEW_REACH` of its length,
  so only a foreshortened arm falls short of that and earns the floor; an
  arm bent past the floor in the picture's plane is refused by the floor.
* The shoulders must hang at least :data:`HANG_DROP_ON` of their largest
  drop below the wrists in the attempt. This refuses a bend the angle cannot
  show, towards or away from the camera, whatever the camera's height.

From well below the bar, an arm bent between the floor and straight cannot
be told from a straight one by these measures; any arm bent past the floor
in the picture, or short of the hanging drop, is refused from every height.
The references (segment lengths, longest reach, largest drop) come from the
whole attempt, as the torso length does, and are dominated by its hangs.
"""

from __future__ import annotations

import logging
import math
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

# Elbow angle at or above which arms seen at full length count as straight,
# and at or below which a pull has begun (hysteresis between the two;
# degrees). Hangs filmed level with the bar measure 163-170 degrees (mean
# of both arms).
STRAIGHT_ELBOW_DEG = 155.0
BENT_ELBOW_DEG = 140.0
# The same two levels for arms seen foreshortened. The floor is the level at
# which a pull has begun in full view, so no arm bent that far in the
# picture is ever straight; hangs filmed from below the bar, with the elbows
# nearly locked by eye, measure 142-154 degrees (mean of both arms).
FORESHORTENED_STRAIGHT_DEG = BENT_ELBOW_DEG
FORESHORTENED_BENT_DEG = FORESHORTENED_STRAIGHT_DEG - (
    STRAIGHT_ELBOW_DEG - BENT_ELBOW_DEG
)
# Percentile of a length over the attempt taken as the length it is seen
# best: the top 5 % of frames are left to landmark outliers.
BEST_SEEN_PERCENTILE = 95.0
# Allowance for landmark noise on the view's reach ratio: a high percentile
# of a noisy length overstates each segment more than it does the reach, so
# the ratio reads low, by 0.01-0.015 on a clip filmed level with the bar and
# by 0.02-0.025 on drawn figures with 0.5 px of noise.
REACH_NOISE = 0.04
# Longest reach (shoulder to wrist) over best-seen arm length below which
# the arms are seen foreshortened. For a given elbow angle, equal segments
# give the shortest reach, sin(angle / 2) of the arm's length; so an arm in
# the picture's plane, straight to the floor, reaches at least sin(70 deg) =
# 0.94, less the noise allowance: 0.90. Measured: 0.98 filmed level with the
# bar, 0.84-0.87 (mean 0.86) from below it.
FULL_VIEW_REACH = math.sin(math.radians(FORESHORTENED_STRAIGHT_DEG / 2)) - REACH_NOISE
# Drop of the shoulders below the wrists, as a fraction of the largest drop
# of the attempt, at or above which the body hangs, and at or below which it
# has risen (hysteresis). Measured hangs reach 0.97-1.03; rising pulls pass
# 0.9 at 129-133 degrees from below the bar, 154-162 degrees level with it.
HANG_DROP_ON = 0.9
HANG_DROP_OFF = 0.8
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
class ArmView:
    """How the camera sees the hanging arms, measured over one attempt.

    ``reach_ratio`` is the arms' longest reach over their best-seen length
    (NaN when no arm was seen whole); ``straight_deg`` and ``bent_deg`` are
    the elbow levels that follow from it.
    """

    reach_ratio: float
    foreshortened: bool
    straight_deg: float
    bent_deg: float


@dataclass(frozen=True)
class PullupSignals:
    """Per-frame quantities the pull-up judge reads, shape (n_frames,) each."""

    elbow_deg: FloatArray
    hang_drop: FloatArray  # shoulders below wrists / largest such drop
    chin_over_bar_px: FloatArray  # bar row minus chin row: > 0 is over
    hip_x: FloatArray
    knee_deg: FloatArray
    hip_deg: FloatArray
    torso_px: float
    view: ArmView


def best_seen(values: FloatArray) -> float:
    """The length a body segment is seen at best over an attempt, pixels.

    Parameters
    ----------
    values : np.ndarray, shape (n_frames,)
        The segment's length in each frame, pixels; NaN where unseen.

    Returns
    -------
    float
        The :data:`BEST_SEEN_PERCENTILE` percentile of the finite values, or
        NaN when there are none.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan
    return float(np.percentile(finite, BEST_SEEN_PERCENTILE))


def arm_view(poses: PoseSequence) -> ArmView:
    """Tell arms seen at full length from arms seen foreshortened.

    Parameters
    ----------
    poses : PoseSequence
        Landmarks of one candidate over the attempt.

    Returns
    -------
    ArmView
        For each arm seen, ``reach = best(|shoulder - wrist|) /
        (best(|shoulder - elbow|) + best(|elbow - wrist|))`` with ``best``
        from :func:`best_seen`; the mean over both arms is the reach ratio.
        Below :data:`FULL_VIEW_REACH` the arms are foreshortened and the
        straight level is :data:`FORESHORTENED_STRAIGHT_DEG`, otherwise
        :data:`STRAIGHT_ELBOW_DEG`.
    """
    ratios = []
    for shoulder, elbow, wrist in (
        (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
        (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    ):
        s, e, w = poses.point(shoulder), poses.point(elbow), poses.point(wrist)
        length = best_seen(distance(s, e)) + best_seen(distance(e, w))
        ratios.append(best_seen(distance(s, w)) / length)
    seen = [r for r in ratios if np.isfinite(r)]
    ratio = float(np.mean(seen)) if seen else math.nan
    if ratio < FULL_VIEW_REACH:
        return ArmView(
            reach_ratio=ratio,
            foreshortened=True,
            straight_deg=FORESHORTENED_STRAIGHT_DEG,
            bent_deg=FORESHORTENED_BENT_DEG,
        )
    return ArmView(
        reach_ratio=ratio,
        foreshortened=False,
        straight_deg=STRAIGHT_ELBOW_DEG,
        bent_deg=BENT_ELBOW_DEG,
    )


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
    wrists = poses.pair_midpoint(Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST)
    drop = shoulders[:, 1] - wrists[:, 1]
    largest_drop = best_seen(drop)
    if not largest_drop > 0:
        largest_drop = math.nan  # the shoulders never hang below the wrists
    return PullupSignals(
        elbow_deg=elbow,
        hang_drop=drop / largest_drop,
        chin_over_bar_px=bar - chin,
        hip_x=hips[:, 0],
        knee_deg=joint_angle_deg(hips, knees, ankles),
        hip_deg=joint_angle_deg(shoulders, hips, knees),
        torso_px=torso,
        view=arm_view(poses),
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
        A repetition ends (and is decided) when the arms are straight again
        (elbow angle at the level of the camera's view, shoulders hanging):
        counted if the chin rose above the bar, the pull began from a
        straight-arm hang, and neither swinging nor kicking was seen.
    """
    s = pullup_signals(poses, bar_y_px=bar_y_px)
    _log_view(s.view)
    times = poses.times_s
    straight = _StraightArms(s.view)
    state = PullupState.WAITING
    hang_since = np.nan
    rep: _Rep | None = None
    result = JudgeResult(event="pullup")
    # A pull already under way when the video starts has no hang before it.
    first = np.flatnonzero(np.isfinite(s.elbow_deg))
    if first.size and s.elbow_deg[first[0]] < s.view.bent_deg:
        rep = _start(s, first[0], times, from_hang=False)
        state = PullupState.PULLING

    for i in range(poses.n_frames):
        if not np.isfinite(s.elbow_deg[i]):
            continue
        arms_straight = straight.update(s, i)
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


class _StraightArms:
    """Two switches that must both be on: elbow angle and hanging drop."""

    def __init__(self, view: ArmView) -> None:
        self.angle = Hysteresis(on=view.straight_deg, off=view.bent_deg)
        self.drop = Hysteresis(on=HANG_DROP_ON, off=HANG_DROP_OFF)

    def update(self, s: PullupSignals, i: int) -> bool:
        """Feed frame ``i``; True while the arms hang straight."""
        angle = self.angle.update(float(s.elbow_deg[i]))
        drop = self.drop.update(float(s.hang_drop[i]))
        return angle and drop


def _log_view(view: ArmView) -> None:
    """Say which straight-arm level the camera's view of the arms gives."""
    if view.foreshortened:
        logger.warning(
            "arms seen foreshortened (reach %.2f of their length, under "
            "%.2f): straight-arm level lowered to %s degrees",
            view.reach_ratio,
            FULL_VIEW_REACH,
            view.straight_deg,
        )
    else:
        logger.debug("arms seen at full length (reach %.2f)", view.reach_ratio)


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
