"""The audit log: privileged actions chained to each other by SHA-256.

Each entry's hash covers the previous entry's hash, its time, actor, action,
reason and detail (as canonical JSON), so changing, removing or reordering
any stored entry breaks every hash after it and :func:`verify_chain` notices.
The first entry's previous hash is :data:`GENESIS_SHA256`.

Writers are serialised so that two entries never claim the same previous
entry: PostgreSQL takes a transaction-scoped advisory lock, and SQLite
takes its single write lock before reading the last entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from exam_server.models import AuditEntry
from exam_server.timeutil import as_utc

logger = logging.getLogger(__name__)

GENESIS_SHA256 = "0" * 64
"""The previous hash of the first entry."""

_ADVISORY_LOCK_KEY = 0x6578616D_61756474  # "examaudt": any fixed 64-bit number


def canonical_json(detail: dict[str, Any]) -> str:
    """Return ``detail`` as JSON with sorted keys and no spaces."""
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_sha256(
    *,
    prev_sha256: str,
    at: datetime,
    actor: str,
    action: str,
    reason: str,
    detail: dict[str, Any],
) -> str:
    """Return the hex SHA-256 that chains one audit entry to the one before.

    The hashed text is the fields joined by newlines, in this order:
    previous hash, time (ISO 8601 UTC, microseconds), actor, action,
    reason, canonical JSON of the detail. Each field is JSON-quoted first so
    a newline inside a reason cannot forge a field boundary.
    """
    fields = [
        prev_sha256,
        as_utc(at).isoformat(timespec="microseconds"),
        actor,
        action,
        reason,
        canonical_json(detail),
    ]
    joined = "\n".join(json.dumps(value, ensure_ascii=False) for value in fields)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    reason: str,
    detail: dict[str, Any],
) -> AuditEntry:
    """Add one audit entry to ``session`` (committed with the caller's work)."""
    _lock_chain(session)
    last = session.scalars(
        select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)
    ).first()
    prev = GENESIS_SHA256 if last is None else last.sha256
    at = datetime.now(UTC)
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        reason=reason,
        detail=detail,
        prev_sha256=prev,
        sha256=entry_sha256(
            prev_sha256=prev,
            at=at,
            actor=actor,
            action=action,
            reason=reason,
            detail=detail,
        ),
    )
    session.add(entry)
    session.flush()
    logger.info("audit: %s by %s (%s)", action, actor, reason)
    return entry


def _lock_chain(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK_KEY}
        )
    elif dialect == "sqlite":
        # a write statement that changes nothing still takes the write lock,
        # which the transaction then keeps until it commits
        session.execute(text("UPDATE audit_entries SET id = id WHERE id < 0"))


def verify_chain(session: Session) -> bool:
    """Return True when every stored entry's hashes match the chain."""
    prev = GENESIS_SHA256
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        expected = entry_sha256(
            prev_sha256=prev,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            reason=entry.reason,
            detail=entry.detail,
        )
        if entry.prev_sha256 != prev or entry.sha256 != expected:
            logger.warning("audit chain broken at entry %s", entry.id)
            return False
        prev = entry.sha256
    return True
