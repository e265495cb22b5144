"""Durable files and the SQLite journal base shared by the seat and the station.

Both client programs keep a crash-safe journal: a folder holding
``journal.sqlite`` (WAL mode, ``synchronous=FULL``) next to the files it
names. A file reaches its final name only after its bytes are fsynced, and
the rename is made durable by fsyncing the folder; only then does a journal
row name it, so the row is the commit point. :class:`SqliteJournal` owns the
connection, the lock, transactions and queries; the seat's
:class:`exam_client.journal.Journal` and the station's
:class:`exam_client.pe_station.journal.StationJournal` add their own tables,
files and crash recovery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar, Self

from exam_client.errors import JournalError

JOURNAL_FILE = "journal.sqlite"
DISCARDED = "discarded"
PART_SUFFIX = ".part"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def durable_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new.

    The bytes go to ``path`` + ``.part``, are flushed and fsynced, the file is
    renamed over ``path`` and the folder is fsynced so the rename survives a
    power cut.
    """
    part = path.with_name(path.name + PART_SUFFIX)
    with part.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(part, path)
    fsync_folder(path.parent)


def fsync_and_rename(tmp: Path, final: Path) -> None:
    """Make a file written by another library durable under its final name."""
    with tmp.open("rb") as stream:
        os.fsync(stream.fileno())
    os.replace(tmp, final)
    fsync_folder(final.parent)


def fsync_folder(folder: Path) -> None:
    """Fsync a folder, so that renames and new names in it survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def move_aside(path: Path, folder: Path) -> Path:
    """Move ``path`` into ``folder``/``discarded``, its name prefixed by the time.

    Nothing a crash left behind is deleted: a proctor or examiner may still
    want to look at it. Returns the new path.
    """
    target_dir = folder / DISCARDED
    target_dir.mkdir(exist_ok=True)
    target = target_dir / f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{path.name}"
    os.replace(path, target)
    return target


class SqliteJournal:
    """A journal folder with its SQLite database; safe to share between threads.

    A subclass names its ``SCHEMA`` (SQL run when the journal opens), the
    ``FILES`` subfolder for the files its rows name, and the ``OWNER`` whose
    journal it is (``"seat"``, ``"station"``), which the error messages name.
    It overrides :meth:`_recover` to sort out what a crash left behind.
    """

    SCHEMA: ClassVar[str] = ""
    FILES: ClassVar[str] = "files"
    OWNER: ClassVar[str] = "client"

    def __init__(self, folder: Path, connection: sqlite3.Connection) -> None:
        self.folder = folder
        self._db = connection
        self._lock = threading.RLock()

    @classmethod
    def open(cls, folder: Path) -> Self:
        """Open (or make) the journal in ``folder`` and recover from a crash."""
        try:
            (folder / cls.FILES).mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                folder / JOURNAL_FILE,
                check_same_thread=False,
                isolation_level=None,
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.executescript(cls.SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(
                f"the {cls.OWNER} journal in {folder} cannot be opened ({exc}); "
                "check that the disk is writable and not full, or start the "
                f"{cls.OWNER} with another --data-dir"
            ) from exc
        journal = cls(folder, connection)
        journal._recover()
        return journal

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _recover(self) -> None:
        """Sort out what a crash left behind; runs when the journal opens."""

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise JournalError(
                    f"writing the {self.OWNER} journal in {self.folder} failed "
                    f"({exc}); check that the disk is writable and not full"
                ) from exc
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cursor = self._db.execute(sql, args)
            cursor.row_factory = sqlite3.Row
            return list(cursor.fetchall())
