"""Standing long jumps rendered with a real person, measured by the command line.

A person cut out of the exam authority's long jump film stands behind the
line, flies and lands on a mat drawn by a known camera
(:mod:`pe_sensors.jump_scene`). The true distance is where the renderer puts
the rear heel's ground contact, a pixel picked by eye on the film, so it
does not come from the pose model under test. The whole command line runs:
decoding, BlazePose with its person mask, smoothing and the measurement.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pe_sensors.__main__ import main
from pe_sensors.jump_scene import (
    FLIGHT,
    STAND_ARMS_FORWARD,
    STAND_ARMS_UP,
    JumpPlan,
    SpriteCache,
    SpriteSource,
    render_jump,
    write_calibration,
)

pytestmark = pytest.mark.data

# The measurement must land this close to the truth on a calibrated mat, cm.
TOLERANCE_CM = 2.0


@pytest.fixture(scope="module")
def sprites(shared_data: Path) -> SpriteCache:
    return SpriteCache(shared_data / "pe" / "videos")


def measure(plan: JumpPlan, folder: Path, sprites: SpriteCache) -> dict[str, float]:
    """Render the plan, calibrate from the known camera, run the command line."""
    video = folder / f"{plan.name}.mp4"
    truth = render_jump(plan, video, sprites=sprites)
    mat = folder / f"{plan.name}.json"
    write_calibration(mat, mat_to_px=truth.mat_to_px)
    return {"truth_cm": truth.distance_cm, "video": str(video), "mat": str(mat)}


def run_cli(
    capsys: pytest.CaptureFixture[str], video: str, mat: str
) -> dict[str, float]:
    assert main(["jump", video, "--mat", mat, "--json"]) == 0
    result: dict[str, float] = json.loads(capsys.readouterr().out)
    return result


@pytest.mark.parametrize("source", [STAND_ARMS_FORWARD, STAND_ARMS_UP, FLIGHT])
def test_sprite_contacts_sit_on_the_person_outline(
    sprites: SpriteCache, source: SpriteSource
) -> None:
    sprite = sprites.get(source)
    for contact in (sprite.rear_heel_px, sprite.front_toe_px):
        # Within two pixels of the contact there is shoe, and there is mat:
        # the contact, picked by eye on the film, is on the cut-out's edge.
        cols = np.arange(-2, 3) + int(round(contact[0]))
        rows = np.arange(-2, 3) + int(round(contact[1]))
        window = sprite.alpha[np.ix_(rows, cols)]
        assert window.max() > 0.5 and window.min() < 0.5


def test_rendered_jump_is_measured_within_two_centimetres(
    sprites: SpriteCache, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = JumpPlan(
        name="right_to_left",
        toe_start_cm=-4.0,
        land_heel_cm=207.0,
        lane_x_cm=10.0,
        mirrored=True,
    )
    case = measure(plan, tmp_path, sprites)
    result = run_cli(capsys, case["video"], case["mat"])
    assert abs(result["distance_cm"] - case["truth_cm"]) <= TOLERANCE_CM
    assert result["uncertainty_cm"] <= TOLERANCE_CM
    assert not result["foul"]


def test_rendered_toe_over_the_line_is_a_foul(
    sprites: SpriteCache, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = JumpPlan(name="foul", toe_start_cm=4.0, land_heel_cm=185.0)
    case = measure(plan, tmp_path, sprites)
    result = run_cli(capsys, case["video"], case["mat"])
    assert result["foul"]
    assert abs(result["distance_cm"] - case["truth_cm"]) <= TOLERANCE_CM
