"""The admissions export: one row per candidate, as CSV (UTF-8 with BOM) or XLSX.

Columns follow the fixed field names provincial admissions systems read:
``KSH`` ticket number, ``XM`` name, ``XBDM`` sex code (1 male, 2 female),
``SFZH`` id number (decrypted: the only place it appears in full),
``BYXXMC`` school, ``T1`` ... ``Tn`` the points of each item by position,
``ZF`` the total, and ``ZT`` the candidate's status (normal, absent,
misconduct, re-sit, exempt). Points not yet known are left empty.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from exam_server.identity import IdCipher
from exam_server.models import Candidate, Exam
from exam_server.results import exam_results

SEX_CODES = {"male": "1", "female": "2"}
"""GB/T 2261.1 sex codes, as XBDM carries them."""

Cell = str | float | None


def export_table(
    session: Session, exam: Exam, cipher: IdCipher
) -> tuple[list[str], list[list[Cell]]]:
    """Return the export's header and rows for ``exam``, by ticket number."""
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
