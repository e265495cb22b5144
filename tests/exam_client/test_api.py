"""The seat's HTTP client against the real server: data classes back, reasons kept."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from exam_client.api import ServerClient
from exam_client.errors import ServerRefused, ServerUnreachable
from exam_client.journal import choice_sha256, wav_bytes
from exam_server.wire import ItemKind, SeatState, SittingState
from tests.exam_client.helpers import SR, sine
from tests.exam_client.server import LiveExam, free_port


def test_a_login_returns_the_candidate_and_the_paper(started_exam: LiveExam) -> None:
    with ServerClient(started_exam.url) as client:
        login = client.login("R01", "A01", started_exam.ticket("A01"))
        assert login.candidate.ticket_number == started_exam.ticket("A01")
        assert login.sitting.state is SittingState.STARTED
        paper = client.paper()
        assert [item.kind for item in paper.items] == [
            ItemKind.LISTEN_CHOOSE,
            ItemKind.READ_ALOUD,
            ItemKind.SITUATIONAL,
            ItemKind.TOPIC_TALK,
        ]
        prompt = client.prompt_audio(paper.items[0].item_id)
        assert hashlib.sha256(prompt).hexdigest() == paper.items[0].prompt_audio_sha256
        status = client.report_state(SeatState.IN_EXAM, "item 1/4")
        assert status.seat_state is SeatState.IN_EXAM


def test_answers_come_back_with_their_sha256(
    started_exam: LiveExam, tmp_path: Path
) -> None:
    with ServerClient(started_exam.url) as client:
        client.login("R01", "A02", started_exam.ticket("A02"))
        items = client.paper().items
        receipt = client.upload_choice(items[0].item_id, "B")
        assert receipt.sha256 == choice_sha256("B")
        assert not receipt.duplicate

        path = tmp_path / "answer.wav"
        path.write_bytes(wav_bytes(sine(f0=300.0, duration_s=1.0, peak=0.3), sr=SR))
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        receipt = client.upload_audio(items[1].item_id, path, digest)
        assert (receipt.item_id, receipt.sha256) == (items[1].item_id, digest)
        again = client.upload_audio(items[1].item_id, path, digest)
        assert again.duplicate
        assert client.status().answered_item_ids == [items[0].item_id, items[1].item_id]


def test_a_refusal_carries_the_servers_sentence(started_exam: LiveExam) -> None:
    with ServerClient(started_exam.url) as client:
        with pytest.raises(ServerRefused) as refused:
            client.login("R01", "A03", "1999999999")
        assert refused.value.status == 404
        assert "1999999999" in refused.value.message
        with pytest.raises(ServerRefused) as wrong_seat:
            client.login("R01", "A04", started_exam.ticket("A03"))
        assert wrong_seat.value.status == 409
        assert "A03" in wrong_seat.value.message


def test_a_request_without_a_token_is_refused(started_exam: LiveExam) -> None:
    with (
        ServerClient(started_exam.url) as client,
        pytest.raises(ServerRefused) as refused,
    ):
        client.paper()
    assert refused.value.status in (401, 403)


def test_a_silent_address_is_reported_unreachable() -> None:
    client = ServerClient(f"http://127.0.0.1:{free_port()}", timeout_s=2.0)
    with client, pytest.raises(ServerUnreachable, match="did not answer"):
        client.status()
