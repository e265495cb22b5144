"""A small dBase III (DBF) writer for the admissions export, text in GBK.

Provincial admissions systems read fixed-field DBF files whose character
fields are GBK bytes. The layout written here is dBase III without memo:

- a 32-byte file header: version ``0x03``; the date of the last update as
  year - 1900, month, day; the record count (uint32, little-endian); the
  header length and the record length (uint16 each); byte 29 the language
  driver, ``0x7A`` for code page 936 (Chinese Simplified, PRC, GBK) as
  Microsoft's table of code pages supported by Visual FoxPro lists it;
- one 32-byte descriptor per field: the name (ASCII, at most 10 characters,
  NUL-padded to 11 bytes), the type (``C`` character or ``N`` numeric), four
  unused address bytes, the width in bytes and the number of decimals;
- ``0x0D`` ending the descriptors;
- one record per row: a deletion flag (a space: not deleted), then each
  field's bytes, ``C`` left-aligned and space-padded, ``N`` right-aligned ASCII
  with a fixed number of decimals, blank (all spaces) when the value is unknown;
- ``0x1A`` ending the file.

Widths count GBK bytes, not characters: a Chinese character takes two. A
character GBK cannot encode (some rare name characters, e.g. 𠀀 U+20000)
becomes ``??``, two bytes, the width a GBK character takes, which is the
admissions convention. A value that does not fit its field is refused with
``DbfError`` before anything is written: a truncated name or score would be
a wrong record about a real child.
"""

from __future__ import annotations

import datetime
import enum
import logging
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from standards.errors import PlatformError

logger = logging.getLogger(__name__)

ENCODING = "gbk"
"""Character fields' encoding (code page 936)."""

GBK_LANGUAGE_DRIVER = 0x7A
"""Language driver id of code page 936, PRC GBK (Visual FoxPro's table)."""

UNENCODABLE = b"??"
"""What a character outside GBK becomes: two bytes, like a GBK character."""

VERSION_DBASE3 = 0x03
"""First header byte: dBase III, no memo file."""

HEADER_END = 0x0D
"""Byte after the last field descriptor."""

FILE_END = 0x1A
"""Byte after the last record."""

NOT_DELETED = b" "
"""A record's deletion flag when the record is live (``*`` marks deleted)."""

MAX_NAME_LENGTH = 10
"""A field name's longest length; the descriptor holds 11 bytes with a NUL."""

MAX_WIDTH = 254
"""Widest field dBase III readers accept (the descriptor byte is unsigned)."""

FILE_HEADER = struct.Struct("<BBBBIHH20s")
"""Version, year - 1900, month, day, records, header bytes, record bytes."""

FIELD_DESCRIPTOR = struct.Struct("<11sc4sBB14s")
"""Name, type, data address, width, decimals, reserved."""

FLOAT_NOISE = Decimal("1e-9")
"""Largest difference a numeric field rounds away (binary float residue only)."""

LANGUAGE_DRIVER_OFFSET = 29
"""Byte of the file header holding the language driver id."""


class DbfError(PlatformError):
    """A table that cannot be written as DBF as asked (a field or a value)."""


class FieldType(enum.StrEnum):
    """The dBase III field types this writer knows."""

    CHARACTER = "C"  # GBK bytes, left-aligned, space-padded
    NUMERIC = "N"  # ASCII digits, right-aligned, fixed decimals


@dataclass(frozen=True)
class Field:
    """One DBF column: its name, type, width in bytes and decimals."""

    name: str
    type: FieldType
    width: int
    decimals: int = 0

    def __post_init__(self) -> None:
        if not (
            1 <= len(self.name) <= MAX_NAME_LENGTH
            and self.name.isascii()
            and self.name.replace("_", "").isalnum()
        ):
            raise DbfError(
                f"DBF field name {self.name!r} is not 1 to {MAX_NAME_LENGTH} ASCII "
                "letters, digits or underscores; choose a shorter plain name"
            )
        if not 1 <= self.width <= MAX_WIDTH:
            raise DbfError(
                f"DBF field {self.name} has width {self.width}; it must be 1 to "
                f"{MAX_WIDTH} bytes"
            )
        if self.type == FieldType.CHARACTER and self.decimals:
            raise DbfError(f"character field {self.name} cannot have decimals")
        if self.type == FieldType.NUMERIC and not 0 <= self.decimals <= self.width - 2:
            raise DbfError(
                f"numeric field {self.name} has {self.decimals} decimals in width "
                f"{self.width}; decimals need at most width - 2 (point and a digit)"
            )


Value = str | float | int | Decimal | None


def encode_gbk(text: str) -> bytes:
    """Return ``text`` in GBK, each character outside GBK as ``??``.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    bytes
        GBK bytes; a character GBK lacks gives the two bytes ``??`` so a
        field's byte width stays what the same name in GBK would take.
    """
    try:
        return text.encode(ENCODING)
    except UnicodeEncodeError:
        pass
    parts = []
    for character in text:
        try:
            parts.append(character.encode(ENCODING))
        except UnicodeEncodeError:
            parts.append(UNENCODABLE)
    return b"".join(parts)


def dbf_bytes(
    fields: Sequence[Field],
    records: Sequence[Sequence[Value]],
    *,
    updated: datetime.date,
) -> bytes:
    """Return a dBase III file holding ``records`` under ``fields``.

    Parameters
    ----------
    fields : sequence of Field
        The columns, in order.
    records : sequence of sequences of value
        One row per record, one value per field; ``None`` writes a blank field.
    updated : datetime.date
        The date of last update the header carries (years 1900 to 2155).

    Returns
    -------
    bytes
        The whole file, header, records and the ``0x1A`` end byte.

    Raises
    ------
    DbfError
        When a row has the wrong number of values or a value does not fit its
        field (too many GBK bytes, too many digits, not a number); the message
        names the record, the field, the value and the limit.
    """
    if not fields:
        raise DbfError("a DBF file needs at least one field")
    names = [field.name.upper() for field in fields]
    if len(set(names)) != len(names):
        raise DbfError(f"DBF field names repeat (case-blind): {', '.join(names)}")

    # Encode every record first, so a refusal leaves nothing half-made.
    body = [_record_bytes(fields, row, number) for number, row in enumerate(records, 1)]

    # Header, descriptors, records, end marker.
    header_length = FILE_HEADER.size + FIELD_DESCRIPTOR.size * len(fields) + 1
    record_length = len(NOT_DELETED) + sum(field.width for field in fields)
    if record_length > 0xFFFF:
        raise DbfError(f"a DBF record of {record_length} bytes is over 65535")
    parts = [
        _file_header(
            updated=updated,
            n_records=len(body),
            header_length=header_length,
            record_length=record_length,
        ),
        *(_descriptor(field) for field in fields),
        bytes([HEADER_END]),
        *body,
        bytes([FILE_END]),
    ]
    return b"".join(parts)


def write_dbf(
    path: Path,
    fields: Sequence[Field],
    records: Sequence[Sequence[Value]],
    *,
    updated: datetime.date,
) -> None:
    """Write a dBase III file at ``path``; a refused table writes nothing.

    The whole file is made in memory first, then written beside ``path`` and
    renamed over it, so a reader never sees half a file.
    """
    data = dbf_bytes(fields, records, updated=updated)
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DbfError(f"cannot write the DBF file {path}: {exc}") from exc
    logger.info("wrote %s records to %s", len(records), path)


def _file_header(
    *, updated: datetime.date, n_records: int, header_length: int, record_length: int
) -> bytes:
    if not 1900 <= updated.year <= 1900 + 0xFF:
        raise DbfError(f"a DBF header cannot carry the year {updated.year}")
    reserved = bytearray(20)
    reserved[LANGUAGE_DRIVER_OFFSET - 12] = GBK_LANGUAGE_DRIVER
    return FILE_HEADER.pack(
        VERSION_DBASE3,
        updated.year - 1900,
        updated.month,
        updated.day,
        n_records,
        header_length,
        record_length,
        bytes(reserved),
    )


def _descriptor(field: Field) -> bytes:
    return FIELD_DESCRIPTOR.pack(
        field.name.upper().encode("ascii"),
        field.type.value.encode("ascii"),
        bytes(4),
        field.width,
        field.decimals,
        bytes(14),
    )


def _record_bytes(fields: Sequence[Field], row: Sequence[Value], number: int) -> bytes:
    if len(row) != len(fields):
        raise DbfError(
            f"record {number} has {len(row)} values for {len(fields)} fields; "
            "give one value per field"
        )
    cells = [NOT_DELETED]
    for field, value in zip(fields, row, strict=True):
        try:
            cells.append(_cell_bytes(field, value))
        except DbfError as exc:
            raise DbfError(f"record {number}: {exc}; nothing was written") from exc
    return b"".join(cells)


def _cell_bytes(field: Field, value: Value) -> bytes:
    if value is None:
        return b" " * field.width
    if field.type == FieldType.CHARACTER:
        return _character_bytes(field, value)
    return _numeric_bytes(field, value)


def _character_bytes(field: Field, value: Value) -> bytes:
    text = value if isinstance(value, str) else str(value)
    encoded = encode_gbk(text)
    if len(encoded) > field.width:
        raise DbfError(
            f"field {field.name} value {text!r} takes {len(encoded)} GBK bytes, over "
            f"its width of {field.width}; widen the field or correct the value"
        )
    return encoded.ljust(field.width, b" ")


def _numeric_bytes(field: Field, value: Value) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise DbfError(
            f"numeric field {field.name} got {value!r}, which is not a number"
        )
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise DbfError(f"numeric field {field.name} got {value!r}, not finite")
    quantum = Decimal(1).scaleb(-field.decimals)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    if abs(rounded - number) > FLOAT_NOISE:
        raise DbfError(
            f"field {field.name} value {value!r} has more than {field.decimals} "
            "decimals and would be rounded; give the field more decimals"
        )
    text = f"{rounded:f}"
    if len(text) > field.width:
        largest = Decimal(10) ** (field.width - field.decimals - 1) - quantum
        if field.decimals == 0:
            largest = Decimal(10) ** field.width - 1
        raise DbfError(
            f"field {field.name} value {value!r} needs {len(text)} characters, over "
            f"its width of {field.width} (at most {largest}); widen the field"
        )
    return text.rjust(field.width).encode("ascii")
