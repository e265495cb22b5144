"""The pe_sensors command line, run in-process on a real clip."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from pe_sensors.__main__ import main


def test_judge_prints_json_and_writes_an_evidence_video(
    shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = shared_data / "pe" / "videos" / "wd_stu1_40_pullup.mp4"
    if not video.is_file():
        pytest.skip(f"clip {video} is absent")
    out = tmp_path / "evidence.mp4"
    status = main(
        ["judge", "--event", "pullup", str(video), "--json", "--annotate", str(out)]
    )
    assert status == 0
    data = json.loads(capsys.readouterr().out)
    assert data["count"] == 8
    assert data["frames"] == 336
    assert data["frames_without_person"] == 0
    assert set(data["repetitions"][0]) == {"start_s", "end_s", "counted", "reason"}
    written = cv2.VideoCapture(str(out))
    assert int(written.get(cv2.CAP_PROP_FRAME_COUNT)) == 336
    written.release()


def test_missing_video_exits_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["judge", "--event", "situp", str(tmp_path / "none.mp4")])
    assert status == 2
    assert "does not exist" in capsys.readouterr().err


def test_bad_calibration_exits_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mat = tmp_path / "mat.json"
    mat.write_text('{"points_px": [[0, 0]]}')
    status = main(["jump", str(tmp_path / "none.mp4"), "--mat", str(mat)])
    assert status == 2
    assert "calibration" in capsys.readouterr().err


def test_judge_looks_only_inside_the_region_it_is_given(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The partner clip is 768x432; its candidate lies on the mat in the
    # right two thirds, the partner holding her feet sits at the left edge.
    video = shared_data / "pe" / "videos" / "rok_situp_partner2.mp4"
    if not video.is_file():
        pytest.skip(f"clip {video} is absent")
    argv = ["judge", "--event", "situp", str(video), "--json", "--stride", "30"]
    status = main([*argv, "--region", "0.3,0.1,0.96,1"])
    assert status == 0
    data = json.loads(capsys.readouterr().out)
    assert data["box_px"] == [230, 43, 737, 432]
    assert data["frames"] == 20
    assert data["frames_without_person"] == 0


def test_malformed_region_exits_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = str(tmp_path / "none.mp4")
    status = main(["judge", "--event", "situp", video, "--region", "0.3,0.1,0.96"])
    assert status == 2
    assert "region '0.3,0.1,0.96' has 3 values" in capsys.readouterr().err


def test_two_regions_with_three_lanes_exit_with_a_reason(
    shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = shared_data / "pe" / "videos" / "rok_situp_partner2.mp4"
    if not video.is_file():
        pytest.skip(f"clip {video} is absent")
    regions = ["--region", "0,0,0.5,1", "--region", "0.5,0,1,1"]
    status = main(["judge", "--event", "situp", str(video), "--lanes", "3", *regions])
    assert status == 2
    assert "3 lanes were asked for with 2 regions" in capsys.readouterr().err
