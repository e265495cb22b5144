"""The packaged tables against the shared reference copy, cell by cell and row by row.

For every row of every table: a result exactly at the row's threshold scores
the row's points, and a result one recording step worse scores the next
lower level (or 0 below the lowest), so every edge between levels is
checked. The packaged copy must equal the shared one, so drift is caught.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from standards import fitness
from standards.fitness import GRADE_LABELS, ROUNDING, Item, Status

TABLES = "pe/standards_2014_junior"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def shared_tables(shared_data: Path) -> Path:
    folder = shared_data / TABLES
    if not folder.is_dir():
        pytest.skip(f"{folder} is not in the shared data folder")
    return folder


def test_packaged_copy_equals_shared_cell_by_cell(shared_tables: Path) -> None:
    shared_files = sorted(p.name for p in shared_tables.glob("*.csv"))
    packaged_files = sorted(p.name for p in fitness.DATA_DIR.glob("*.csv"))
    assert packaged_files == shared_files
    for name in shared_files:
        shared = _rows(shared_tables / name)
        packaged = _rows(fitness.DATA_DIR / name)
        assert len(packaged) == len(shared), name
        for line, (ours, theirs) in enumerate(zip(packaged, shared, strict=True), 2):
            assert ours == theirs, f"{name} line {line}"


def _worse(item: Item, threshold: Decimal, better: str) -> Decimal:
    """Return the result one recording step worse than ``threshold``."""
    step = ROUNDING[item].step
    return threshold - step if better == "higher" else threshold + step


def _threshold_cases(folder: Path) -> list[tuple[Item, dict[str, str], int]]:
    """Return (item, row, points of the next lower level) for every table row."""
    cases: list[tuple[Item, dict[str, str], int]] = []
    for item in fitness.THRESHOLD_ITEMS:
        rows = _rows(folder / f"{item}.csv")
        for row in rows:
            same_table = [
                int(r["points"])
                for r in rows
                if r["grade"] == row["grade"] and r["gender"] == row["gender"]
            ]
            lower = [p for p in same_table if p < int(row["points"])]
            cases.append((item, row, max(lower, default=0)))
    return cases


def test_every_threshold_row_scores_its_points_and_edge(shared_tables: Path) -> None:
    cases = _threshold_cases(shared_tables)
    assert len(cases) == sum(
        len(_rows(shared_tables / f"{item}.csv")) for item in fitness.THRESHOLD_ITEMS
    )
    for item, row, next_lower in cases:
        grade = GRADE_LABELS[row["grade"]]
        sex = row["gender"]
        threshold = Decimal(row["threshold"])
        label = f"{item} {row['grade']} {sex} {row['points']} at {threshold}"

        at = fitness.points(item, grade=grade, sex=sex, value=threshold)
        assert at.points == int(row["points"]), label
        assert at.bonus == 0, label
        if row["status"] == Status.SINGLE_SOURCE:
            assert at.provisional, label
            assert "教体艺〔2014〕5号" in at.provisional_reason

        past = _worse(item, threshold, row["better"])
        assert fitness.points(item, grade=grade, sex=sex, value=past).points == (
            next_lower
        ), f"{label}: one step worse"


def test_timed_rows_round_a_second_decimal_to_the_next_level(
    shared_tables: Path,
) -> None:
    for item, row, next_lower in _threshold_cases(shared_tables):
        if row["better"] != "lower":
            continue
        # A raw time a hundredth slower than the threshold is recorded one
        # step slower, so it already falls to the next level.
        slower = Decimal(row["threshold"]) + Decimal("0.01")
        score = fitness.points(
            item, grade=GRADE_LABELS[row["grade"]], sex=row["gender"], value=slower
        )
        assert score.points == next_lower, f"{item} {row}"


def test_every_bmi_range_edge(shared_tables: Path) -> None:
    rows = _rows(shared_tables / "bmi.csv")
    step = Decimal("0.1")
    for row in rows:
        grade, sex = GRADE_LABELS[row["grade"]], row["gender"]
        for edge in (row["bmi_min"], row["bmi_max"]):
            if not edge:
                continue
            score = fitness.points("bmi", grade=grade, sex=sex, value=Decimal(edge))
            assert score.points == int(row["points"]), f"{row} at {edge}"
            assert score.provisional == (row["status"] == Status.SINGLE_SOURCE)
        if row["bmi_min"]:
            below = Decimal(row["bmi_min"]) - step
            neighbour = [
                r
                for r in rows
                if (r["grade"], r["gender"]) == (row["grade"], sex)
                and r["bmi_max"]
                and Decimal(r["bmi_max"]) == below
            ]
            assert len(neighbour) == 1, row
            score = fitness.points("bmi", grade=grade, sex=sex, value=below)
            assert score.points == int(neighbour[0]["points"])


def test_every_bonus_step(shared_tables: Path) -> None:
    rows = _rows(shared_tables / "bonus.csv")
    for row in rows:
        item, sex = Item(row["item"]), row["gender"]
        for grade in fitness.GRADES:
            full = fitness.default_standard().thresholds[
                (item, grade, fitness.Sex(sex))
            ][0]
            sign = 1 if full.better is fitness.Better.HIGHER else -1
            margin = Decimal(row["margin"])
            at = full.threshold + sign * margin
            score = fitness.points(item, grade=grade, sex=sex, value=at)
            assert (score.points, score.bonus) == (100, int(row["bonus_points"])), row
            short = full.threshold + sign * (margin - 1)
            less = fitness.points(item, grade=grade, sex=sex, value=short)
            assert less.bonus == int(row["bonus_points"]) - 1, row


def test_weights_and_bands_match(shared_tables: Path) -> None:
    values = {
        r["key"]: r["value"] for r in _rows(shared_tables / "weights_and_bands.csv")
    }
    standard = fitness.default_standard()
    assert standard.weights[Item.RUN_50M] == Decimal(values["weight.run_50m"])
    assert standard.weights[Item.PULL_UP] == Decimal(values["weight.pull_up_or_sit_up"])
    assert standard.bonus_max == int(values["bonus.max"])
