"""The national student physical fitness standard (2014) for grades 7-9, with lookups.

The tables of 国家学生体质健康标准（2014年修订）(教体艺〔2014〕5号 and its annex)
for junior middle school live as CSV files in ``data/fitness_2014`` (see the
README there for the sources and for what ``status`` means). This module loads
them into typed rows, refuses a table that is not monotone or leaves a grade
or sex uncovered, and scores results:

* :func:`points` gives one item's points (0-100), its extra points (加分), its
  band and whether the result rests on a row that only one source gives;
* :func:`total_score` gives a candidate's weighted total (标准分), the capped
  extra points (附加分) and the band of the year total (学年总分).

Results are rounded the way the test rules record them before any lookup
(see :data:`ROUNDING`), so the same stopwatch reading always scores the same.
Arithmetic is decimal, never binary floating point: ``7.41`` must become
``7.5`` and never ``7.4`` or ``7.6``.
"""

from __future__ import annotations

import csv
import enum
import functools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_UP,
    Decimal,
    InvalidOperation,
)
from pathlib import Path
from typing import TypeVar

from standards.errors import (
    GradeError,
    ItemNotApplicableError,
    ResultOutOfRangeError,
    StandardsError,
    TableError,
    UnknownItemError,
)

logger = logging.getLogger(__name__)

_E = TypeVar("_E", bound=enum.StrEnum)

DATA_DIR = Path(__file__).resolve().parent / "data" / "fitness_2014"
"""The packaged tables (a copy, checked cell by cell against their sources)."""

OFFICIAL_SOURCE = "教体艺〔2014〕5号"

PROVISIONAL_REASON = f"single-source row, check against the annex of {OFFICIAL_SOURCE}"
"""Why a result is marked provisional: a row only one public source gives."""


class Item(enum.StrEnum):
    """A tested item of the standard, named as in the tables' file names."""

    BMI = "bmi"  # 体重指数, kg/m2
    VITAL_CAPACITY = "vital_capacity"  # 肺活量, ml
    RUN_50M = "run_50m"  # 50米跑, s
    SIT_AND_REACH = "sit_and_reach"  # 坐位体前屈, cm
    STANDING_LONG_JUMP = "standing_long_jump"  # 立定跳远, cm
    PULL_UP = "pull_up"  # 引体向上 (boys), repetitions
    SIT_UP_1MIN = "sit_up_1min"  # 1分钟仰卧起坐 (girls), repetitions
    RUN_1000M = "run_1000m"  # 1000米跑 (boys), s
    RUN_800M = "run_800m"  # 800米跑 (girls), s


class Sex(enum.StrEnum):
    """The candidate's sex, as the tables' ``gender`` column spells it."""

    MALE = "male"
    FEMALE = "female"


class Better(enum.StrEnum):
    """Which direction of a result is the better one."""

    HIGHER = "higher"  # distances, volumes, counts
    LOWER = "lower"  # times


class Band(enum.StrEnum):
    """The standard's rating bands (等级); Chinese names in the glossary."""

    EXCELLENT = "excellent"  # 优秀: 90.0 and above
    GOOD = "good"  # 良好: 80.0 to 89.9
    PASS = "pass"  # 及格: 60.0 to 79.9
    FAIL = "fail"  # 不及格: 59.9 and below


class Status(enum.StrEnum):
    """How well a table row is attested (see the data README)."""

    AGREED = "agreed"  # two or more independent sources give this value
    SINGLE_SOURCE = "single source"  # only one source covers this row


GRADES = (7, 8, 9)
"""Junior middle school grades the tables cover (初一, 初二, 初三)."""

GRADE_LABELS: Mapping[str, int] = {"初一": 7, "初二": 8, "初三": 9}
"""The tables' grade labels and the grade numbers they stand for."""

ITEMS_BY_SEX: Mapping[Sex, tuple[Item, ...]] = {
    Sex.MALE: (
        Item.BMI,
        Item.VITAL_CAPACITY,
        Item.RUN_50M,
        Item.SIT_AND_REACH,
        Item.STANDING_LONG_JUMP,
        Item.PULL_UP,
        Item.RUN_1000M,
    ),
    Sex.FEMALE: (
        Item.BMI,
        Item.VITAL_CAPACITY,
        Item.RUN_50M,
        Item.SIT_AND_REACH,
        Item.STANDING_LONG_JUMP,
        Item.SIT_UP_1MIN,
        Item.RUN_800M,
    ),
}
"""The seven items the standard tests at junior level, per sex."""

THRESHOLD_ITEMS = tuple(item for item in Item if item is not Item.BMI)
"""Items scored from a threshold table (BMI is scored from ranges)."""

BONUS_ITEMS: Mapping[Sex, tuple[Item, ...]] = {
    Sex.MALE: (Item.PULL_UP, Item.RUN_1000M),
    Sex.FEMALE: (Item.SIT_UP_1MIN, Item.RUN_800M),
}
"""Items that earn extra points beyond full marks (加分指标), per sex."""

_WEIGHT_KEYS: Mapping[Item, str] = {
    Item.BMI: "weight.bmi",
    Item.VITAL_CAPACITY: "weight.vital_capacity",
    Item.RUN_50M: "weight.run_50m",
    Item.SIT_AND_REACH: "weight.sit_and_reach",
    Item.STANDING_LONG_JUMP: "weight.standing_long_jump",
    Item.PULL_UP: "weight.pull_up_or_sit_up",
    Item.SIT_UP_1MIN: "weight.pull_up_or_sit_up",
    Item.RUN_1000M: "weight.run_1000m_or_800m",
    Item.RUN_800M: "weight.run_1000m_or_800m",
}

_BAND_KEYS: Mapping[str, Band] = {
    "band.优秀": Band.EXCELLENT,
    "band.良好": Band.GOOD,
    "band.及格": Band.PASS,
    "band.不及格": Band.FAIL,
}


# --- rounding and plausibility --------------------------------------------


@dataclass(frozen=True)
class Rounding:
    """How the test rules record a raw result before it is looked up."""

    step: Decimal  # the recording resolution, in the table's unit
    mode: str  # a decimal rounding mode (ROUND_CEILING, ROUND_FLOOR, ...)
    rule: str  # the rule in words, with where it comes from


ROUNDING: Mapping[Item, Rounding] = {
    Item.BMI: Rounding(
        Decimal("0.1"),
        ROUND_HALF_UP,
        "kg/m2 to one decimal, half up: the standard's BMI cut-offs are given "
        "to 0.1 (e.g. 正常 15.5-22.1, 低体重 <=15.4), so a value must have one "
        "decimal to fall in exactly one range",
    ),
    Item.VITAL_CAPACITY: Rounding(
        Decimal("1"),
        ROUND_FLOOR,
        "whole ml, fraction dropped: the test rules record vital capacity in "
        "ml without decimals",
    ),
    Item.RUN_50M: Rounding(
        Decimal("0.1"),
        ROUND_CEILING,
        "seconds to one decimal, a nonzero second decimal rounds up "
        "(7.41 s -> 7.5 s): the test rules for timed runs",
    ),
    Item.SIT_AND_REACH: Rounding(
        Decimal("0.1"),
        ROUND_FLOOR,
        "cm to one decimal as the test rules record it; further digits are "
        "dropped (towards the worse result, as times round up)",
    ),
    Item.STANDING_LONG_JUMP: Rounding(
        Decimal("1"),
        ROUND_FLOOR,
        "whole cm, fraction dropped: the test rules record the jump in cm "
        "without decimals",
    ),
    Item.PULL_UP: Rounding(
        Decimal("1"),
        ROUND_FLOOR,
        "whole repetitions; only completed repetitions count",
    ),
    Item.SIT_UP_1MIN: Rounding(
        Decimal("1"),
        ROUND_FLOOR,
        "whole repetitions; only completed repetitions count",
    ),
    Item.RUN_1000M: Rounding(
        Decimal("1"),
        ROUND_CEILING,
        "whole seconds (the table is in m'ss\"); a nonzero fraction rounds up, "
        "the same rule as for the 50 m applied to the recorded resolution",
    ),
    Item.RUN_800M: Rounding(
        Decimal("1"),
        ROUND_CEILING,
        "whole seconds (the table is in m'ss\"); a nonzero fraction rounds up, "
        "the same rule as for the 50 m applied to the recorded resolution",
    ),
}
"""Recording rule per item, applied to the raw result before the lookup."""


@dataclass(frozen=True)
class Plausible:
    """The range of results a person can produce; outside it is an input error."""

    low: Decimal
    high: Decimal
    unit: str
    whole: bool = False  # counts of repetitions must be whole numbers


PLAUSIBLE: Mapping[Item, Plausible] = {
    # BMI of a 10-16 year old outside 8-60 kg/m2 means a typing error.
    Item.BMI: Plausible(Decimal("8"), Decimal("60"), "kg/m2"),
    # Adult record-level spirometry stays below 8 l.
    Item.VITAL_CAPACITY: Plausible(Decimal("0"), Decimal("8000"), "ml"),
    # Faster than 5.0 s for 50 m would beat adult sprinters; 60 s is walking.
    Item.RUN_50M: Plausible(Decimal("5.0"), Decimal("60"), "s"),
    Item.SIT_AND_REACH: Plausible(Decimal("-40"), Decimal("50"), "cm"),
    # The men's world best standing long jump is about 3.7 m.
    Item.STANDING_LONG_JUMP: Plausible(Decimal("0"), Decimal("400"), "cm"),
    Item.PULL_UP: Plausible(Decimal("0"), Decimal("100"), "repetitions", True),
    Item.SIT_UP_1MIN: Plausible(Decimal("0"), Decimal("100"), "repetitions", True),
    # World records: 1000 m about 2'12", 800 m (women) about 1'54".
    Item.RUN_1000M: Plausible(Decimal("120"), Decimal("1200"), "s"),
    Item.RUN_800M: Plausible(Decimal("100"), Decimal("1200"), "s"),
}
"""Results outside these ranges are refused as input errors, never scored."""

HEIGHT_CM = Plausible(Decimal("80"), Decimal("230"), "cm")
WEIGHT_KG = Plausible(Decimal("10"), Decimal("250"), "kg")


# --- rows ------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdRow:
    """One level of an item: ``points`` for a result at or beyond ``threshold``."""

    item: Item
    grade: int
    sex: Sex
    points: int
    threshold: Decimal
    unit: str
    better: Better
    sources: tuple[str, ...]
    status: Status

    def describe(self) -> str:
        """Return the row in one line, with its sources and status."""
        return (
            f"{self.item} grade {self.grade} {self.sex}: {self.points} points at "
            f"{self.threshold} {self.unit} [{';'.join(self.sources)}, {self.status}]"
        )


@dataclass(frozen=True)
class BmiRow:
    """One BMI category: ``points`` for a BMI within ``bmi_min``..``bmi_max``."""

    grade: int
    sex: Sex
    points: int
    bmi_min: Decimal | None  # None: no lower bound (低体重)
    bmi_max: Decimal | None  # None: no upper bound (肥胖)
    category: str
    sources: tuple[str, ...]
    status: Status

    def contains(self, bmi: Decimal) -> bool:
        """Return whether a BMI rounded to 0.1 falls in this category."""
        above = self.bmi_min is None or bmi >= self.bmi_min
        below = self.bmi_max is None or bmi <= self.bmi_max
        return above and below

    def describe(self) -> str:
        """Return the row in one line, with its sources and status."""
        low = "" if self.bmi_min is None else str(self.bmi_min)
        high = "" if self.bmi_max is None else str(self.bmi_max)
        return (
            f"bmi grade {self.grade} {self.sex}: {self.points} points for "
            f"{low}..{high} kg/m2 ({self.category}) "
            f"[{';'.join(self.sources)}, {self.status}]"
        )


@dataclass(frozen=True)
class BonusRow:
    """Extra points: ``bonus_points`` for ``margin`` beyond the full-mark value."""

    item: Item
    sex: Sex
    bonus_points: int
    margin: Decimal  # repetitions above, or seconds faster than, full marks
    sources: tuple[str, ...]
    status: Status

    def describe(self) -> str:
        """Return the row in one line, with its sources and status."""
        return (
            f"bonus {self.item} {self.sex}: +{self.bonus_points} for a margin of "
            f"{self.margin} [{';'.join(self.sources)}, {self.status}]"
        )


TableRow = ThresholdRow | BmiRow | BonusRow


@dataclass(frozen=True)
class BodySize:
    """Standing height and body weight, from which the BMI is computed."""

    height_cm: float
    weight_kg: float


Measured = float | int | str | Decimal
"""A number in the table's unit, or a run time as m'ss"."""

RawResult = Measured | BodySize
"""A result as measured; BMI also as a :class:`BodySize`."""


@dataclass(frozen=True)
class FitnessStandard:
    """Every table of the standard, checked by :func:`validate_standard`."""

    thresholds: Mapping[tuple[Item, int, Sex], tuple[ThresholdRow, ...]]
    """Levels per item, grade and sex, best (100 points) first."""
    bmi: Mapping[tuple[int, Sex], tuple[BmiRow, ...]]
    """BMI categories per grade and sex, lowest BMI first."""
    bonus: Mapping[tuple[Item, Sex], tuple[BonusRow, ...]]
    """Extra-point steps per item and sex, smallest margin first."""
    weights: Mapping[Item, Decimal]
    """Weight of each item in the 标准分 (fractions summing to 1 per sex)."""
    band_floors: tuple[tuple[Band, Decimal], ...]
    """Each band with its lowest total, best band first."""
    bonus_max: int
    """Cap on the extra points (附加分) of a year total."""


@dataclass(frozen=True)
class ItemScore:
    """The score of one result, with the rows it rests on."""

    item: Item
    grade: int
    sex: Sex
    result: float  # the result as recorded (after ROUNDING), in ``unit``
    unit: str
    points: int  # 0-100 from the item's table
    bonus: int  # extra points beyond full marks (0 for items without them)
    band: Band  # band of ``points``
    provisional: bool  # True when a row used is a single-source row
    provisional_reason: str  # PROVISIONAL_REASON, or "" when not provisional
    rows_used: tuple[TableRow, ...]  # the rows whose values decided the score
    rounding: str  # the recording rule applied to the raw result


@dataclass(frozen=True)
class TotalScore:
    """A candidate's year total (学年总分) over the seven items."""

    grade: int
    sex: Sex
    items: Mapping[Item, ItemScore]
    weighted: float  # 标准分: sum of points x weight, 0-100
    bonus: int  # 附加分: extra points, capped at the standard's maximum
    total: float  # 学年总分 = weighted + bonus
    band: Band  # band of ``total``
    provisional: bool  # True when any item's score is provisional
    provisional_items: tuple[Item, ...]


# --- loading -----------------------------------------------------------------


def _read_csv(path: Path) -> list[dict[str, str]]:
    """Return the rows of ``path`` as dicts, or raise TableError."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise TableError(
            f"cannot read standards table {path}: {exc}; restore the packaged "
            "copy of the file"
        ) from exc


def _cell(row: dict[str, str], column: str, *, where: str) -> str:
    """Return a stripped cell, or raise TableError naming the place."""
    value = row.get(column)
    if value is None:
        raise TableError(f"{where}: column {column!r} is missing; restore the file")
    return value.strip()


def _decimal(text: str, *, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise TableError(
            f"{where}: {text!r} is not a number; correct the cell"
        ) from exc
    if not value.is_finite():
        raise TableError(f"{where}: {text!r} is not a finite number")
    return value


def _int(text: str, *, where: str) -> int:
    value = _decimal(text, where=where)
    if value != value.to_integral_value():
        raise TableError(f"{where}: {text!r} must be a whole number")
    return int(value)


def _grade(text: str, *, where: str) -> int:
    if text not in GRADE_LABELS:
        raise TableError(
            f"{where}: grade {text!r} is not one of {', '.join(GRADE_LABELS)}"
        )
    return GRADE_LABELS[text]


def _enum(kind: type[_E], text: str, *, where: str) -> _E:
    try:
        return kind(text)
    except ValueError as exc:
        allowed = ", ".join(member.value for member in kind)
        raise TableError(f"{where}: {text!r} is not one of {allowed}") from exc


def _sources(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(";") if part.strip())


def _load_thresholds(
    folder: Path,
) -> dict[tuple[Item, int, Sex], tuple[ThresholdRow, ...]]:
    tables: dict[tuple[Item, int, Sex], list[ThresholdRow]] = {}
    for item in THRESHOLD_ITEMS:
        path = folder / f"{item}.csv"
        for line, raw in enumerate(_read_csv(path), start=2):
            where = f"{path.name} line {line}"
            row = ThresholdRow(
                item=item,
                grade=_grade(_cell(raw, "grade", where=where), where=where),
                sex=_enum(Sex, _cell(raw, "gender", where=where), where=where),
                points=_int(_cell(raw, "points", where=where), where=where),
                threshold=_decimal(_cell(raw, "threshold", where=where), where=where),
                unit=_cell(raw, "unit", where=where),
                better=_enum(Better, _cell(raw, "better", where=where), where=where),
                sources=_sources(_cell(raw, "sources", where=where)),
                status=_enum(Status, _cell(raw, "status", where=where), where=where),
            )
            tables.setdefault((item, row.grade, row.sex), []).append(row)
    return {
        key: tuple(sorted(rows, key=lambda row: -row.points))
        for key, rows in tables.items()
    }


def _load_bmi(folder: Path) -> dict[tuple[int, Sex], tuple[BmiRow, ...]]:
    path = folder / "bmi.csv"
    tables: dict[tuple[int, Sex], list[BmiRow]] = {}
    for line, raw in enumerate(_read_csv(path), start=2):
        where = f"{path.name} line {line}"
        low = _cell(raw, "bmi_min", where=where)
        high = _cell(raw, "bmi_max", where=where)
        row = BmiRow(
            grade=_grade(_cell(raw, "grade", where=where), where=where),
            sex=_enum(Sex, _cell(raw, "gender", where=where), where=where),
            points=_int(_cell(raw, "points", where=where), where=where),
            bmi_min=_decimal(low, where=where) if low else None,
            bmi_max=_decimal(high, where=where) if high else None,
            category=_cell(raw, "category", where=where),
            sources=_sources(_cell(raw, "sources", where=where)),
            status=_enum(Status, _cell(raw, "status", where=where), where=where),
        )
        tables.setdefault((row.grade, row.sex), []).append(row)

    def lowest_first(row: BmiRow) -> Decimal:
        return row.bmi_min if row.bmi_min is not None else Decimal("-Infinity")

    return {key: tuple(sorted(rows, key=lowest_first)) for key, rows in tables.items()}


def _load_bonus(folder: Path) -> dict[tuple[Item, Sex], tuple[BonusRow, ...]]:
    path = folder / "bonus.csv"
    tables: dict[tuple[Item, Sex], list[BonusRow]] = {}
    for line, raw in enumerate(_read_csv(path), start=2):
        where = f"{path.name} line {line}"
        row = BonusRow(
            item=_enum(Item, _cell(raw, "item", where=where), where=where),
            sex=_enum(Sex, _cell(raw, "gender", where=where), where=where),
            bonus_points=_int(_cell(raw, "bonus_points", where=where), where=where),
            margin=_decimal(_cell(raw, "margin", where=where), where=where),
            sources=_sources(_cell(raw, "sources", where=where)),
            status=_enum(Status, _cell(raw, "status", where=where), where=where),
        )
        tables.setdefault((row.item, row.sex), []).append(row)
    return {
        key: tuple(sorted(rows, key=lambda row: row.bonus_points))
        for key, rows in tables.items()
    }


def _load_weights_and_bands(
    folder: Path,
) -> tuple[dict[Item, Decimal], tuple[tuple[Band, Decimal], ...], int]:
    path = folder / "weights_and_bands.csv"
    values: dict[str, str] = {}
    for line, raw in enumerate(_read_csv(path), start=2):
        where = f"{path.name} line {line}"
        values[_cell(raw, "key", where=where)] = _cell(raw, "value", where=where)

    def value_of(key: str) -> str:
        if key not in values:
            raise TableError(f"{path.name}: key {key!r} is missing; restore the file")
        return values[key]

    weights = {
        item: _decimal(value_of(key), where=f"{path.name} {key}")
        for item, key in _WEIGHT_KEYS.items()
    }
    floors: list[tuple[Band, Decimal]] = []
    for key, band in _BAND_KEYS.items():
        floors.append((band, _band_floor(value_of(key), where=f"{path.name} {key}")))
    bonus_max = _int(value_of("bonus.max"), where=f"{path.name} bonus.max")
    return weights, tuple(floors), bonus_max


def _band_floor(text: str, *, where: str) -> Decimal:
    """Return the lowest total of a band written as ``>=X``, ``X-Y`` or ``<=Y``.

    A band written ``<=Y`` is the lowest band and has no floor.
    """
    if text.startswith(">="):
        return _decimal(text[2:], where=where)
    if text.startswith("<="):
        return Decimal("-Infinity")
    low, sep, _high = text.partition("-")
    if not sep:
        raise TableError(f"{where}: band {text!r} is not >=X, X-Y or <=Y")
    return _decimal(low, where=where)


def load_standard(folder: Path = DATA_DIR) -> FitnessStandard:
    """Load and check the tables in ``folder``.

    Parameters
    ----------
    folder : Path
        A folder laid out like ``data/fitness_2014`` (one CSV per item,
        ``bonus.csv`` and ``weights_and_bands.csv``).

    Returns
    -------
    FitnessStandard
        The tables, already checked by :func:`validate_standard`.

    Raises
    ------
    TableError
        A file is missing or malformed, or the tables are inconsistent.
    """
    weights, band_floors, bonus_max = _load_weights_and_bands(folder)
    standard = FitnessStandard(
        thresholds=_load_thresholds(folder),
        bmi=_load_bmi(folder),
        bonus=_load_bonus(folder),
        weights=weights,
        band_floors=band_floors,
        bonus_max=bonus_max,
    )
    validate_standard(standard)
    logger.debug("loaded fitness standard from %s", folder)
    return standard


@functools.cache
def default_standard() -> FitnessStandard:
    """Return the packaged tables, loaded and checked once per process."""
    return load_standard(DATA_DIR)


# --- validation --------------------------------------------------------------


def validate_standard(standard: FitnessStandard) -> None:
    """Refuse tables that could score a result wrongly.

    Checks that every item the standard tests has a table for every grade
    (7, 8, 9) and each sex it applies to, and no table for a sex it does not
    apply to; that levels are strictly monotone (better points need a
    strictly better threshold) and top out at 100 points; that the BMI
    ranges of each grade and sex tile the axis without gap or overlap; that
    the extra-point steps grow; and that the weights of each sex sum to 1.

    Raises
    ------
    TableError
        On the first inconsistency, naming the table, grade and sex.
    """
    _validate_threshold_tables(standard)
    _validate_bmi(standard)
    _validate_bonus(standard)
    _validate_weights(standard)
    _validate_bands(standard)


def _expected_better(item: Item) -> Better:
    timed = (Item.RUN_50M, Item.RUN_1000M, Item.RUN_800M)
    return Better.LOWER if item in timed else Better.HIGHER


def _validate_threshold_tables(standard: FitnessStandard) -> None:
    for item, _grade, sex in standard.thresholds:
        if item not in ITEMS_BY_SEX[sex]:
            raise TableError(
                f"{item} has rows for {sex} candidates but the standard does not "
                f"test {item} for {sex}; remove those rows"
            )
    for sex, items in ITEMS_BY_SEX.items():
        for item in items:
            if item is Item.BMI:
                continue
            for grade in GRADES:
                rows = standard.thresholds.get((item, grade, sex))
                if not rows:
                    raise TableError(
                        f"{item} has no rows for grade {grade} {sex}; every grade "
                        "7-9 and sex must be covered before the table is used"
                    )
                _validate_levels(item, grade, sex, rows)


def _validate_levels(
    item: Item, grade: int, sex: Sex, rows: tuple[ThresholdRow, ...]
) -> None:
    where = f"{item} grade {grade} {sex}"
    expected = _expected_better(item)
    if rows[0].points != 100:
        raise TableError(f"{where}: the best level gives {rows[0].points}, not 100")
    for row in rows:
        if row.better is not expected or row.unit != rows[0].unit:
            raise TableError(
                f"{where}: row for {row.points} points says {row.better} in "
                f"{row.unit}; the item is {expected}-is-better in {rows[0].unit}"
            )
        if not 0 < row.points <= 100:
            raise TableError(f"{where}: {row.points} points is outside 1-100")
    for upper, lower in zip(rows, rows[1:], strict=False):
        if lower.points == upper.points:
            raise TableError(f"{where}: {upper.points} points appears twice")
        strictly_worse = (
            lower.threshold < upper.threshold
            if expected is Better.HIGHER
            else lower.threshold > upper.threshold
        )
        if not strictly_worse:
            raise TableError(
                f"{where} is not monotone: {lower.points} points at "
                f"{lower.threshold} {lower.unit} vs {upper.points} points at "
                f"{upper.threshold} {upper.unit}; fewer points need a strictly "
                "worse threshold, correct the table"
            )


_BMI_STEP = Decimal("0.1")


def _validate_bmi(standard: FitnessStandard) -> None:
    for sex in Sex:
        for grade in GRADES:
            rows = standard.bmi.get((grade, sex))
            where = f"bmi grade {grade} {sex}"
            if not rows:
                raise TableError(
                    f"{where} has no rows; every grade 7-9 and sex must be covered"
                )
            if rows[0].bmi_min is not None or rows[-1].bmi_max is not None:
                raise TableError(
                    f"{where}: the lowest range needs no lower bound and the "
                    "highest no upper bound, so every BMI falls in one range"
                )
            for below, above in zip(rows, rows[1:], strict=False):
                if below.bmi_max is None or above.bmi_min is None:
                    raise TableError(f"{where}: an inner range is open-ended")
                if above.bmi_min - below.bmi_max != _BMI_STEP:
                    raise TableError(
                        f"{where}: {below.category} ends at {below.bmi_max} but "
                        f"{above.category} starts at {above.bmi_min}; ranges must "
                        "follow each other in steps of 0.1 kg/m2"
                    )
            if max(row.points for row in rows) != 100:
                raise TableError(f"{where}: no range gives 100 points")


def _validate_bonus(standard: FitnessStandard) -> None:
    for key in standard.bonus:
        item, sex = key
        if item not in BONUS_ITEMS[sex]:
            raise TableError(
                f"bonus rows for {item} {sex}: the standard gives extra points "
                f"only for {', '.join(BONUS_ITEMS[sex])} to {sex} candidates"
            )
    for sex, items in BONUS_ITEMS.items():
        for item in items:
            rows = standard.bonus.get((item, sex))
            where = f"bonus {item} {sex}"
            if not rows:
                raise TableError(f"{where} has no rows; restore bonus.csv")
            steps = [row.bonus_points for row in rows]
            if steps != list(range(1, len(rows) + 1)):
                raise TableError(f"{where}: bonus points {steps} are not 1, 2, 3...")
            margins = [row.margin for row in rows]
            increasing = all(b > a for a, b in zip(margins, margins[1:], strict=False))
            if margins[0] <= 0 or not increasing:
                raise TableError(
                    f"{where}: margins {[str(m) for m in margins]} must be "
                    "positive and strictly increasing"
                )


def _validate_weights(standard: FitnessStandard) -> None:
    for sex, items in ITEMS_BY_SEX.items():
        total = sum((standard.weights[item] for item in items), Decimal(0))
        if total != 1:
            raise TableError(
                f"item weights for {sex} candidates sum to {total}, not 1; "
                "correct weights_and_bands.csv"
            )


def _validate_bands(standard: FitnessStandard) -> None:
    floors = [floor for _band, floor in standard.band_floors]
    if any(b >= a for a, b in zip(floors, floors[1:], strict=False)):
        raise TableError(f"band floors {floors} are not strictly decreasing")
    if standard.bonus_max < 0:
        raise TableError(f"bonus.max is {standard.bonus_max}; it cannot be negative")


# --- input checks --------------------------------------------------------------


def as_item(item: Item | str) -> Item:
    """Return ``item`` as an :class:`Item`, or raise UnknownItemError."""
    try:
        return Item(item)
    except ValueError as exc:
        known = ", ".join(member.value for member in Item)
        raise UnknownItemError(
            f"item {item!r} is not in the fitness standard; use one of {known}"
        ) from exc


def as_sex(sex: Sex | str) -> Sex:
    """Return ``sex`` as a :class:`Sex`, or raise GradeError."""
    try:
        return Sex(sex)
    except ValueError as exc:
        raise GradeError(
            f"sex {sex!r} is not in the tables; use 'male' or 'female'"
        ) from exc


def as_grade(grade: int | str) -> int:
    """Return ``grade`` as 7, 8 or 9 (also accepting 初一/初二/初三)."""
    if isinstance(grade, str) and grade in GRADE_LABELS:
        return GRADE_LABELS[grade]
    if isinstance(grade, int) and not isinstance(grade, bool) and grade in GRADES:
        return grade
    raise GradeError(
        f"grade {grade!r} is outside the junior-middle tables (7, 8 or 9); pass "
        "the candidate's grade as 7, 8 or 9"
    )


def check_applies(item: Item, sex: Sex) -> None:
    """Raise ItemNotApplicableError unless the standard tests ``item`` for ``sex``."""
    if item in ITEMS_BY_SEX[sex]:
        return
    counterpart = {
        Item.PULL_UP: Item.SIT_UP_1MIN,
        Item.SIT_UP_1MIN: Item.PULL_UP,
        Item.RUN_1000M: Item.RUN_800M,
        Item.RUN_800M: Item.RUN_1000M,
    }[item]
    raise ItemNotApplicableError(
        f"item {item} is not tested for {sex} candidates; the standard tests "
        f"{counterpart} instead"
    )


_MMSS = re.compile(
    r"""^\s*(?P<min>\d+)\s*['′’]\s*(?P<sec>\d{1,2}(?:\.\d+)?)\s*(?:["″”]|'')?\s*$"""
)


def parse_time(text: str) -> Decimal:
    """Return the seconds of a run time written ``3'45"`` (or ``3'45.3"``, ``225``).

    Examples
    --------
    >>> parse_time("3'45\\"")
    Decimal('225')
    >>> parse_time("4'05.2\\"")
    Decimal('245.2')
    """
    match = _MMSS.match(text)
    if match:
        seconds = Decimal(match["sec"])
        if seconds >= 60:
            raise ResultOutOfRangeError(
                f"run time {text!r} has {seconds} seconds; the seconds of m'ss\" "
                "must be below 60"
            )
        return Decimal(match["min"]) * 60 + seconds
    try:
        value = Decimal(text.strip())
    except InvalidOperation as exc:
        raise ResultOutOfRangeError(
            f"run time {text!r} is neither seconds nor m'ss\" (e.g. 3'45\"); "
            "write it in one of those forms"
        ) from exc
    return value


def _as_decimal(item: Item, value: Measured) -> Decimal:
    """Return a raw result as a finite Decimal, parsing m'ss\" for runs."""
    if isinstance(value, bool):
        raise ResultOutOfRangeError(f"{item} result {value!r} is not a number")
    if isinstance(value, str):
        if item in (Item.RUN_1000M, Item.RUN_800M):
            number = parse_time(value)
        else:
            try:
                number = Decimal(value.strip())
            except InvalidOperation as exc:
                raise ResultOutOfRangeError(
                    f"{item} result {value!r} is not a number"
                ) from exc
    elif isinstance(value, float):
        # str() gives the shortest decimal that reads back as this float,
        # so 7.41 stays 7.41 and never becomes 7.4099999...
        number = Decimal(str(value))
    else:
        number = Decimal(value)
    if not number.is_finite():
        raise ResultOutOfRangeError(f"{item} result {value!r} is not a finite number")
    return number


def _check_plausible(what: str, number: Decimal, limits: Plausible) -> None:
    if not limits.low <= number <= limits.high:
        raise ResultOutOfRangeError(
            f"{what} {number} {limits.unit} is outside what a candidate can "
            f"produce ({limits.low} to {limits.high} {limits.unit}); check the "
            "entry and the unit"
        )
    if limits.whole and number != number.to_integral_value():
        raise ResultOutOfRangeError(
            f"{what} {number} is not a whole number of {limits.unit}; count "
            "only completed repetitions"
        )


def round_result(item: Item | str, value: Measured) -> Decimal:
    """Return a raw result recorded as the test rules say (see :data:`ROUNDING`).

    Parameters
    ----------
    item : Item or str
        The item measured.
    value : float, int, str or Decimal
        The raw result in the table's unit (runs also as ``m'ss"``).

    Returns
    -------
    Decimal
        The recorded result, e.g. 50 m ``7.41`` -> ``7.5``; 1000 m
        ``"3'45.2\\""`` -> ``226``.

    Raises
    ------
    ResultOutOfRangeError
        Not a number, or outside :data:`PLAUSIBLE`.
    """
    item = as_item(item)
    number = _as_decimal(item, value)
    _check_plausible(f"{item} result", number, PLAUSIBLE[item])
    rule = ROUNDING[item]
    return number.quantize(rule.step, rounding=rule.mode)


def bmi_from(*, height_cm: float, weight_kg: float) -> Decimal:
    """Return the BMI, weight / height**2 in kg/m2, not yet rounded.

    Parameters
    ----------
    height_cm : float
        Standing height in cm.
    weight_kg : float
        Body weight in kg.

    Returns
    -------
    Decimal
        ``weight_kg / (height_cm / 100) ** 2``; :func:`round_result` rounds it.
    """
    height = _as_decimal(Item.BMI, height_cm)
    weight = _as_decimal(Item.BMI, weight_kg)
    _check_plausible("height", height, HEIGHT_CM)
    _check_plausible("weight", weight, WEIGHT_KG)
    return weight / (height / 100) ** 2


# --- scoring -----------------------------------------------------------------


def band_for(
    points: float | Decimal, *, standard: FitnessStandard | None = None
) -> Band:
    """Return the band of item points or of a year total.

    The bands of the standard are 优秀 >= 90.0, 良好 80.0-89.9, 及格 60.0-79.9
    and 不及格 <= 59.9. They are read as half-open intervals at 90, 80 and 60
    on the exact value: 89.95 is 良好, only 90.0 and above is 优秀.
    """
    standard = standard or default_standard()
    exact = Decimal(str(points)) if isinstance(points, float) else Decimal(points)
    for band, floor in standard.band_floors:
        if exact >= floor:
            return band
    return standard.band_floors[-1][0]


def _meets(row: ThresholdRow, result: Decimal) -> bool:
    if row.better is Better.HIGHER:
        return result >= row.threshold
    return result <= row.threshold


def _threshold_points(
    rows: tuple[ThresholdRow, ...], result: Decimal
) -> tuple[int, tuple[ThresholdRow, ...]]:
    """Return the points of ``result`` and the rows that decided them.

    The rule of the standard: the highest points whose threshold the result
    reaches (``>=`` for higher-is-better, ``<=`` for times); a result worse
    than the lowest level scores 0. The deciding rows are the level reached
    and the next better level, which the result missed.
    """
    for index, row in enumerate(rows):
        if _meets(row, result):
            missed = rows[index - 1 : index] if index > 0 else ()
            return row.points, (row, *missed)
    return 0, (rows[-1],)


def _bonus(
    rows: tuple[BonusRow, ...], top: ThresholdRow, result: Decimal
) -> tuple[int, tuple[BonusRow, ...]]:
    """Return extra points for a result beyond the full-mark value ``top``."""
    if top.better is Better.HIGHER:
        margin = result - top.threshold
    else:
        margin = top.threshold - result
    earned = [row for row in rows if margin >= row.margin]
    if not earned:
        return 0, ()
    best = earned[-1]
    following = rows[best.bonus_points : best.bonus_points + 1]
    return best.bonus_points, (best, *following)


def points(
    item: Item | str,
    *,
    grade: int | str,
    sex: Sex | str,
    value: RawResult | None = None,
    height_cm: float | None = None,
    weight_kg: float | None = None,
    standard: FitnessStandard | None = None,
) -> ItemScore:
    """Score one result against the 2014 standard.

    Parameters
    ----------
    item : Item or str
        One of :class:`Item` (``"run_50m"``, ``"pull_up"``...).
    grade : int
        7, 8 or 9 (初一, 初二, 初三).
    sex : Sex or str
        ``"male"`` or ``"female"``.
    value : float, int, str, Decimal or BodySize, optional
        The raw result in the table's unit: kg/m2, ml, s, cm, repetitions;
        runs also as ``m'ss"``. For BMI give either ``value`` (kg/m2 or a
        :class:`BodySize`) or both ``height_cm`` and ``weight_kg``.
    height_cm, weight_kg : float, optional
        Body size, for BMI only.
    standard : FitnessStandard, optional
        Tables to use; the packaged ones by default.

    Returns
    -------
    ItemScore
        Points 0-100 from the highest level the recorded result reaches
        (``>=`` threshold for higher-is-better, ``<=`` for times; 0 below the
        lowest level), extra points beyond full marks for pull-ups, sit-ups
        and the distance runs, the band of the points, and ``provisional``
        when a deciding row is a single-source row.

    Raises
    ------
    UnknownItemError, ItemNotApplicableError, GradeError, ResultOutOfRangeError
        A bad input; the message names it and what to pass instead.
    """
    standard = standard or default_standard()
    item, grade, sex = as_item(item), as_grade(grade), as_sex(sex)
    check_applies(item, sex)
    raw = _raw_value(item, value, height_cm=height_cm, weight_kg=weight_kg)
    result = round_result(item, raw)

    # Look the recorded result up in the item's table.
    bonus = 0
    rows_used: tuple[TableRow, ...]
    if item is Item.BMI:
        bmi_row = next(r for r in standard.bmi[(grade, sex)] if r.contains(result))
        score, rows_used, unit = bmi_row.points, (bmi_row,), "kg/m2"
    else:
        levels = standard.thresholds[(item, grade, sex)]
        score, rows_used = _threshold_points(levels, result)
        unit = levels[0].unit
        if score == 100 and (item, sex) in standard.bonus:
            bonus, bonus_rows = _bonus(standard.bonus[(item, sex)], levels[0], result)
            rows_used = (*rows_used, *bonus_rows)

    # Carry the weakest status of the rows used into the result.
    provisional = any(row.status is Status.SINGLE_SOURCE for row in rows_used)
    scored = ItemScore(
        item=item,
        grade=grade,
        sex=sex,
        result=float(result),
        unit=unit,
        points=score,
        bonus=bonus,
        band=band_for(score, standard=standard),
        provisional=provisional,
        provisional_reason=PROVISIONAL_REASON if provisional else "",
        rows_used=rows_used,
        rounding=ROUNDING[item].rule,
    )
    logger.debug(
        "%s grade %s %s: %s -> %s %s = %s points +%s",
        item, grade, sex, raw, result, unit, score, bonus,
    )  # fmt: skip
    return scored


def _raw_value(
    item: Item,
    value: RawResult | None,
    *,
    height_cm: float | None,
    weight_kg: float | None,
) -> Measured:
    """Return the one raw result to score, from ``value`` or from body size."""
    if isinstance(value, BodySize):
        if item is not Item.BMI:
            raise ResultOutOfRangeError(
                f"a body size applies to bmi only, not to {item}; pass the result"
            )
        height_cm, weight_kg, value = value.height_cm, value.weight_kg, None
    body_size = height_cm is not None or weight_kg is not None
    if item is Item.BMI and body_size:
        if value is not None or height_cm is None or weight_kg is None:
            raise ResultOutOfRangeError(
                "bmi needs either value (kg/m2) or both height_cm and weight_kg, "
                f"got value={value!r}, height_cm={height_cm!r}, "
                f"weight_kg={weight_kg!r}"
            )
        return bmi_from(height_cm=height_cm, weight_kg=weight_kg)
    if body_size:
        raise ResultOutOfRangeError(
            f"height_cm and weight_kg apply to bmi only, not to {item}; pass value"
        )
    if value is None:
        raise ResultOutOfRangeError(f"{item} needs a result: pass value")
    return value


def total_score(
    results: Mapping[str, RawResult],
    *,
    grade: int | str,
    sex: Sex | str,
    standard: FitnessStandard | None = None,
) -> TotalScore:
    """Return a candidate's year total (学年总分) over the seven items.

    Parameters
    ----------
    results : mapping of item to raw result
        Exactly the seven items of :data:`ITEMS_BY_SEX` for ``sex``, each
        with a raw result as :func:`points` takes it (BMI in kg/m2 or as a
        :class:`BodySize`).
    grade : int
        7, 8 or 9.
    sex : Sex or str
        ``"male"`` or ``"female"``.
    standard : FitnessStandard, optional
        Tables to use; the packaged ones by default.

    Returns
    -------
    TotalScore
        ``weighted`` = sum of points x weight (BMI 15 %, vital capacity 15 %,
        50 m 20 %, sit-and-reach 10 %, standing long jump 10 %, pull-up or
        sit-up 10 %, 1000 or 800 m 20 %), ``bonus`` = the items' extra points
        capped at 20 (the standard's 附加分 maximum), ``total`` = weighted +
        bonus, banded by :func:`band_for`.

    Raises
    ------
    StandardsError
        An item is missing, unknown or not tested for ``sex``, or a result is
        bad (see :func:`points`).
    """
    standard = standard or default_standard()
    grade, sex = as_grade(grade), as_sex(sex)
    by_item = {as_item(name): value for name, value in results.items()}
    for item in by_item:
        check_applies(item, sex)
    missing = [item for item in ITEMS_BY_SEX[sex] if item not in by_item]
    if missing:
        raise StandardsError(
            f"a year total needs all seven items; results lack "
            f"{', '.join(missing)}; add them (an untested item is scored 0 only "
            "by an explicit result)"
        )

    # Score each item, then weigh the points and cap the extra points.
    scores = {
        item: points(item, grade=grade, sex=sex, value=value, standard=standard)
        for item, value in by_item.items()
    }
    weighted = sum(
        (standard.weights[item] * score.points for item, score in scores.items()),
        Decimal(0),
    )
    bonus = min(sum(score.bonus for score in scores.values()), standard.bonus_max)
    total = weighted + bonus
    provisional_items = tuple(item for item, s in scores.items() if s.provisional)
    logger.info(
        "year total grade %s %s: weighted %s + bonus %s = %s",
        grade, sex, weighted, bonus, total,
    )  # fmt: skip
    return TotalScore(
        grade=grade,
        sex=sex,
        items=scores,
        weighted=float(weighted),
        bonus=bonus,
        total=float(total),
        band=band_for(total, standard=standard),
        provisional=bool(provisional_items),
        provisional_items=provisional_items,
    )
