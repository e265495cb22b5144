"""Rope evidence from pixels, on drawn frames with a known answer."""

from __future__ import annotations

import cv2
import numpy as np

from pe_sensors.pose.rope import overhead_box, overhead_rope_evidence

TORSO = 100.0
NOSE = np.array([320.0, 200.0])


def blank() -> np.ndarray:
    return np.full((480, 640), 120, dtype=np.uint8)


def test_overhead_band_sits_above_the_head_and_scales_with_the_torso() -> None:
    box = overhead_box(NOSE, torso_px=TORSO, width=640, height=480)
    assert box == (220, 65, 420, 165)


def test_no_overhead_band_when_the_head_is_at_the_top_edge_or_unseen() -> None:
    at_top = np.array([320.0, 20.0])
    assert overhead_box(at_top, torso_px=TORSO, width=640, height=480) is None
    unseen = np.array([np.nan, np.nan])
    assert overhead_box(unseen, torso_px=TORSO, width=640, height=480) is None


def test_a_thin_line_moving_overhead_is_evidence_and_a_broad_shape_is_not() -> None:
    before, after = blank(), blank()
    cv2.line(before, (230, 80), (410, 100), 30, 2)
    cv2.line(after, (230, 140), (410, 120), 30, 2)
    rope = overhead_rope_evidence(before, after, nose=NOSE, torso_px=TORSO)

    # A raised hand (a broad blob) moving through the band instead.
    hand_before, hand_after = blank(), blank()
    cv2.circle(hand_before, (260, 120), 25, 30, -1)
    cv2.circle(hand_after, (300, 110), 25, 30, -1)
    hand = overhead_rope_evidence(hand_before, hand_after, nose=NOSE, torso_px=TORSO)

    still = overhead_rope_evidence(before, before, nose=NOSE, torso_px=TORSO)
    assert rope > 0.01
    assert hand < rope / 5
    assert still == 0.0
