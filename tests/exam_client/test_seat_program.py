"""The seat program, driven by its autopilot, takes a whole exam on the real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from exam_client.journal import Journal, UploadState
from exam_server.wire import RoomBoard, SeatBoardRow, SeatState, from_json
from tests.exam_client.server import (
    REPO,
    ServerProcess,
    build_test_exam,
    free_port,
    start_sitting,
)

RUN_LIMIT_S = 180  # only a hang takes this long; a run takes about 25 s
PLAIN_SEAT = "A07"  # takes the exam straight through
KILLED_SEAT = "A08"  # is killed while answering item 3, then restarted


@dataclass
class SeatRun:
    seat_dir: Path
    returncode: int
    stdout: str
    stderr: str

    def journal(self) -> Journal:
        (folder,) = [p for p in self.seat_dir.iterdir() if p.is_dir()]
        return Journal.open(folder)


@dataclass
class ExamDay:
    board: RoomBoard
    runs: dict[str, SeatRun]

    def row(self, seat_code: str) -> SeatBoardRow:
        (row,) = [r for r in self.board.seats if r.seat_code == seat_code]
        return row


@pytest.fixture(scope="module")
def exam_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExamDay]:
    """Two seats take the exam at once on one server; one is killed mid-item."""
    root = tmp_path_factory.mktemp("exam-day")
    data_dir = root / "server"
    data_dir.mkdir()
    info = build_test_exam(data_dir)
    server = ServerProcess(data_dir, free_port()).start()
    tickets = {c.seat_code: c.ticket_number for c in info.candidates}
    plans = {
        PLAIN_SEAT: {"ticket_number": tickets[PLAIN_SEAT], "choices": {"1": "B"}},
        KILLED_SEAT: {"ticket_number": tickets[KILLED_SEAT], "choices": {"1": "C"}},
    }
    launches = {}
    for seat_code, plan in plans.items():
        plan_path = root / f"{seat_code}.json"
        plan_path.write_text(json.dumps(plan), encoding="utf-8")
        launches[seat_code] = (
            server.url,
            seat_code,
            info.answers_dir,
            root / seat_code,
            plan_path,
        )
    seats = {code: launch_seat(*args) for code, args in launches.items()}
    try:
        # the proctor starts the room once both seats wait for it
        for seat_code in seats:
            wait_for_seat_state(server.url, info.proctor_key, seat_code)
        start_sitting(server.url, info)

        # the power goes off at one seat while item 3 is being answered
        log = root / KILLED_SEAT / "seat.log"
        wait_for_log_line(log, "seat state answering item 3/4")
        seats[KILLED_SEAT].kill()
        seats[KILLED_SEAT].communicate()
        seats[KILLED_SEAT] = launch_seat(*launches[KILLED_SEAT])

        runs = {}
        for seat_code, seat in seats.items():
            stdout, stderr = seat.communicate(timeout=RUN_LIMIT_S)
            runs[seat_code] = SeatRun(root / seat_code, seat.returncode, stdout, stderr)
        board = room_board(server.url, info.proctor_key)
    finally:
        for seat in seats.values():
            if seat.poll() is None:
                seat.kill()
                seat.communicate()
        server.stop()
    yield ExamDay(board=board, runs=runs)


def test_an_autopilot_run_ends_with_every_answer_confirmed(exam_day: ExamDay) -> None:
    run = exam_day.runs[PLAIN_SEAT]
    assert run.returncode == 0, run.stderr[-4000:]
    assert "every answer confirmed" in run.stdout
    row = exam_day.row(PLAIN_SEAT)
    assert row.state is SeatState.FINISHED
    assert row.answered == row.total_items == 4

    answers = run.journal().answers()
    assert [a.position for a in answers] == [1, 2, 3, 4]
    assert all(a.upload is UploadState.CONFIRMED for a in answers)
    assert answers[0].choice == "B"
    assert (run.seat_dir / "seat.log").is_file()


def test_a_seat_killed_mid_item_resumes_at_that_item(exam_day: ExamDay) -> None:
    run = exam_day.runs[KILLED_SEAT]
    assert run.returncode == 0, run.stderr[-4000:]
    row = exam_day.row(KILLED_SEAT)
    assert (row.state, row.answered) == (SeatState.FINISHED, 4)

    journal = run.journal()
    paper = journal.paper()
    assert paper is not None
    events = journal.events()
    restarted = [e[2] for e in events if e[1] == "item_restarted"]
    assert restarted == [paper.items[2].item_id]
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
