"""The city PE exam configuration: the example file, and what the validator refuses."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from standards import fitness, pe_exam
from standards.errors import ResultOutOfRangeError, TableError
from standards.fitness import Item, Sex


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    path = pe_exam.CONFIG_DIR / "2026.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_example_config_loads_and_says_it_is_an_example() -> None:
    config = pe_exam.load_exam_config(2026)
    assert not config.official
    assert "EXAMPLE" in config.label and "NOT an official" in config.label
    assert config.total_points == 40
    assert [group.compulsory for group in config.groups] == [True, False, False]
    strength = config.slot("strength")
    assert strength.table == {Sex.MALE: Item.PULL_UP, Sex.FEMALE: Item.SIT_UP_1MIN}


def _check(data: dict[str, Any]) -> None:
    config = pe_exam.parse_config(data)
    pe_exam.validate_config(config, standard=fitness.default_standard())


def test_validator_accepts_the_example(example: dict[str, Any]) -> None:
    _check(copy.deepcopy(example))


def _edited(
    example: dict[str, Any], group: int, slot: int, **fields: Any
) -> dict[str, Any]:
    data = copy.deepcopy(example)
    data["groups"][group]["slots"][slot].update(fields)
    return data


def test_validator_refuses_an_unknown_item(example: dict[str, Any]) -> None:
    data = _edited(example, 1, 0, table={"male": "shot_put", "female": "run_50m"})
    with pytest.raises(TableError, match="slot 'run_50m' \\(male\\).*shot_put"):
        _check(data)


def test_validator_refuses_an_item_not_tested_for_a_sex(
    example: dict[str, Any],
) -> None:
    data = _edited(example, 2, 0, table={"male": "pull_up", "female": "pull_up"})
    with pytest.raises(TableError, match="pull_up is not tested for female"):
        _check(data)


def test_validator_refuses_a_slot_without_both_sexes(example: dict[str, Any]) -> None:
    data = _edited(example, 0, 0, table={"male": "run_1000m"})
    with pytest.raises(TableError, match="exactly 'male' and 'female'"):
        _check(data)


def test_validator_refuses_points_that_do_not_add_up(example: dict[str, Any]) -> None:
    data = _edited(example, 0, 0, points=20)
    with pytest.raises(TableError, match="add up to 45 points but total_points is 40"):
        _check(data)


def test_validator_refuses_a_choice_that_changes_the_total(
    example: dict[str, Any],
) -> None:
    data = _edited(example, 1, 1, points=12)
    with pytest.raises(TableError, match="different points"):
        _check(data)


def test_validator_refuses_choose_out_of_range(example: dict[str, Any]) -> None:
    data = copy.deepcopy(example)
    data["groups"][1]["choose"] = 3
    with pytest.raises(TableError, match="choose is 3 of 2 slots"):
        _check(data)


def test_validator_refuses_a_repeated_slot(example: dict[str, Any]) -> None:
    data = _edited(example, 2, 1, name="strength")
    with pytest.raises(TableError, match="'strength'.*more than once"):
        _check(data)


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("standard", "fitness_1990", "fitness_1990"),
        ("conversion", "lookup_table", "lookup_table"),
        ("grade", 6, "grade 6"),
        ("year", "2026", "'year'"),
        ("official", "no", "'official'"),
    ],
)
def test_validator_refuses_bad_fields(
    example: dict[str, Any], key: str, value: object, words: str
) -> None:
    data = copy.deepcopy(example)
    data[key] = value
    with pytest.raises(TableError, match=words):
        _check(data)


def test_validator_refuses_a_config_over_broken_tables(example: dict[str, Any]) -> None:
    standard = fitness.default_standard()
    rows = standard.thresholds[(Item.RUN_50M, 9, Sex.FEMALE)]
    swapped = (rows[1], rows[0], *rows[2:])  # 95 points listed before 100
    thresholds = {**standard.thresholds, (Item.RUN_50M, 9, Sex.FEMALE): swapped}
    broken = dataclasses.replace(standard, thresholds=thresholds)
    config = pe_exam.parse_config(copy.deepcopy(example))
    with pytest.raises(TableError, match="run_50m grade 9 female"):
        pe_exam.validate_config(config, standard=broken)


def test_loading_reports_bad_files(tmp_path: Path) -> None:
    (tmp_path / "2027.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(TableError, match="2027.json"):
        pe_exam.load_exam_config(2027, folder=tmp_path)
    with pytest.raises(TableError, match="no PE exam configuration for 2030.*2027"):
        pe_exam.load_exam_config(2030, folder=tmp_path)


@pytest.mark.parametrize(
    ("table_points", "max_points", "expected"),
    [(100, 15, 15.0), (0, 15, 0.0), (85, 15, 13.0), (50, 15, 7.5), (76, 10, 7.5)],
)
def test_exam_points_are_linear_in_half_points(
    table_points: int, max_points: float, expected: float
) -> None:
    assert pe_exam.exam_points(table_points=table_points, max_points=max_points) == (
        expected
    )


def test_score_slot_uses_the_table_of_the_candidate_sex() -> None:
    config = pe_exam.load_exam_config(2026)
    girl = pe_exam.score_slot(config, "distance_run", sex="female", value="3'25\"")
    assert (girl.item_score.item, girl.points, girl.max_points) == (
        Item.RUN_800M,
        15.0,
        15.0,
    )
    boy = pe_exam.score_slot(config, "distance_run", sex="male", value="4'05\"")
    assert (boy.item_score.points, boy.points) == (80, 12.0)
    with pytest.raises(TableError, match="slot 'javelin'"):
        pe_exam.score_slot(config, "javelin", sex="male", value=10)
    with pytest.raises(ResultOutOfRangeError):
        pe_exam.score_slot(config, "strength", sex="male", value=-1)
