"""The seat window refuses what a candidate mistyped, before any server call."""

from __future__ import annotations

import threading
from pathlib import Path

from PyQt6.QtCore import QThread

from exam_client.audio import FileInput, NullOutput
from exam_client.session import SeatConfig, SeatSession, SessionState
from exam_client.ui.window import SeatWindow
from exam_client.ui.worker import SessionSignals, SessionWorker, SignalListener
from tests.exam_client.helpers import sine, write_wav


def make_window(tmp_path: Path) -> SeatWindow:
    signals = SessionSignals()
    session = SeatSession(
        SeatConfig(
            # nothing listens here; the refusals below never reach the network
            server_url="http://127.0.0.1:9",
            room_code="R01",
            seat_code="A01",
            data_dir=tmp_path,
        ),
        audio_input=FileInput(
            write_wav(tmp_path / "quiet.wav", sine(f0=1.0, duration_s=0.1, peak=0.0))
        ),
        audio_output=NullOutput(),
        listener=SignalListener(signals),
    )
    worker = SessionWorker(session, threading.Event())
    # a thread never started: requests queue up for it and never run
    idle = QThread()
    worker.moveToThread(idle)
    window = SeatWindow(session, worker, signals)
    idle.setParent(window)
    return window


def test_mismatched_ticket_entries_are_refused_visibly(
    qapp: object, tmp_path: Path
) -> None:
    window = make_window(tmp_path)
    window.show()
    page = window.login_page
    requests: list[tuple[str, str]] = []
    window.login_requested.connect(lambda a, b: requests.append((a, b)))

    page.ticket.setText("2026010001")
    page.ticket_again.setText("2026010010")
    page.login_button.click()

    assert requests == []
    assert page.message.isVisible()
    assert "两次输入的准考证号不一致" in page.message.text()
    assert "differ" in page.message.text()
    assert page.ticket_again.text() == ""  # typed again from scratch
    assert window.pages.currentWidget() is page
    assert window.session.state is SessionState.LOGIN
    window.close()


def test_an_empty_second_entry_is_refused(qapp: object, tmp_path: Path) -> None:
    window = make_window(tmp_path)
    requests: list[tuple[str, str]] = []
    window.login_requested.connect(lambda a, b: requests.append((a, b)))
    window.login_page.ticket.setText("2026010001")
    window.login_page.login_button.click()
    assert requests == []
    assert "both boxes" in window.login_page.message.text()


def test_matching_entries_are_sent_to_the_worker(qapp: object, tmp_path: Path) -> None:
    window = make_window(tmp_path)
    requests: list[tuple[str, str]] = []
    window.login_requested.connect(lambda a, b: requests.append((a, b)))
    window.login_page.ticket.setText(" 2026010001")
    window.login_page.ticket_again.setText("2026010001 ")
    window.login_page.login_button.click()
    assert requests == [(" 2026010001", "2026010001 ")]
    assert not window.login_page.login_button.isEnabled()
