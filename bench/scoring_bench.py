"""Speed, memory and agreement of the read-aloud scorer.

Scores N speechocean762 clips one after another in this process (one core)
and prints the real-time factor (wall time / audio duration, after the
first clip has loaded the model), the peak resident memory, and the
cross-validated Pearson correlations with the experts: per aspect recomputed
from the calibration's feature cache when it exists, with the phone network
retrained per fold as calibration does (else read from the shipped
parameters), then per aspect for children, adults, females and males
(cache only), for word and phone accuracy as the calibration measured them. Usage::

    python bench/scoring_bench.py [--data ../shared/data/speechocean762/train] [-n 50]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

# One core: no BLAS or OpenMP threads beside the scoring thread.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from scoring_engine import calibrate  # noqa: E402
from scoring_engine.audio import SR, load_audio  # noqa: E402
from scoring_engine.params_io import load_params  # noqa: E402
from scoring_engine.read_aloud import score_read_aloud  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "speechocean762" / "train"
FIXTURES = REPO / "tests" / "fixtures" / "speechocean762"


def _labels(data: Path) -> list[dict[str, object]]:
    lines = (data / "labels.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def speed(data: Path, *, n: int) -> None:
    """Print the real-time factor per core and the peak memory."""
    labels = _labels(data)[:: max(1, len(_labels(data)) // n)][:n]
    y, _ = load_audio(data / str(labels[0]["audio"]))
    score_read_aloud(y, sr=SR, text=str(labels[0]["text"]))  # loads the model
    audio_s = wall_s = 0.0
    for label in labels:
        y, _ = load_audio(data / str(label["audio"]))
        start = time.perf_counter()
        score_read_aloud(y, sr=SR, text=str(label["text"]))
        wall_s += time.perf_counter() - start
        audio_s += y.size / SR
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"clips: {len(labels)} from {data}")
    print(f"audio: {audio_s:.1f} s, wall: {wall_s:.1f} s on one core")
    print(f"real-time factor per core: {wall_s / audio_s:.3f}")
    print(f"peak resident memory: {peak_mb:.0f} MB")


def agreement(data: Path) -> None:
    """Print the speaker-disjoint cross-validated Pearson r per aspect.

    With the feature cache, also per group of speakers (children, adults,
    females, males) from the same out-of-fold predictions.
    """
    by_group = None
    units = ""
    if calibrate.CACHE.exists() and (data / "labels.jsonl").exists():
        rows = calibrate.extract_all(
            _labels(data), data, workers=1, cache=calibrate.CACHE
        )
        usable = [lb for lb in _labels(data) if "features" in rows[str(lb["id"])]]
        speakers = [str(lb["speaker"]) for lb in usable]
        folds = calibrate.speaker_folds(
            speakers, n_folds=calibrate.N_FOLDS, seed=calibrate.SEED
        )
        calibrate.net_evidence_out_of_fold(usable, rows, folds, data)
        x = [
            [rows[str(lb["id"])]["features"][f] for f in calibrate.feat.FEATURE_NAMES]
            for lb in usable
        ]
        targets = {
            a: np.array([10.0 * float(str(lb[a])) for lb in usable])
            for a in calibrate.ASPECTS
        }
        matrix = np.array(x)
        gate = matrix[:, calibrate.feat.FEATURE_NAMES.index("frac_words_ok")]
        predicted = calibrate.out_of_fold_predictions(matrix, targets, folds, gate=gate)
        pearson = calibrate.pearson_per_aspect(predicted, targets)
        groups = calibrate.report_groups(usable)
        by_group = calibrate.agreement_by_group(
            predicted, targets, groups, speakers=speakers
        )
        units = unit_report(usable, rows, folds, groups)
        source = f"recomputed from {len(usable)} cached clips"
    else:
        pearson = load_params("read_aloud")["calibration"]["cv_pearson"]
        source = "from the shipped parameters"
    print(f"cross-validated Pearson r ({source}):")
    for aspect, r in pearson.items():
        print(f"  {aspect:>9}: {r:.3f}")
    if by_group is not None:
        print(
            "cross-validated Pearson r by group "
            f"(child: age <= {calibrate.CHILD_MAX_AGE}):"
        )
        print(calibrate.format_group_table(by_group))
    if units:
        print(units)
        return
    fit = load_params("read_aloud")["calibration"]
    print("cross-validated Pearson r (from the shipped parameters):")
    print(f"  {'word':>9}: {fit['word_accuracy_cv_pearson']:.3f}")
    print(f"  {'phone':>9}: {fit['phone_accuracy_cv_pearson']:.3f}")


def unit_report(
    usable: list[dict[str, object]],
    rows: dict[str, dict[str, object]],
    folds: np.ndarray,
    groups: dict[str, np.ndarray],
) -> str:
    """Word and phone accuracy agreement, overall and per group, as text."""
    pairs, pair_folds, pair_clips = calibrate.word_pairs(usable, rows, folds)
    units = calibrate.out_of_fold_units(pairs, pair_folds)
    speakers = [str(lb["speaker"]) for lb in usable]
    parts = []
    for level, unit in units.items():
        report = calibrate.unit_agreement_by_group(
            unit, level=level, pair_clips=pair_clips, groups=groups, speakers=speakers
        )
        parts.append(
            f"cross-validated Pearson r of {level} accuracy by group "
            f"(counts are {level}s):\n" + calibrate.format_group_table(report)
        )
    return "\n".join(parts)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("-n", type=int, default=50)
    args = parser.parse_args()
    data = args.data if args.data.is_dir() else FIXTURES
    speed(data, n=args.n)
    agreement(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
