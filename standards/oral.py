"""The oral English exam paper structure, as data, and the points of a score.

The reference structure is a city's zhongkao listening-and-speaking paper
(Ningbo, Zhejiang, 2019; 25 points): three listening parts of 5 points each,
read-aloud 3, situational questions 2, topic talk 5. The platform's demo
paper uses one item of each kind at those points (:data:`ORAL_ITEM_POINTS`).

The scorer gives every spoken answer a score from 0 to 100; an item's points
are that score scaled linearly to the item's maximum and rounded to half a
point (:func:`points_from_score`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from standards.errors import ResultOutOfRangeError

logger = logging.getLogger(__name__)

POINT_STEP = 0.5
"""Item points are given in half points, as oral exams report them."""


@dataclass(frozen=True)
class PaperPart:
    """One part of an oral exam paper."""

    name: str  # an identifier, unique within the paper
    kind: str  # an item kind of the glossary, or "listening" when unstated
    points: float  # the part's maximum points
    title_zh: str  # the heading shown to candidates


@dataclass(frozen=True)
class PaperStructure:
    """A whole paper: its parts in the order they run."""

    name: str
    source: str  # where the structure was taken from
    parts: tuple[PaperPart, ...]

    @property
    def total_points(self) -> float:
        """Return the paper's maximum points."""
        return sum(part.points for part in self.parts)


NINGBO_2019 = PaperStructure(
    name="ningbo_2019_listening_speaking",
    source=(
        "Ningbo (Zhejiang) zhongkao English listening-and-speaking paper, 2019: "
        "25 points. The form of each listening part is not recorded in our "
        "notes, so they carry the kind 'listening'."
    ),
    parts=(
        PaperPart("listening_1", "listening", 5, "听力 第一部分"),
        PaperPart("listening_2", "listening", 5, "听力 第二部分"),
        PaperPart("listening_3", "listening", 5, "听力 第三部分"),
        PaperPart("read_aloud", "read_aloud", 3, "朗读短文"),
        PaperPart("situational", "situational", 2, "情景问答"),
        PaperPart("topic_talk", "topic_talk", 5, "话题简述"),
    ),
)
"""The reference paper (25 points)."""

ORAL_ITEM_POINTS: Mapping[str, float] = MappingProxyType(
    {
        "listen_choose": 5,
        "read_aloud": 3,
        "situational": 2,
        "topic_talk": 5,
    }
)
"""Maximum points per item kind of the demo paper (kinds as in the glossary).

One listening part (answered by choosing) and the three spoken parts of the
Ningbo 2019 paper, 15 points in all.
"""


def points_from_score(score_0_100: float, *, max_points: float) -> float:
    """Return an item's points for a scorer's 0-100 score.

    Parameters
    ----------
    score_0_100 : float
        The scorer's score of the answer, 0 to 100.
    max_points : float
        The item's full marks, positive (e.g. 3 for read-aloud).

    Returns
    -------
    float
        ``score_0_100 / 100 * max_points`` rounded to the nearest half
        point, a quarter point rounding up (half up in decimal, so the
        result does not depend on binary floating point). E.g. 75 of 100 on
        a 3-point item is 2.25, reported 2.5.

    Raises
    ------
    ResultOutOfRangeError
        The score is outside 0-100 or not finite, or ``max_points`` is not
        positive or not a multiple of half a point.
    """
    if not math.isfinite(score_0_100) or not 0 <= score_0_100 <= 100:
        raise ResultOutOfRangeError(
            f"score {score_0_100!r} is outside the scorer's range 0-100; "
            "pass the scorer's score, not item points"
        )
    if not math.isfinite(max_points) or max_points <= 0:
        raise ResultOutOfRangeError(
            f"max_points {max_points!r} must be positive; pass the item's full marks"
        )
    step = Decimal(str(POINT_STEP))
    full = Decimal(str(max_points))
    if full % step != 0:
        raise ResultOutOfRangeError(
            f"max_points {max_points!r} is not a multiple of {POINT_STEP}; "
            "item full marks are given in half points"
        )

    # Scale linearly, then round to a whole number of half points.
    exact = Decimal(str(score_0_100)) / 100 * full
    halves = (exact / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(halves * step)
