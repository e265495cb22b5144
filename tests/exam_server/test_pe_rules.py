"""The PE rules kept as data in exam_server.pe agree with the standards package."""

from __future__ import annotations

from exam_server import pe
from exam_server.models import Candidate
from exam_server.wire import PeAttemptState, PeItem, PeItemResult
from standards import fitness, pe_exam


def test_units_are_the_units_of_the_2014_tables() -> None:
    standard = fitness.default_standard()
    for item in fitness.THRESHOLD_ITEMS:
        sex = (
            fitness.Sex.FEMALE
            if item in fitness.ITEMS_BY_SEX[fitness.Sex.FEMALE]
            else fitness.Sex.MALE
        )
        table_unit = standard.thresholds[(item, 9, sex)][0].unit
        assert pe.UNITS[PeItem(item.value)] == table_unit, item
    assert pe.UNITS[PeItem.BMI] == "kg/m2"


def test_every_table_item_is_a_station_item_and_rope_skipping_has_no_table() -> None:
    assert {item.value for item in fitness.Item} < {item.value for item in PeItem}
    assert pe.fitness_item(PeItem.ROPE_SKIP_1MIN) is None
    assert pe.item_applies(PeItem.ROPE_SKIP_1MIN, "male")
    assert not pe.item_applies(PeItem.PULL_UP, "female")
    assert not pe.item_applies(PeItem.RUN_800M, "male")


def test_best_of_two_or_three_as_the_test_rules_say() -> None:
    assert pe.trials_allowed(PeItem.VITAL_CAPACITY) == 2
    assert pe.trials_allowed(PeItem.SIT_AND_REACH) == 2
    assert pe.trials_allowed(PeItem.STANDING_LONG_JUMP) == 3
    assert {pe.trials_allowed(item) for item in PeItem} == {1, 2, 3}
    assert pe.better_direction(PeItem.RUN_800M) == "lower"
    assert pe.better_direction(PeItem.PULL_UP) == "higher"


def _result(item: PeItem, exam_points: float | None) -> PeItemResult:
    return PeItemResult(
        item=item,
        item_zh=pe.item_zh(item),
        attempt_id=1,
        round=1,
        state=PeAttemptState.OPEN,
        trials_used=1,
        trials_allowed=1,
        best_trial_id=1,
        value=1.0,
        unit=pe.UNITS[item],
        table_points=None,
        bonus=0,
        band=None,
        exam_points=exam_points,
        max_exam_points=None,
        provisional=False,
        provisional_reason="",
        points_note="",
    )


def test_a_choice_group_counts_the_better_of_the_items_tested() -> None:
    config = pe_exam.load_exam_config(2026)
    girl = Candidate(ticket_number="1", name="x", sex="female", school="")
    results = [
        _result(PeItem.RUN_800M, 12.0),
        _result(PeItem.RUN_50M, 6.5),
        _result(PeItem.STANDING_LONG_JUMP, 8.0),
        _result(PeItem.SIT_UP_1MIN, 15.0),
    ]
    assert pe.exam_total(results, girl, config) == 12.0 + 8.0 + 15.0
    assert pe.exam_total(results[:3], girl, config) is None
