"""A PE station given the box around each candidate's mat tracks inside it."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from exam_client.__main__ import build_parser
from exam_client.pe_station.capture import (
    LANE_LINE_COLOUR,
    CaptureError,
    LaneLandmarks,
    VisionStream,
    draw_skeletons,
)
from pe_sensors.judges import SMOOTHING, Event
from pe_sensors.judges.situp import ON_MAT_DEG, situp_signals
from pe_sensors.pose.landmarks import N_LANDMARKS, Landmark, PoseSequence
from pe_sensors.pose.regions import Box, Region
from pe_sensors.pose.smoothing import smooth_sequence
from tests.pe_sensors.test_judge_videos import OWN_LABELS

STATION_ARGS = ["pe", "--server", "http://127.0.0.1:1", "--station", "situp-1"]
STATION_ARGS += ["--key", "k", "--event", "situp"]


def test_regions_are_read_in_lane_order() -> None:
    args = build_parser().parse_args(
        [*STATION_ARGS, "--region", "0,0,0.5,1", "--region", "0.5,0.2,1,1"]
    )
    assert args.region == [Region(0, 0, 0.5, 1), Region(0.5, 0.2, 1, 1)]


def test_a_malformed_region_is_refused_with_the_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([*STATION_ARGS, "--region", "0.5,0.5"])
    assert exit_.value.code == 2
    assert "has 2 values, not 4" in capsys.readouterr().err


def test_the_screen_shows_the_box_each_lane_watches() -> None:
    image = np.zeros((120, 200, 3), dtype=np.uint8)
    nobody = LaneLandmarks(
        np.full((N_LANDMARKS, 2), np.nan), np.zeros(N_LANDMARKS), float("nan")
    )
    shown = draw_skeletons(image, [nobody], [Box(x0=50, y0=20, x1=150, y1=100)])
    assert tuple(shown[20, 100]) == LANE_LINE_COLOUR  # top edge
    assert tuple(shown[60, 50]) == LANE_LINE_COLOUR  # left edge
    assert not shown[60, 100].any()  # inside, untouched
    assert not image.any()  # the camera's image itself is left alone


def partner_clip(shared_data: Path) -> tuple[Path, dict[str, Any]]:
    labels = json.loads(OWN_LABELS.read_text(encoding="utf-8"))["videos"]
    label = next(c for c in labels if c["file"] == "rok_situp_partner2.mp4")
    return shared_data / "pe" / "videos" / "rok_situp_partner2.mp4", label


def trunk_while_streaming(stream: VisionStream, *, until_s: float) -> PoseSequence:
    """The stream's first lane as landmarks, from the start to ``until_s``."""
    stop = threading.Event()
    times, xy, visibility = [], [], []
    for frame in stream.frames(stop):
        if frame.time_s > until_s:
            stop.set()  # the stream ends and lets the camera go
            continue
        times.append(frame.time_s)
        xy.append(frame.lanes[0].xy)
        visibility.append(frame.lanes[0].visibility)
    return PoseSequence(
        times_s=np.array(times),
        xy=np.array(xy),
        visibility=np.array(visibility),
        frame_size=stream.frame_size,
    )


@pytest.mark.data
def test_inside_the_mat_region_the_station_follows_the_candidate_not_the_partner(
    shared_data: Path,
) -> None:
    # A partner sits upright at the candidate's feet; the candidate lies
    # with her back flat on the mat near 1.0 s (see own_labels.json).
    video, label = partner_clip(shared_data)
    region = Region(*label["region"])
    on_mat_s = label["on_mat_s"][0]

    def lowest_trunk(stream: VisionStream) -> float:
        poses = trunk_while_streaming(stream, until_s=on_mat_s + 0.3)
        trunk = situp_signals(
            smooth_sequence(poses, settings=SMOOTHING[Event.SITUP])
        ).trunk_deg
        near = np.abs(poses.times_s - on_mat_s) <= 0.3
        return float(np.nanmin(trunk[near]))

    boxed = VisionStream(str(video), regions=[region], paced=False)
    box = boxed.lane_boxes[0]
    assert box == region.box(width=boxed.frame_size[0], height=boxed.frame_size[1])
    assert lowest_trunk(boxed) <= ON_MAT_DEG

    # The whole frame lets the tracker take the partner, who never lies down.
    whole = VisionStream(str(video), paced=False)
    assert lowest_trunk(whole) > ON_MAT_DEG

    # Landmarks come back in full-frame pixels, the hips inside the box.
    poses = trunk_while_streaming(
        VisionStream(str(video), regions=[region], paced=False), until_s=0.5
    )
    hips = poses.point(Landmark.LEFT_HIP)
    seen = hips[np.isfinite(hips[:, 0])]
    assert seen.size
    assert np.all((seen[:, 0] >= box.x0) & (seen[:, 0] < box.x1))
    assert np.all((seen[:, 1] >= box.y0) & (seen[:, 1] < box.y1))


@pytest.mark.data
def test_a_region_too_small_for_a_person_is_refused_before_the_attempt(
    shared_data: Path,
) -> None:
    video, _ = partner_clip(shared_data)
    with pytest.raises(CaptureError, match="draw it around the whole mat"):
        VisionStream(str(video), regions=[Region(0.5, 0.5, 0.52, 0.52)], paced=False)
