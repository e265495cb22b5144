"""The uploader outlasts a stopped server and stops at a final refusal."""

from __future__ import annotations

import threading
from pathlib import Path

from exam_client.api import ServerClient
from exam_client.journal import Journal, StoredAnswer, UploadState
from exam_client.uploader import Uploader, UploadListener
from exam_server.wire import UploadReceipt
from tests.exam_client.helpers import SR, sine
from tests.exam_client.server import (
    LiveExam,
    ServerProcess,
    build_test_exam,
    free_port,
    start_sitting,
)

WAIT_LIMIT_S = 60.0  # generous: only a hang makes a test wait this long


class Watch:
    """Collects the uploader's reports and lets a test wait for them."""

    def __init__(self) -> None:
        self.retries: list[str] = []
        self.refusals: list[tuple[int, str]] = []
        self.receipts: list[UploadReceipt] = []
        self.retried = threading.Event()

    def listener(self) -> UploadListener:
        return UploadListener(
            confirmed=lambda a, r: self.receipts.append(r),
            refused=lambda a, why: self.refusals.append((a.position, why)),
            retrying=self._on_retry,
        )

    def _on_retry(self, stored: StoredAnswer, why: str, wait_s: float) -> None:
        self.retries.append(why)
        if len(self.retries) >= 2:
            self.retried.set()


def test_answers_wait_while_the_server_is_down(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    info = build_test_exam(data_dir)
    server = ServerProcess(data_dir, free_port()).start()
    candidate = info.candidates[4]
    try:
        client = ServerClient(server.url, timeout_s=2.0)
        client.login("R01", candidate.seat_code, candidate.ticket_number)
        paper = client.paper()
        start_sitting(server.url, info)
    finally:
        server.stop()

    # the exam goes on at the seat while the server is down
    journal = Journal.open(tmp_path / "seat")
    journal.record_paper(paper)
    journal.store_choice(paper.items[0].item_id, "B")
    recording = sine(f0=250.0, duration_s=1.5, peak=0.4)
    stored = journal.store_recording(paper.items[1].item_id, recording, sr=SR)
    watch = Watch()
    uploader = Uploader(
        journal, client, listener=watch.listener(), backoff_s=0.1, max_backoff_s=0.4
    )
    uploader.start()
    try:
        assert watch.retried.wait(WAIT_LIMIT_S)
        assert "did not answer" in watch.retries[0]
        assert len(journal.pending_uploads()) == 2

        # the server comes back on the same address
        server.start()
        assert uploader.wait_idle(timeout_s=WAIT_LIMIT_S)
    finally:
        uploader.stop()
        server.stop()
        client.close()
    answers = {a.item_id: a for a in journal.answers()}
    assert all(a.upload is UploadState.CONFIRMED for a in answers.values())
    assert [r.sha256 for r in watch.receipts][1] == stored.sha256
    assert watch.refusals == []


def test_a_conflicting_answer_is_refused_once_and_kept(
    started_exam: LiveExam, tmp_path: Path
) -> None:
    client = ServerClient(started_exam.url)
    client.login("R01", "A06", started_exam.ticket("A06"))
    paper = client.paper()
    first_item = paper.items[0].item_id
    # another answer for item 1 reached the server first
    client.upload_choice(first_item, "A")

    journal = Journal.open(tmp_path)
    journal.record_paper(paper)
    journal.store_choice(first_item, "C")
    journal.store_recording(
        paper.items[2].item_id, sine(f0=180.0, duration_s=1.0, peak=0.3), sr=SR
    )
    watch = Watch()
    uploader = Uploader(journal, client, listener=watch.listener(), backoff_s=0.1)
    uploader.start()
    try:
        assert uploader.wait_idle(timeout_s=WAIT_LIMIT_S)
    finally:
        uploader.stop()
        client.close()

    refused = journal.answer(first_item)
    assert refused.upload is UploadState.REFUSED
    assert refused.refusal is not None and refused.refusal.startswith("HTTP 409")
    assert "different answer" in refused.refusal
    assert [position for position, _ in watch.refusals] == [1]
    assert watch.retries == []  # a refusal is final, not retried
    # the other answer still went through
    assert journal.answer(paper.items[2].item_id).upload is UploadState.CONFIRMED
