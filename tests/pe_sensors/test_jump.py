"""Standing long jump measurement on synthetic feet seen through a homography.

The mat is a plane seen by a tilted camera: a known homography maps mat
centimetres to pixels. Heels and toes follow a jump of known length on the
mat, are projected to pixels with seeded landmark noise, and the measurement
must recover the distance from the take-off line within its uncertainty.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from pe_sensors.errors import CalibrationError
from pe_sensors.jump import (
    JUMP_SMOOTHING,
    JumpResult,
    MatCalibration,
    best_of,
    calibration_from_points,
    load_calibration,
    measure_jump,
    outline_mark,
)
from pe_sensors.jump_scene import SideCamera
from pe_sensors.pose.landmarks import N_LANDMARKS, Landmark, PoseSequence
from pe_sensors.pose.smoothing import smooth_sequence
from pe_sensors.pose.video import FeetMask

# Mat to image: a camera beside and above the mat looking down at it.
MAT_TO_PX = np.array([[2.0, 0.4, 120.0], [0.1, -1.1, 420.0], [0.0, 0.0012, 1.0]])
CORNERS_CM = np.array([[-60.0, -40.0], [60.0, -40.0], [60.0, 300.0], [-60.0, 300.0]])
FOOT_CM = 25.0


def project(points_cm: np.ndarray) -> np.ndarray:
    """Mat points (n, 2) cm to image points (n, 2) px."""
    h = np.hstack([points_cm, np.ones((points_cm.shape[0], 1))]) @ MAT_TO_PX.T
    return h[:, :2] / h[:, 2:3]


def jump_poses(
    *, toe_start_cm: float, heel_land_cm: float, noise_px: float = 1.0, seed: int = 2
) -> PoseSequence:
    """1 s standing, 0.6 s in the air, 1.4 s standing after landing."""
    fps = 30.0
    times = np.arange(0.0, 3.0, 1.0 / fps)
    heel_start = toe_start_cm - FOOT_CM
    flight = np.clip((times - 1.0) / 0.6, 0.0, 1.0)
    heel_y = heel_start + (heel_land_cm - heel_start) * flight
    rng = np.random.default_rng(seed)
    xy = np.zeros((times.size, N_LANDMARKS, 2))
    for side, x in (("LEFT", -12.0), ("RIGHT", 12.0)):
        heel = np.column_stack([np.full(times.size, x), heel_y])
        toe = heel + [0.0, FOOT_CM]
        xy[:, Landmark[f"{side}_HEEL"]] = project(heel)
        xy[:, Landmark[f"{side}_FOOT_INDEX"]] = project(toe)
    xy += rng.normal(0.0, noise_px, xy.shape)
    raw = PoseSequence(
        times_s=times,
        xy=xy,
        visibility=np.ones((times.size, N_LANDMARKS)),
        frame_size=(640, 480),
    )
    # Smoothed as the command line smooths a video's landmarks.
    return smooth_sequence(raw, settings=JUMP_SMOOTHING)


def calibration() -> MatCalibration:
    return calibration_from_points(
        points_px=project(CORNERS_CM), points_cm=CORNERS_CM, line_y_cm=0.0
    )


def test_jump_distance_is_recovered_within_its_uncertainty() -> None:
    result = measure_jump(
        jump_poses(toe_start_cm=-3.0, heel_land_cm=212.0), calibration()
    )
    assert not result.foul
    assert abs(result.distance_cm - 212.0) <= max(result.uncertainty_cm, 1.0)
    assert 0.0 < result.uncertainty_cm < 5.0
    assert result.takeoff_s == pytest.approx(1.0, abs=0.1)
    assert result.landing_s == pytest.approx(1.6, abs=0.1)


def test_frames_without_a_seen_foot_in_the_air_leave_the_distance_alone() -> None:
    # Motion blur can hide both feet for a few frames of the flight; those
    # frames have no feet centre, and the still phases either side decide.
    poses = jump_poses(toe_start_cm=-3.0, heel_land_cm=212.0)
    hidden = poses.visibility.copy()
    hidden[36:42] = 0.0
    blurred = PoseSequence(
        times_s=poses.times_s,
        xy=poses.xy,
        visibility=hidden,
        frame_size=poses.frame_size,
    )
    result = measure_jump(blurred, calibration())
    assert abs(result.distance_cm - 212.0) <= max(result.uncertainty_cm, 1.0)


def test_toes_on_the_line_at_take_off_is_a_foul() -> None:
    result = measure_jump(
        jump_poses(toe_start_cm=4.0, heel_land_cm=190.0), calibration()
    )
    assert result.foul
    assert result.foul_reason is not None


def test_best_of_three_skips_fouls() -> None:
    attempts = [
        JumpResult(1.0, 1.6, 205.0, 1.0, False, None),
        JumpResult(1.0, 1.6, 230.0, 1.0, True, "toe on the line"),
        JumpResult(1.0, 1.6, 211.0, 1.0, False, None),
    ]
    best = best_of(attempts)
    assert best is not None and best.distance_cm == 211.0
    assert best_of(attempts[1:2]) is None


def test_calibration_file_round_trip_and_bad_files(tmp_path: Path) -> None:
    good = tmp_path / "mat.json"
    good.write_text(
        json.dumps(
            {
                "points_px": project(CORNERS_CM).tolist(),
                "points_cm": CORNERS_CM.tolist(),
                "line_y_cm": 0.0,
            }
        )
    )
    loaded = load_calibration(good)
    back = loaded.to_mat(project(np.array([[10.0, 150.0]])))
    assert back[0] == pytest.approx([10.0, 150.0], abs=1e-3)

    three = tmp_path / "three.json"
    three.write_text(json.dumps({"points_px": [[0, 0]] * 3, "points_cm": [[0, 0]] * 3}))
    with pytest.raises(CalibrationError, match="at least 4"):
        load_calibration(three)
    with pytest.raises(CalibrationError, match="unreadable"):
        load_calibration(tmp_path / "missing.json")


def side_project(points_cm: np.ndarray) -> np.ndarray:
    """Mat points (n, 2) cm to pixels of a camera beside the mat."""
    h = np.hstack([points_cm, np.ones((points_cm.shape[0], 1))])
    h = h @ SideCamera().mat_to_px().T
    return h[:, :2] / h[:, 2:3]


def side_calibration() -> MatCalibration:
    return calibration_from_points(
        points_px=side_project(CORNERS_CM), points_cm=CORNERS_CM
    )


def shoe_mask(*, heel_cm: float) -> FeetMask:
    """A flat shoe 25 cm by 10 cm lying on the mat, heel at ``heel_cm``."""
    sole = np.array(
        [[-5.0, heel_cm], [5.0, heel_cm], [5.0, heel_cm + 25.0], [-5.0, heel_cm + 25.0]]
    )
    image = np.zeros((480, 640), dtype=np.uint8)
    cv2.fillPoly(image, [np.round(side_project(sole)).astype(np.int32)], 1)
    return FeetMask(x0=0, y0=0, inside=image.astype(bool))


def test_outline_mark_finds_the_heel_behind_its_landmark() -> None:
    """The outline's ends are the shoe's, seen by a camera beside the mat."""
    mask = shoe_mask(heel_cm=180.0)
    # The landmarks sit inside the shoe, 4 cm from its ends.
    heel = outline_mark(
        mask,
        landmark_px=side_project(np.array([[0.0, 184.0]]))[0],
        calibration=side_calibration(),
        forwards=False,
    )
    toe = outline_mark(
        mask,
        landmark_px=side_project(np.array([[0.0, 201.0]]))[0],
        calibration=side_calibration(),
        forwards=True,
    )
    assert heel is not None and toe is not None
    # One pixel is under 1 cm along the mat here.
    assert heel[1] == pytest.approx(180.0, abs=1.0)
    assert toe[1] == pytest.approx(205.0, abs=1.0)


def test_outline_mark_without_a_person_nearby_is_none() -> None:
    mask = shoe_mask(heel_cm=100.0)
    far = side_project(np.array([[0.0, 250.0]]))[0]
    assert (
        outline_mark(
            mask, landmark_px=far, calibration=side_calibration(), forwards=False
        )
        is None
    )
