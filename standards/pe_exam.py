"""A city's PE exam (体育中考) configuration, loaded per exam year and checked.

Each exam year has a JSON file in ``data/pe_exam`` (``2026.json``...). It
says which items a candidate takes, in groups: a group of ``n`` slots with
``choose`` = ``n`` is compulsory, one with ``choose`` = ``k`` < ``n`` lets the
candidate choose ``k`` of them. Each slot carries its share of the city's
exam total (e.g. 15 of 40 points) and the fitness table it is scored with,
per sex (boys run 1000 m where girls run 800 m).

:func:`validate_config` refuses a configuration that names an unknown item,
an item the standard does not test for a sex, a group whose choices would
give different totals, or points that do not add up to the total; it also
re-checks the fitness tables (monotone, every grade and sex covered).

The shipped ``2026.json`` is an EXAMPLE for a fictional city, not an
official configuration.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from standards import fitness
from standards.errors import StandardsError, TableError
from standards.fitness import FitnessStandard, Item, ItemScore, Sex

logger = logging.getLogger(__name__)

CONFIG_DIR = Path(__file__).resolve().parent / "data" / "pe_exam"
"""Packaged configurations, one ``<year>.json`` per exam year."""

KNOWN_STANDARDS = ("fitness_2014",)
"""Fitness table sets a configuration may name."""

CONVERSIONS = ("linear_half_points",)
"""How table points become exam points (see :func:`exam_points`)."""

_HALF = Decimal("0.5")


@dataclass(frozen=True)
class Slot:
    """One exam item: its share of the exam total and its table per sex."""

    name: str
    name_zh: str
    points: Decimal  # the slot's full marks in the city's exam
    table: Mapping[Sex, Item]  # the fitness table scoring each sex


@dataclass(frozen=True)
class Group:
    """Slots of which a candidate takes ``choose`` (all of them if compulsory)."""

    name: str
    name_zh: str
    choose: int
    slots: tuple[Slot, ...]

    @property
    def compulsory(self) -> bool:
        """Return whether every slot of the group must be taken."""
        return self.choose == len(self.slots)


@dataclass(frozen=True)
class ExamConfig:
    """A city's PE exam for one year."""

    label: str
    official: bool
    city: str
    city_zh: str
    year: int
    grade: int
    standard: str
    total_points: Decimal
    conversion: str
    groups: tuple[Group, ...]

    def slot(self, name: str) -> Slot:
        """Return the slot called ``name``, or raise TableError."""
        for group in self.groups:
            for slot in group.slots:
                if slot.name == name:
                    return slot
        names = [s.name for g in self.groups for s in g.slots]
        raise TableError(
            f"exam slot {name!r} is not in the {self.year} configuration; "
            f"use one of {', '.join(names)}"
        )


@dataclass(frozen=True)
class SlotScore:
    """A candidate's exam points on one slot, with the table score behind them."""

    slot: str
    points: float  # exam points, 0 to the slot's full marks
    max_points: float
    item_score: ItemScore


# --- parsing -----------------------------------------------------------------


def _field(data: Mapping[str, Any], key: str, kind: type, *, where: str) -> Any:
    """Return ``data[key]`` checked to be of ``kind``, or raise TableError."""
    if key not in data:
        raise TableError(f"{where}: field {key!r} is missing; add it")
    value = data[key]
    wrong_bool = isinstance(value, bool) and kind is not bool
    if not isinstance(value, kind) or wrong_bool:
        raise TableError(
            f"{where}: field {key!r} is {value!r}, expected {kind.__name__}"
        )
    return value


def _points(value: Any, *, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TableError(f"{where}: points {value!r} is not a number")
    return Decimal(str(value))


def _parse_slot(data: Any, *, where: str) -> Slot:
    if not isinstance(data, dict):
        raise TableError(f"{where}: a slot must be an object, got {data!r}")
    name = _field(data, "name", str, where=where)
    where = f"{where} slot {name!r}"
    raw_table = _field(data, "table", dict, where=where)
    if set(raw_table) != {sex.value for sex in Sex}:
        raise TableError(
            f"{where}: table names sexes {sorted(raw_table)}; give exactly "
            "'male' and 'female'"
        )
    table: dict[Sex, Item] = {}
    for sex_text, item_text in raw_table.items():
        sex = Sex(sex_text)
        try:
            item = fitness.as_item(item_text)
            fitness.check_applies(item, sex)
        except StandardsError as exc:
            raise TableError(f"{where} ({sex}): {exc}") from exc
        table[sex] = item
    return Slot(
        name=name,
        name_zh=str(data.get("name_zh", name)),
        points=_points(data.get("points"), where=where),
        table=table,
    )


def _parse_group(data: Any, *, where: str) -> Group:
    if not isinstance(data, dict):
        raise TableError(f"{where}: a group must be an object, got {data!r}")
    name = _field(data, "name", str, where=where)
    where = f"{where} group {name!r}"
    raw_slots = _field(data, "slots", list, where=where)
    return Group(
        name=name,
        name_zh=str(data.get("name_zh", name)),
        choose=_field(data, "choose", int, where=where),
        slots=tuple(_parse_slot(slot, where=where) for slot in raw_slots),
    )


def parse_config(data: Any, *, where: str = "exam configuration") -> ExamConfig:
    """Return the configuration in decoded JSON ``data`` (not yet validated)."""
    if not isinstance(data, dict):
        raise TableError(f"{where}: expected a JSON object, got {type(data).__name__}")
    raw_groups = _field(data, "groups", list, where=where)
    return ExamConfig(
        label=_field(data, "label", str, where=where),
        official=_field(data, "official", bool, where=where),
        city=_field(data, "city", str, where=where),
        city_zh=str(data.get("city_zh", "")),
        year=_field(data, "year", int, where=where),
        grade=_field(data, "grade", int, where=where),
        standard=_field(data, "standard", str, where=where),
        total_points=_points(data.get("total_points"), where=where),
        conversion=_field(data, "conversion", str, where=where),
        groups=tuple(_parse_group(group, where=where) for group in raw_groups),
    )


# --- validation --------------------------------------------------------------


def validate_config(config: ExamConfig, *, standard: FitnessStandard) -> None:
    """Refuse a configuration (or its tables) that could give a wrong total.

    Raises
    ------
    TableError
        The fitness tables are not monotone or miss a grade or sex; the
        configuration names an unknown table set or conversion, an unknown
        grade, a slot twice, a group whose ``choose`` is out of range or
        whose slots differ in points; or the points of the slots taken do
        not add up to ``total_points``.
    """
    where = f"PE exam {config.year} ({config.city})"
    fitness.validate_standard(standard)
    if config.standard not in KNOWN_STANDARDS:
        raise TableError(
            f"{where}: standard {config.standard!r} is unknown; use one of "
            f"{', '.join(KNOWN_STANDARDS)}"
        )
    if config.conversion not in CONVERSIONS:
        raise TableError(
            f"{where}: conversion {config.conversion!r} is unknown; use one of "
            f"{', '.join(CONVERSIONS)}"
        )
    if config.grade not in fitness.GRADES:
        raise TableError(f"{where}: grade {config.grade} is not 7, 8 or 9")
    if not config.groups:
        raise TableError(f"{where}: no groups; list the items the exam tests")
    _validate_groups(config, where=where)


def _validate_groups(config: ExamConfig, *, where: str) -> None:
    names = [slot.name for group in config.groups for slot in group.slots]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise TableError(f"{where}: slots {repeated} appear more than once")

    taken = Decimal(0)
    for group in config.groups:
        at = f"{where} group {group.name!r}"
        if not 1 <= group.choose <= len(group.slots):
            raise TableError(
                f"{at}: choose is {group.choose} of {len(group.slots)} slots; "
                "it must be 1 to the number of slots"
            )
        shares = {slot.points for slot in group.slots}
        if len(shares) != 1:
            raise TableError(
                f"{at}: slots carry different points {sorted(map(str, shares))}, "
                "so a candidate's total would depend on the choice; give every "
                "slot of a choice group the same points"
            )
        share = shares.pop()
        if share <= 0 or share % _HALF != 0:
            raise TableError(f"{at}: points {share} must be a positive multiple of 0.5")
        taken += share * group.choose

    if taken != config.total_points:
        raise TableError(
            f"{where}: the slots a candidate takes add up to {taken} points but "
            f"total_points is {config.total_points}; correct the slot points or "
            "the total"
        )


# --- loading -----------------------------------------------------------------


def load_config_file(
    path: Path, *, standard: FitnessStandard | None = None
) -> ExamConfig:
    """Load, parse and validate one configuration file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TableError(
            f"cannot read PE exam configuration {path}: {exc}; fix the JSON"
        ) from exc
    config = parse_config(data, where=path.name)
    validate_config(config, standard=standard or fitness.default_standard())
    if not config.official:
        logger.warning(
            "PE exam configuration %s is not official: %s", path.name, config.label
        )
    return config


def load_exam_config(
    year: int,
    *,
    folder: Path = CONFIG_DIR,
    standard: FitnessStandard | None = None,
) -> ExamConfig:
    """Load the configuration of exam year ``year`` from ``folder``."""
    path = folder / f"{year}.json"
    if not path.is_file():
        years = sorted(p.stem for p in folder.glob("*.json"))
        raise TableError(
            f"no PE exam configuration for {year} in {folder}; configured years: "
            f"{', '.join(years) or 'none'}"
        )
    return load_config_file(path, standard=standard)


# --- scoring -----------------------------------------------------------------


def exam_points(*, table_points: int, max_points: float) -> float:
    """Return exam points for table points, by the ``linear_half_points`` rule.

    Parameters
    ----------
    table_points : int
        Points 0-100 from the fitness table (extra points do not count: a
        slot gives at most its full marks).
    max_points : float
        The slot's full marks in the city's exam.

    Returns
    -------
    float
        ``table_points / 100 * max_points`` rounded half up to 0.5 points.
        (An example rule: real cities publish their own conversion tables.)
    """
    if not 0 <= table_points <= 100:
        raise TableError(f"table points {table_points} are outside 0-100")
    exact = Decimal(table_points) / 100 * Decimal(str(max_points))
    halves = (exact / _HALF).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(halves * _HALF)


def score_slot(
    config: ExamConfig,
    slot_name: str,
    *,
    sex: Sex | str,
    value: fitness.RawResult,
    standard: FitnessStandard | None = None,
) -> SlotScore:
    """Score a candidate's result on one slot of the exam."""
    slot = config.slot(slot_name)
    sex = fitness.as_sex(sex)
    item_score = fitness.points(
        slot.table[sex],
        grade=config.grade,
        sex=sex,
        value=value,
        standard=standard,
    )
    max_points = float(slot.points)
    return SlotScore(
        slot=slot.name,
        points=exam_points(table_points=item_score.points, max_points=max_points),
        max_points=max_points,
        item_score=item_score,
    )
