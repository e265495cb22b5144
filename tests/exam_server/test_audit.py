"""The audit chain verifies when intact and notices any altered or removed entry."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from exam_server import audit
from exam_server.models import AuditEntry


def _three_entries(factory: sessionmaker[Session]) -> list[int]:
    with factory() as session:
        ids = []
        for n in range(3):
            entry = audit.record(
                session,
                actor="admin",
                action="export.csv",
                reason=f"admissions batch {n}\n第{n}批",
                detail={"rows": n, "exam": "E2025", "nested": {"b": 1, "a": [1.5]}},
            )
            ids.append(entry.id)
        session.commit()
    return ids


def test_an_untouched_chain_verifies(session_factory: sessionmaker[Session]) -> None:
    ids = _three_entries(session_factory)
    with session_factory() as session:
        assert audit.verify_chain(session)
        entries = session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert [e.id for e in entries] == ids
    assert entries[0].prev_sha256 == audit.GENESIS_SHA256
    assert entries[1].prev_sha256 == entries[0].sha256
    assert entries[2].prev_sha256 == entries[1].sha256


def test_an_empty_chain_verifies(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        assert audit.verify_chain(session)


def test_changing_a_stored_reason_is_detected(
    session_factory: sessionmaker[Session],
) -> None:
    ids = _three_entries(session_factory)
    with session_factory() as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.id == ids[1]).values(reason="nothing")
        )
        session.commit()
    with session_factory() as session:
        assert not audit.verify_chain(session)


def test_changing_a_stored_detail_is_detected(
    session_factory: sessionmaker[Session],
) -> None:
    ids = _three_entries(session_factory)
    with session_factory() as session:
        session.execute(
            update(AuditEntry).where(AuditEntry.id == ids[0]).values(detail={"rows": 9})
        )
        session.commit()
    with session_factory() as session:
        assert not audit.verify_chain(session)


def test_removing_an_entry_is_detected(session_factory: sessionmaker[Session]) -> None:
    ids = _three_entries(session_factory)
    with session_factory() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.id == ids[1]))
        session.commit()
    with session_factory() as session:
        assert not audit.verify_chain(session)


def test_the_hash_depends_on_every_field() -> None:
    from datetime import UTC, datetime

    base = dict(
        prev_sha256=audit.GENESIS_SHA256,
        at=datetime(2025, 6, 1, 8, 0, tzinfo=UTC),
        actor="admin",
        action="a",
        reason="r",
        detail={"k": 1},
    )
    reference = audit.entry_sha256(**base)  # type: ignore[arg-type]
    changes = {
        "prev_sha256": "1" * 64,
        "at": datetime(2025, 6, 1, 8, 0, 0, 1, tzinfo=UTC),
        "actor": "proctor:R01",
        "action": "b",
        "reason": "r ",
        "detail": {"k": 2},
    }
    for name, value in changes.items():
        assert audit.entry_sha256(**{**base, name: value}) != reference, name  # type: ignore[arg-type]
