"""Fit the read-aloud scorer's linear models on speechocean762.

Usage::

    python -m scoring_engine.calibrate --data ../shared/data/speechocean762/train

Features of every clip are extracted with a pool of worker processes and
cached (``bench/out/scoring_features.jsonl``), so a rerun only fits. Ridge
models map the features to each expert aspect (accuracy, fluency, prosodic,
total, on 0-10, times 10), words' and phones' GOP to the experts' word
accuracy and phone scores. Speaker-disjoint 5-fold cross-validation reports
the Pearson correlation per aspect; the final models are fitted on all clips
and written to ``scoring_engine/params/read_aloud.json``. Age, sex and
speaker are never features; the speaker only keeps folds disjoint.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from scoring_engine import features as feat
from scoring_engine.audio import load_audio
from scoring_engine.errors import ScoringError
from scoring_engine.features import word_features
from scoring_engine.text import normalise_text

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / "out" / "scoring_features.jsonl"
PARAMS = Path(__file__).resolve().parent / "params" / "read_aloud.json"
FEATURES_VERSION = "3"
"""Bump when features change, so the cache is not reused."""

ASPECTS = ("accuracy", "fluency", "prosodic", "total")
RIDGE_ALPHA = 10.0
"""Ridge penalty on standardised features (chosen once, not tuned per fold)."""
N_FOLDS = 5
SEED = 20240601
CORRECT_PHONE = 1.9
"""Mean expert phone score (0-2) from which a phone counts as said right."""
MIN_PHONE_COUNT = 20
"""Correct examples a phone needs before it gets its own GOP offset."""


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
            "duration": w.duration,
            "phones": [p.gop_raw for p in w.phones],
            "phone_names": [p.phone for p in w.phones],
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


def cross_validate(
    x: np.ndarray,
    targets: dict[str, np.ndarray],
    folds: np.ndarray,
    *,
    gate: np.ndarray | None = None,
) -> dict[str, float]:
    """Pearson r of out-of-fold predictions per aspect.

    ``gate`` (shape (n_samples,)) multiplies the clipped predictions, as the
    scorer multiplies by the fraction of words found.
    """
    result = {}
    for aspect, y in targets.items():
        predicted = np.zeros_like(y)
        for fold in np.unique(folds):
            train = folds != fold
            mean, scale = _standardise(x[train])
            coef, intercept = fit_ridge(
                (x[train] - mean) / scale, y[train], alpha=RIDGE_ALPHA
            )
            predicted[~train] = (x[~train] - mean) / scale @ coef + intercept
        predicted = np.clip(predicted, 0, 100)
        if gate is not None:
            predicted = predicted * gate
        result[aspect] = float(np.corrcoef(predicted, y)[0, 1])
    return result


def _word_pairs(
    labels: list[dict[str, Any]], rows: dict[str, dict[str, Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Our words beside the experts' words, for clips where both line up."""
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for label in labels:
        words = rows.get(label["id"], {}).get("words")
        if words and len(words) == len(label["words"]):
            pairs.extend(zip(words, label["words"], strict=True))
    return pairs


def phone_offsets(
    pairs: list[tuple[dict[str, Any], dict[str, Any]]],
) -> dict[str, float]:
    """Median raw GOP per phone over phones all experts marked correct.

    Some phones fit the free loop worse than others even when said well;
    subtracting this offset puts every phone's GOP on one scale.
    """
    by_phone: dict[str, list[float]] = {}
    for ours, theirs in pairs:
        scores = theirs.get("phone_scores")
        if not scores or len(scores) != len(ours["phones"]):
            continue
        for name, gop, score in zip(
            ours["phone_names"], ours["phones"], scores, strict=True
        ):
            if score >= CORRECT_PHONE:
                by_phone.setdefault(name, []).append(gop)
    return {
        name: round(float(np.median(gops)), 3)
        for name, gops in sorted(by_phone.items())
        if len(gops) >= MIN_PHONE_COUNT
    }


def _word_tables(
    pairs: list[tuple[dict[str, Any], dict[str, Any]]], offsets: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Adjusted word GOP pairs with word accuracy, phone GOP with phone score."""
    word_x, word_y, phone_x, phone_y = [], [], [], []
    for ours, theirs in pairs:
        adjusted = [
            feat.adjusted_gop(gop, offsets.get(name, 0.0))
            for name, gop in zip(ours["phone_names"], ours["phones"], strict=True)
        ] or [feat.GOP_FLOOR]
        word_x.append(word_features(adjusted, duration=ours["duration"]))
        word_y.append(10.0 * theirs["accuracy"])
        scores = theirs.get("phone_scores")
        if scores and len(scores) == len(adjusted):
            phone_x.extend([[g] for g in adjusted])
            phone_y.extend([50.0 * s for s in scores])
    return (np.array(word_x), np.array(word_y), np.array(phone_x), np.array(phone_y))


def _fit_word_models(
    pairs: list[tuple[dict[str, Any], dict[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """Phone offsets and the linear maps to word and phone accuracy."""
    offsets = phone_offsets(pairs)
    word_x, word_y, phone_x, phone_y = _word_tables(pairs, offsets)
    word_coef, word_b = fit_ridge(word_x, word_y, alpha=1e-6)
    phone_coef, phone_b = fit_ridge(phone_x, phone_y, alpha=1e-6)
    word_r = float(np.corrcoef(word_x @ word_coef + word_b, word_y)[0, 1])
    phone_r = float(np.corrcoef(phone_x @ phone_coef + phone_b, phone_y)[0, 1])
    return {
        "params": {
            "word_accuracy": {"coef": word_coef.round(6).tolist(), "intercept": word_b},
            "phone_accuracy": {
                "coef": phone_coef.round(6).tolist(),
                "intercept": phone_b,
            },
            "phone_gop_offset": offsets,
        },
        "fit": {
            "n_words": len(word_y),
            "n_phones": len(phone_y),
            "word_accuracy_pearson_in_sample": round(word_r, 4),
            "phone_accuracy_pearson_in_sample": round(phone_r, 4),
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
    x = np.array(
        [[rows[lb["id"]]["features"][n] for n in feat.FEATURE_NAMES] for lb in usable]
    )
    targets = {a: np.array([10.0 * lb[a] for lb in usable]) for a in ASPECTS}
    folds = speaker_folds([lb["speaker"] for lb in usable], n_folds=N_FOLDS, seed=SEED)
    gate = x[:, feat.FEATURE_NAMES.index("frac_words_ok")]
    pearson = cross_validate(x, targets, folds, gate=gate)
    ungated = cross_validate(x, targets, folds)
    logger.info("cross-validated Pearson r: %s (ungated %s)", pearson, ungated)

    # Final sentence models on all clips.
    mean, scale = _standardise(x)
    aspects = {}
    for aspect, y in targets.items():
        coef, intercept = fit_ridge((x - mean) / scale, y, alpha=RIDGE_ALPHA)
        aspects[aspect] = {"coef": coef.round(6).tolist(), "intercept": intercept}

    # Word and phone accuracy from GOP.
    word_models = _fit_word_models(_word_pairs(usable, rows))

    params = {
        "features_version": FEATURES_VERSION,
        "feature_names": list(feat.FEATURE_NAMES),
        "mean": mean.round(6).tolist(),
        "scale": scale.round(6).tolist(),
        "aspects": aspects,
        **word_models["params"],
        "calibration": {
            "data": "speechocean762 train",
            "n_clips": len(usable),
            "n_failed": failed,
            "n_folds": N_FOLDS,
            "seed": SEED,
            "ridge_alpha": RIDGE_ALPHA,
            "cv_pearson": {k: round(v, 4) for k, v in pearson.items()},
            "cv_pearson_without_completeness": {
                k: round(v, 4) for k, v in ungated.items()
            },
            **word_models["fit"],
        },
    }
    out.write_text(json.dumps(params, indent=1) + "\n")
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
