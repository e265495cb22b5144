"""Lookups, rounding, totals and errors on the packaged tables alone."""

from __future__ import annotations

import dataclasses
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from standards import fitness
from standards.errors import (
    GradeError,
    ItemNotApplicableError,
    ResultOutOfRangeError,
    StandardsError,
    TableError,
    UnknownItemError,
)
from standards.fitness import Band, Item, Sex


def test_packaged_tables_cover_every_grade_and_sex_monotonically() -> None:
    standard = fitness.default_standard()
    for sex, items in fitness.ITEMS_BY_SEX.items():
        for grade in fitness.GRADES:
            assert len(standard.bmi[(grade, sex)]) == 4
            for item in items:
                if item is Item.BMI:
                    continue
                rows = standard.thresholds[(item, grade, sex)]
                assert rows[0].points == 100
                points = [row.points for row in rows]
                assert points == sorted(points, reverse=True)
                # Fewer points always need a strictly worse result.
                worse = zip(rows, rows[1:], strict=False)
                if rows[0].better is fitness.Better.HIGHER:
                    assert all(b.threshold < a.threshold for a, b in worse)
                else:
                    assert all(b.threshold > a.threshold for a, b in worse)
    assert (Item.PULL_UP, 8, Sex.FEMALE) not in standard.thresholds
    assert (Item.RUN_800M, 8, Sex.MALE) not in standard.thresholds


@pytest.mark.parametrize(
    ("item", "raw", "recorded"),
    [
        ("run_50m", 7.41, "7.5"),
        ("run_50m", 7.40, "7.4"),
        ("run_50m", "7.49", "7.5"),
        ("run_50m", 7.4, "7.4"),
        ("run_1000m", 225.01, "226"),
        ("run_1000m", 225, "225"),
        ("run_800m", "3'45.3\"", "226"),
        ("bmi", 18.45, "18.5"),
        ("bmi", 18.44, "18.4"),
        ("sit_and_reach", 10.49, "10.4"),
        ("sit_and_reach", -2.61, "-2.7"),
        ("standing_long_jump", 200.9, "200"),
        ("vital_capacity", 2999.9, "2999"),
        ("pull_up", 12.0, "12"),
    ],
)
def test_results_are_recorded_by_the_test_rules(
    item: str, raw: float | str, recorded: str
) -> None:
    assert fitness.round_result(item, raw) == Decimal(recorded)


def test_a_fraction_of_a_tenth_slower_loses_the_level() -> None:
    # Grade 9 boys: 7.4 s is 95 points, 7.5 s is 90; 7.41 s is recorded 7.5 s.
    assert fitness.points("run_50m", grade=9, sex="male", value=7.4).points == 95
    assert fitness.points("run_50m", grade=9, sex="male", value=7.41).points == 90
    assert fitness.points("run_50m", grade=9, sex="male", value=7.41).result == 7.5


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3'45\"", "225"),
        ("3'05\"", "185"),
        ("4'05.2\"", "245.2"),
        ("3′45″", "225"),
        ("3'45", "225"),
        (" 3 ' 45 \" ", "225"),
        ("3'45''", "225"),
        ("225", "225"),
        ("225.4", "225.4"),
    ],
)
def test_parse_time_reads_minutes_and_seconds(text: str, seconds: str) -> None:
    assert fitness.parse_time(text) == Decimal(seconds)


@pytest.mark.parametrize("text", ["3'75\"", "3:45", "abc", "", "3'4x\""])
def test_parse_time_refuses_malformed_times(text: str) -> None:
    with pytest.raises(ResultOutOfRangeError, match="run time"):
        fitness.parse_time(text)


def test_run_times_score_the_same_as_seconds_or_mmss() -> None:
    as_text = fitness.points("run_1000m", grade=8, sex="male", value="4'15\"")
    as_seconds = fitness.points("run_1000m", grade=8, sex="male", value=255)
    assert as_text.points == as_seconds.points == 80


def test_worse_than_the_lowest_level_scores_zero() -> None:
    score = fitness.points("pull_up", grade=8, sex="male", value=0)
    assert (score.points, score.bonus, score.band) == (0, 0, Band.FAIL)
    assert score.rows_used == (
        fitness.default_standard().thresholds[(Item.PULL_UP, 8, Sex.MALE)][-1],
    )
    assert fitness.points("run_50m", grade=8, sex="male", value=11.0).points == 0


def test_pull_up_levels_jump_where_the_table_skips() -> None:
    # Grade 7: 4 repetitions are 60 points, 3 are 50; no level in between.
    assert fitness.points("pull_up", grade=7, sex="male", value=4).points == 60
    assert fitness.points("pull_up", grade=7, sex="male", value=3).points == 50
    assert fitness.points("pull_up", grade=7, sex="male", value=1).points == 30


def test_bmi_from_height_and_weight() -> None:
    # 50 kg at 160 cm is 19.53 kg/m2, recorded 19.5: normal for grade 8 girls.
    score = fitness.points("bmi", grade=8, sex="female", height_cm=160, weight_kg=50)
    assert (score.result, score.points) == (19.5, 100)
    # 70 kg at 160 cm is 27.3: obese, 60 points.
    obese = fitness.points("bmi", grade=8, sex="female", height_cm=160, weight_kg=70)
    assert obese.points == 60
    size = fitness.BodySize(height_cm=160, weight_kg=70)
    assert fitness.points("bmi", grade=8, sex="female", value=size) == obese
    with pytest.raises(ResultOutOfRangeError, match="bmi only"):
        fitness.points("run_50m", grade=8, sex="female", value=size)
    assert fitness.points("bmi", grade=8, sex="male", value=15.6).points == 80
    assert fitness.points("bmi", grade=8, sex="male", value=15.65).points == 100


@pytest.mark.parametrize(
    ("item", "sex", "value", "bonus"),
    [
        ("pull_up", "male", 14, 0),  # grade 8 full marks: 14
        ("pull_up", "male", 15, 1),
        ("pull_up", "male", 24, 10),
        ("pull_up", "male", 40, 10),  # at most 10 per item
        ("sit_up_1min", "female", 52, 0),  # one above 51 earns nothing yet
        ("sit_up_1min", "female", 53, 1),
        ("sit_up_1min", "female", 58, 4),
        ("run_1000m", "male", 226, 1),  # full marks 230 s
        ("run_1000m", "male", 226.5, 0),  # recorded 227 s: 3 s faster
        ("run_1000m", "male", "3'15\"", 10),
        ("run_800m", "female", 200, 2),  # full marks 210 s
    ],
)
def test_extra_points_beyond_full_marks(
    item: str, sex: str, value: float | str, bonus: int
) -> None:
    score = fitness.points(item, grade=8, sex=sex, value=value)
    assert score.points == 100
    assert score.bonus == bonus


def test_items_without_extra_points_stop_at_full_marks() -> None:
    score = fitness.points("standing_long_jump", grade=8, sex="male", value=300)
    assert (score.points, score.bonus) == (100, 0)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (120, Band.EXCELLENT),
        (90, Band.EXCELLENT),
        (90.0, Band.EXCELLENT),
        (89.95, Band.GOOD),
        (89.9, Band.GOOD),
        (80, Band.GOOD),
        (79.9, Band.PASS),
        (60, Band.PASS),
        (59.9, Band.FAIL),
        (0, Band.FAIL),
    ],
)
def test_band_boundaries(total: float, band: Band) -> None:
    assert fitness.band_for(total) is band


GRADE_8_BOY: dict[str, fitness.RawResult] = {
    "bmi": 20.0,  # 100 x 15 %
    "vital_capacity": 3200,  # 80 x 15 %
    "run_50m": 7.8,  # 85 x 20 %
    "sit_and_reach": 5.1,  # 70 x 10 %
    "standing_long_jump": 170,  # 60 x 10 %
    "pull_up": 4,  # 50 x 10 %
    "run_1000m": "4'25\"",  # 76 x 20 %
}


def test_total_score_weighs_the_items() -> None:
    total = fitness.total_score(GRADE_8_BOY, grade=8, sex="male")
    assert total.weighted == pytest.approx(77.2)
    by_size = {**GRADE_8_BOY, "bmi": fitness.BodySize(height_cm=170, weight_kg=57.8)}
    assert fitness.total_score(by_size, grade=8, sex="male") == total
    assert (total.bonus, total.total, total.band) == (0, total.weighted, Band.PASS)
    assert not total.provisional  # every grade-8 row used is agreed


def test_total_score_adds_extra_points_and_caps_them() -> None:
    best: dict[str, fitness.RawResult] = {
        **GRADE_8_BOY,
        "vital_capacity": 3940,
        "run_50m": 7.5,
        "sit_and_reach": 19.6,
        "standing_long_jump": 240,
        "pull_up": 24,  # +10
        "run_1000m": 195,  # +10
    }
    total = fitness.total_score(best, grade=8, sex="male")
    assert (total.weighted, total.bonus, total.total) == (100.0, 20, 120.0)
    capped = dataclasses.replace(fitness.default_standard(), bonus_max=15)
    assert fitness.total_score(best, grade=8, sex="male", standard=capped).bonus == 15


def test_total_score_marks_provisional_items() -> None:
    total = fitness.total_score(GRADE_8_BOY, grade=7, sex="male")
    assert total.provisional
    assert Item.RUN_1000M in total.provisional_items
    assert Item.PULL_UP not in total.provisional_items  # pull-ups agree (A, G)


def test_total_score_needs_all_seven_items() -> None:
    partial = dict(GRADE_8_BOY)
    del partial["pull_up"]
    with pytest.raises(StandardsError, match="pull_up"):
        fitness.total_score(partial, grade=8, sex="male")
    with pytest.raises(ItemNotApplicableError, match="sit_up_1min"):
        fitness.total_score({**GRADE_8_BOY, "sit_up_1min": 30}, grade=8, sex="male")


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (dict(item="shot_put", sex="male", value=1), UnknownItemError, "shot_put"),
        (dict(item="pull_up", sex="female", value=3), ItemNotApplicableError, "sit_up"),
        (
            dict(item="sit_up_1min", sex="male", value=30),
            ItemNotApplicableError,
            "pull_up",
        ),
        (dict(item="run_800m", sex="male", value=200), ItemNotApplicableError, "1000m"),
        (
            dict(item="run_1000m", sex="female", value=200),
            ItemNotApplicableError,
            "800m",
        ),
        (dict(item="run_50m", sex="boy", value=8), GradeError, "'boy'"),
        (
            dict(item="vital_capacity", sex="male", value=-5),
            ResultOutOfRangeError,
            "0 to 8000",
        ),
        (
            dict(item="run_50m", sex="male", value=2.0),
            ResultOutOfRangeError,
            "5.0 to 60",
        ),
        (
            dict(item="run_50m", sex="male", value=float("nan")),
            ResultOutOfRangeError,
            "finite",
        ),
        (
            dict(item="run_50m", sex="male", value="fast"),
            ResultOutOfRangeError,
            "'fast'",
        ),
        (dict(item="run_50m", sex="male", value=True), ResultOutOfRangeError, "True"),
        (dict(item="pull_up", sex="male", value=12.5), ResultOutOfRangeError, "whole"),
        (
            dict(item="standing_long_jump", sex="male", value=900),
            ResultOutOfRangeError,
            "400",
        ),
        (
            dict(item="run_1000m", sex="male", value="1'00\""),
            ResultOutOfRangeError,
            "120",
        ),
        (
            dict(item="run_50m", sex="male", value=None),
            ResultOutOfRangeError,
            "needs a result",
        ),
        (
            dict(item="bmi", sex="male", value=20, height_cm=170),
            ResultOutOfRangeError,
            "either",
        ),
        (
            dict(item="bmi", sex="male", height_cm=17, weight_kg=50),
            ResultOutOfRangeError,
            "height 17",
        ),
        (
            dict(item="run_50m", sex="male", height_cm=170, weight_kg=50),
            ResultOutOfRangeError,
            "bmi only",
        ),
    ],
)
def test_bad_inputs_raise_with_a_reason(
    call: dict[str, object], error: type[StandardsError], words: str
) -> None:
    with pytest.raises(error, match=words):
        fitness.points(grade=8, **call)  # type: ignore[arg-type]


@pytest.mark.parametrize("grade", [6, 10, 0, True, "10", "高一"])
def test_bad_grades_raise(grade: object) -> None:
    with pytest.raises(GradeError, match="7, 8 or 9"):
        fitness.points("run_50m", grade=grade, sex="male", value=8)  # type: ignore[arg-type]


def test_grade_labels_are_accepted() -> None:
    assert fitness.points("run_50m", grade="初二", sex="male", value=7.5).points == 100


# --- the validator, on edited copies of the packaged tables --------------------


@pytest.fixture
def tables(tmp_path: Path) -> Path:
    folder = tmp_path / "fitness"
    shutil.copytree(fitness.DATA_DIR, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_copy_of_the_packaged_tables_loads(tables: Path) -> None:
    assert fitness.load_standard(tables) == fitness.default_standard()


def test_validator_refuses_a_non_monotone_table(tables: Path) -> None:
    # Make 90 points need a faster time than 95 points.
    _edit(tables / "run_50m.csv", "初二,male,90,7.7", "初二,male,90,7.55")
    with pytest.raises(TableError, match="run_50m grade 8 male is not monotone"):
        fitness.load_standard(tables)


def test_validator_refuses_a_table_missing_a_grade(tables: Path) -> None:
    path = tables / "sit_up_1min.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(
        "".join(x for x in lines if not x.startswith("初三")), encoding="utf-8"
    )
    with pytest.raises(TableError, match="sit_up_1min has no rows for grade 9 female"):
        fitness.load_standard(tables)


def test_validator_refuses_a_row_for_the_wrong_sex(tables: Path) -> None:
    with (tables / "pull_up.csv").open("a", encoding="utf-8") as handle:
        handle.write("初二,female,100,5,reps,higher,A,single source\n")
    with pytest.raises(TableError, match="does not test pull_up for female"):
        fitness.load_standard(tables)


def test_validator_refuses_a_gap_between_bmi_ranges(tables: Path) -> None:
    _edit(tables / "bmi.csv", "初二,male,80,22.6,25.2", "初二,male,80,22.7,25.2")
    with pytest.raises(TableError, match="steps of 0.1"):
        fitness.load_standard(tables)


def test_validator_refuses_weights_that_do_not_sum_to_one(tables: Path) -> None:
    _edit(tables / "weights_and_bands.csv", "weight.run_50m,0.2", "weight.run_50m,0.25")
    with pytest.raises(TableError, match="sum to 1.05"):
        fitness.load_standard(tables)


def test_loader_names_a_malformed_cell(tables: Path) -> None:
    _edit(tables / "run_50m.csv", "初二,male,95,7.6", "初二,male,95,7.6x")
    with pytest.raises(
        TableError, match=r"run_50m.csv line 23: '7.6x' is not a number"
    ):
        fitness.load_standard(tables)


def test_validator_refuses_an_in_memory_table_missing_a_sex() -> None:
    standard = fitness.default_standard()
    thresholds = {
        key: rows
        for key, rows in standard.thresholds.items()
        if key != (Item.RUN_800M, 7, Sex.FEMALE)
    }
    broken = dataclasses.replace(standard, thresholds=thresholds)
    with pytest.raises(TableError, match="run_800m has no rows for grade 7 female"):
        fitness.validate_standard(broken)
