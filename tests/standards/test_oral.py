"""The oral paper structure and the conversion of 0-100 scores to item points."""

from __future__ import annotations

import pytest

from standards import glossary, oral
from standards.errors import ResultOutOfRangeError


def test_ningbo_2019_paper_is_25_points_in_six_parts() -> None:
    paper = oral.NINGBO_2019
    assert paper.total_points == 25
    assert [part.points for part in paper.parts] == [5, 5, 5, 3, 2, 5]
    assert [part.kind for part in paper.parts[3:]] == [
        "read_aloud",
        "situational",
        "topic_talk",
    ]


def test_demo_item_points_follow_the_reference_paper() -> None:
    assert dict(oral.ORAL_ITEM_POINTS) == {
        "listen_choose": 5,
        "read_aloud": 3,
        "situational": 2,
        "topic_talk": 5,
    }
    for kind in oral.ORAL_ITEM_POINTS:
        assert kind in glossary.ITEM_KINDS


@pytest.mark.parametrize(
    ("score", "max_points", "expected"),
    [
        (100, 3, 3.0),
        (0, 5, 0.0),
        (75, 3, 2.5),  # 2.25: a quarter point rounds up
        (70, 3, 2.0),  # 2.1
        (80, 3, 2.5),  # 2.4
        (58.3, 2, 1.0),  # 1.166
        (62.5, 2, 1.5),  # 1.25
        (95, 5, 5.0),  # 4.75
        (94.9, 5, 4.5),  # 4.745
        (50, 2.5, 1.5),  # 1.25
    ],
)
def test_points_from_score_is_linear_in_half_points(
    score: float, max_points: float, expected: float
) -> None:
    assert oral.points_from_score(score, max_points=max_points) == expected


@pytest.mark.parametrize(
    ("score", "max_points", "words"),
    [
        (-1, 3, "0-100"),
        (100.5, 3, "0-100"),
        (float("nan"), 3, "0-100"),
        (50, 0, "positive"),
        (50, -2, "positive"),
        (50, 0.3, "multiple of 0.5"),
    ],
)
def test_points_from_score_refuses_bad_input(
    score: float, max_points: float, words: str
) -> None:
    with pytest.raises(ResultOutOfRangeError, match=words):
        oral.points_from_score(score, max_points=max_points)
