"""The calibration's fits, tree export, phone statistics and folds."""

from __future__ import annotations

import numpy as np

from scoring_engine.calibrate import (
    UNIT_TREES,
    fit_ridge,
    fit_trees,
    phone_stats,
    speaker_folds,
)
from scoring_engine.features import FEATURE_NAMES, UNKNOWN_PHONE
from scoring_engine.params_io import load_params
from scoring_engine.trees import predict_trees


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
    for aspect in params["aspects"].values():
        row = np.array(params["mean"])[None, :]
        assert 0.0 < predict_trees(aspect["trees"], row)[0] < 100.0


def test_exported_trees_learn_a_step_and_a_slope() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (400, 3))
    y = np.where(x[:, 0] > 0.2, 40.0, 10.0) + 5.0 * x[:, 1]
    trees = fit_trees(x, y, UNIT_TREES)
    probe = np.array([[0.9, 0.0, 0.0], [-0.9, 0.0, 0.0], [0.9, 0.8, -0.5]])
    predicted = predict_trees(trees, probe)
    assert abs(predicted[0] - 40.0) < 2.0 and abs(predicted[1] - 10.0) < 2.0
    assert predicted[2] > predicted[0] + 2.0


def test_phone_stats_put_each_phone_on_its_own_scale() -> None:
    ours = {"phone_names": ["T", "IY"], "phones": [-4.0, -10.0]}
    other = {"phone_names": ["T", "IY"], "phones": [-6.0, -90.0]}
    pairs = [
        (ours, {"phone_scores": [2.0, 2.0]}, {}),
        (other, {"phone_scores": [2.0, 0.0]}, {}),
        (ours, {"phone_scores": None}, {}),
    ] * 20
    stats = phone_stats(pairs)
    assert set(stats) == {"T", "IY", UNKNOWN_PHONE}
    assert stats["T"][0] == -4.0 and stats["IY"][0] == -10.0
    assert stats["T"][2] == 100.0 and stats["IY"][2] == 50.0
    assert stats["IY"][1] > stats["T"][1] > 1.0
