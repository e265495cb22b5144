"""The glossary spells each domain term once, and covers the identifiers in use."""

from __future__ import annotations

import pytest

from exam_server import models, wire
from standards import fitness, glossary
from standards.errors import StandardsError


@pytest.mark.parametrize(
    ("identifier", "term"),
    [
        ("room", "考场"),
        ("seat", "考位"),
        ("spare_seat", "备用机位"),
        ("sitting", "场次"),
        ("ticket_number", "准考证号"),
        ("not_logged_in", "未登录"),
        ("logged_in", "已登录"),
        ("device_check", "试音"),
        ("waiting", "等待开考"),
        ("in_exam", "考试中"),
        ("uploading", "上传中"),
        ("finished", "已完成"),
        ("absent", "缺考"),
        ("abnormal", "异常"),
        ("misconduct", "违纪"),
        ("re-sit", "补考"),
        ("exempt", "免考"),
        ("listen_choose", "听后选择"),
        ("read_aloud", "朗读短文"),
        ("situational", "情景问答"),
        ("topic_talk", "话题简述"),
        ("excellent", "优秀"),
        ("good", "良好"),
        ("pass", "及格"),
        ("fail", "不及格"),
    ],
)
def test_terms(identifier: str, term: str) -> None:
    assert glossary.zh(identifier) == term


def test_an_identifier_in_two_groups_means_the_same_in_both() -> None:
    seen: dict[str, str] = {}
    for group in glossary.GROUPS:
        for key, term in group.items():
            assert seen.setdefault(key, term) == term, key


def test_every_enum_value_in_use_has_a_term() -> None:
    enums = [
        fitness.Item,
        fitness.Band,
        fitness.Sex,
        wire.SeatState,
        wire.ItemKind,
        models.CandidateStatus,
    ]
    for kind in enums:
        for member in kind:
            assert glossary.zh(member), member


def test_unknown_identifier_raises() -> None:
    with pytest.raises(StandardsError, match="'teleport' is not in the glossary"):
        glossary.zh("teleport")
