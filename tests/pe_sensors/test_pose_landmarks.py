"""Landmark geometry, sequences and the One Euro smoother on known inputs."""

from __future__ import annotations

import numpy as np
import pytest

from pe_sensors.errors import JudgeInputError
from pe_sensors.pose.landmarks import (
    N_LANDMARKS,
    Landmark,
    PoseSequence,
    joint_angle_deg,
)
from pe_sensors.pose.smoothing import OneEuroSettings, one_euro
from pe_sensors.pose.video import lane_bounds


def test_joint_angle_of_a_right_angle_is_90_degrees() -> None:
    a = np.array([[10.0, 0.0]])
    b = np.array([[0.0, 0.0]])
    c = np.array([[0.0, 5.0]])
    assert joint_angle_deg(a, b, c)[0] == pytest.approx(90.0)


def test_joint_angle_of_a_straight_limb_is_180_and_missing_point_is_nan() -> None:
    a = np.array([[0.0, -1.0], [np.nan, 0.0]])
    b = np.array([[0.0, 0.0], [0.0, 0.0]])
    c = np.array([[0.0, 2.0], [0.0, 1.0]])
    angles = joint_angle_deg(a, b, c)
    assert angles[0] == pytest.approx(180.0)
    assert np.isnan(angles[1])


def test_sequence_flags_frames_without_person_and_hides_unseen_points() -> None:
    xy = np.ones((3, N_LANDMARKS, 2))
    xy[1] = np.nan
    visibility = np.ones((3, N_LANDMARKS))
    visibility[2, Landmark.LEFT_WRIST] = 0.1
    poses = PoseSequence(
        times_s=np.array([0.0, 0.1, 0.2]),
        xy=xy,
        visibility=visibility,
        frame_size=(10, 10),
    )
    assert poses.present.tolist() == [True, False, True]
    assert np.isnan(poses.point(Landmark.LEFT_WRIST)[2]).all()
    # The pair midpoint falls back on the side that is seen.
    mid = poses.pair_midpoint(Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST)
    assert mid[2].tolist() == [1.0, 1.0]


def test_sequence_rejects_mismatched_shapes_with_a_reason() -> None:
    with pytest.raises(JudgeInputError, match="expected"):
        PoseSequence(
            times_s=np.zeros(2),
            xy=np.zeros((3, N_LANDMARKS, 2)),
            visibility=np.zeros((3, N_LANDMARKS)),
            frame_size=(1, 1),
        )


def test_one_euro_removes_jitter_of_a_still_point_and_follows_a_step() -> None:
    rng = np.random.default_rng(7)
    times = np.arange(300) / 30.0
    values = np.where(times < 5.0, 0.5, 0.7) + rng.normal(0, 0.005, times.size)
    out = one_euro(values[:, None], times, settings=OneEuroSettings())[:, 0]
    still = slice(30, 140)
    assert np.std(out[still]) < 0.5 * np.std(values[still])
    # A quarter second after the step the output has arrived.
    assert out[int(5.25 * 30)] == pytest.approx(0.7, abs=0.01)


def test_one_euro_restarts_after_a_gap_instead_of_dragging() -> None:
    times = np.arange(6) / 30.0
    values = np.array([0.1, 0.1, np.nan, 0.9, 0.9, 0.9])
    out = one_euro(values[:, None], times, settings=OneEuroSettings())[:, 0]
    assert np.isnan(out[2])
    assert out[3] == pytest.approx(0.9)


def test_lanes_cover_the_frame_without_overlap() -> None:
    assert lane_bounds(1280, lanes=5) == [
        (0, 256),
        (256, 512),
        (512, 768),
        (768, 1024),
        (1024, 1280),
    ]
