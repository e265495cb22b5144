"""UTC times as the server stores and sends them."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """Return ``moment`` as aware UTC; SQLite gives naive times back, meant as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """Return ``moment`` in ISO 8601 UTC, or None."""
    return None if moment is None else as_utc(moment).isoformat()


def now_iso() -> str:
    return datetime.now(UTC).isoformat()
