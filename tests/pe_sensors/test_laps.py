"""Lap counting of the distance runs, on reads with known answers.

1000 m on a 400 m track: start 200 m before the finish line, passages of the
antenna (on the finish line) at 200, 600 and 1000 m. 800 m: start on the
finish line, passages at 400 and 800 m.
"""

from __future__ import annotations

import pytest

from pe_sensors.drivers.laps import RacePlan, RunStatus, count_laps
from pe_sensors.drivers.readings import LapRead
from pe_sensors.errors import LapCountError

TAG_A = "E28011700000020000000A01"
TAG_A2 = "E28011700000020000000A02"
TAG_B = "E28011700000020000000B01"
STRANGER = "E280117000000200000000FF"

RUN_1000 = RacePlan(distance_m=1000, expected_lap_s=85.0)
RUN_800 = RacePlan(distance_m=800, expected_lap_s=95.0)


def passing(tag: str, t_s: float, *, reads: int = 4) -> list[LapRead]:
    """A tag crossing the antenna: several reads 0.3 s apart, two antennas."""
    return [
        LapRead(tag_id=tag, t_s=round(t_s + 0.3 * k, 3), antenna=1 + k % 2)
        for k in range(reads)
    ]


def test_plan_geometry_of_the_two_distances() -> None:
    assert RUN_1000.passage_distances_m == (200.0, 600.0, 1000.0)
    assert RUN_800.passage_distances_m == (400.0, 800.0)
    assert RacePlan(distance_m=50, expected_lap_s=85.0).n_passages == 1


def test_repeated_reads_make_one_passage_and_the_finish_is_the_first_read() -> None:
    reads = passing(TAG_A, 40.0) + passing(TAG_A, 125.0) + passing(TAG_A, 210.4)
    result = count_laps(reads, plan=RUN_1000, tags={TAG_A: "T001"}).results["T001"]
    assert [p.t_s for p in result.passages] == [40.0, 125.0, 210.4]
    assert [p.reads for p in result.passages] == [4, 4, 4]
    assert (result.status, result.finish_s) == (RunStatus.FINISHED, 210.4)
    assert not result.needs_review
    assert result.bridged == ()


def test_a_missed_middle_passage_is_bridged_and_flagged() -> None:
    reads = passing(TAG_A, 40.0) + passing(TAG_A, 210.0)
    result = count_laps(reads, plan=RUN_1000, tags={TAG_A: "T001"}).results["T001"]
    assert result.bridged == (2,)
    middle = result.passages[1]
    # Halfway in distance between 200 m at 40 s and 1000 m at 210 s.
    assert (middle.distance_m, middle.t_s, middle.reads) == (600.0, 125.0, 0)
    assert (result.status, result.finish_s) == (RunStatus.FINISHED, 210.0)
    assert result.needs_review


def test_a_missed_first_passage_is_bridged_from_the_start() -> None:
    reads = passing(TAG_A, 126.0) + passing(TAG_A, 210.0)
    result = count_laps(reads, plan=RUN_1000, tags={TAG_A: "T001"}).results["T001"]
    assert result.bridged == (1,)
    assert result.passages[0].t_s == pytest.approx(126.0 * 200 / 600)
    assert result.finish_s == 210.0


def test_a_missed_finish_is_estimated_from_own_pace_and_flagged() -> None:
    reads = passing(TAG_A, 40.0) + passing(TAG_A, 126.0)
    result = count_laps(reads, plan=RUN_1000, tags={TAG_A: "T001"}).results["T001"]
    assert result.status is RunStatus.FINISH_BRIDGED
    assert result.finish_s == pytest.approx(126.0 * 1000 / 600)
    assert result.bridged == (3,)
    assert result.needs_review


def test_too_few_passages_is_not_finished() -> None:
    result = count_laps(
        passing(TAG_A, 40.0), plan=RUN_1000, tags={TAG_A: "T001", TAG_B: "T002"}
    ).results
    assert result["T001"].status is RunStatus.NOT_FINISHED
    assert result["T001"].finish_s is None
    assert result["T002"].status is RunStatus.NOT_FINISHED
    assert result["T002"].passages == ()


def test_start_line_reads_and_a_cool_down_lap_are_ignored_in_the_800() -> None:
    # 800 m runners line up on the finish line: their tags are read at the gun.
    reads = (
        passing(TAG_B, 0.2)
        + passing(TAG_B, 96.5)
        + passing(TAG_B, 193.1)
        + passing(TAG_B, 300.0, reads=2)  # walking a lap after finishing
    )
    result = count_laps(reads, plan=RUN_800, tags={TAG_B: "T002"}).results["T002"]
    assert [p.t_s for p in result.passages] == [96.5, 193.1]
    assert (result.status, result.finish_s) == (RunStatus.FINISHED, 193.1)
    assert result.ignored_reads == 4 + 2
    assert not result.needs_review


def test_lingering_by_the_antenna_is_not_a_lap() -> None:
    reads = passing(TAG_A, 40.0) + passing(TAG_A, 60.0) + passing(TAG_A, 125.0)
    reads += passing(TAG_A, 210.0)
    result = count_laps(reads, plan=RUN_1000, tags={TAG_A: "T001"}).results["T001"]
    assert [p.t_s for p in result.passages] == [40.0, 125.0, 210.0]
    assert result.ignored_reads == 4


def test_several_candidates_two_tags_each_and_a_stranger() -> None:
    reads = (
        passing(TAG_A, 41.0, reads=2)
        + passing(TAG_A2, 40.6, reads=1)  # the second tag is read first
        + passing(TAG_B, 44.0)
        + passing(TAG_A2, 127.0)
        + passing(TAG_B, 133.5)
        + passing(TAG_A, 212.0)
        + passing(TAG_B, 228.0)
        + passing(STRANGER, 90.0)
    )
    tags = {TAG_A: "T001", TAG_A2: "T001", TAG_B: "T002"}
    count = count_laps(sorted(reads, key=lambda r: -r.t_s), plan=RUN_1000, tags=tags)
    assert count.results["T001"].finish_s == 212.0
    assert count.results["T001"].passages[0].t_s == 40.6
    assert count.results["T001"].passages[0].reads == 3
    assert count.results["T002"].finish_s == 228.0
    assert count.unknown_tags == {STRANGER: 4}


def test_a_gap_fitting_no_whole_lap_count_needs_review() -> None:
    # 128 s after the 200 m passage is 1.5 expected laps: 600 m or 1000 m?
    reads = passing(TAG_A, 40.0) + passing(TAG_A, 168.0)
    result = count_laps(reads, plan=RUN_1000, tags={TAG_A: "T001"}).results["T001"]
    assert result.needs_review
    assert result.bridged  # whichever reading was chosen, it is flagged


def test_an_inconsistent_plan_is_refused() -> None:
    with pytest.raises(LapCountError, match="must increase"):
        RacePlan(distance_m=1000, expected_lap_s=40.0, min_lap_s=45.0)
    with pytest.raises(LapCountError, match="positive"):
        RacePlan(distance_m=0, expected_lap_s=85.0)
