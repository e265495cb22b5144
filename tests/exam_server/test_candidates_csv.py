"""Parsing the candidate CSV: encodings, headers, and every bad row reported."""

from __future__ import annotations

import pytest

from exam_server.candidates_csv import CandidateCsvError, parse_candidates
from exam_server.errors import Unprocessable

CHINESE = (
    "准考证号,姓名,性别,身份证号,学籍号,学校\n"
    "20250001,张三,男,11010519491231002X,G1,实验中学\n"
    "20250002,李四,女,330106200801011233,,育才中学\n"
)
ENGLISH = (
    "no,ticket_number,name,sex,school\n"
    "1,20250001,Zhang San,male,No. 1 School\n"
    "2,20250002,Li Si,2,No. 1 School\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_chinese_headers_read_in_every_accepted_encoding(encoding: str) -> None:
    rows = parse_candidates(CHINESE.encode(encoding))
    assert [(r.ticket_number, r.name, r.sex, r.school) for r in rows] == [
        ("20250001", "张三", "male", "实验中学"),
        ("20250002", "李四", "female", "育才中学"),
    ]
    assert rows[0].id_number == "11010519491231002X" and rows[1].student_number == ""


def test_english_headers_and_extra_columns() -> None:
    rows = parse_candidates(ENGLISH.encode("utf-8"))
    assert [r.sex for r in rows] == ["male", "female"]
    assert rows[0].id_number is None


def test_every_bad_row_is_reported_with_line_and_column() -> None:
    text = (
        "准考证号,姓名,性别,身份证号,学校\n"
        "20250001,张三,男,110105194912310021,实验中学\n"  # line 2: checksum
        "20250002,,女,,实验中学\n"  # line 3: no name
        "20250003,王五,x,,实验中学\n"  # line 4: sex
        "20250001,赵六,女,,实验中学\n"  # line 5: duplicate of line 2
        "20250005,=HYPERLINK(1),女,,实验中学\n"  # line 6: formula
        "20250006,钱七,女,,实验中学\n"
        "20250006,孙八,男,,实验中学\n"  # line 8: duplicate of line 7
    )
    with pytest.raises(CandidateCsvError) as caught:
        parse_candidates(text.encode("gbk"))
    found = [(e.line, e.column) for e in caught.value.errors]
    assert found == [
        (2, "id_number"),
        (3, "name"),
        (4, "sex"),
        (5, "ticket_number"),
        (6, "name"),
        (8, "ticket_number"),
    ]
    assert "line 7" in caught.value.errors[-1].message
    assert "should be X" in caught.value.errors[0].message


def test_a_header_without_required_columns_is_refused() -> None:
    with pytest.raises(CandidateCsvError) as caught:
        parse_candidates("准考证号,姓名\n1,张三\n".encode())
    assert [(e.line, e.column) for e in caught.value.errors] == [
        (1, "sex"),
        (1, "school"),
    ]


def test_text_in_no_accepted_encoding_is_refused() -> None:
    with pytest.raises(Unprocessable, match="tried utf-8, gbk"):
        parse_candidates(b"\xff\xfe\x00\x00\x81\x20")
