"""Boosted trees read from JSON arrays give the sums they encode."""

from __future__ import annotations

import numpy as np
import pytest

from scoring_engine.errors import ScoringError
from scoring_engine.trees import predict_trees

# Two trees over two features. Tree 0 splits on feature 0 at 0.5 (leaves 1
# and 2); tree 1 splits on feature 1 at -1 and its right child again on
# feature 0 at 2 (leaves 1, 3, 4). Leaves point to themselves.
MODEL = {
    "base": 10.0,
    "learning_rate": 0.5,
    "depth": 2,
    "feature": [[0, 0, 0, 0, 0], [1, 0, 0, 0, 0]],
    "threshold": [[0.5, 0, 0, 0, 0], [-1.0, 0, 2.0, 0, 0]],
    "left": [[1, 1, 2, 3, 4], [1, 1, 3, 3, 4]],
    "right": [[2, 1, 2, 3, 4], [2, 1, 4, 3, 4]],
    "value": [[0, -2.0, 6.0, 0, 0], [0, 4.0, 0, 8.0, 20.0]],
}


def test_each_sample_follows_its_own_branches() -> None:
    x = np.array([[0.0, -5.0], [0.5, 0.0], [1.0, 0.0], [3.0, 0.0]])
    # tree 0: -2, -2, 6, 6 (0.5 goes left); tree 1: 4, 8, 8, 20
    expected = 10.0 + 0.5 * np.array([-2 + 4, -2 + 8, 6 + 8, 6 + 20])
    assert np.allclose(predict_trees(MODEL, x), expected)


def test_rows_without_the_needed_features_are_refused() -> None:
    with pytest.raises(ScoringError, match="at least 2 features"):
        predict_trees(MODEL, np.zeros((3, 1)))
