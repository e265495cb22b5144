"""Standing long jump measured from video on a calibrated mat.

Rule (national student physical fitness standard, test rules for the
standing long jump): both feet take off together from behind the take-off
line; the result is the perpendicular distance from the line to the nearest
landing mark (the rear heel), in centimetres; best of three; stepping on the
line is a foul.

The mat is a plane, so image pixels on it map to mat centimetres by a
homography fitted to four marked points whose mat positions are known. Mat
coordinates: x along the take-off line, y forwards (the jump direction), the
line at ``y = line_y_cm``. Feet are on the mat at take-off and landing, so
their landmarks (heels, toes) are mapped through the homography.

BlazePose's heel landmark is not the heel's mark on the mat: it sits inside
the heel, above the sole and ahead of the heel's back. On rendered jumps of
known distance (:mod:`pe_sensors.jump_scene`) it reads 4-8 cm long. When the
person's mask is given, the mark is therefore taken from the shoe's outline
instead: the rear-bottom corner of the silhouette next to the heel landmark
(the front-bottom corner next to the toe landmark for the foul).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from pe_sensors.errors import CalibrationError, JudgeInputError
from pe_sensors.pose.landmarks import FloatArray, Landmark, PoseSequence
from pe_sensors.pose.smoothing import OneEuroSettings
from pe_sensors.pose.video import FeetMask

# Smoothing of the raw landmarks before measuring: the feet stand still for
# most of the clip, so a low cutoff removes jitter that would read as speed.
JUMP_SMOOTHING = OneEuroSettings(min_cutoff_hz=1.0, beta=4.0)

logger = logging.getLogger(__name__)

# The feet are still when their mat speed stays below this, cm/s.
STILL_SPEED_CM_S = 40.0
# Shortest still phase accepted as standing before take-off or after
# landing, seconds.
MIN_STILL_S = 0.2
# A jump moves the feet forwards by at least this much, cm.
MIN_JUMP_CM = 30.0
# Landmark error assumed on top of the measured jitter, pixels: BlazePose
# places a heel to within a few pixels on a 640x480 image of a whole body.
LANDMARK_BIAS_PX = 3.0
# Error of a mark read on the person's mask, pixels: BlazePose computes the
# mask on a 256x256 crop of the person and scales it up, so an edge on a
# 640x480 frame is placed to about two pixels.
OUTLINE_EDGE_PX = 2.0
# The shoe's outline is searched this far from the heel (or toe) landmark,
# cm along the mat: a heel landmark sits a few cm inside the shoe.
OUTLINE_REACH_CM = 15.0
# Outline pixels this far above the landmark still count, pixels: the sole
# is below the heel and toe landmarks, but a landmark can sit a little low.
OUTLINE_ABOVE_PX = 3.0

HEELS = (Landmark.LEFT_HEEL, Landmark.RIGHT_HEEL)
TOES = (Landmark.LEFT_FOOT_INDEX, Landmark.RIGHT_FOOT_INDEX)


@dataclass(frozen=True)
class MatCalibration:
    """Image-to-mat mapping and the take-off line.

    ``homography`` maps homogeneous image pixels to mat centimetres.
    """

    homography: FloatArray
    line_y_cm: float

    def to_mat(self, points_px: FloatArray) -> FloatArray:
        """Map image points, shape (n, 2) pixels, to mat points (n, 2) cm."""
        ones = np.ones((points_px.shape[0], 1))
        h = np.hstack([points_px, ones]) @ self.homography.T
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(h[:, :2] / h[:, 2:3], dtype=np.float64)

    def to_image(self, points_cm: FloatArray) -> FloatArray:
        """Map mat points, shape (n, 2) cm, to image points (n, 2) pixels."""
        ones = np.ones((points_cm.shape[0], 1))
        h = np.hstack([points_cm, ones]) @ np.linalg.inv(self.homography).T
        return np.asarray(h[:, :2] / h[:, 2:3], dtype=np.float64)

    def y_cm_per_px(self, point_px: FloatArray) -> float:
        """How far the mat y moves per pixel near an image point, cm.

        The norm of the gradient of mat y over the image: the distance's
        error per pixel of error in the worst image direction.
        """
        probe = np.array([point_px, point_px + [1.0, 0.0], point_px + [0.0, 1.0]])
        y = self.to_mat(probe)[:, 1]
        return float(np.hypot(y[1] - y[0], y[2] - y[0]))


def calibration_from_points(
    *, points_px: FloatArray, points_cm: FloatArray, line_y_cm: float = 0.0
) -> MatCalibration:
    """Fit the mat homography to four (or more) marked points.

    Parameters
    ----------
    points_px : np.ndarray, shape (k, 2)
        Marked points in the image, pixels, k >= 4.
    points_cm : np.ndarray, shape (k, 2)
        The same points on the mat, cm (x along the line, y forwards).
    line_y_cm : float
        Position on the mat's y axis of the take-off line's rear edge, the
        edge the candidate stands behind: the rule measures from it, and a toe
        on it is a foul.

    Raises
    ------
    CalibrationError
        If fewer than four points are given or they are degenerate.
    """
    if points_px.shape != points_cm.shape or points_px.shape[0] < 4:
        raise CalibrationError(
            f"calibration needs at least 4 image points and as many mat points; "
            f"got {points_px.shape[0]} and {points_cm.shape[0]}: mark four mat "
            "corners (or tape marks) whose positions in cm are known"
        )
    homography, _ = cv2.findHomography(
        points_px.astype(np.float64), points_cm.astype(np.float64), 0
    )
    if homography is None or not np.all(np.isfinite(homography)):
        raise CalibrationError(
            "the calibration points are degenerate (three on a line?); mark "
            "four points spread over the mat, no three in a line"
        )
    return MatCalibration(
        homography=np.asarray(homography, dtype=np.float64), line_y_cm=line_y_cm
    )


def load_calibration(path: Path) -> MatCalibration:
    """Read a calibration file.

    The JSON object has ``points_px`` (four [x, y] image points),
    ``points_cm`` (the same points on the mat, cm) and optionally
    ``line_y_cm`` (default 0).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        points_px = np.asarray(data["points_px"], dtype=np.float64)
        points_cm = np.asarray(data["points_cm"], dtype=np.float64)
        line_y_cm = float(data.get("line_y_cm", 0.0))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CalibrationError(
            f"calibration file {path} is unreadable or lacks points_px / "
            f"points_cm ({exc}); write it as JSON with both lists of [x, y]"
        ) from exc
    if points_px.ndim != 2 or points_px.shape[1:] != (2,):
        raise CalibrationError(
            f"points_px in {path} has shape {points_px.shape}; give [[x, y], ...]"
        )
    return calibration_from_points(
        points_px=points_px, points_cm=points_cm, line_y_cm=line_y_cm
    )


@dataclass(frozen=True)
class JumpResult:
    """One standing long jump attempt."""

    takeoff_s: float
    landing_s: float
    distance_cm: float
    uncertainty_cm: float
    foul: bool
    # What the foul was, for the candidate and the arbiter; None if clean.
    foul_reason: str | None


def _feet_mat(
    poses: PoseSequence, calibration: MatCalibration, landmarks: tuple[Landmark, ...]
) -> FloatArray:
    """Mat positions of the given foot landmarks, shape (n_frames, k, 2) cm."""
    out = np.stack(
        [calibration.to_mat(poses.point(lm, min_visibility=0.3)) for lm in landmarks],
        axis=1,
    )
    return np.asarray(out, dtype=np.float64)


def _seen_mean(points: FloatArray) -> FloatArray:
    """Mean of the seen points of each frame, NaN where none is seen.

    Parameters
    ----------
    points : FloatArray, shape (n_frames, k, 2)
        Points with NaN rows where a landmark is unseen.

    Returns
    -------
    FloatArray, shape (n_frames, 2)
    """
    seen = np.isfinite(points[:, :, 0])
    count = seen.sum(axis=1)
    total = np.where(seen[:, :, None], points, 0.0).sum(axis=1)
    mean = np.full(total.shape, np.nan)
    mean[count > 0] = total[count > 0] / count[count > 0, None]
    return mean


def _still_runs(speed: FloatArray, times: FloatArray) -> list[tuple[int, int]]:
    """Index ranges [i0, i1] where the feet stay still for MIN_STILL_S or more."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, v in enumerate(speed):
        still = bool(np.isfinite(v) and v < STILL_SPEED_CM_S)
        if still and start is None:
            start = i
        if (not still or i == len(speed) - 1) and start is not None:
            end = i if still else i - 1
            if times[end] - times[start] >= MIN_STILL_S:
                runs.append((start, end))
            start = None
    return runs


def outline_mark(
    mask: FeetMask,
    *,
    landmark_px: FloatArray,
    calibration: MatCalibration,
    forwards: bool,
) -> FloatArray | None:
    """The mark a shoe leaves on the mat, read on the person's outline.

    Parameters
    ----------
    mask : FeetMask
        The person's mask around the feet of one frame.
    landmark_px : np.ndarray, shape (2,)
        The heel landmark (``forwards=False``) or toe landmark
        (``forwards=True``) of that shoe, pixels.
    calibration : MatCalibration
        The mat homography.
    forwards : bool
        Look for the toe's front end instead of the heel's rear end.

    Returns
    -------
    np.ndarray, shape (2,), or None
        The mark on the mat, cm; None if no outline pixel is near.

    Notes
    -----
    The sole touches the mat along the bottom of the shoe's outline, so the
    heel's mark is the outline's rear-bottom corner: among the person's
    pixels within :data:`OUTLINE_REACH_CM` of the landmark and not more than
    :data:`OUTLINE_ABOVE_PX` above it, the one furthest along ``b + d``,
    with ``b`` the image direction of the mat's -y (+y for the toe) at the
    landmark and ``d`` the image's downward direction, both unit vectors.
    Adding ``d`` picks the sole rather than the heel's back above it; this
    needs the camera beside the mat, as exam cameras are placed, so that
    the image's down is not the mat's y.
    """
    landmark_cm = calibration.to_mat(landmark_px[None, :])[0]
    step = OUTLINE_REACH_CM if forwards else -OUTLINE_REACH_CM
    reach_end = calibration.to_image((landmark_cm + [0.0, step])[None, :])[0]
    along = reach_end - landmark_px
    reach_px = float(np.linalg.norm(along))
    if not np.isfinite(reach_px) or reach_px == 0.0:
        return None

    # The person's pixels near the landmark and not above it.
    points = mask.points_px()
    offset = points - landmark_px
    near = (np.hypot(offset[:, 0], offset[:, 1]) <= reach_px) & (
        offset[:, 1] >= -OUTLINE_ABOVE_PX
    )
    if not near.any():
        return None

    # The corner furthest along the shoe's end direction and down.
    corner = along / reach_px + [0.0, 1.0]
    best = points[near][np.argmax(offset[near] @ corner)]
    return calibration.to_mat(best[None, :])[0]


def _marks(
    feet_px: FloatArray,
    *,
    masks: list[FeetMask | None] | None,
    frames: range,
    calibration: MatCalibration,
    forwards: bool,
) -> tuple[FloatArray, bool]:
    """Per frame, the mat y of the rear heel (or front toe) mark, cm.

    ``feet_px`` has shape (n_frames, 2, 2): both heels (or toes) in pixels.
    The mark is read on the outline where every frame has a mask near the
    foot, else on the landmarks. Returns the y values and whether the
    outline was used.
    """
    pick = np.nanargmax if forwards else np.nanargmin
    chosen = []
    for i in frames:
        y = calibration.to_mat(feet_px[i])[:, 1]
        chosen.append(feet_px[i, pick(y)] if np.isfinite(y).any() else None)
    landmark_y = np.array(
        [np.nan if p is None else calibration.to_mat(p[None, :])[0, 1] for p in chosen]
    )
    if masks is None:
        return landmark_y, False
    outline_y = []
    for i, p in zip(frames, chosen, strict=True):
        mask = masks[i]
        mark = None
        if mask is not None and p is not None:
            mark = outline_mark(
                mask, landmark_px=p, calibration=calibration, forwards=forwards
            )
        if mark is None:
            logger.warning(
                "no outline near the %s at frame %s; using the landmarks",
                "toes" if forwards else "heels",
                i,
            )
            return landmark_y, False
        outline_y.append(mark[1])
    return np.asarray(outline_y), True


def measure_jump(
    poses: PoseSequence,
    calibration: MatCalibration,
    *,
    feet_masks: list[FeetMask | None] | None = None,
) -> JumpResult:
    """Find take-off and landing, measure the distance and check for a foul.

    Parameters
    ----------
    poses : PoseSequence
        Smoothed landmarks of one candidate making one jump.
    calibration : MatCalibration
        The mat homography and take-off line.
    feet_masks : list of FeetMask or None, optional
        The person's mask around the feet, one per frame of ``poses``
        (:func:`pe_sensors.pose.video.analyse_video` with
        ``segment_feet=True``). Given, the marks are read on the shoes'
        outline (:func:`outline_mark`); else on the heel and toe landmarks.

    Returns
    -------
    JumpResult
        ``distance_cm = mean(rear_y) - line_y_cm`` over the still phase after
        landing, ``rear_y`` the mat y of the rear heel's mark in each frame;
        take-off is the end of the last still phase before the feet move
        forwards by :data:`MIN_JUMP_CM`, landing the start of the next still
        phase. Uncertainty is ``sqrt(jitter**2 + (edge_px * y_cm_per_px)**2)``
        with jitter the standard deviation of ``rear_y`` and ``edge_px``
        :data:`OUTLINE_EDGE_PX` on the outline, :data:`LANDMARK_BIAS_PX` on
        landmarks. A foul is a toe's mark on or past the line in any frame
        of the still phase before take-off.

    Raises
    ------
    JudgeInputError
        If no still phase, or no forward jump between two, is found.
    """
    if feet_masks is not None and len(feet_masks) != poses.n_frames:
        raise JudgeInputError(
            f"{len(feet_masks)} feet masks for {poses.n_frames} frames of "
            "landmarks; give one mask (or None) per frame, or no masks"
        )
    times = poses.times_s
    heels = _feet_mat(poses, calibration, HEELS)
    toes = _feet_mat(poses, calibration, TOES)
    centre = _seen_mean(np.concatenate([heels, toes], axis=1))
    speed = np.full(poses.n_frames, np.nan)
    speed[1:] = np.linalg.norm(np.diff(centre, axis=0), axis=1) / np.diff(times)

    runs = _still_runs(speed, times)
    before, after = _jump_between(runs, centre)
    b0, b1 = before
    a0, a1 = after

    # Foul: a toe's mark on or past the line while standing to take off.
    toe_y, _ = _marks(
        _feet_px(poses, TOES),
        masks=feet_masks,
        frames=range(b0, b1 + 1),
        calibration=calibration,
        forwards=True,
    )
    foul = bool(np.nanmax(toe_y) >= calibration.line_y_cm)

    # Distance: the rear heel's mark while standing after landing.
    rear, on_outline = _marks(
        _feet_px(poses, HEELS),
        masks=feet_masks,
        frames=range(a0, a1 + 1),
        calibration=calibration,
        forwards=False,
    )
    distance_cm = float(np.nanmean(rear) - calibration.line_y_cm)
    jitter = float(np.nanstd(rear))
    heel_px = np.nanmean(poses.xy[a0 : a1 + 1, HEELS[0], :], axis=0)
    edge_px = OUTLINE_EDGE_PX if on_outline else LANDMARK_BIAS_PX
    bias = edge_px * calibration.y_cm_per_px(heel_px)
    uncertainty = float(np.hypot(jitter, bias))
    result = JumpResult(
        takeoff_s=float(times[b1]),
        landing_s=float(times[a0]),
        distance_cm=distance_cm,
        uncertainty_cm=uncertainty,
        foul=foul,
        foul_reason="toe on or past the take-off line / 踩线" if foul else None,
    )
    logger.info("long jump: %.1f +/- %.1f cm, foul %s", distance_cm, uncertainty, foul)
    return result


def _feet_px(poses: PoseSequence, landmarks: tuple[Landmark, ...]) -> FloatArray:
    """Pixels of the given foot landmarks, shape (n_frames, k, 2)."""
    out = np.stack([poses.point(lm, min_visibility=0.3) for lm in landmarks], axis=1)
    return np.asarray(out, dtype=np.float64)


def _jump_between(
    runs: list[tuple[int, int]], centre: FloatArray
) -> tuple[tuple[int, int], tuple[int, int]]:
    """The first pair of consecutive still phases with a forward jump between."""
    for before, after in zip(runs, runs[1:], strict=False):
        moved = np.nanmean(centre[after[0] : after[1] + 1, 1]) - np.nanmean(
            centre[before[0] : before[1] + 1, 1]
        )
        if moved >= MIN_JUMP_CM:
            return before, after
    raise JudgeInputError(
        f"no jump found: {len(runs)} still phases of the feet, none followed by "
        f"a forward move of {MIN_JUMP_CM:.0f} cm or more; check the calibration "
        "and that the feet are in view before and after the jump"
    )


def best_of(results: list[JumpResult]) -> JumpResult | None:
    """The best valid attempt (longest non-foul jump), or None if all fouled."""
    valid = [r for r in results if not r.foul]
    return max(valid, key=lambda r: r.distance_cm) if valid else None
