"""Regions of interest: fractions to pixels, crops and the way back."""

from __future__ import annotations

import numpy as np
import pytest

from pe_sensors.errors import RegionError
from pe_sensors.pose.regions import Box, Region, equal_lanes, lane_boxes


def test_region_in_fractions_becomes_the_pixels_of_the_frame() -> None:
    region = Region(0.25, 0.1, 1.0, 1.0)
    assert region.box(width=768, height=432) == Box(x0=192, y0=43, x1=768, y1=432)
    assert region.box(width=640, height=480) == Box(x0=160, y0=48, x1=640, y1=480)


def test_a_point_found_in_the_crop_maps_back_to_where_it_is_in_the_frame() -> None:
    frame = np.zeros((432, 768, 3), dtype=np.uint8)
    frame[100, 300] = 255
    box = Region(0.25, 0.1, 1.0, 1.0).box(width=768, height=432)
    crop = box.crop(frame)
    assert crop.shape == (389, 576, 3)
    rows, cols = np.nonzero(crop[:, :, 0])
    in_crop = np.array([[cols[0], rows[0]]], dtype=np.float64)
    assert in_crop.tolist() == [[108.0, 57.0]]
    assert box.to_frame(in_crop).tolist() == [[300.0, 100.0]]


def test_unseen_landmarks_stay_unseen_when_mapped_back() -> None:
    xy = np.array([[[np.nan, np.nan], [1.0, 2.0]]])
    back = Box(x0=10, y0=20, x1=50, y1=60).to_frame(xy)
    assert back.shape == (1, 2, 2)
    assert np.isnan(back[0, 0]).all()
    assert back[0, 1].tolist() == [11.0, 22.0]


def test_equal_lanes_are_full_height_strips_without_gap_or_overlap() -> None:
    boxes = equal_lanes(width=1280, height=720, lanes=3)
    assert boxes == [
        Box(x0=0, y0=0, x1=427, y1=720),
        Box(x0=427, y0=0, x1=853, y1=720),
        Box(x0=853, y0=0, x1=1280, y1=720),
    ]


def test_lane_boxes_are_the_regions_in_lane_order() -> None:
    regions = [Region(0.0, 0.5, 0.5, 1.0), Region(0.5, 0.0, 1.0, 0.5)]
    assert lane_boxes(width=200, height=100, regions=regions) == [
        Box(x0=0, y0=50, x1=100, y1=100),
        Box(x0=100, y0=0, x1=200, y1=50),
    ]
    assert lane_boxes(width=200, height=100, lanes=2, regions=regions)[1].x0 == 100


def test_lane_boxes_without_regions_are_equal_lanes() -> None:
    assert lane_boxes(width=100, height=80, lanes=2) == [
        Box(x0=0, y0=0, x1=50, y1=80),
        Box(x0=50, y0=0, x1=100, y1=80),
    ]


def test_a_lane_count_that_disagrees_with_the_regions_is_refused() -> None:
    with pytest.raises(RegionError, match="3 lanes were asked for with 2 regions"):
        lane_boxes(
            width=200,
            height=100,
            lanes=3,
            regions=[Region(0, 0, 0.5, 1), Region(0.5, 0, 1, 1)],
        )


def test_region_text_is_read_as_left_top_right_bottom() -> None:
    assert Region.parse("0.3,0.1,0.96,1") == Region(0.3, 0.1, 0.96, 1.0)
    assert Region.parse("0.3,0.1,0.96,1").text() == "0.3,0.1,0.96,1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.3,0.1,0.96", "has 3 values"),
        ("a,0,1,1", "not numbers"),
        ("0,0,1.5,1", "right 1.5 is outside 0-1"),
        ("-0.1,0,1,1", "left -0.1 is outside 0-1"),
        ("0.6,0,0.4,1", "is empty"),
        ("0,0.5,1,0.5", "is empty"),
    ],
)
def test_malformed_region_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(RegionError, match=message):
        Region.parse(text)


def test_a_region_too_small_for_a_person_is_refused() -> None:
    with pytest.raises(RegionError, match="under 32 px"):
        Region(0.0, 0.0, 0.04, 1.0).box(width=640, height=480)
