"""The admissions export: one row per candidate, as CSV, XLSX or DBF.

CSV is UTF-8 with a byte-order mark; DBF is dBase III with GBK text.

Columns follow the fixed field names provincial admissions systems read:
``KSH`` ticket number, ``XM`` name, ``XBDM`` sex code (1 male, 2 female),
``SFZH`` id number (decrypted: the only place it appears in full),
``BYXXMC`` school, ``T1`` ... ``Tn`` the points of each item by position,
``ZF`` the total, and ``ZT`` the candidate's status (normal, absent,
misconduct, re-sit, exempt). Points not yet known are left empty.

A PE exam (体育中考) has, instead of ``T1`` ... ``Tn``, four columns per item
its stations test (``<item>`` is the item's identifier, e.g. ``run_50m``):
``<item>_CJ`` the counted result (成绩) in the item's unit, ``<item>_BZF``
the 2014 table points (0-100), ``<item>_DF`` the city's exam points (得分),
and ``<item>_ZD`` = ``暂定`` (provisional) when the table row behind the
points rests on a single source; then ``ZF`` the exam total and ``ZF_ZD``
(``暂定`` when any counted item is provisional).

The DBF export (dBase III, GBK, see ``exam_server.dbf``) carries the written
and oral exams' columns with these widths in GBK bytes: ``KSH`` C(20), ``XM``
C(40) (twenty Chinese characters), ``XBDM`` C(1), ``SFZH`` C(18), ``BYXXMC``
C(100) (fifty Chinese characters), ``T1`` ... ``Tn`` and ``ZF`` N(6,1) (up to
9999.9), ``ZT`` C(10). A PE exam's column names are longer than the ten
characters a DBF field name may have, so its DBF export is refused.
"""

from __future__ import annotations

import csv
import datetime
import io
import re

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.dbf import DbfError, Field, FieldType, dbf_bytes
from exam_server.identity import IdCipher
from exam_server.models import Candidate, Exam, ExamKind
from exam_server.pe import PeTables, exam_items, exam_pe_results
from exam_server.results import exam_results

SEX_CODES = {"male": "1", "female": "2"}
"""GB/T 2261.1 sex codes, as XBDM carries them."""

Cell = str | float | None

POINTS_FIELD_WIDTH = 6
POINTS_FIELD_DECIMALS = 1
"""Item points and totals in DBF: N(6,1), half points up to 9999.9."""

DBF_FIELDS = {
    "KSH": Field("KSH", FieldType.CHARACTER, 20),
    "XM": Field("XM", FieldType.CHARACTER, 40),
    "XBDM": Field("XBDM", FieldType.CHARACTER, 1),
    "SFZH": Field("SFZH", FieldType.CHARACTER, 18),
    "BYXXMC": Field("BYXXMC", FieldType.CHARACTER, 100),
    "ZF": Field("ZF", FieldType.NUMERIC, POINTS_FIELD_WIDTH, POINTS_FIELD_DECIMALS),
    "ZT": Field("ZT", FieldType.CHARACTER, 10),
}
"""The admissions DBF layout by column; widths in GBK bytes."""

ITEM_COLUMN = re.compile(r"T[1-9][0-9]{0,8}")
"""An item's points column: ``T`` and its position."""

PROVISIONAL_MARK = "暂定"
"""What a PE export writes where a score is provisional."""


def export_table(
    session: Session, exam: Exam, cipher: IdCipher, *, tables: PeTables | None = None
) -> tuple[list[str], list[list[Cell]]]:
    """Return the export's header and rows for ``exam``, by ticket number.

    ``tables`` are the PE tables the server scores with (the packaged ones
    when None); confirmed PE results keep the points frozen at confirmation.
    """
    if exam.kind == ExamKind.PE:
        return _pe_export_table(session, exam, cipher, tables)
    n_items = max((len(paper.items) for paper in exam.papers), default=0)
    header = ["KSH", "XM", "XBDM", "SFZH", "BYXXMC"]
    header += [f"T{position}" for position in range(1, n_items + 1)]
    header += ["ZF", "ZT"]
    encrypted = {
        ticket: sealed
        for ticket, sealed in session.execute(
            select(Candidate.ticket_number, Candidate.id_number_encrypted).where(
                Candidate.exam_id == exam.id
            )
        )
    }
    rows: list[list[Cell]] = []
    for result in exam_results(session, exam):
        sealed = encrypted.get(result.ticket_number)
        points: list[Cell] = [None] * n_items
        for item in result.items:
            points[item.position - 1] = item.points
        rows.append(
            [
                result.ticket_number,
                result.name,
                SEX_CODES.get(result.sex, ""),
                cipher.decrypt(sealed) if sealed else "",
                result.school,
                *points,
                result.total,
                result.status,
            ]
        )
    return header, rows


def _id_numbers(session: Session, exam: Exam, cipher: IdCipher) -> dict[str, str]:
    return {
        ticket: cipher.decrypt(sealed) if sealed else ""
        for ticket, sealed in session.execute(
            select(Candidate.ticket_number, Candidate.id_number_encrypted).where(
                Candidate.exam_id == exam.id
            )
        )
    }


def _pe_export_table(
    session: Session, exam: Exam, cipher: IdCipher, tables: PeTables | None
) -> tuple[list[str], list[list[Cell]]]:
    """Return the PE export: per item result, table points, exam points, flag."""
    items = exam_items(session, exam)
    header = ["KSH", "XM", "XBDM", "SFZH", "BYXXMC"]
    for item in items:
        header += [f"{item}_CJ", f"{item}_BZF", f"{item}_DF", f"{item}_ZD"]
    header += ["ZF", "ZF_ZD", "ZT"]
    id_numbers = _id_numbers(session, exam, cipher)
    rows: list[list[Cell]] = []
    for result in exam_pe_results(session, exam, tables=tables):
        by_item = {r.item: r for r in result.items}
        cells: list[Cell] = []
        for item in items:
            counted = by_item.get(item)
            if counted is None or counted.value is None:
                cells += [None, None, None, None]
                continue
            cells += [
                counted.value,
                None if counted.table_points is None else float(counted.table_points),
                counted.exam_points,
                PROVISIONAL_MARK if counted.provisional else "",
            ]
        rows.append(
            [
                result.ticket_number,
                result.name,
                SEX_CODES.get(result.sex, ""),
                id_numbers.get(result.ticket_number, ""),
                result.school,
                *cells,
                result.total,
                PROVISIONAL_MARK if result.provisional else "",
                result.status,
            ]
        )
    return header, rows


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return value


def to_csv_bytes(header: list[str], rows: list[list[Cell]]) -> bytes:
    """Return the table as CSV in UTF-8 with a byte-order mark (Excel reads it)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_text(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx_bytes(header: list[str], rows: list[list[Cell]]) -> bytes:
    """Return the table as an XLSX workbook with one sheet and a header row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "results"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, never a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def dbf_fields(header: list[str]) -> list[Field]:
    """Return the DBF field of each export column; refuse columns without one."""
    fields = []
    for column in header:
        if column in DBF_FIELDS:
            fields.append(DBF_FIELDS[column])
        elif ITEM_COLUMN.fullmatch(column):
            fields.append(
                Field(
                    column,
                    FieldType.NUMERIC,
                    POINTS_FIELD_WIDTH,
                    POINTS_FIELD_DECIMALS,
                )
            )
        else:
            raise DbfError(
                f"export column {column!r} has no DBF field (the DBF layout covers "
                "written and oral exams, and DBF names are at most 10 characters); "
                "use the CSV or XLSX export"
            )
    return fields


def to_dbf_bytes(
    header: list[str], rows: list[list[Cell]], *, updated: datetime.date
) -> bytes:
    """Return the table as a dBase III file in GBK (see ``exam_server.dbf``)."""
    return dbf_bytes(dbf_fields(header), rows, updated=updated)
