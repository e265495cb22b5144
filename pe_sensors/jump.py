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

    def cm_per_px(self, point_px: FloatArray) -> float:
        """Local scale near an image point, cm per pixel (the larger axis)."""
        probe = np.array([point_px, point_px + [1.0, 0.0], point_px + [0.0, 1.0]])
        mat = self.to_mat(probe)
        return float(
            max(np.linalg.norm(mat[1] - mat[0]), np.linalg.norm(mat[2] - mat[0]))
        )


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
        Position of the take-off line's jump-side edge on the mat's y axis.

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


def measure_jump(poses: PoseSequence, calibration: MatCalibration) -> JumpResult:
    """Find take-off and landing, measure the distance and check for a foul.

    Parameters
    ----------
    poses : PoseSequence
        Smoothed landmarks of one candidate making one jump.
    calibration : MatCalibration
        The mat homography and take-off line.

    Returns
    -------
    JumpResult
        ``distance_cm = min(heel_y) - line_y_cm`` over both heels, averaged
        over the still phase after landing; take-off is the end of the last
        still phase before the feet move forwards by :data:`MIN_JUMP_CM`,
        landing the start of the next still phase. Uncertainty is
        ``sqrt(jitter**2 + (LANDMARK_BIAS_PX * cm_per_px)**2)`` with jitter
        the heels' standard deviation while still. A foul is a toe on or
        past the line while standing to take off.

    Raises
    ------
    JudgeInputError
        If no still phase, or no forward jump between two, is found.
    """
    times = poses.times_s
    heels = _feet_mat(poses, calibration, HEELS)
    toes = _feet_mat(poses, calibration, TOES)
    centre = np.nanmean(np.concatenate([heels, toes], axis=1), axis=1)
    speed = np.full(poses.n_frames, np.nan)
    speed[1:] = np.linalg.norm(np.diff(centre, axis=0), axis=1) / np.diff(times)

    runs = _still_runs(speed, times)
    before, after = _jump_between(runs, centre)
    b0, b1 = before
    a0, a1 = after

    # Foul: any toe on or past the line while standing to take off.
    toe_y = toes[b0 : b1 + 1, :, 1]
    foul = bool(np.nanmax(toe_y) >= calibration.line_y_cm)

    # Distance: the rear (nearest) heel while standing after landing.
    rear = np.nanmin(heels[a0 : a1 + 1, :, 1], axis=1)
    distance_cm = float(np.nanmean(rear) - calibration.line_y_cm)
    jitter = float(np.nanstd(rear))
    heel_px = np.nanmean(poses.xy[a0 : a1 + 1, HEELS[0], :], axis=0)
    bias = LANDMARK_BIAS_PX * calibration.cm_per_px(heel_px)
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
