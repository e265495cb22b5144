"""The one glossary of the exam domain: English identifier -> Chinese term.

Code, data and the wire use the English identifiers; user-facing text shows
the Chinese terms from here, so a term is spelled the same on the proctor's
console, the seat screen and an export. Each group is a separate mapping;
:data:`GLOSSARY` merges them (an identifier that appears in two groups means
the same thing in both, which a test checks).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType

from standards.errors import StandardsError

logger = logging.getLogger(__name__)

PLACES: Mapping[str, str] = MappingProxyType(
    {
        "district": "考区",
        "site": "考点",
        "room": "考场",
        "seat": "考位",
        "spare_seat": "备用机位",
        "sitting": "场次",
        "ticket_number": "准考证号",
        "id_number": "身份证号",
        "student_number": "学籍号",
        "candidate": "考生",
        "proctor": "监考员",
        "site_admin": "考务管理员",
        "room_start": "统一开考",
        "room_end": "统一结束",
        "resume": "断点续考",
        "arbitration": "仲裁",
        "oral_exam": "人机对话",
        "pe_exam": "体育中考",
    }
)
"""People, places and procedures of an exam day."""

SEAT_STATES: Mapping[str, str] = MappingProxyType(
    {
        "not_logged_in": "未登录",
        "logged_in": "已登录",
        "device_check": "试音",
        "waiting": "等待开考",
        "in_exam": "考试中",
        "uploading": "上传中",
        "finished": "已完成",
        "absent": "缺考",
        "abnormal": "异常",
    }
)
"""States of a seat as the proctor's console shows them."""

CANDIDATE_STATUSES: Mapping[str, str] = MappingProxyType(
    {
        "normal": "正常",
        "absent": "缺考",
        "misconduct": "违纪",
        "re-sit": "补考",
        "exempt": "免考",
    }
)
"""Statuses of a candidate in results and exports."""

ITEM_KINDS: Mapping[str, str] = MappingProxyType(
    {
        "listen_choose": "听后选择",
        "listen_answer": "听后回答",
        "listen_retell": "听后记录并转述",
        "read_aloud": "朗读短文",
        "situational": "情景问答",
        "topic_talk": "话题简述",
    }
)
"""Kinds of item of the oral English exam."""

BANDS: Mapping[str, str] = MappingProxyType(
    {
        "excellent": "优秀",
        "good": "良好",
        "pass": "及格",
        "fail": "不及格",
    }
)
"""Bands of the fitness standard (values of ``standards.fitness.Band``)."""

FITNESS_ITEMS: Mapping[str, str] = MappingProxyType(
    {
        "bmi": "体重指数（BMI）",
        "vital_capacity": "肺活量",
        "run_50m": "50米跑",
        "sit_and_reach": "坐位体前屈",
        "standing_long_jump": "立定跳远",
        "pull_up": "引体向上",
        "sit_up_1min": "1分钟仰卧起坐",
        "run_1000m": "1000米跑",
        "run_800m": "800米跑",
        "weighted_score": "标准分",
        "bonus_points": "附加分",
        "year_total": "学年总分",
        "extra_points": "加分",
    }
)
"""Items and totals of the fitness standard (values of ``fitness.Item``)."""

PE_EXAM_ITEMS: Mapping[str, str] = MappingProxyType({"rope_skip_1min": "1分钟跳绳"})
"""PE exam items a city may test that the fitness standard does not score."""

SITTING_STATES: Mapping[str, str] = MappingProxyType(
    {"scheduled": "待开考", "started": "考试中", "ended": "已结束"}
)
"""States of a sitting (values of ``exam_server.wire.SittingState``)."""

SEXES: Mapping[str, str] = MappingProxyType({"male": "男", "female": "女"})

GRADES: Mapping[str, str] = MappingProxyType({"7": "初一", "8": "初二", "9": "初三"})
"""Junior middle school grades, keyed by the grade number as text."""

GROUPS: tuple[Mapping[str, str], ...] = (
    PLACES,
    SEAT_STATES,
    CANDIDATE_STATUSES,
    ITEM_KINDS,
    BANDS,
    FITNESS_ITEMS,
    PE_EXAM_ITEMS,
    SITTING_STATES,
    SEXES,
    GRADES,
)

GLOSSARY: Mapping[str, str] = MappingProxyType(
    {key: term for group in GROUPS for key, term in group.items()}
)
"""Every identifier with its Chinese term."""


def zh(identifier: str) -> str:
    """Return the Chinese term for an English identifier (or enum value).

    Raises
    ------
    StandardsError
        The identifier is not in the glossary; add it here rather than
        writing the Chinese term inline.
    """
    key = str(identifier)  # a StrEnum member gives its value
    try:
        return GLOSSARY[key]
    except KeyError as exc:
        raise StandardsError(
            f"identifier {key!r} is not in the glossary; add it to "
            "standards/glossary.py before showing it to a user"
        ) from exc
