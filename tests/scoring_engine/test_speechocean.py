"""The calibrated scorer agrees in direction with the experts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from scoring_engine.audio import load_audio
from scoring_engine.read_aloud import score_read_aloud
from tests.scoring_engine.speech import FIXTURES


def _score(root: Path, label: dict[str, object]) -> float:
    y, sr = load_audio(root / str(label["audio"]))
    return score_read_aloud(y, sr=sr, text=str(label["text"])).overall


def _labels(root: Path) -> list[dict[str, object]]:
    lines = (root / "labels.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_clips_rated_high_score_above_clips_rated_low() -> None:
    labels = _labels(FIXTURES)
    high = [_score(FIXTURES, lb) for lb in labels if float(str(lb["total"])) >= 9]
    low = [_score(FIXTURES, lb) for lb in labels if float(str(lb["total"])) <= 2]
    assert len(high) == 3 and len(low) == 2
    assert min(high) > max(low) + 10


def test_scores_follow_the_experts_on_shared_clips(shared_data: Path) -> None:
    root = shared_data / "speechocean762" / "train"
    labels = _labels(root)[::125]
    ours = [_score(root, lb) for lb in labels]
    experts = [float(str(lb["total"])) for lb in labels]
    assert np.corrcoef(ours, experts)[0, 1] > 0.4
