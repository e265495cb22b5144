"""The calibration's ridge fit and speaker-disjoint folds."""

from __future__ import annotations

import numpy as np

from scoring_engine.calibrate import fit_ridge, phone_offsets, speaker_folds
from scoring_engine.features import FEATURE_NAMES
from scoring_engine.params_io import load_params


def test_ridge_recovers_a_known_line() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((200, 2))
    y = 3.0 * x[:, 0] - 2.0 * x[:, 1] + 5.0
    coef, intercept = fit_ridge(x, y, alpha=1e-9)
    assert np.allclose(coef, [3.0, -2.0]) and abs(intercept - 5.0) < 1e-9


def test_folds_keep_each_speaker_in_one_fold_and_are_seeded() -> None:
    speakers = [f"s{i % 13}" for i in range(100)]
    folds = speaker_folds(speakers, n_folds=5, seed=1)
    for speaker in set(speakers):
        assert len({folds[i] for i, s in enumerate(speakers) if s == speaker}) == 1
    assert set(folds) == set(range(5))
    assert np.array_equal(folds, speaker_folds(speakers, n_folds=5, seed=1))


def test_shipped_parameters_match_the_features() -> None:
    params = load_params("read_aloud")
    assert params["feature_names"] == list(FEATURE_NAMES)
    assert set(params["aspects"]) == {"accuracy", "fluency", "prosodic", "total"}
    assert params["calibration"]["cv_pearson"]["total"] > 0.4


def test_phone_offsets_are_medians_over_phones_said_right() -> None:
    ours = {"phone_names": ["T", "IY"], "phones": [-4.0, -10.0]}
    pairs = [
        (ours, {"phone_scores": [2.0, 2.0]}),
        (
            {"phone_names": ["T", "IY"], "phones": [-6.0, -90.0]},
            {"phone_scores": [2.0, 0.0]},
        ),
    ] * 20
    offsets = phone_offsets(pairs)
    assert offsets == {"T": -5.0, "IY": -10.0}
