"""The ``python -m standards points`` command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from standards.__main__ import main


def test_points_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["points", "--item", "run_50m", "--grade", "8", "--sex", "male"]
    assert main([*args, "--value", "7.41"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("100 points, bonus 0, band 优秀")
    assert "7.5 s" in out


def test_points_as_json_with_provisional_row(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["points", "--item", "run_1000m", "--grade", "7", "--sex", "male"]
    assert main([*args, "--value", "3'45\"", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["points"], data["bonus"], data["band"]) == (100, 2, "excellent")
    assert data["provisional"] is True
    assert "教体艺〔2014〕5号" in data["provisional_reason"]


def test_bmi_from_height_and_weight(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["points", "--item", "bmi", "--grade", "8", "--sex", "female", "--json"]
    assert main([*args, "--height-cm", "160", "--weight-kg", "70"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["points"], data["band"], data["provisional"]) == (60, "pass", False)


@pytest.mark.parametrize(
    "bad",
    [
        ["--item", "pull_up", "--grade", "8", "--sex", "female", "--value", "3"],
        ["--item", "run_50m", "--grade", "6", "--sex", "male", "--value", "8"],
        ["--item", "run_50m", "--grade", "8", "--sex", "male", "--value", "-8"],
        ["--item", "run_50m", "--grade", "8", "--sex", "male"],
        ["--item", "run_50m", "--grade", "8"],
    ],
)
def test_bad_input_exits_2_with_one_line(bad: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "standards", "points", *bad],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ")
    assert done.stderr.count("\n") == 1
