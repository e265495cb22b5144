"""The cross-validation report per group of speakers (age band and sex)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scoring_engine.calibrate import (
    CHILD_MAX_AGE,
    UnitPredictions,
    agreement_by_group,
    cross_validate,
    format_group_table,
    out_of_fold_predictions,
    pearson_per_aspect,
    report_groups,
    speaker_groups,
    speaker_interval,
    unit_agreement_by_group,
)
from scoring_engine.errors import ScoringError

# Six clips of four speakers: two children (a, b) and two adults (c, d).
LABELS = [
    {"id": "1", "speaker": "a", "age": 10, "gender": "f"},
    {"id": "2", "speaker": "a", "age": 10, "gender": "f"},
    {"id": "3", "speaker": "b", "age": CHILD_MAX_AGE, "gender": "m"},
    {"id": "4", "speaker": "c", "age": CHILD_MAX_AGE + 1, "gender": "f"},
    {"id": "5", "speaker": "c", "age": CHILD_MAX_AGE + 1, "gender": "f"},
    {"id": "6", "speaker": "d", "age": 30, "gender": "m"},
]
SPEAKERS = [str(label["speaker"]) for label in LABELS]


def test_groups_split_at_the_child_age_and_by_sex() -> None:
    groups = speaker_groups(LABELS)
    assert list(groups) == ["child", "adult", "female", "male"]
    assert groups["child"].tolist() == [True, True, True, False, False, False]
    assert groups["adult"].tolist() == [False, False, False, True, True, True]
    assert groups["female"].tolist() == [True, True, False, True, True, False]
    assert groups["male"].tolist() == [False, False, True, False, False, True]


@pytest.mark.parametrize(
    ("key", "value"), [("gender", "x"), ("gender", None), ("age", None), ("age", 0)]
)
def test_groups_refuse_a_label_without_usable_age_or_sex(
    key: str, value: object
) -> None:
    labels = [dict(label) for label in LABELS]
    labels[4][key] = value
    with pytest.raises(ScoringError, match="clip '5'"):
        speaker_groups(labels)


def test_agreement_per_group_has_known_correlations_and_counts() -> None:
    # Children are predicted exactly (r = 1), adults in reverse (r = -1).
    # Females: targets 10, 20, 40, 50 and predictions 10, 20, 60, 50, so
    # r = 1200 / sqrt(1000 * 1700). Males: two rising points, r = 1.
    targets = {"accuracy": np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])}
    predicted = {"accuracy": np.array([10.0, 20.0, 30.0, 60.0, 50.0, 40.0])}
    report = agreement_by_group(
        predicted, targets, speaker_groups(LABELS), speakers=SPEAKERS
    )
    by_name = {row.group: row for row in report}
    assert [row.group for row in report] == ["child", "adult", "female", "male"]
    assert [(row.n_clips, row.n_speakers) for row in report] == [
        (3, 2),
        (3, 2),
        (4, 2),
        (2, 2),
    ]
    assert by_name["child"].pearson["accuracy"] == pytest.approx(1.0)
    assert by_name["adult"].pearson["accuracy"] == pytest.approx(-1.0)
    assert by_name["female"].pearson["accuracy"] == pytest.approx(
        1200.0 / math.sqrt(1000.0 * 1700.0)
    )
    assert by_name["male"].pearson["accuracy"] == pytest.approx(1.0)
    # Offsets: children and adults are 0 on average, females +5, males -10.
    assert [row.offset["accuracy"] for row in report] == pytest.approx(
        [0.0, 0.0, 5.0, -10.0]
    )


def test_agreement_is_nan_for_a_single_clip_or_a_constant_side() -> None:
    targets = {"fluency": np.array([70.0, 70.0, 80.0])}
    predicted = {"fluency": np.array([60.0, 65.0, 90.0])}
    groups = {
        "one": np.array([False, False, True]),
        "flat": np.array([True, True, False]),
    }
    report = agreement_by_group(predicted, targets, groups, speakers=["a", "a", "b"])
    assert all(math.isnan(row.pearson["fluency"]) for row in report)


def test_table_prints_one_line_per_group_with_counts() -> None:
    targets = {"accuracy": np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])}
    report = agreement_by_group(
        targets, targets, speaker_groups(LABELS), speakers=SPEAKERS
    )
    lines = format_group_table(report).splitlines()
    assert lines[0].split() == ["group", "clips", "speakers", "accuracy"]
    assert lines[3].split() == ["female", "4", "2", "1.000"]
    assert lines[7].split() == ["group", "clips", "speakers", "accuracy"]
    assert lines[10].split() == ["female", "4", "2", "+0.00"]


def test_out_of_fold_predictions_give_the_cross_validated_correlations() -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((60, 3))
    targets = {"total": 50.0 + 10.0 * x[:, 0] + rng.standard_normal(60)}
    folds = np.arange(60) % 3
    predicted = out_of_fold_predictions(x, targets, folds, ridge_only=True)
    assert predicted["total"].shape == (60,)
    assert pearson_per_aspect(predicted, targets) == cross_validate(
        x, targets, folds, ridge_only=True
    )
    assert pearson_per_aspect(predicted, targets)["total"] > 0.9


def test_interval_of_a_perfect_agreement_is_a_point() -> None:
    ours = np.arange(12, dtype=float)
    low, high = speaker_interval(
        ours, 2 * ours + 5, speakers=np.repeat(list("abcd"), 3)
    )
    assert (low, high) == pytest.approx((1.0, 1.0))


def test_interval_brackets_the_correlation_and_narrows_with_more_speakers() -> None:
    rng = np.random.default_rng(3)

    def width_and_r(n_speakers: int) -> tuple[float, float, float, float]:
        theirs = rng.normal(70.0, 10.0, 4 * n_speakers)
        ours = theirs + rng.normal(0.0, 10.0, theirs.size)
        speakers = np.repeat(np.arange(n_speakers).astype(str), 4)
        low, high = speaker_interval(ours, theirs, speakers=speakers)
        return low, high, float(np.corrcoef(ours, theirs)[0, 1]), high - low

    low, high, r, narrow = width_and_r(200)
    assert low < r < high
    assert narrow < width_and_r(10)[3]


def test_interval_needs_two_speakers() -> None:
    low, high = speaker_interval(
        np.array([1.0, 2.0, 3.0]),
        np.array([1.0, 3.0, 2.0]),
        speakers=np.array(["a"] * 3),
    )
    assert math.isnan(low) and math.isnan(high)


def test_word_agreement_by_group_follows_each_word_to_its_clip() -> None:
    # Three word pairs from clips 0 (child a), 3 and 5 (adults c and d);
    # the units are in fold order, so they point back at their pairs.
    unit = UnitPredictions(
        predicted=np.array([90.0, 40.0, 70.0, 60.0]),
        expert=np.array([80.0, 50.0, 70.0, 80.0]),
        pair=np.array([2, 0, 1, 1]),
    )
    report = unit_agreement_by_group(
        unit,
        level="word",
        pair_clips=np.array([0, 3, 5]),
        groups=report_groups(LABELS),
        speakers=SPEAKERS,
    )
    by_name = {row.group: row for row in report}
    assert [row.group for row in report] == ["all", "child", "adult", "female", "male"]
    assert by_name["all"].n_clips == 4
    assert (by_name["child"].n_clips, by_name["child"].n_speakers) == (1, 1)
    assert (by_name["adult"].n_clips, by_name["adult"].n_speakers) == (3, 2)
    assert by_name["child"].offset["word"] == pytest.approx(-10.0)
    assert by_name["male"].offset["word"] == pytest.approx(10.0)
    assert by_name["female"].offset["word"] == pytest.approx((-10.0 + 0.0 - 20.0) / 3)
