"""Reading the exam office's candidate list (CSV) into checked rows.

The file is UTF-8 (with or without a byte-order mark) or GBK, as Excel on a
Chinese Windows saves it. The header names the columns in Chinese or in
English, in any order; unknown columns (a row number, a class) are ignored:

=================  ==========  =========================================
English            Chinese     value
=================  ==========  =========================================
``ticket_number``  准考证号    required, unique within the file
``name``           姓名        required
``sex``            性别        男/女, male/female, M/F, or 1/2
``id_number``      身份证号    optional; 18 characters, checksum verified
``student_number`` 学籍号      optional
``school``         学校        required
=================  ==========  =========================================

Every bad row is reported (line, column, message); the caller stores
nothing unless the whole file is good.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from exam_server.errors import Unprocessable
from exam_server.identity import IdentityError, normalize_id_number
from exam_server.wire import RowError

ENCODINGS = ("utf-8", "gbk")
"""Encodings tried in order; UTF-8 is strict, so GBK bytes fail it."""

COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "ticket_number": ("ticket_number", "准考证号"),
    "name": ("name", "姓名"),
    "sex": ("sex", "性别"),
    "id_number": ("id_number", "身份证号"),
    "student_number": ("student_number", "学籍号"),
    "school": ("school", "学校"),
}
REQUIRED_COLUMNS = ("ticket_number", "name", "sex", "school")

SEX_WORDS = {
    "男": "male",
    "male": "male",
    "m": "male",
    "1": "male",
    "女": "female",
    "female": "female",
    "f": "female",
    "2": "female",
}

FORMULA_STARTS = ("=", "+", "@")
"""First characters refused in text cells, so an export never carries a formula."""

MAX_LENGTHS = {"ticket_number": 32, "name": 100, "student_number": 32, "school": 200}
"""Longest values, as the candidates table stores them."""


@dataclass(frozen=True)
class CandidateRow:
    line: int
    ticket_number: str
    name: str
    sex: str  # "male" or "female"
    id_number: str | None
    student_number: str
    school: str


class CandidateCsvError(Unprocessable):
    """A candidate file with bad rows; ``errors`` lists every one."""

    def __init__(self, message: str, errors: list[RowError]) -> None:
        super().__init__(
            message,
            extra={
                "created": 0,
                "updated": 0,
                "errors": [
                    {"line": e.line, "column": e.column, "message": e.message}
                    for e in errors
                ],
            },
        )
        self.errors = errors


def decode_csv(data: bytes) -> str:
    """Return the text of ``data``, trying each of :data:`ENCODINGS` strictly."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Unprocessable(
        "the candidate file is neither UTF-8 nor GBK text (tried "
        f"{', '.join(ENCODINGS)}); save it from the spreadsheet as "
        "'CSV UTF-8' and import it again"
    )


def parse_candidates(data: bytes) -> list[CandidateRow]:
    """Return the checked rows of a candidate CSV file.

    Raises
    ------
    CandidateCsvError
        Listing every bad row when any row (or the header) is bad.
    """
    reader = csv.reader(io.StringIO(decode_csv(data), newline=""))
    header = next(reader, None)
    if header is None:
        raise CandidateCsvError("the candidate file is empty", [])
    columns, header_errors = _map_header(header)
    if header_errors:
        raise CandidateCsvError(
            "the candidate file's header lacks required columns; nothing was stored",
            header_errors,
        )
    rows: list[CandidateRow] = []
    errors: list[RowError] = []
    first_line_of_ticket: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        row, row_errors = _check_record(record, columns, line)
        ticket = _cell(record, columns, "ticket_number")
        if ticket and ticket in first_line_of_ticket:
            row_errors.append(
                RowError(
                    line,
                    "ticket_number",
                    f"ticket number {ticket} already appears on line "
                    f"{first_line_of_ticket[ticket]}",
                )
            )
        elif ticket:
            first_line_of_ticket[ticket] = line
        errors.extend(row_errors)
        if row is not None and not row_errors:
            rows.append(row)
    if errors:
        bad_lines = len({e.line for e in errors})
        raise CandidateCsvError(
            f"{bad_lines} rows of the candidate file are bad; nothing was stored: "
            "correct them and import the whole file again",
            errors,
        )
    return rows


def _map_header(header: list[str]) -> tuple[dict[str, int], list[RowError]]:
    wanted = {
        alias.lower(): field for field, names in COLUMN_NAMES.items() for alias in names
    }
    columns: dict[str, int] = {}
    for index, title in enumerate(header):
        field = wanted.get(title.strip().lower())
        if field is not None and field not in columns:
            columns[field] = index
    errors = [
        RowError(
            1,
            field,
            f"the header has no {' / '.join(COLUMN_NAMES[field])} column",
        )
        for field in REQUIRED_COLUMNS
        if field not in columns
    ]
    return columns, errors


def _cell(record: list[str], columns: dict[str, int], field: str) -> str:
    index = columns.get(field)
    if index is None or index >= len(record):
        return ""
    return record[index].strip()


def _check_record(
    record: list[str], columns: dict[str, int], line: int
) -> tuple[CandidateRow | None, list[RowError]]:
    errors: list[RowError] = []

    def bad(field: str, message: str) -> None:
        errors.append(RowError(line, field, message))

    values = {field: _cell(record, columns, field) for field in COLUMN_NAMES}
    for field in REQUIRED_COLUMNS:
        if not values[field]:
            bad(field, f"{' / '.join(COLUMN_NAMES[field])} is empty")
    for field, limit in MAX_LENGTHS.items():
        if len(values[field]) > limit:
            bad(field, f"{field} has {len(values[field])} characters, over {limit}")
    for field in MAX_LENGTHS:
        if values[field][:1] in FORMULA_STARTS:
            bad(
                field,
                f"{field} {values[field]!r} starts with {values[field][0]!r}, "
                "which spreadsheets run as a formula",
            )
    if values["ticket_number"] and any(ch.isspace() for ch in values["ticket_number"]):
        bad("ticket_number", f"ticket number {values['ticket_number']!r} has spaces")
    sex = SEX_WORDS.get(values["sex"].lower())
    if values["sex"] and sex is None:
        bad("sex", f"sex {values['sex']!r} is not 男/女, male/female or 1/2")
    id_number: str | None = None
    if values["id_number"]:
        try:
            id_number = normalize_id_number(values["id_number"])
        except IdentityError as exc:
            bad("id_number", str(exc))
    if errors or sex is None:
        return None, errors
    row = CandidateRow(
        line=line,
        ticket_number=values["ticket_number"],
        name=values["name"],
        sex=sex,
        id_number=id_number,
        student_number=values["student_number"],
        school=values["school"],
    )
    return row, errors
