"""Proctor routes over HTTP: the board, room start and end, marks and moves."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server import audit
from exam_server.models import AuditEntry, Response, Score
from exam_server.settings import Settings
from tests.exam_server.builders import (
    ADMIN_TOKEN,
    PROCTOR_KEY,
    World,
    build_world,
    sha256_hex,
    tone_wav,
)
from tests.exam_server.test_seat_routes import auth, login, put_audio, start_room


@pytest.fixture
def world(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> World:
    return build_world(session_factory, settings)


def board(client: TestClient, key: str = PROCTOR_KEY) -> dict:
    answer = client.get("/api/rooms/R01/board", headers=auth(key))
    assert answer.status_code == 200, answer.text
    result: dict = answer.json()
    return result


def test_the_board_lists_every_seat_with_its_candidate(
    client: TestClient, world: World
) -> None:
    login(client)
    rows = {row["seat_code"]: row for row in board(client)["seats"]}
    assert list(rows) == ["A01", "A02", "A03", "S01"]
    assert rows["A01"]["state"] == "logged_in"
    assert rows["A01"]["candidate_name"] == "张三"
    assert rows["A02"]["state"] == "not_logged_in"
    assert rows["S01"] == {
        "seat_code": "S01",
        "is_spare": True,
        "state": None,
        "ticket_number": None,
        "candidate_name": None,
        "answered": 0,
        "total_items": 3,
        "points": None,
        "max_points": 6.0,
    }


def test_board_points_appear_once_every_answer_is_scored(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
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
    with session_factory() as session:
        responses = session.scalars(select(Response).order_by(Response.id)).all()
        for response, points in zip(responses[:2], (1.0, 2.5), strict=True):
            session.add(Score(response_id=response.id, scorer="t/1", points=points))
        session.commit()
    row = board(client)["seats"][0]
    assert row["answered"] == 3 and row["points"] is None
    with session_factory() as session:
        session.add(Score(response_id=responses[2].id, scorer="t/1", points=0.5))
        session.add(Score(response_id=responses[2].id, scorer="t/2", points=1.5))
        session.commit()
    assert board(client)["seats"][0]["points"] == pytest.approx(5.0)


def test_keys_of_other_rooms_and_no_key_are_refused(
    client: TestClient, world: World
) -> None:
    assert client.get("/api/rooms/R01/board").status_code == 401
    wrong = client.get("/api/rooms/R01/board", headers=auth("proctor-key-R02"))
    assert wrong.status_code == 403
    assert "not the proctor key of room R01" in wrong.json()["detail"]
    assert board(client, key=ADMIN_TOKEN)["room_code"] == "R01"


def test_start_and_end_follow_the_sitting_order_and_are_audited(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    url = f"/api/sittings/{world.sitting_id}"
    early_end = client.post(
        f"{url}/end", json={"reason": "x"}, headers=auth(PROCTOR_KEY)
    )
    assert early_end.status_code == 409
    started = client.post(
        f"{url}/start", json={"reason": "bell rang"}, headers=auth(PROCTOR_KEY)
    )
    assert started.json()["state"] == "started"
    assert started.json()["started_at"]
    again = client.post(f"{url}/start", json={"reason": "x"}, headers=auth(PROCTOR_KEY))
    assert again.status_code == 409
    ended = client.post(
        f"{url}/end", json={"reason": "time up"}, headers=auth(ADMIN_TOKEN)
    )
    assert ended.json()["state"] == "ended"
    with session_factory() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert audit.verify_chain(session)
    assert [(e.actor, e.action, e.reason) for e in entries] == [
        ("proctor:R01", "sitting.start", "bell rang"),
        ("admin", "sitting.end", "time up"),
    ]


def test_moving_to_a_spare_seat_keeps_the_answers(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    token = login(client)
    start_room(client, world)
    wav = tone_wav(duration_s=1.0)
    put_audio(client, token, world.item_ids[1], wav, sha256_hex(wav))
    moved = client.post(
        f"/api/sittings/{world.sitting_id}/move",
        json={"ticket_number": "20250001", "to_seat": "S01", "reason": "headset broke"},
        headers=auth(PROCTOR_KEY),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["seat_code"] == "S01" and moved.json()["answered"] == 1
    assert client.get("/api/seat/status", headers=auth(token)).status_code == 401
    old_seat = client.post(
        "/api/seat/login",
        json={"room_code": "R01", "seat_code": "A01", "ticket_number": "20250001"},
    )
    assert old_seat.status_code == 409
    assert "seat S01" in old_seat.json()["detail"]
    relogin = client.post(
        "/api/seat/login",
        json={"room_code": "R01", "seat_code": "S01", "ticket_number": "20250001"},
    )
    assert relogin.status_code == 200
    assert relogin.json()["answered_item_ids"] == [world.item_ids[1]]
    rows = {row["seat_code"]: row for row in board(client)["seats"]}
    assert rows["A01"]["state"] is None
    assert rows["S01"]["ticket_number"] == "20250001"
    with session_factory() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "seat.move")
        ).one()
    assert entry.detail["from_seat"] == "A01" and entry.reason == "headset broke"


@pytest.mark.parametrize(
    ("to_seat", "reason", "status", "words"),
    [
        ("A02", "broken", 409, "not a spare seat"),
        ("S09", "broken", 404, "no seat 'S09'"),
        ("S01", "  ", 422, "needs a reason"),
    ],
)
def test_refused_moves_change_nothing(
    client: TestClient, world: World, to_seat: str, reason: str, status: int, words: str
) -> None:
    answer = client.post(
        f"/api/sittings/{world.sitting_id}/move",
        json={"ticket_number": "20250001", "to_seat": to_seat, "reason": reason},
        headers=auth(PROCTOR_KEY),
    )
    assert answer.status_code == status
    assert words in answer.json()["detail"]
    assert board(client)["seats"][0]["ticket_number"] == "20250001"


def test_a_candidate_with_answers_cannot_be_marked_absent(
    client: TestClient, world: World
) -> None:
    token = login(client)
    start_room(client, world)
    wav = tone_wav(duration_s=1.0)
    put_audio(client, token, world.item_ids[1], wav, sha256_hex(wav))
    url = f"/api/sittings/{world.sitting_id}/seats/A01/mark"
    absent = client.post(
        url, json={"status": "absent", "reason": "x"}, headers=auth(PROCTOR_KEY)
    )
    assert absent.status_code == 409
    abnormal = client.post(
        url, json={"status": "abnormal", "reason": "noise"}, headers=auth(PROCTOR_KEY)
    )
    assert abnormal.json()["state"] == "abnormal"
    odd = client.post(
        url, json={"status": "finished", "reason": "x"}, headers=auth(PROCTOR_KEY)
    )
    assert odd.status_code == 422
