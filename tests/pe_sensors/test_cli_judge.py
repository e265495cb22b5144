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
