"""The dBase III writer: known bytes, GBK, ``??`` for rare characters, refusals."""

from __future__ import annotations

import datetime
import struct
from pathlib import Path

import dbfread
import pytest

from exam_server.dbf import (
    DbfError,
    Field,
    FieldType,
    dbf_bytes,
    encode_gbk,
    write_dbf,
)
from exam_server.export import dbf_fields

FIELDS = [
    Field("KSH", FieldType.CHARACTER, 8),
    Field("XM", FieldType.CHARACTER, 6),
    Field("ZF", FieldType.NUMERIC, 6, 1),
]
ROWS = [
    ["20250001", "张三", 57.5],
    ["20250002", "𠀀明", None],  # U+20000 is outside GBK
]
UPDATED = datetime.date(2026, 6, 18)

RARE = "𠀀"
"""CJK Extension B, U+20000: in GB 18030 but not in GBK."""


def read_dbf(data: bytes) -> tuple[dict[str, int], list[tuple], list[bytes]]:
    """A small independent reader: header numbers, field descriptors, records."""
    version, yy, mm, dd, n, header_length, record_length = struct.unpack_from(
        "<BBBBIHH", data, 0
    )
    header = {
        "version": version,
        "year": 1900 + yy,
        "month": mm,
        "day": dd,
        "records": n,
        "header_length": header_length,
        "record_length": record_length,
        "language_driver": data[29],
    }
    descriptors = []
    offset = 32
    while data[offset] != 0x0D:
        raw = data[offset : offset + 32]
        name = raw[:11].split(b"\0")[0].decode("ascii")
        descriptors.append((name, chr(raw[11]), raw[16], raw[17]))
        offset += 32
    records = [
        data[
            header_length + i * record_length : header_length + (i + 1) * record_length
        ]
        for i in range(n)
    ]
    return header, descriptors, records


def test_header_descriptors_and_records_have_the_known_bytes() -> None:
    data = dbf_bytes(FIELDS, ROWS, updated=UPDATED)
    header, descriptors, records = read_dbf(data)

    assert header == {
        "version": 0x03,
        "year": 2026,
        "month": 6,
        "day": 18,
        "records": 2,
        "header_length": 32 + 3 * 32 + 1,
        "record_length": 1 + 8 + 6 + 6,
        "language_driver": 0x7A,
    }
    assert descriptors == [("KSH", "C", 8, 0), ("XM", "C", 6, 0), ("ZF", "N", 6, 1)]
    assert data[32 + 3 * 32] == 0x0D
    # 张三 is d5c5 c8fd in GBK; two bytes of padding fill the six
    assert records[0] == b" 20250001\xd5\xc5\xc8\xfd    57.5"
    # the rare character becomes ?? (two bytes), 明 is c3f7; no total: blanks
    assert records[1] == b" 20250002??\xc3\xf7  " + b" " * 6
    assert len(data) == 129 + 2 * 21 + 1
    assert data[-1] == 0x1A


def test_an_independent_reader_reads_the_same_table(tmp_path: Path) -> None:
    path = tmp_path / "results.dbf"
    write_dbf(path, FIELDS, ROWS, updated=UPDATED)
    table = dbfread.DBF(str(path), encoding="gbk")
    rows = [dict(record) for record in table]
    assert [f.name for f in table.fields] == ["KSH", "XM", "ZF"]
    assert table.date == UPDATED
    assert rows == [
        {"KSH": "20250001", "XM": "张三", "ZF": 57.5},
        {"KSH": "20250002", "XM": "??明", "ZF": None},
    ]


def test_characters_outside_gbk_take_two_question_marks() -> None:
    with pytest.raises(UnicodeEncodeError):
        RARE.encode("gbk")
    assert encode_gbk(f"王{RARE}{RARE}") == b"\xcd\xf5????"
    assert len(encode_gbk("王𪚥")) == len("王喆".encode("gbk"))


def test_an_over_long_value_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    path = tmp_path / "results.dbf"
    rows = [*ROWS, ["20250003", "欧阳娜娜", 60.0]]  # 8 GBK bytes in 6
    with pytest.raises(DbfError) as refusal:
        write_dbf(path, FIELDS, rows, updated=UPDATED)
    message = str(refusal.value)
    assert "record 3" in message and "XM" in message and "'欧阳娜娜'" in message
    assert "8 GBK bytes" in message and "width of 6" in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("value", "words"),
    [(12345.5, "width of 6"), (2.25, "would be rounded"), ("5", "not a number")],
)
def test_numbers_that_do_not_fit_are_refused(value: object, words: str) -> None:
    with pytest.raises(DbfError, match=words):
        dbf_bytes(FIELDS, [["1", "a", value]], updated=UPDATED)


def test_float_residue_is_rounded_but_real_digits_are_not() -> None:
    data = dbf_bytes(FIELDS, [["1", "a", 0.1 + 0.2]], updated=UPDATED)
    assert data[-7:-1] == b"   0.3"


@pytest.mark.parametrize(
    "field",
    [
        lambda: Field("standing_long_jump", FieldType.NUMERIC, 6, 1),
        lambda: Field("XM", FieldType.CHARACTER, 255),
        lambda: Field("ZF", FieldType.NUMERIC, 3, 2),
    ],
)
def test_impossible_fields_are_refused(field) -> None:
    with pytest.raises(DbfError):
        field()


def test_the_admissions_layout_maps_oral_columns_and_refuses_pe_ones() -> None:
    fields = dbf_fields(["KSH", "XM", "T1", "T12", "ZF", "ZT"])
    assert [(f.name, f.type, f.width, f.decimals) for f in fields] == [
        ("KSH", FieldType.CHARACTER, 20, 0),
        ("XM", FieldType.CHARACTER, 40, 0),
        ("T1", FieldType.NUMERIC, 6, 1),
        ("T12", FieldType.NUMERIC, 6, 1),
        ("ZF", FieldType.NUMERIC, 6, 1),
        ("ZT", FieldType.CHARACTER, 10, 0),
    ]
    with pytest.raises(DbfError, match="'standing_long_jump_CJ'.*CSV or XLSX"):
        dbf_fields(["KSH", "standing_long_jump_CJ"])
