"""Fit the read-aloud scorer's models on speechocean762.

Usage::

    python -m scoring_engine.calibrate --data ../shared/data/speechocean762/train

Features of every clip are extracted with a pool of worker processes and
cached (``bench/out/scoring_features.jsonl``), so a rerun only fits. A
phone network (:mod:`scoring_engine.phone_net`) is trained per fold on the
frames of phones the experts heard right, and its evidence on the held-out
fold's phones joins their features, so every model below is fitted on
evidence from a network that never heard the speaker; the network trained
on all clips is written beside the parameters (``phone_net.npz``). Each
expert aspect (accuracy, fluency, prosodic, total, on 0-10, times 10) is
predicted by a blend of ridge regression and gradient-boosted trees on the
response features; boosted trees also map each word's and each phone's GOP,
put on its phone's scale, to the experts' word accuracy and phone scores.
Speaker-disjoint 5-fold cross-validation reports the Pearson correlation of
every model, and the aspects' out-of-fold predictions are also compared
with the experts inside each group of speakers (children and adults, females
and males), so a group the scorer ranks less well shows; the final models are
fitted on all clips and written to
``scoring_engine/params/read_aloud.json`` (trees as JSON arrays, see
:mod:`scoring_engine.trees`). Age, sex and speaker are never features; the
speaker only keeps folds disjoint, and age and sex only split the report.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import multiprocessing
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from scoring_engine import features as feat
from scoring_engine import phone_net
from scoring_engine.audio import load_audio
from scoring_engine.errors import ScoringError
from scoring_engine.text import normalise_text
from scoring_engine.trees import predict_trees

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / "out" / "scoring_features.jsonl"
PARAMS = Path(__file__).resolve().parent / "params" / "read_aloud.json"
FEATURES_VERSION = "6"
"""Bump when features change, so the cache is not reused."""

ASPECTS = ("accuracy", "fluency", "prosodic", "total")
RIDGE_ALPHA = 10.0
"""Ridge penalty on standardised features (chosen once, not tuned per fold)."""
TREE_WEIGHT = 0.7
"""Share of the boosted trees in the aspect prediction; ridge has the rest."""
N_FOLDS = 5
SEED = 20240601
MIN_PHONE_COUNT = 20
"""Examples a phone needs before it gets its own statistics."""
SPREAD_FLOOR = 1.0
"""Added to each phone's GOP standard deviation, so rare phones stay tame."""
CHILD_MAX_AGE = 15
"""Oldest age, in years, reported as a child. speechocean762's children are
6-15 and its adults 19-37, with nobody aged 16-18, so any cut from 15 to 18
splits it the same way; 15 is the corpus's own upper child age."""

# Boosting settings, chosen once by speaker-disjoint CV on the cached
# features (depth 2 to 4, 300 to 400 trees, squared or Huber loss); not
# tuned per fold.
ASPECT_TREES: dict[str, Any] = {
    "n_estimators": 400,
    "max_depth": 2,
    "learning_rate": 0.05,
    "subsample": 0.8,
    "loss": "huber",
}
UNIT_TREES: dict[str, Any] = {
    "n_estimators": 300,
    "max_depth": 4,
    "learning_rate": 0.05,
    "min_samples_leaf": 20,
    "subsample": 0.8,
}
"""Settings of the word and phone accuracy trees."""

NET_HIDDEN = 256
"""Hidden units of the phone network."""
NET_EPOCHS = 15
"""Training passes of the phone network over its frames."""
NET_MAX_FRAMES = 300_000
"""Training frames of one phone network, drawn at random when there are more
(about two thirds of the well-said frames of four folds)."""
NET_GOOD_SCORE = 2.0
"""Expert phone score (0-2, the mean of the experts) from which a phone's
frames train the network: every expert heard it right."""
NET_SILENCE_SHARE = 0.3
"""Share of the frames outside the words that train the silence class."""
NET_UNSEEN_BIAS = -30.0
"""Output bias of a class that had no training frames: never chosen."""


def extract(label: dict[str, Any], root: Path) -> dict[str, Any]:
    """Features, word GOPs and phone GOPs of one labelled clip."""
    out: dict[str, Any] = {"id": label["id"], "version": FEATURES_VERSION}
    try:
        y, _ = load_audio(root / label["audio"])
        analysis = feat.analyse_read_aloud(y, normalise_text(label["text"]))
    except ScoringError as exc:
        out["error"] = str(exc)
        return out
    out["features"] = analysis.features
    out["words"] = [
        {
            "gop": w.gop,
            "gop_min": w.gop_min,
            "squeezed": w.squeezed,
            "start": w.start,
            "duration": w.duration,
            "phones": [p.gop_raw for p in w.phones],
            "phone_names": [p.phone for p in w.phones],
            "phone_frames": [p.duration for p in w.phones],
            "phone_starts": [p.start for p in w.phones],
            "loop_match": [round(p.loop_match, 4) for p in w.phones],
        }
        for w in analysis.words
    ]
    return out


def _extract_star(args: tuple[dict[str, Any], Path]) -> dict[str, Any]:
    return extract(*args)


def extract_all(
    labels: list[dict[str, Any]], root: Path, *, workers: int, cache: Path
) -> dict[str, dict[str, Any]]:
    """Extract every clip not yet in ``cache`` and return all cached rows."""
    rows: dict[str, dict[str, Any]] = {}
    if cache.exists():
        for line in cache.read_text().splitlines():
            row = json.loads(line)
            if row.get("version") == FEATURES_VERSION and "error" not in row:
                rows[row["id"]] = row
    todo = [label for label in labels if label["id"] not in rows]
    logger.info("%s clips cached, %s to extract", len(rows), len(todo))
    cache.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with multiprocessing.Pool(workers) as pool, cache.open("a") as sink:
        jobs = [(label, root) for label in todo]
        for i, row in enumerate(pool.imap(_extract_star, jobs, chunksize=4)):
            rows[row["id"]] = row
            sink.write(json.dumps(row) + "\n")
            if (i + 1) % 100 == 0:
                logger.info(
                    "%s / %s extracted, %.0f s",
                    i + 1,
                    len(todo),
                    time.monotonic() - start,
                )
    return rows


def fit_ridge(
    x: np.ndarray, y: np.ndarray, *, alpha: float
) -> tuple[np.ndarray, float]:
    """Ridge regression with an unpenalised intercept.

    Parameters
    ----------
    x : np.ndarray, shape (n_samples, n_features)
        Standardised features.
    y : np.ndarray, shape (n_samples,)
        Targets.
    alpha : float
        L2 penalty: minimises ``|y - x w - b|^2 + alpha |w|^2``.

    Returns
    -------
    coef : np.ndarray, shape (n_features,)
    intercept : float
    """
    x_mean = x.mean(axis=0)
    y_mean = float(y.mean())
    xc = x - x_mean
    gram = xc.T @ xc + alpha * np.eye(x.shape[1])
    coef = np.linalg.solve(gram, xc.T @ (y - y_mean))
    return coef, y_mean - float(x_mean @ coef)


def speaker_folds(speakers: list[str], *, n_folds: int, seed: int) -> np.ndarray:
    """Fold index per clip, every speaker inside one fold (seeded shuffle)."""
    unique = sorted(set(speakers))
    order = np.random.default_rng(seed).permutation(len(unique))
    fold_of = {unique[j]: i % n_folds for i, j in enumerate(order)}
    return np.array([fold_of[s] for s in speakers])


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    return mean, np.where(scale > 1e-9, scale, 1.0)


def fit_trees(x: np.ndarray, y: np.ndarray, settings: dict[str, Any]) -> dict[str, Any]:
    """Fit gradient-boosted trees and return them in the JSON layout.

    The exported trees are checked against scikit-learn's own prediction on
    ``x``, so a change in its internals cannot pass silently.
    """
    model = GradientBoostingRegressor(random_state=SEED, **settings).fit(x, y)
    trees = export_trees(model, n_features=x.shape[1])
    gap = float(np.max(np.abs(predict_trees(trees, x) - model.predict(x))))
    if gap > 1e-2:
        raise ScoringError(
            f"exported trees differ from the fitted model by {gap:.3g} (limit "
            "0.01); check the scikit-learn version against scoring_engine.trees"
        )
    return trees


def export_trees(
    model: GradientBoostingRegressor, *, n_features: int
) -> dict[str, Any]:
    """A fitted regressor's trees as padded parallel arrays.

    Thresholds are rounded down to float32, the precision scikit-learn
    compares at, so every sample takes the same branch; leaf values keep
    five decimals.
    """
    base = float(model.init_.predict(np.zeros((1, n_features)))[0])
    fitted = [tree.tree_ for tree in model.estimators_[:, 0]]
    n_nodes = max(tree.node_count for tree in fitted)
    arrays = [_tree_arrays(tree, n_nodes=n_nodes) for tree in fitted]
    return {
        "base": round(base, 6),
        "learning_rate": float(model.learning_rate),
        "depth": max(tree.max_depth for tree in fitted),
        **{key: [tree[key] for tree in arrays] for key in arrays[0]},
    }


def _tree_arrays(tree: Any, *, n_nodes: int) -> dict[str, list[Any]]:
    """One scikit-learn tree padded to ``n_nodes``, leaves pointing to themselves."""
    own = np.arange(n_nodes)
    used = slice(0, tree.node_count)
    leaf = np.ones(n_nodes, dtype=bool)
    leaf[used] = tree.children_left == -1
    left, right, feature = own.copy(), own.copy(), np.zeros(n_nodes, dtype=int)
    threshold, value = np.zeros(n_nodes), np.zeros(n_nodes)
    left[used] = tree.children_left
    right[used] = tree.children_right
    feature[used] = tree.feature
    threshold[used] = tree.threshold
    value[used] = tree.value[:, 0, 0]
    return {
        "feature": np.where(leaf, 0, feature).tolist(),
        "threshold": [
            0.0 if is_leaf else _float32_below(t)
            for is_leaf, t in zip(leaf, threshold.tolist(), strict=True)
        ],
        "left": np.where(leaf, own, left).tolist(),
        "right": np.where(leaf, own, right).tolist(),
        "value": np.where(leaf, value, 0.0).round(5).tolist(),
    }


def _float32_below(threshold: float) -> float:
    """The largest float32 not above ``threshold``, as its shortest decimal."""
    value = np.float32(threshold)
    if float(value) > threshold:
        value = np.nextafter(value, np.float32(-np.inf))
    return float(np.format_float_positional(value, unique=True))


def _standardised_ridge(
    x_train: np.ndarray, y_train: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    mean, scale = _standardise(x_train)
    coef, intercept = fit_ridge((x_train - mean) / scale, y_train, alpha=RIDGE_ALPHA)
    return mean, scale, coef, intercept


def fit_aspect(x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Ridge and boosted trees for one aspect, fitted on the same clips."""
    mean, scale, coef, intercept = _standardised_ridge(x, y)
    return {
        "mean": mean,
        "scale": scale,
        "coef": coef,
        "intercept": intercept,
        "trees": fit_trees(x, y, ASPECT_TREES),
    }


def predict_aspect(model: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Blend of the ridge and tree predictions, shape (n_samples,), unclipped.

    ``TREE_WEIGHT * trees + (1 - TREE_WEIGHT) * ridge``.
    """
    scaled = (x - np.asarray(model["mean"])) / np.asarray(model["scale"])
    ridge = scaled @ np.asarray(model["coef"]) + float(model["intercept"])
    trees = predict_trees(model["trees"], x)
    return TREE_WEIGHT * trees + (1.0 - TREE_WEIGHT) * ridge


def out_of_fold_predictions(
    x: np.ndarray,
    targets: dict[str, np.ndarray],
    folds: np.ndarray,
    *,
    gate: np.ndarray | None = None,
    ridge_only: bool = False,
) -> dict[str, np.ndarray]:
    """Each clip's aspect predictions from the models that never saw its fold.

    Parameters
    ----------
    x : np.ndarray, shape (n_samples, n_features)
        Response features.
    targets : dict of str to np.ndarray, shape (n_samples,)
        Expert score per aspect, 0-100.
    folds : np.ndarray, shape (n_samples,)
        Fold index per clip (see :func:`speaker_folds`).
    gate : np.ndarray, shape (n_samples,), optional
        Multiplies the clipped predictions, as the scorer multiplies by the
        fraction of words found.
    ridge_only : bool
        Leave the trees out, for comparison.

    Returns
    -------
    dict of str to np.ndarray, shape (n_samples,)
        Out-of-fold prediction per aspect, clipped to 0-100 and gated.
    """
    result = {}
    for aspect, y in targets.items():
        predicted = np.zeros_like(y)
        for fold in np.unique(folds):
            train = folds != fold
            if ridge_only:
                mean, scale, coef, intercept = _standardised_ridge(x[train], y[train])
                predicted[~train] = (x[~train] - mean) / scale @ coef + intercept
            else:
                model = fit_aspect(x[train], y[train])
                predicted[~train] = predict_aspect(model, x[~train])
        predicted = np.clip(predicted, 0, 100)
        if gate is not None:
            predicted = predicted * gate
        result[aspect] = predicted
    return result


def pearson_per_aspect(
    predicted: dict[str, np.ndarray], targets: dict[str, np.ndarray]
) -> dict[str, float]:
    """Pearson r between prediction and expert score, per aspect."""
    result = {
        aspect: float(np.corrcoef(predicted[aspect], y)[0, 1])
        for aspect, y in targets.items()
    }
    for aspect, r in result.items():
        logger.info("%s: cross-validated r %.4f", aspect, r)
    return result


def cross_validate(
    x: np.ndarray,
    targets: dict[str, np.ndarray],
    folds: np.ndarray,
    *,
    gate: np.ndarray | None = None,
    ridge_only: bool = False,
) -> dict[str, float]:
    """Pearson r of out-of-fold predictions per aspect.

    See :func:`out_of_fold_predictions` for the parameters.
    """
    predicted = out_of_fold_predictions(
        x, targets, folds, gate=gate, ridge_only=ridge_only
    )
    return pearson_per_aspect(predicted, targets)


def speaker_groups(labels: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Boolean masks over ``labels`` for children, adults, females and males.

    A child is a speaker aged at most :data:`CHILD_MAX_AGE`. Labels need
    ``age`` (years) and ``gender`` (``"m"`` or ``"f"``); these only split the
    report, they are never features.

    Returns
    -------
    dict of str to np.ndarray of bool, shape (n_labels,)
        Keys ``child``, ``adult``, ``female``, ``male``, in that order.
    """
    ages = np.array([_label_age(label) for label in labels], dtype=float)
    genders = np.array([_label_gender(label) for label in labels])
    return {
        "child": ages <= CHILD_MAX_AGE,
        "adult": ages > CHILD_MAX_AGE,
        "female": genders == "f",
        "male": genders == "m",
    }


def report_groups(labels: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """All clips, then the groups of :func:`speaker_groups`."""
    return {"all": np.ones(len(labels), dtype=bool), **speaker_groups(labels)}


def _label_age(label: dict[str, Any]) -> float:
    age = label.get("age")
    if not isinstance(age, int | float) or isinstance(age, bool) or age <= 0:
        raise ScoringError(
            f"clip {label.get('id')!r} has age {age!r}; the group report needs "
            "a positive age in years in every label, fix labels.jsonl"
        )
    return float(age)


def _label_gender(label: dict[str, Any]) -> str:
    gender = label.get("gender")
    if gender not in ("m", "f"):
        raise ScoringError(
            f"clip {label.get('id')!r} has gender {gender!r}; the group report "
            "needs 'm' or 'f' in every label, fix labels.jsonl"
        )
    return str(gender)


@dataclass(frozen=True)
class GroupAgreement:
    """Agreement with the experts inside one group of speakers."""

    group: str
    n_clips: int
    n_speakers: int
    pearson: dict[str, float]
    """Pearson r per aspect; NaN when the group has under two clips or
    either side is constant."""
    offset: dict[str, float] = field(default_factory=dict)
    """Mean of ours minus the experts' per aspect, on the 0-100 scale: a
    group the scorer under-rates has a negative offset. NaN when empty."""
    interval: dict[str, tuple[float, float]] = field(default_factory=dict)
    """95 % interval of the Pearson r per aspect, from resampling the
    group's speakers (:func:`speaker_interval`)."""


def agreement_by_group(
    predicted: dict[str, np.ndarray],
    targets: dict[str, np.ndarray],
    groups: dict[str, np.ndarray],
    *,
    speakers: list[str],
) -> list[GroupAgreement]:
    """Pearson r per aspect inside each group of clips.

    Parameters
    ----------
    predicted : dict of str to np.ndarray, shape (n_samples,)
        Out-of-fold prediction per aspect (:func:`out_of_fold_predictions`).
    targets : dict of str to np.ndarray, shape (n_samples,)
        Expert score per aspect, same keys as ``predicted``.
    groups : dict of str to np.ndarray of bool, shape (n_samples,)
        Mask per group (:func:`speaker_groups`); groups may overlap.
    speakers : list of str, length n_samples
        Speaker of each clip, only counted.

    Returns
    -------
    list of GroupAgreement
        One per group, in the order of ``groups``.
    """
    speaker_array = np.array(speakers)
    report = []
    for name, mask in groups.items():
        pearson = {
            aspect: _pearson(predicted[aspect][mask], y[mask])
            for aspect, y in targets.items()
        }
        offset = {
            aspect: _mean_offset(predicted[aspect][mask], y[mask])
            for aspect, y in targets.items()
        }
        interval = {
            aspect: speaker_interval(
                predicted[aspect][mask], y[mask], speakers=speaker_array[mask]
            )
            for aspect, y in targets.items()
        }
        report.append(
            GroupAgreement(
                group=name,
                n_clips=int(mask.sum()),
                n_speakers=len(set(speaker_array[mask].tolist())),
                pearson=pearson,
                offset=offset,
                interval=interval,
            )
        )
    return report


BOOTSTRAP_DRAWS = 1000
"""Resamples of the speakers behind each confidence interval."""


def speaker_interval(
    ours: np.ndarray,
    theirs: np.ndarray,
    *,
    speakers: np.ndarray,
    draws: int = BOOTSTRAP_DRAWS,
    seed: int = SEED,
) -> tuple[float, float]:
    """95 % percentile interval of Pearson r, resampling whole speakers.

    Clips of one speaker are not independent, so each draw takes as many
    speakers as there are, with replacement, and weights every clip by how
    often its speaker was drawn (a cluster bootstrap).

    Parameters
    ----------
    ours, theirs : np.ndarray, shape (n_clips,)
        Our scores and the experts'.
    speakers : np.ndarray of str, shape (n_clips,)
        Speaker of each clip.
    draws : int
        Number of resamples.
    seed : int
        Seed of the random generator, so the report repeats.

    Returns
    -------
    (float, float)
        The 2.5th and 97.5th percentiles of r over the draws; NaN for fewer
        than two speakers.
    """
    names, index = np.unique(speakers, return_inverse=True)
    if names.size < 2:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, names.size, size=(draws, names.size))
    counts = np.zeros((draws, names.size))
    np.add.at(counts, (np.arange(draws)[:, None], picks), 1.0)
    weights = counts[:, index]
    weights /= weights.sum(axis=1, keepdims=True)
    a = ours - weights @ ours[:, None]
    b = theirs - weights @ theirs[:, None]
    cov = np.sum(weights * a * b, axis=1)
    var = np.sum(weights * a * a, axis=1) * np.sum(weights * b * b, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(var)
    r = r[np.isfinite(r)]
    if r.size == 0:
        return (math.nan, math.nan)
    low, high = np.percentile(r, [2.5, 97.5])
    return (float(low), float(high))


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r, NaN for under two values or a constant side."""
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def _mean_offset(ours: np.ndarray, theirs: np.ndarray) -> float:
    return float(np.mean(ours - theirs)) if ours.size else math.nan


def format_group_table(report: list[GroupAgreement]) -> str:
    """The group report as plain text: Pearson r per group, then mean offsets."""
    aspects = list(report[0].pearson) if report else []
    header = f"{'group':<8}{'clips':>7}{'speakers':>10}" + "".join(
        f"{aspect:>10}" for aspect in aspects
    )
    lines = [header]
    for row in report:
        lines.append(
            f"{row.group:<8}{row.n_clips:>7}{row.n_speakers:>10}"
            + "".join(f"{row.pearson[aspect]:>10.3f}" for aspect in aspects)
        )
    lines += ["", "mean offset, ours minus the experts (0-100 scale)", header]
    for row in report:
        lines.append(
            f"{row.group:<8}{row.n_clips:>7}{row.n_speakers:>10}"
            + "".join(
                f"{row.offset.get(aspect, math.nan):>+10.2f}" for aspect in aspects
            )
        )
    wide = f"{'group':<8}" + "".join(f"{aspect:>14}" for aspect in aspects)
    lines += ["", "95 % interval of r, resampling speakers", wide]
    for row in report:
        cells = (row.interval.get(aspect, (math.nan, math.nan)) for aspect in aspects)
        lines.append(
            f"{row.group:<8}" + "".join(f"{lo:>7.2f}-{hi:<6.2f}" for lo, hi in cells)
        )
    return "\n".join(lines)


@dataclass
class NetFrames:
    """The phone network's inputs and training targets of one clip."""

    bands: np.ndarray
    """:func:`phone_net.frame_bands` of the clip, shape (n_frames, n_mels)."""
    train: np.ndarray
    """Frames that may train the network, shape (n_train,)."""
    targets: np.ndarray
    """Index into :data:`phone_net.LABELS` of each training frame."""


def net_frames(
    label: dict[str, Any], row: dict[str, Any], root: Path, rng: np.random.Generator
) -> NetFrames:
    """Network inputs of a clip and the frames that teach the network.

    Frames of a phone teach it when the experts' mean score of that phone
    is :data:`NET_GOOD_SCORE`; a random :data:`NET_SILENCE_SHARE` of the
    frames outside every word teach silence.
    """
    y, _ = load_audio(root / label["audio"])
    bands = phone_net.frame_bands(y)
    n_frames = bands.shape[0]
    targets = np.full(n_frames, -1)
    in_word = np.zeros(n_frames, dtype=bool)
    aligned = len(row["words"]) == len(label["words"])
    for ours, theirs in zip(row["words"], label["words"], strict=False):
        in_word[ours["start"] : ours["start"] + ours["duration"]] = True
        scores = _phone_scores(ours, theirs) if aligned else []
        for name, start, frames, score in zip(
            ours["phone_names"],
            ours["phone_starts"],
            ours["phone_frames"],
            scores,
            strict=False,
        ):
            if score >= NET_GOOD_SCORE and name in phone_net.LABELS:
                targets[start : start + frames] = phone_net.LABELS.index(name)
    silence = ~in_word & (rng.random(n_frames) < NET_SILENCE_SHARE)
    targets[silence] = phone_net.LABELS.index(phone_net.SILENCE)
    train = np.flatnonzero(targets >= 0)
    return NetFrames(bands, train, targets[train])


def train_phone_net(
    inputs: np.ndarray,
    labels: np.ndarray,
    *,
    n_hidden: int,
    epochs: int,
    seed: int,
) -> phone_net.PhoneNet:
    """Fit the network on labelled frames by Adam on the cross-entropy.

    Parameters
    ----------
    inputs : np.ndarray, shape (n_frames, n_inputs), float32
        Rows of :func:`phone_net.frame_inputs`.
    labels : np.ndarray, shape (n_frames,), int
        Index into :data:`phone_net.LABELS` of each frame.
    n_hidden : int
        Hidden units.
    epochs : int
        Passes over the frames.
    seed : int
        Seed of the initial weights and of the minibatch order.
    """
    model = MLPClassifier(
        hidden_layer_sizes=(n_hidden,),
        max_iter=epochs,
        batch_size=256,
        alpha=1e-4,
        random_state=seed,
    )
    with warnings.catch_warnings():
        # A fixed number of epochs is the plan, not a failure to converge.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(inputs, labels)

    # Classes without frames keep a bias that never wins.
    w_out = np.zeros((n_hidden, len(phone_net.LABELS)), dtype=np.float32)
    b_out = np.full(len(phone_net.LABELS), NET_UNSEEN_BIAS, dtype=np.float32)
    seen = model.classes_.astype(int)
    if seen.size == 2:
        # Two classes come back as one logistic output: logits (0, z).
        w_out[:, seen[1]] = model.coefs_[1][:, 0]
        b_out[seen] = [0.0, model.intercepts_[1][0]]
    else:
        w_out[:, seen] = model.coefs_[1]
        b_out[seen] = model.intercepts_[1]
    return phone_net.PhoneNet(
        w_hidden=model.coefs_[0].astype(np.float32),
        b_hidden=model.intercepts_[0].astype(np.float32),
        w_out=w_out,
        b_out=b_out,
    )


def train_net_on(
    clips: list[NetFrames], rng: np.random.Generator
) -> tuple[phone_net.PhoneNet, int]:
    """A phone network trained on the clips' frames; also the frame count."""
    inputs = np.concatenate([phone_net.splice(c.bands)[c.train] for c in clips])
    targets = np.concatenate([clip.targets for clip in clips])
    if targets.size > NET_MAX_FRAMES:
        keep = np.sort(rng.choice(targets.size, NET_MAX_FRAMES, replace=False))
        inputs, targets = inputs[keep], targets[keep]
    net = train_phone_net(
        inputs, targets, n_hidden=NET_HIDDEN, epochs=NET_EPOCHS, seed=SEED
    )
    return net, int(targets.size)


def add_net_evidence(
    row: dict[str, Any], clip: NetFrames, net: phone_net.PhoneNet
) -> float:
    """Put ``net``'s evidence on the row's phones and features.

    Each word of ``row`` gets ``net`` (a ``[net_lp, net_margin, net_best]``
    per phone) and the features get :data:`features.NET_FEATURE_NAMES`.
    Returns the share of the clip's training frames the network labels
    right.
    """
    log_post = net.log_posteriors(phone_net.splice(clip.bands))
    evidence: list[tuple[float, float, float]] = []
    for word in row["words"]:
        phones = [
            phone_net.phone_evidence(log_post, phone=name, start=start, duration=n)
            for name, start, n in zip(
                word["phone_names"],
                word["phone_starts"],
                word["phone_frames"],
                strict=True,
            )
        ]
        word["net"] = [list(values) for values in phones]
        evidence.extend(phones)
    row["features"].update(feat.net_features(evidence))
    if clip.train.size == 0:
        return math.nan
    return float(np.mean(log_post[clip.train].argmax(axis=1) == clip.targets))


def net_evidence_out_of_fold(
    labels: list[dict[str, Any]],
    rows: dict[str, dict[str, Any]],
    folds: np.ndarray,
    root: Path,
) -> tuple[phone_net.PhoneNet, dict[str, Any]]:
    """Network evidence on every clip from a network that never heard it.

    For each fold a network is trained on the other folds' frames and its
    evidence put on the fold's rows (:func:`add_net_evidence`), so the
    trees fitted on the evidence see it as they will on new speakers. The
    network returned, to ship, is trained on every fold.
    """
    rng = np.random.default_rng(SEED)
    clips = [net_frames(lb, rows[lb["id"]], root, rng) for lb in labels]
    logger.info(
        "phone network: %s training frames in %s clips",
        sum(clip.train.size for clip in clips),
        len(clips),
    )
    accuracy = []
    for fold in np.unique(folds):
        train = [clip for clip, f in zip(clips, folds, strict=True) if f != fold]
        net, n_frames = train_net_on(train, rng)
        for i in np.flatnonzero(folds == fold):
            accuracy.append(add_net_evidence(rows[labels[i]["id"]], clips[i], net))
        logger.info("phone network of fold %s trained on %s frames", fold, n_frames)
    net, n_frames = train_net_on(clips, rng)
    fit = {
        "hidden": NET_HIDDEN,
        "epochs": NET_EPOCHS,
        "frames": n_frames,
        "cv_frame_accuracy": round(float(np.nanmean(accuracy)), 4),
    }
    logger.info("phone network: %s", fit)
    return net, fit


Pair = tuple[dict[str, Any], dict[str, Any], dict[str, float]]
"""Our word, the experts' word and our features of the response."""


def word_pairs(
    labels: list[dict[str, Any]], rows: dict[str, dict[str, Any]], folds: np.ndarray
) -> tuple[list[Pair], np.ndarray, np.ndarray]:
    """Our words beside the experts' words, for clips where both line up.

    Returns the pairs, the fold of each pair's clip and the clip's index in
    ``labels``.
    """
    pairs: list[Pair] = []
    pair_folds: list[int] = []
    pair_clips: list[int] = []
    for i, (label, fold) in enumerate(zip(labels, folds, strict=True)):
        row = rows.get(label["id"], {})
        words = row.get("words")
        if not words or len(words) != len(label["words"]):
            continue
        for ours, theirs in zip(words, label["words"], strict=True):
            if ours["phones"]:
                pairs.append((ours, theirs, row["features"]))
                pair_folds.append(int(fold))
                pair_clips.append(i)
    return pairs, np.array(pair_folds, dtype=int), np.array(pair_clips, dtype=int)


def _phone_scores(ours: dict[str, Any], theirs: dict[str, Any]) -> list[float]:
    """The experts' phone scores (0-2) when they match our phones, else []."""
    scores = theirs.get("phone_scores")
    if not scores or len(scores) != len(ours["phones"]):
        return []
    return [float(score) for score in scores]


def phone_stats(pairs: list[Pair]) -> dict[str, list[float]]:
    """Per phone: median raw GOP, spread and mean expert score (0-100).

    The median and spread (standard deviation plus :data:`SPREAD_FLOOR`) are
    over every aligned phone, whatever the experts said; the mean score is
    over phones the experts scored. A phone with fewer than
    :data:`MIN_PHONE_COUNT` examples gets no entry and falls back to the
    statistics of all phones (key :data:`features.UNKNOWN_PHONE`).
    """
    gops: dict[str, list[float]] = {}
    scores: dict[str, list[float]] = {}
    for ours, theirs, _ in pairs:
        for name, gop in zip(ours["phone_names"], ours["phones"], strict=True):
            gops.setdefault(name, []).append(gop)
        expert = _phone_scores(ours, theirs)
        for name, score in zip(ours["phone_names"], expert, strict=False):
            scores.setdefault(name, []).append(50.0 * score)
    every_gop = [g for values in gops.values() for g in values]
    every_score = [s for values in scores.values() for s in values]

    def row(values: list[float], expert: list[float]) -> list[float]:
        spread = float(np.std(values)) + SPREAD_FLOOR
        mean_score = float(np.mean(expert)) if expert else float(np.mean(every_score))
        return [
            round(float(np.median(values)), 3),
            round(spread, 3),
            round(mean_score, 2),
        ]

    stats = {
        name: row(values, scores.get(name, []))
        for name, values in sorted(gops.items())
        if len(values) >= MIN_PHONE_COUNT
    }
    stats[feat.UNKNOWN_PHONE] = row(every_gop, every_score)
    return stats


def unit_tables(
    pairs: list[Pair], stats: dict[str, list[float]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Word inputs and accuracy (0-100), phone inputs and score (0-100)."""
    word_x: list[list[float]] = []
    word_y: list[float] = []
    phone_x: list[list[float]] = []
    phone_y: list[float] = []
    for ours, theirs, sentence in pairs:
        word, per_phone = feat.word_and_phone_inputs(
            list(
                zip(
                    ours["phone_names"],
                    ours["phones"],
                    ours["phone_frames"],
                    ours["loop_match"],
                    *zip(*ours["net"], strict=True),
                    strict=True,
                )
            ),
            duration=ours["duration"],
            squeezed=ours["squeezed"],
            sentence=sentence,
            stats=stats,
        )
        word_x.append(word)
        word_y.append(10.0 * theirs["accuracy"])
        expert = _phone_scores(ours, theirs)
        if expert:
            phone_x.extend(per_phone)
            phone_y.extend(50.0 * score for score in expert)
    return np.array(word_x), np.array(word_y), np.array(phone_x), np.array(phone_y)


@dataclass(frozen=True)
class UnitPredictions:
    """Out-of-fold predictions of one unit level (word or phone), 0-100."""

    predicted: np.ndarray
    """Our accuracy per unit, shape (n_units,)."""
    expert: np.ndarray
    """The experts' accuracy per unit, shape (n_units,)."""
    pair: np.ndarray
    """Index of the word pair each unit comes from, shape (n_units,)."""


def out_of_fold_units(
    pairs: list[Pair], folds: np.ndarray
) -> dict[str, UnitPredictions]:
    """Word and phone accuracy of each unit from trees that never saw its fold.

    The phone statistics too are taken from the training folds only.

    Returns
    -------
    dict
        ``word`` and ``phone`` predictions, in fold order.
    """
    found: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {
        "word": [],
        "phone": [],
    }
    for fold in np.unique(folds):
        train = [p for p, f in zip(pairs, folds, strict=True) if f != fold]
        held = np.flatnonzero(folds == fold)
        test = [pairs[i] for i in held]
        stats = phone_stats(train)
        wx, wy, px, py = unit_tables(train, stats)
        word_trees = fit_trees(wx, wy, UNIT_TREES)
        phone_trees = fit_trees(px, py, UNIT_TREES)
        wx, wy, px, py = unit_tables(test, stats)
        n_scored = [len(_phone_scores(ours, theirs)) for ours, theirs, _ in test]
        found["word"].append((np.clip(predict_trees(word_trees, wx), 0, 100), wy, held))
        found["phone"].append(
            (
                np.clip(predict_trees(phone_trees, px), 0, 100),
                py,
                np.repeat(held, n_scored),
            )
        )
    return {
        level: UnitPredictions(
            predicted=np.concatenate([part[0] for part in parts]),
            expert=np.concatenate([part[1] for part in parts]),
            pair=np.concatenate([part[2] for part in parts]),
        )
        for level, parts in found.items()
    }


def cross_validate_units(pairs: list[Pair], folds: np.ndarray) -> dict[str, float]:
    """Out-of-fold Pearson r of the word and phone accuracy trees."""
    units = out_of_fold_units(pairs, folds)
    result = {
        level: _pearson(unit.predicted, unit.expert) for level, unit in units.items()
    }
    logger.info("word and phone accuracy, cross-validated r: %s", result)
    return result


def unit_agreement_by_group(
    unit: UnitPredictions,
    *,
    level: str,
    pair_clips: np.ndarray,
    groups: dict[str, np.ndarray],
    speakers: list[str],
) -> list[GroupAgreement]:
    """:func:`agreement_by_group` for the words or phones of each group's clips.

    Parameters
    ----------
    unit : UnitPredictions
        Out-of-fold word or phone predictions (:func:`out_of_fold_units`).
    level : str
        Name of the level in the report (``word`` or ``phone``).
    pair_clips : np.ndarray, shape (n_pairs,)
        Clip index of each word pair (from :func:`word_pairs`).
    groups : dict of str to np.ndarray of bool, shape (n_clips,)
        Clip mask per group (:func:`speaker_groups`).
    speakers : list of str, length n_clips
        Speaker of each clip.
    """
    clips = pair_clips[unit.pair]
    return agreement_by_group(
        {level: unit.predicted},
        {level: unit.expert},
        {name: mask[clips] for name, mask in groups.items()},
        speakers=[speakers[i] for i in clips],
    )


def _fit_word_models(
    pairs: list[Pair], folds: np.ndarray, pearson: dict[str, float]
) -> dict[str, Any]:
    """Phone statistics and the trees for word and phone accuracy."""
    stats = phone_stats(pairs)
    word_x, word_y, phone_x, phone_y = unit_tables(pairs, stats)
    return {
        "params": {
            "word_accuracy": fit_trees(word_x, word_y, UNIT_TREES),
            "phone_accuracy": fit_trees(phone_x, phone_y, UNIT_TREES),
            "phone_stats": stats,
        },
        "fit": {
            "n_words": len(word_y),
            "n_phones": len(phone_y),
            "word_accuracy_cv_pearson": round(pearson["word"], 4),
            "phone_accuracy_cv_pearson": round(pearson["phone"], 4),
        },
    }


def calibrate(data: Path, *, workers: int, cache: Path, out: Path) -> dict[str, Any]:
    """Extract, cross-validate, fit on all clips and write the parameters."""
    labels = [
        json.loads(line)
        for line in (data / "labels.jsonl").read_text().splitlines()
        if line.strip()
    ]
    rows = extract_all(labels, data, workers=workers, cache=cache)
    usable = [label for label in labels if "features" in rows[label["id"]]]
    failed = len(labels) - len(usable)
    if failed:
        logger.warning("%s clips could not be analysed and are left out", failed)

    # Feature matrix and 0-100 targets.
    folds = speaker_folds([lb["speaker"] for lb in usable], n_folds=N_FOLDS, seed=SEED)

    # Phone network evidence, out of fold, then the feature matrix.
    net, net_fit = net_evidence_out_of_fold(usable, rows, folds, data)
    net.save(out.parent / "phone_net.npz")
    x = np.array(
        [[rows[lb["id"]]["features"][n] for n in feat.FEATURE_NAMES] for lb in usable]
    )
    targets = {a: np.array([10.0 * lb[a] for lb in usable]) for a in ASPECTS}
    gate = x[:, feat.FEATURE_NAMES.index("frac_words_ok")]
    predicted = out_of_fold_predictions(x, targets, folds, gate=gate)
    pearson = pearson_per_aspect(predicted, targets)
    ridge = cross_validate(x, targets, folds, gate=gate, ridge_only=True)
    logger.info("cross-validated Pearson r: %s (ridge alone %s)", pearson, ridge)
    by_group = agreement_by_group(
        predicted,
        targets,
        report_groups(usable),
        speakers=[lb["speaker"] for lb in usable],
    )
    logger.info("cross-validated Pearson r by group:\n%s", format_group_table(by_group))

    # Final sentence models on all clips.
    mean, scale = _standardise(x)
    aspects = {}
    for aspect, y in targets.items():
        model = fit_aspect(x, y)
        aspects[aspect] = {
            "coef": model["coef"].round(6).tolist(),
            "intercept": model["intercept"],
            "trees": model["trees"],
        }

    # Word and phone accuracy from GOP.
    pairs, pair_folds, pair_clips = word_pairs(usable, rows, folds)
    units = out_of_fold_units(pairs, pair_folds)
    for level, unit in units.items():
        report = unit_agreement_by_group(
            unit,
            level=level,
            pair_clips=pair_clips,
            groups=report_groups(usable),
            speakers=[lb["speaker"] for lb in usable],
        )
        logger.info("%s accuracy by group:\n%s", level, format_group_table(report))
    unit_pearson = {
        level: _pearson(unit.predicted, unit.expert) for level, unit in units.items()
    }
    word_models = _fit_word_models(pairs, pair_folds, unit_pearson)

    params = {
        "features_version": FEATURES_VERSION,
        "feature_names": list(feat.FEATURE_NAMES),
        "mean": mean.round(6).tolist(),
        "scale": scale.round(6).tolist(),
        "tree_weight": TREE_WEIGHT,
        "aspects": aspects,
        **word_models["params"],
        "calibration": {
            "data": "speechocean762 train",
            "n_clips": len(usable),
            "n_failed": failed,
            "n_folds": N_FOLDS,
            "seed": SEED,
            "ridge_alpha": RIDGE_ALPHA,
            "aspect_trees": ASPECT_TREES,
            "unit_trees": UNIT_TREES,
            "phone_net": net_fit,
            "cv_pearson": {k: round(v, 4) for k, v in pearson.items()},
            "cv_pearson_ridge_alone": {k: round(v, 4) for k, v in ridge.items()},
            **word_models["fit"],
        },
    }
    out.write_text(json.dumps(params, separators=(",", ":")) + "\n")
    logger.info("wrote %s", out)
    return params


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(prog="python -m scoring_engine.calibrate")
    parser.add_argument(
        "--data", type=Path, required=True, help="folder with labels.jsonl and audio/"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--out", type=Path, default=PARAMS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    params = calibrate(args.data, workers=args.workers, cache=args.cache, out=args.out)
    print(json.dumps(params["calibration"], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
