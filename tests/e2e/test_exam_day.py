"""A whole exam day, end to end, with every part real.

The demo exam is built by its own command (short timings), the server runs
under uvicorn in a subprocess, three seat programs run headless
(QT_QPA_PLATFORM=offscreen) with answers spoken by espeak-ng in place of a
microphone, and the proctor starts the room over HTTP. The answers travel
from the seats' journals to the server, are scored by the local scoring
pool, and come out in the admissions export.

- A01 answers as the demo plans: the right choice, the passage read aloud.
- A02 reads another text instead of the passage: the scorer must see it.
- A03's seat program is killed mid-exam and started again: it resumes from
  its journal and every answer still arrives, each stored once.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from scoring_engine.synth import speak_to_wav
from tests.exam_client.server import REPO, ServerProcess, free_port

pytestmark = pytest.mark.e2e

EXAM_CODE = "DEMO2027"
ROOM = "R01"
SEAT_LIMIT_S = 240.0
"""A seat's whole fast exam takes about a minute; this bounds a hang."""
SCORING_LIMIT_S = 240.0
WRONG_PASSAGE = (
    "The weather was cold and windy, so we stayed at home and played chess "
    "with my grandfather all afternoon."
)


def wait_for(
    check: Callable[[], Any], *, limit_s: float, what: str, every_s: float = 0.5
) -> Any:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"waited {limit_s:.0f} s for {what}")


class Seat:
    """One seat program in a subprocess, as the exam room runs it."""

    def __init__(
        self, server: str, seat: str, *, answers: Path, plan: Path, data_dir: Path
    ) -> None:
        self.seat = seat
        self.command = [
            sys.executable,
            "-m",
            "exam_client",
            "seat",
            "--server",
            server,
            "--room",
            ROOM,
            "--seat",
            seat,
            "--audio-input",
            str(answers),
            "--autopilot",
            str(plan),
            "--data-dir",
            str(data_dir),
        ]
        self.log_path = data_dir.parent / f"{seat}-stdout.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Seat:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def wait(self) -> int:
        assert self.process is not None
        try:
            return self.process.wait(SEAT_LIMIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(
                f"seat {self.seat} did not finish; log:\n{self.log_path.read_text()}"
            ) from None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def exam_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("exam-day")
    data_dir = root / "server"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "exam_server",
            "demo",
            "--fast",
            "--no-serve",
            "--data-dir",
            str(data_dir),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    server = ServerProcess(data_dir, free_port()).start()
    try:
        yield {
            "root": root,
            "server": server,
            "answers": data_dir / "demo_answers",
            "proctor": (data_dir / "demo_proctor_key").read_text().strip(),
            "admin": (data_dir / "admin_token").read_text().strip(),
        }
    finally:
        server.stop()


def board(day: dict[str, Any]) -> dict[str, Any]:
    reply = httpx.get(
        f"{day['server'].url}/api/rooms/{ROOM}/board",
        headers={"Authorization": f"Bearer {day['proctor']}"},
        timeout=10,
    )
    reply.raise_for_status()
    data: dict[str, Any] = reply.json()
    return data


def seat_row(day: dict[str, Any], seat: str) -> dict[str, Any]:
    rows = [row for row in board(day)["seats"] if row["seat_code"] == seat]
    assert len(rows) == 1
    return rows[0]


def results(day: dict[str, Any]) -> list[dict[str, Any]]:
    reply = httpx.get(
        f"{day['server'].url}/api/exams/{EXAM_CODE}/results",
        headers={"Authorization": f"Bearer {day['admin']}"},
        timeout=10,
    )
    reply.raise_for_status()
    rows: list[dict[str, Any]] = reply.json()
    return rows


def test_exam_day_from_microphone_to_export(exam_day: dict[str, Any]) -> None:
    day = exam_day
    root: Path = day["root"]
    url = day["server"].url
    plans = day["answers"] / "autopilot"

    # A02 reads another text where the passage should be.
    wrong = root / "answers-A02"
    shutil.copytree(day["answers"], wrong, ignore=shutil.ignore_patterns("autopilot"))
    speak_to_wav(WRONG_PASSAGE, wrong / "item2.wav")

    seats = {
        "A01": Seat(
            url,
            "A01",
            answers=day["answers"],
            plan=plans / "A01.json",
            data_dir=root / "seat-A01",
        ),
        "A02": Seat(
            url,
            "A02",
            answers=wrong,
            plan=plans / "A02.json",
            data_dir=root / "seat-A02",
        ),
        "A03": Seat(
            url,
            "A03",
            answers=day["answers"],
            plan=plans / "A03.json",
            data_dir=root / "seat-A03",
        ),
    }
    for seat in seats.values():
        seat.start()

    # Every seat logs in, checks its headset and waits for the room start.
    for code in seats:
        wait_for(
            lambda code=code: seat_row(day, code)["state"] == "waiting",
            limit_s=120,
            what=f"seat {code} to wait for the start",
        )
    sitting_id = board(day)["sitting"]["sitting_id"]
    started = httpx.post(
        f"{url}/api/sittings/{sitting_id}/start",
        json={"reason": "room start"},
        headers={"Authorization": f"Bearer {day['proctor']}"},
        timeout=10,
    )
    assert started.status_code == 200, started.text
    assert started.json()["state"] == "started"

    # A03 crashes after its first answers reached the server, then resumes.
    wait_for(
        lambda: seat_row(day, "A03")["answered"] >= 2,
        limit_s=SEAT_LIMIT_S,
        what="A03's second answer",
    )
    seats["A03"].kill()
    seats["A03"].start()

    for code, seat in seats.items():
        assert seat.wait() == 0, f"seat {code} failed:\n{seat.log()}"
        row = seat_row(day, code)
        assert row["state"] == "finished"
        assert row["answered"] == row["total_items"] == 4

    # Every answer is scored by the pool; the totals appear on the board.
    tickets = {code: _ticket(plans / f"{code}.json") for code in seats}

    def all_scored() -> dict[str, dict[str, Any]] | None:
        by_ticket = {r["ticket_number"]: r for r in results(day)}
        rows = {code: by_ticket[t] for code, t in tickets.items()}
        return rows if all(r["total"] is not None for r in rows.values()) else None

    scored = wait_for(all_scored, limit_s=SCORING_LIMIT_S, what="every answer scored")
    points = {
        code: {item["kind"]: item["points"] for item in row["items"]}
        for code, row in scored.items()
    }
    for code in seats:
        assert points[code]["listen_choose"] == 5.0, points[code]
    assert points["A01"]["read_aloud"] > points["A02"]["read_aloud"], points
    reading = {
        code: next(i for i in row["items"] if i["kind"] == "read_aloud")
        for code, row in scored.items()
    }
    assert reading["A01"]["state"] == "scored", reading["A01"]
    assert reading["A02"]["state"] == "needs_review", reading["A02"]
    assert "different_text" in reading["A02"]["flags"]
    assert points["A03"]["read_aloud"] > points["A02"]["read_aloud"], points
    assert seat_row(day, "A01")["points"] == scored["A01"]["total"]

    # Each recording is kept once, however often a resumed seat sent it.
    recordings = list((day["server"].data_dir / "responses").rglob("*.wav"))
    assert len(recordings) == len({p.name for p in recordings})

    # The admissions export carries the three candidates with their totals.
    exported = httpx.get(
        f"{url}/api/exams/{EXAM_CODE}/export.csv",
        params={"reason": "end-to-end check"},
        headers={"Authorization": f"Bearer {day['admin']}"},
        timeout=30,
    )
    assert exported.status_code == 200, exported.text
    assert exported.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    by_ticket = {row["KSH"]: row for row in rows}
    for code, ticket in tickets.items():
        assert float(by_ticket[ticket]["ZF"]) == pytest.approx(scored[code]["total"])


def _ticket(plan: Path) -> str:
    import json

    ticket: str = json.loads(plan.read_text(encoding="utf-8"))["ticket_number"]
    return ticket
