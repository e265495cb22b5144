"""The seat program, driven by its autopilot, takes a whole exam on the real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from exam_client.journal import Journal, UploadState
from exam_server.wire import RoomBoard, SeatState, from_json
from tests.exam_client.server import (
    REPO,
    ServerProcess,
    build_test_exam,
    free_port,
    start_sitting,
)

RUN_LIMIT_S = 180  # only a hang takes this long; a run takes about 25 s


def test_an_autopilot_run_ends_with_every_answer_confirmed(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    info = build_test_exam(data_dir)
    server = ServerProcess(data_dir, free_port()).start()
    candidate = info.candidates[6]
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "ticket_number": candidate.ticket_number,
                "device_check": "clear",
                "choices": {"1": "B"},
            }
        ),
        encoding="utf-8",
    )
    seat_dir = tmp_path / "seat"
    seat = launch_seat(
        server.url, candidate.seat_code, info.answers_dir, seat_dir, plan
    )
    try:
        # the proctor starts the room once the seat waits for it
        wait_for_seat_state(server.url, info.proctor_key, candidate.seat_code)
        start_sitting(server.url, info)
        stdout, stderr = seat.communicate(timeout=RUN_LIMIT_S)
        board = room_board(server.url, info.proctor_key)
    finally:
        if seat.poll() is None:
            seat.kill()
            seat.communicate()
        server.stop()

    assert seat.returncode == 0, stderr[-4000:]
    assert "every answer confirmed" in stdout
    (row,) = [r for r in board.seats if r.seat_code == candidate.seat_code]
    assert row.state is SeatState.FINISHED
    assert row.answered == row.total_items == 4

    (journal_dir,) = [p for p in seat_dir.iterdir() if p.is_dir()]
    journal = Journal.open(journal_dir)
    answers = journal.answers()
    assert [a.position for a in answers] == [1, 2, 3, 4]
    assert all(a.upload is UploadState.CONFIRMED for a in answers)
    assert answers[0].choice == "B"
    assert (seat_dir / "seat.log").is_file()


def test_a_seat_killed_mid_item_resumes_at_that_item(tmp_path: Path) -> None:
    data_dir = tmp_path / "server"
    data_dir.mkdir()
    info = build_test_exam(data_dir)
    server = ServerProcess(data_dir, free_port()).start()
    candidate = info.candidates[7]
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps({"ticket_number": candidate.ticket_number, "choices": {"1": "C"}}),
        encoding="utf-8",
    )
    seat_dir = tmp_path / "seat"
    args = (server.url, candidate.seat_code, info.answers_dir, seat_dir, plan)
    seat = launch_seat(*args)
    try:
        wait_for_seat_state(server.url, info.proctor_key, candidate.seat_code)
        start_sitting(server.url, info)
        # the power goes off while item 3 is being answered
        wait_for_log_line(seat_dir / "seat.log", "seat state answering item 3/4")
        seat.kill()
        seat.communicate()
        seat = launch_seat(*args)
        stdout, stderr = seat.communicate(timeout=RUN_LIMIT_S)
        board = room_board(server.url, info.proctor_key)
    finally:
        if seat.poll() is None:
            seat.kill()
            seat.communicate()
        server.stop()

    assert seat.returncode == 0, stderr[-4000:]
    (row,) = [r for r in board.seats if r.seat_code == candidate.seat_code]
    assert (row.state, row.answered) == (SeatState.FINISHED, 4)
    (journal_dir,) = [p for p in seat_dir.iterdir() if p.is_dir()]
    journal = Journal.open(journal_dir)
    events = journal.events()
    paper = journal.paper()
    assert paper is not None
    item3 = paper.items[2].item_id
    restarted = [e for e in events if e[1] == "item_restarted"]
    assert [e[2] for e in restarted] == [item3]
    # every answer was stored once: items 1 and 2 were not taken again
    stored = [e[2] for e in events if e[1] == "answer_stored"]
    assert len(stored) == len(set(stored)) == 4
    assert all(a.upload is UploadState.CONFIRMED for a in journal.answers())


def launch_seat(
    url: str, seat_code: str, audio: Path, seat_dir: Path, plan: Path
) -> subprocess.Popen[str]:
    seat_dir.mkdir(exist_ok=True)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "exam_client",
            "seat",
            "--server",
            url,
            "--room",
            "R01",
            "--seat",
            seat_code,
            "--audio-input",
            str(audio),
            "--data-dir",
            str(seat_dir),
            "--autopilot",
            str(plan),
        ],
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_log_line(path: Path, text: str) -> None:
    deadline = time.monotonic() + RUN_LIMIT_S
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(encoding="utf-8"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{path.name} never said {text!r}")


def room_board(url: str, proctor_key: str) -> RoomBoard:
    reply = httpx.get(
        f"{url}/api/rooms/R01/board",
        headers={"Authorization": f"Bearer {proctor_key}"},
        timeout=10.0,
    )
    reply.raise_for_status()
    return from_json(RoomBoard, reply.json())


def wait_for_seat_state(
    url: str, proctor_key: str, seat_code: str, *, state: SeatState = SeatState.WAITING
) -> None:
    deadline = time.monotonic() + RUN_LIMIT_S
    while time.monotonic() < deadline:
        for row in room_board(url, proctor_key).seats:
            if row.seat_code == seat_code and row.state is state:
                return
        time.sleep(0.2)
    raise AssertionError(f"seat {seat_code} never reached {state.value}")
