"""Seat routes over HTTP: login, paper, prompts, state, and answer uploads.

Every refusal is checked to leave the stored answers and files as they were.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.models import Attempt, Response, ScoringJob
from exam_server.settings import Settings
from exam_server.storage import audio_relative_path
from tests.exam_server.builders import (
    PROCTOR_KEY,
    RecordingRunner,
    World,
    build_world,
    files_under,
    sha256_hex,
    tone_wav,
)

TICKET, SEAT = "20250001", "A01"


@pytest.fixture
def world(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> World:
    return build_world(session_factory, settings)


def login(client: TestClient, ticket: str = TICKET, seat: str = SEAT) -> str:
    answer = client.post(
        "/api/seat/login",
        json={"room_code": "R01", "seat_code": seat, "ticket_number": ticket},
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def start_room(client: TestClient, world: World) -> None:
    answer = client.post(
        f"/api/sittings/{world.sitting_id}/start",
        json={"reason": "09:00 start"},
        headers=auth(PROCTOR_KEY),
    )
    assert answer.status_code == 200, answer.text


def put_audio(client: TestClient, token: str, item_id: int, wav: bytes, sha: str):
    return client.put(
        f"/api/seat/responses/{item_id}/audio",
        files={"file": ("answer.wav", wav, "audio/wav")},
        data={"sha256": sha},
        headers=auth(token),
    )


def stored(factory: sessionmaker[Session]) -> tuple[int, int]:
    with factory() as session:
        responses = session.scalar(select(func.count(Response.id))) or 0
        jobs = session.scalar(select(func.count(ScoringJob.id))) or 0
    return responses, jobs


# --- login -----------------------------------------------------------------


def test_login_shows_the_candidate_and_the_sitting(
    client: TestClient, world: World
) -> None:
    answer = client.post(
        "/api/seat/login",
        json={"room_code": "R01", "seat_code": SEAT, "ticket_number": TICKET},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["candidate"] == {
        "ticket_number": TICKET,
        "name": "张三",
        "school": "实验中学",
    }
    assert body["sitting"]["state"] == "scheduled"
    assert body["seat_code"] == SEAT
    assert body["answered_item_ids"] == []


def test_login_at_the_wrong_seat_names_the_right_one_and_changes_nothing(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    answer = client.post(
        "/api/seat/login",
        json={"room_code": "R01", "seat_code": "A02", "ticket_number": TICKET},
    )
    assert answer.status_code == 409
    assert answer.json()["detail"] == (
        "准考证号 20250001 is assigned to seat A01 in room R01, not A02: "
        "go to seat A01, or ask the proctor to move you"
    )
    with session_factory() as session:
        attempts = session.scalars(select(Attempt)).all()
    assert all(a.token_sha256 is None and a.state == "not_logged_in" for a in attempts)


@pytest.mark.parametrize(
    ("room", "seat", "ticket", "status", "words"),
    [
        ("R09", "A01", TICKET, 404, "no room 'R09'"),
        ("R01", "A99", TICKET, 404, "no seat 'A99'"),
        ("R01", "A01", "29999999", 404, "not on the candidate list"),
    ],
)
def test_login_refuses_unknown_rooms_seats_and_tickets(
    client: TestClient,
    world: World,
    room: str,
    seat: str,
    ticket: str,
    status: int,
    words: str,
) -> None:
    answer = client.post(
        "/api/seat/login",
        json={"room_code": room, "seat_code": seat, "ticket_number": ticket},
    )
    assert answer.status_code == status
    assert words in answer.json()["detail"]


def test_a_new_login_invalidates_the_old_token(
    client: TestClient, world: World
) -> None:
    first = login(client)
    assert client.get("/api/seat/status", headers=auth(first)).status_code == 200
    second = login(client)
    assert second != first
    refused = client.get("/api/seat/status", headers=auth(first))
    assert refused.status_code == 401
    assert "log in again" in refused.json()["detail"]
    assert client.get("/api/seat/status", headers=auth(second)).status_code == 200


def test_requests_without_a_token_are_refused(client: TestClient, world: World) -> None:
    answer = client.get("/api/seat/paper")
    assert answer.status_code == 401
    assert "Authorization: Bearer" in answer.json()["detail"]


def test_late_login_is_only_for_those_who_logged_in_before_the_start(
    client: TestClient, world: World
) -> None:
    login(client)
    start_room(client, world)
    assert login(client)  # resume after a crash
    late = client.post(
        "/api/seat/login",
        json={"room_code": "R01", "seat_code": "A02", "ticket_number": "20250002"},
    )
    assert late.status_code == 409
    assert "later sitting" in late.json()["detail"]


def test_no_login_after_the_room_end(client: TestClient, world: World) -> None:
    login(client)
    start_room(client, world)
    client.post(
        f"/api/sittings/{world.sitting_id}/end",
        json={"reason": "time"},
        headers=auth(PROCTOR_KEY),
    )
    answer = client.post(
        "/api/seat/login",
        json={"room_code": "R01", "seat_code": SEAT, "ticket_number": TICKET},
    )
    assert answer.status_code == 409
    assert "ended" in answer.json()["detail"]


def test_an_absent_candidate_cannot_log_in(client: TestClient, world: World) -> None:
    marked = client.post(
        f"/api/sittings/{world.sitting_id}/seats/A02/mark",
        json={"status": "absent", "reason": "did not come"},
        headers=auth(PROCTOR_KEY),
    )
    assert marked.status_code == 200, marked.text
    answer = client.post(
        "/api/seat/login",
        json={"room_code": "R01", "seat_code": "A02", "ticket_number": "20250002"},
    )
    assert answer.status_code == 403
    assert "absent" in answer.json()["detail"]


# --- paper, prompts, state ---------------------------------------------------


def test_the_paper_hides_keys_scripts_and_references(
    client: TestClient, world: World
) -> None:
    answer = client.get("/api/seat/paper", headers=auth(login(client)))
    assert answer.status_code == 200
    paper = answer.json()
    assert [item["item_id"] for item in paper["items"]] == world.item_ids
    assert [item["position"] for item in paper["items"]] == [1, 2, 3]
    assert paper["items"][0]["options"] == ["A. park", "B. library", "C. school"]
    text = answer.text
    for secret in (
        "answer_key",
        "prompt_script",
        "Tom is going",
        "reference",
        "key_points",
    ):
        assert secret not in text


def test_prompt_audio_is_served_as_wav(
    client: TestClient, world: World, settings: Settings
) -> None:
    token = login(client)
    answer = client.get(f"/api/seat/prompts/{world.item_ids[0]}", headers=auth(token))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "audio/wav"
    assert answer.content[:4] == b"RIFF"
    missing = client.get(f"/api/seat/prompts/{world.item_ids[1]}", headers=auth(token))
    assert missing.status_code == 404
    other = client.get("/api/seat/prompts/999999", headers=auth(token))
    assert other.status_code == 404


def test_the_seat_walks_its_states_and_waits_for_the_room_start(
    client: TestClient, world: World
) -> None:
    token = login(client)

    def report(state: str):
        return client.post(
            "/api/seat/state", json={"state": state}, headers=auth(token)
        )

    assert report("device_check").json()["seat_state"] == "device_check"
    assert report("waiting").json()["seat_state"] == "waiting"
    early = report("in_exam")
    assert early.status_code == 409
    assert "room start" in early.json()["detail"]
    start_room(client, world)
    assert report("in_exam").json()["seat_state"] == "in_exam"
    assert report("waiting").status_code == 409  # no going back
    finished = report("finished")
    assert finished.status_code == 409
    assert "3 answers" in finished.json()["detail"]
    assert report("abnormal").json()["seat_state"] == "abnormal"
    assert report("in_exam").status_code == 200


# --- uploads -----------------------------------------------------------------


@pytest.fixture
def in_exam(client: TestClient, world: World) -> str:
    token = login(client)
    start_room(client, world)
    return token


def test_an_upload_is_stored_once_under_its_hash_and_queued_for_scoring(
    client: TestClient,
    world: World,
    in_exam: str,
    settings: Settings,
    runner: RecordingRunner,
    session_factory: sessionmaker[Session],
) -> None:
    wav = tone_wav(duration_s=2.0)
    sha = sha256_hex(wav)
    answer = put_audio(client, in_exam, world.item_ids[1], wav, sha)
    assert answer.status_code == 200, answer.text
    receipt = answer.json()
    assert receipt["sha256"] == sha and receipt["duplicate"] is False
    path = settings.responses_dir / audio_relative_path(sha)
    assert path.read_bytes() == wav
    assert path.parent.name == sha[:2]
    with session_factory() as session:
        response = session.scalars(select(Response)).one()
        job = session.scalars(select(ScoringJob)).one()
    assert response.duration_s == pytest.approx(2.0)
    assert job.response_id == response.id and job.state == "queued"
    assert runner.submitted == [job.id]


def test_repeating_an_upload_counts_it_and_keeps_one_copy(
    client: TestClient,
    world: World,
    in_exam: str,
    settings: Settings,
    runner: RecordingRunner,
    session_factory: sessionmaker[Session],
) -> None:
    wav = tone_wav(duration_s=1.5)
    sha = sha256_hex(wav)
    first = put_audio(client, in_exam, world.item_ids[1], wav, sha).json()
    files_before = files_under(settings.responses_dir)
    again = put_audio(client, in_exam, world.item_ids[1], wav, sha)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["received_at"] == first["received_at"]
    assert files_under(settings.responses_dir) == files_before
    assert stored(session_factory) == (1, 1)
    with session_factory() as session:
        assert session.scalars(select(Response)).one().upload_count == 2
    assert len(runner.submitted) == 1


def test_a_repeat_restores_a_recording_lost_from_disk(
    client: TestClient, world: World, in_exam: str, settings: Settings
) -> None:
    wav = tone_wav(duration_s=1.0)
    sha = sha256_hex(wav)
    put_audio(client, in_exam, world.item_ids[1], wav, sha)
    path = settings.responses_dir / audio_relative_path(sha)
    path.write_bytes(b"damaged")
    assert put_audio(client, in_exam, world.item_ids[1], wav, sha).json()["duplicate"]
    assert path.read_bytes() == wav


def test_a_different_second_answer_is_refused_and_the_first_kept(
    client: TestClient,
    world: World,
    in_exam: str,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    wav = tone_wav(duration_s=1.0)
    put_audio(client, in_exam, world.item_ids[1], wav, sha256_hex(wav))
    files_before = files_under(settings.responses_dir)
    other = tone_wav(duration_s=1.0, f0=880.0)
    answer = put_audio(client, in_exam, world.item_ids[1], other, sha256_hex(other))
    assert answer.status_code == 409
    assert "first answer is kept" in answer.json()["detail"]
    assert files_under(settings.responses_dir) == files_before
    with session_factory() as session:
        assert session.scalars(select(Response)).one().sha256 == sha256_hex(wav)


def test_a_wrong_hash_stores_nothing(
    client: TestClient,
    world: World,
    in_exam: str,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    wav = tone_wav(duration_s=1.0)
    answer = put_audio(client, in_exam, world.item_ids[1], wav, "ab" * 32)
    assert answer.status_code == 422
    assert "damaged on the way" in answer.json()["detail"]
    assert files_under(settings.responses_dir) == []
    assert stored(session_factory) == (0, 0)
    malformed = put_audio(client, in_exam, world.item_ids[1], wav, "not-a-hash")
    assert malformed.status_code == 422
    assert "64 hexadecimal digits" in malformed.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        (b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk", "cannot be read as WAV"),
        (b"this is not audio at all", "cannot be read as WAV"),
    ],
)
def test_a_corrupt_file_stores_nothing(
    client: TestClient,
    world: World,
    in_exam: str,
    settings: Settings,
    session_factory: sessionmaker[Session],
    payload: bytes,
    words: str,
) -> None:
    answer = put_audio(client, in_exam, world.item_ids[1], payload, sha256_hex(payload))
    assert answer.status_code == 422
    assert words in answer.json()["detail"]
    assert files_under(settings.responses_dir) == []
    assert stored(session_factory) == (0, 0)


def test_a_recording_longer_than_the_item_allows_is_refused(
    client: TestClient,
    world: World,
    in_exam: str,
    settings: Settings,
    session_factory: sessionmaker[Session],
) -> None:
    wav = tone_wav(duration_s=8.0)  # item 2 allows 4 s plus a 3 s margin
    answer = put_audio(client, in_exam, world.item_ids[1], wav, sha256_hex(wav))
    assert answer.status_code == 422
    assert "8.0 s" in answer.json()["detail"]
    assert files_under(settings.responses_dir) == []
    assert stored(session_factory) == (0, 0)


def test_answers_are_refused_before_the_room_start(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    token = login(client)
    wav = tone_wav(duration_s=1.0)
    answer = put_audio(client, token, world.item_ids[1], wav, sha256_hex(wav))
    assert answer.status_code == 409
    assert stored(session_factory) == (0, 0)


def test_choices_must_be_option_letters_of_a_choice_item(
    client: TestClient,
    world: World,
    in_exam: str,
    session_factory: sessionmaker[Session],
) -> None:
    choose, spoken = world.item_ids[0], world.item_ids[1]
    url = f"/api/seat/responses/{choose}/choice"
    assert (
        client.put(url, json={"choice": "D"}, headers=auth(in_exam)).status_code == 422
    )
    to_spoken = client.put(
        f"/api/seat/responses/{spoken}/choice",
        json={"choice": "A"},
        headers=auth(in_exam),
    )
    assert to_spoken.status_code == 422
    wav = tone_wav(duration_s=1.0)
    audio_to_choice = put_audio(client, in_exam, choose, wav, sha256_hex(wav))
    assert audio_to_choice.status_code == 422
    assert stored(session_factory) == (0, 0)
    first = client.put(url, json={"choice": "b"}, headers=auth(in_exam))
    assert first.status_code == 200 and first.json()["duplicate"] is False
    again = client.put(url, json={"choice": "B"}, headers=auth(in_exam))
    assert again.json()["duplicate"] is True
    changed = client.put(url, json={"choice": "C"}, headers=auth(in_exam))
    assert changed.status_code == 409
    with session_factory() as session:
        assert session.scalars(select(Response)).one().choice == "B"


def test_the_last_answer_finishes_the_attempt_and_late_uploads_are_taken(
    client: TestClient,
    world: World,
    in_exam: str,
    session_factory: sessionmaker[Session],
) -> None:
    client.put(
        f"/api/seat/responses/{world.item_ids[0]}/choice",
        json={"choice": "B"},
        headers=auth(in_exam),
    )
    wav = tone_wav(duration_s=1.0)
    put_audio(client, in_exam, world.item_ids[1], wav, sha256_hex(wav))
    client.post(
        f"/api/sittings/{world.sitting_id}/end",
        json={"reason": "time"},
        headers=auth(PROCTOR_KEY),
    )
    last = tone_wav(duration_s=1.0, f0=550.0)
    answer = put_audio(client, in_exam, world.item_ids[2], last, sha256_hex(last))
    assert answer.status_code == 200, answer.text
    status = client.get("/api/seat/status", headers=auth(in_exam)).json()
    assert status["seat_state"] == "finished"
    assert status["sitting_state"] == "ended"
    assert status["answered_item_ids"] == world.item_ids
    with session_factory() as session:
        attempt = session.scalars(
            select(Attempt).where(Attempt.seat.has(code=SEAT))
        ).one()
    assert attempt.finished_at is not None


def test_a_re_login_reports_the_answers_already_held(
    client: TestClient, world: World, in_exam: str
) -> None:
    wav = tone_wav(duration_s=1.0)
    put_audio(client, in_exam, world.item_ids[1], wav, sha256_hex(wav))
    answer = client.post(
        "/api/seat/login",
        json={"room_code": "R01", "seat_code": SEAT, "ticket_number": TICKET},
    )
    assert answer.json()["answered_item_ids"] == [world.item_ids[1]]


def test_an_item_of_another_paper_is_not_found(
    client: TestClient, world: World, in_exam: str, tmp_path: Path
) -> None:
    answer = client.put(
        "/api/seat/responses/987654/choice", json={"choice": "A"}, headers=auth(in_exam)
    )
    assert answer.status_code == 404


class RefusingRunner(RecordingRunner):
    """A runner whose queue is down: every submit raises."""

    def submit(self, job_id: int) -> None:
        raise ConnectionError(f"broker unreachable for job {job_id}")


def test_the_app_starts_and_stops_its_runner_and_survives_a_failed_submit(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    from exam_server.app import create_app

    runner = RefusingRunner()
    with TestClient(create_app(settings, job_runner=runner)) as client:
        assert runner.started and not runner.stopped
        world = build_world(session_factory, settings)
        token = login(client)
        start_room(client, world)
        wav = tone_wav(duration_s=1.0)
        answer = put_audio(client, token, world.item_ids[1], wav, sha256_hex(wav))
        assert answer.status_code == 200  # the answer is kept; the job stays queued
    assert runner.stopped
    with session_factory() as session:
        assert session.scalars(select(ScoringJob)).one().state == "queued"
