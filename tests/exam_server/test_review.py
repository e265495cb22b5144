"""Answers a person must look at, and the points a reviewer gives them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server import audit
from exam_server.models import AuditEntry, JobState, Response, Score, ScoringJob
from exam_server.settings import Settings
from tests.exam_server.builders import (
    ADMIN_TOKEN,
    World,
    build_world,
    sha256_hex,
    tone_wav,
)
from tests.exam_server.test_seat_routes import auth, login, put_audio, start_room

ADMIN = auth(ADMIN_TOKEN)
TICKET = "20250001"


@pytest.fixture
def world(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> World:
    return build_world(session_factory, settings)


def answer_everything(
    client: TestClient, world: World, factory: sessionmaker[Session]
) -> list[int]:
    """Candidate 1 answers all three items; returns the response ids in order."""
    token = login(client)
    start_room(client, world)
    client.put(
        f"/api/seat/responses/{world.item_ids[0]}/choice",
        json={"choice": "B"},
        headers=auth(token),
    )
    for item_id, f0 in zip(world.item_ids[1:], (300.0, 500.0), strict=True):
        wav = tone_wav(duration_s=1.0, f0=f0)
        put_audio(client, token, item_id, wav, sha256_hex(wav))
    with factory() as session:
        return list(session.scalars(select(Response.id).order_by(Response.id)))


def item_states(client: TestClient) -> list[tuple[str, float | None]]:
    rows = client.get("/api/exams/E2025/results", headers=ADMIN).json()
    row = next(r for r in rows if r["ticket_number"] == TICKET)
    return [(item["state"], item["points"]) for item in row["items"]]


def test_failed_and_flagged_answers_wait_for_review_and_a_reviewer_decides(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    choice, read_aloud, situational = answer_everything(client, world, session_factory)
    with session_factory() as session:
        session.add(Score(response_id=choice, scorer="choice_key/1", points=1.0))
        session.add(
            Score(
                response_id=situational,
                scorer="open_answer/0.1.0",
                score=10.0,
                points=0.0,
                detail={"flags": ["no_speech"]},
            )
        )
        job = session.scalars(
            select(ScoringJob).where(ScoringJob.response_id == read_aloud)
        ).one()
        job.state = JobState.FAILED.value
        job.error = "pocketsphinx could not align the passage"
        session.commit()

    assert item_states(client) == [
        ("scored", 1.0),
        ("needs_review", None),
        ("needs_review", 0.0),
    ]
    rows = client.get("/api/exams/E2025/results", headers=ADMIN).json()
    row = next(r for r in rows if r["ticket_number"] == TICKET)
    assert row["total"] is None
    assert "could not align" in row["items"][1]["review_reason"]
    assert row["items"][2]["flags"] == ["no_speech"]

    reviewed = client.post(
        f"/api/responses/{read_aloud}/review",
        json={"points": 2.5, "reason": "listened: fluent, two slips"},
        headers=ADMIN,
    )
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["state"] == "reviewed"
    assert reviewed.json()["points"] == 2.5
    client.post(
        f"/api/responses/{situational}/review",
        json={"points": 0.0, "reason": "silent: confirmed"},
        headers=ADMIN,
    )
    assert item_states(client) == [
        ("scored", 1.0),
        ("reviewed", 2.5),
        ("reviewed", 0.0),
    ]
    with session_factory() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "review_response")
        ).all()
        assert [e.detail["points"] for e in entries] == [2.5, 0.0]
        assert audit.verify_chain(session)


def test_a_review_outside_the_items_points_or_without_reason_is_refused(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    _, read_aloud, _ = answer_everything(client, world, session_factory)
    too_many = client.post(
        f"/api/responses/{read_aloud}/review",
        json={"points": 99, "reason": "generous"},
        headers=ADMIN,
    )
    assert too_many.status_code == 422
    assert "worth 0 to" in too_many.json()["detail"]
    between_steps = client.post(
        f"/api/responses/{read_aloud}/review",
        json={"points": 1.25, "reason": "between steps"},
        headers=ADMIN,
    )
    assert between_steps.status_code == 422
    assert "steps of 0.5" in between_steps.json()["detail"]
    no_reason = client.post(
        f"/api/responses/{read_aloud}/review",
        json={"points": 1, "reason": "  "},
        headers=ADMIN,
    )
    assert no_reason.status_code == 422
    missing = client.post(
        "/api/responses/99999/review", json={"points": 1, "reason": "x"}, headers=ADMIN
    )
    assert missing.status_code == 404
    proctor = client.post(
        f"/api/responses/{read_aloud}/review",
        json={"points": 1, "reason": "x"},
        headers=auth("not-the-admin"),
    )
    assert proctor.status_code in (401, 403)
    with session_factory() as session:
        assert session.scalars(select(Score)).all() == []
