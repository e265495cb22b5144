"""Boosted regression trees stored as plain JSON, evaluated with numpy.

The calibration fits gradient-boosted trees (Friedman, "Greedy function
approximation: a gradient boosting machine", Annals of Statistics 29,
2001) and writes each tree as parallel arrays, so scoring needs neither
scikit-learn nor an unpickled object: a model is a dict with

``base``
    The constant the boosting started from.
``learning_rate``
    The shrinkage applied to every tree's output.
``feature``, ``threshold``, ``left``, ``right``, ``value``
    Arrays of shape (n_trees, n_nodes), trees padded to the same node
    count. A sample at node ``k`` goes to ``left[k]`` when its feature
    ``feature[k]`` is at most ``threshold[k]``, else to ``right[k]``. A leaf
    points to itself on both sides, so walking ``depth`` steps ends on a
    leaf for every sample.
``depth``
    The deepest leaf's depth.

Inputs are compared as float32, the precision the trees were fitted at.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scoring_engine.errors import ScoringError


def predict_trees(model: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Sum of a boosted tree ensemble's outputs for each sample.

    Parameters
    ----------
    model : dict
        Trees in the layout of this module's docstring.
    x : np.ndarray, shape (n_samples, n_features)
        Inputs, in the order the trees were fitted on.

    Returns
    -------
    np.ndarray, shape (n_samples,)
        ``base + learning_rate * sum over trees of the leaf value reached``.

    Raises
    ------
    ScoringError
        When ``x`` is not 2-D or has fewer columns than the trees use.
    """
    x = np.asarray(x, dtype=np.float32)
    feature = np.asarray(model["feature"], dtype=np.int64)
    if x.ndim != 2 or x.shape[1] <= int(feature.max(initial=0)):
        raise ScoringError(
            f"tree model inputs have shape {x.shape}; the trees need 2-D rows of "
            f"at least {int(feature.max(initial=0)) + 1} features; refit with "
            "python -m scoring_engine.calibrate"
        )
    threshold = np.asarray(model["threshold"], dtype=np.float32)
    left = np.asarray(model["left"], dtype=np.int64)
    right = np.asarray(model["right"], dtype=np.int64)
    value = np.asarray(model["value"], dtype=np.float64)

    # Walk every tree for every sample at once, one level per step.
    n_trees = feature.shape[0]
    trees = np.arange(n_trees)[:, None]
    node = np.zeros((n_trees, x.shape[0]), dtype=np.int64)
    samples = np.arange(x.shape[0])[None, :]
    for _ in range(int(model["depth"])):
        goes_left = x[samples, feature[trees, node]] <= threshold[trees, node]
        node = np.where(goes_left, left[trees, node], right[trees, node])
    total = value[trees, node].sum(axis=0)
    return float(model["base"]) + float(model["learning_rate"]) * total
