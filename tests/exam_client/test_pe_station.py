"""The PE station: live judge, journal, and the window against the real server.

Landmark sequences come from the stick-figure builders of the judge tests
(:mod:`tests.pe_sensors.test_judge_synthetic`) and reach the station through
:class:`ReplayStream`, the same path as camera landmarks: live judge,
evidence clip written by ``pe_sensors``' annotator, journal, uploader. One
test runs the real command line on a labelled clip from the shared data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pytest

from exam_client.errors import JournalError
from exam_client.pe_station.capture import ReplayStream
from exam_client.pe_station.journal import (
    Decision,
    DecisionState,
    EvidenceState,
    StationJournal,
    TrialState,
)
from exam_client.pe_station.live import LiveJudge, LiveJudgeError
from exam_client.pe_station.session import StationSession
from exam_server.wire import (
    PeCandidateCard,
    PeItem,
    PeRepetition,
    PeStationCreated,
    from_json,
)
from pe_sensors.judges import Event, judge_event
from pe_sensors.pose.landmarks import PoseSequence
from tests.exam_client.server import REPO, ServerProcess, free_port, settings_for
from tests.pe_sensors.test_judge_synthetic import (
    good_reps,
    pullups,
    situp_keys,
    situps,
)

EXAM = "PE2026"
BOYS = [f"2026{n:04d}" for n in range(1, 9)]
GIRLS = [f"2026{n:04d}" for n in range(51, 55)]
# The screen must show a repetition within this long after the judge decides
# it (frame time, so the check does not depend on the machine's speed).
LIVE_LATENCY_S = 0.2


def widened(sequence: PoseSequence, *, width: int, dx: float = 0.0) -> PoseSequence:
    """The sequence shifted right by ``dx`` in a frame ``width`` pixels wide."""
    shifted = sequence.lane_offset(dx=dx)
    return PoseSequence(
        times_s=shifted.times_s,
        xy=shifted.xy,
        visibility=shifted.visibility,
        frame_size=(width, sequence.frame_size[1]),
    )


# ------------------------------------------------------------- live judge


def feed(judge: LiveJudge, poses: PoseSequence) -> list[tuple[float, int]]:
    """Feed frames one by one; return (frame time, count) at every change."""
    shown: list[tuple[float, int]] = []
    last = 0
    for i in range(poses.n_frames):
        live = judge.add_frame(
            time_s=float(poses.times_s[i]),
            xy=poses.xy[i],
            visibility=poses.visibility[i],
        )
        if live is not None and live.count != last:
            last = live.count
            shown.append((float(poses.times_s[i]), live.count))
    return shown


@pytest.mark.parametrize(
    ("event", "poses"),
    [
        (Event.PULLUP, pullups(good_reps(4))),
        (Event.SITUP, situps(situp_keys(4))),
    ],
)
def test_live_count_follows_each_repetition_within_200_ms(
    event: Event, poses: PoseSequence
) -> None:
    judge = LiveJudge(event, frame_size=poses.frame_size)
    shown = feed(judge, poses)
    offline = judge_event(event, poses)
    assert offline.count == 4
    assert [count for _, count in shown] == [1, 2, 3, 4]
    for (time_s, _), rep in zip(shown, offline.repetitions, strict=True):
        assert rep.end_s <= time_s <= rep.end_s + LIVE_LATENCY_S
    assert judge.final().repetitions == offline.repetitions


def test_live_judge_refuses_frames_out_of_time_order() -> None:
    poses = pullups(good_reps(1))
    judge = LiveJudge(Event.PULLUP, frame_size=poses.frame_size)
    judge.add_frame(time_s=1.0, xy=poses.xy[0], visibility=poses.visibility[0])
    with pytest.raises(LiveJudgeError, match="does not follow"):
        judge.add_frame(time_s=1.0, xy=poses.xy[1], visibility=poses.visibility[1])


def test_final_judge_refuses_an_attempt_where_nobody_was_seen() -> None:
    judge = LiveJudge(Event.SITUP, frame_size=(400, 400))
    for i in range(10):
        judge.add_frame(
            time_s=i / 30, xy=np.full((33, 2), np.nan), visibility=np.zeros(33)
        )
    assert judge.latest.count == 0
    with pytest.raises(LiveJudgeError, match="no person was found"):
        judge.final()


# ----------------------------------------------------------------- Qt env


def test_importing_opencv_through_the_station_keeps_qts_plugin_path() -> None:
    """Bare ``import cv2`` points Qt at the wheel's Qt 5 plugins; the guard not."""
    probe = (
        "import os, sys\n"
        "from exam_client.pe_station.qtenv import import_vision, QT_VARIABLES\n"
        "before = {n: os.environ.get(n) for n in QT_VARIABLES}\n"
        "import_vision()\n"
        "after = {n: os.environ.get(n) for n in QT_VARIABLES}\n"
        "from PyQt6.QtWidgets import QApplication, QLabel\n"
        "app = QApplication(['probe'])\n"
        "QLabel('准考证号').show(); app.processEvents()\n"
        "import cv2\n"  # already imported: must not set anything again
        "print(before == after, app.platformName(),"
        " os.environ.get('QT_QPA_PLATFORM_PLUGIN_PATH'))\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")
    }
    env["QT_QPA_PLATFORM"] = "offscreen"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "offscreen", "None"]


# ---------------------------------------------------------------- journal


def test_journal_keeps_one_decision_and_sets_aside_altered_clips(
    tmp_path: Path,
) -> None:
    journal = StationJournal.open(tmp_path)
    _, clip = journal.new_clip_paths("pull_up-1-test")
    clip.write_bytes(b"not really a video")
    trial = journal.store_trial(
        ticket_number="20260001",
        candidate_name="张三",
        attempt_id=7,
        trial_number=1,
        lane=1,
        event="pullup",
        value=3.0,
        repetitions=[PeRepetition(1.0, 2.5, True)],
        judge_version="test",
        device="replay",
        clip=clip,
    )
    assert trial.trial_state is TrialState.PENDING
    assert trial.repetitions == [PeRepetition(1.0, 2.5, True)]
    journal.record_decision(
        attempt_id=7,
        ticket_number="20260001",
        decision=Decision.CONFIRM,
        best_local_id=trial.local_id,
    )
    with pytest.raises(JournalError, match="never changed"):
        journal.record_decision(
            attempt_id=7,
            ticket_number="20260001",
            decision=Decision.DISPUTE,
            best_local_id=trial.local_id,
        )
    journal.close()

    clip.write_bytes(b"altered after the fact")
    tmp, _ = journal.new_clip_paths("half-written")
    tmp.write_bytes(b"partial")
    reopened = StationJournal.open(tmp_path)
    assert reopened.trial(trial.local_id).evidence_state is EvidenceState.CORRUPT
    assert not tmp.exists()
    assert list((tmp_path / "discarded").iterdir())
    reopened.close()


# ------------------------------------------------------- the real server


@dataclass
class PeServer:
    url: str
    admin_token: str
    _codes: int = 0

    def station(self, item: PeItem) -> tuple[str, str]:
        """A new station for ``item``; return its code and key."""
        self._codes += 1
        code = f"{item.value}-{self._codes}"
        reply = httpx.post(
            f"{self.url}/api/exams/{EXAM}/pe/stations",
            json={"code": code, "name": f"{code} 测试点", "item": item.value},
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=10.0,
        )
        reply.raise_for_status()
        created = from_json(PeStationCreated, reply.json())
        return code, created.station_key

    def card(self, key: str, ticket: str) -> PeCandidateCard:
        reply = httpx.get(
            f"{self.url}/api/pe/station/candidates/{ticket}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10.0,
        )
        reply.raise_for_status()
        return from_json(PeCandidateCard, reply.json())

    def retests(self) -> list[dict[str, object]]:
        reply = httpx.get(
            f"{self.url}/api/exams/{EXAM}/pe/retests",
            headers={"Authorization": f"Bearer {self.admin_token}"},
            timeout=10.0,
        )
        reply.raise_for_status()
        data: list[dict[str, object]] = reply.json()
        return data


def build_pe_exam(data_dir: Path) -> str:
    """A PE exam with boys and girls; return the exam office's token."""
    from exam_server.db import make_engine, make_session_factory, upgrade_database
    from exam_server.models import Candidate, Exam, ExamKind

    settings = settings_for(data_dir)
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        factory = make_session_factory(engine)
        with factory() as session, session.begin():
            exam = Exam(
                code=EXAM, name="2026 体育中考", kind=ExamKind.PE.value, year=2026
            )
            session.add(exam)
            for tickets, sex in ((BOYS, "male"), (GIRLS, "female")):
                for n, ticket in enumerate(tickets):
                    session.add(
                        Candidate(
                            exam=exam,
                            ticket_number=ticket,
                            name=f"考生{ticket[-2:]}",
                            sex=sex,
                            school="实验中学" if n % 2 else "育才中学",
                        )
                    )
    finally:
        engine.dispose()
    return settings.resolved_admin_token()


@pytest.fixture(scope="module")
def pe_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PeServer]:
    data_dir = tmp_path_factory.mktemp("pe-server")
    token = build_pe_exam(data_dir)
    server = ServerProcess(data_dir, free_port()).start()
    try:
        yield PeServer(url=server.url, admin_token=token)
    finally:
        server.stop()


# ------------------------------------------------------ the station window

RUN_LIMIT_MS = 120_000  # a hung window fails the test instead of the suite


def run_window(
    url: str, key: str, code: str, stream: ReplayStream, plan: dict, data_dir: Path
) -> tuple[int, str, StationSession]:
    """The station window on its worker thread, driven by the autopilot."""
    from PyQt6.QtCore import QThread, QTimer
    from PyQt6.QtWidgets import QApplication

    from exam_client.pe_station.autopilot import StationAutopilot, StationPlan
    from exam_client.pe_station.session import StationConfig, StationSession
    from exam_client.pe_station.window import StationWindow
    from exam_client.pe_station.worker import (
        SignalListener,
        StationSignals,
        StationWorker,
    )

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    signals = StationSignals()
    config = StationConfig(
        server_url=url,
        station_key=key,
        station_code=code,
        event=Event.PULLUP,
        data_dir=data_dir,
        lanes=len(stream.sequences),
        countdown_s=0.3,
        backoff_s=0.1,
        device="replay",
    )
    session = StationSession(config, stream=stream, listener=SignalListener(signals))
    worker = StationWorker(session)
    thread = QThread()
    worker.moveToThread(thread)
    thread.start()
    window = StationWindow(session, worker, signals)
    outcome: list[tuple[int, str]] = []

    def finish(code: int, message: str) -> None:
        outcome.append((code, message))
        app.exit(code)

    StationAutopilot(window, StationPlan.from_json(plan), finish).start()
    QTimer.singleShot(RUN_LIMIT_MS, lambda: finish(99, "the window hung"))
    try:
        app.exec()
    finally:
        session.stop()
        thread.quit()
        thread.wait(15_000)
        session.close()
        window.deleteLater()
    return outcome[0][0], outcome[0][1], session


def test_station_window_confirms_one_lane_and_disputes_the_other(
    qapp: object, pe_server: PeServer, tmp_path: Path
) -> None:
    code, key = pe_server.station(PeItem.PULL_UP)
    width = 800
    lane1 = widened(pullups(good_reps(3)), width=width)
    lane2 = widened(pullups(good_reps(2) + [(7.0, 60.0)]), width=width, dx=400.0)
    stream = ReplayStream([lane1, lane2], paced=False)
    plan = {
        "lanes": {
            "1": {"ticket_number": BOYS[0], "decision": "confirm"},
            "2": {
                "ticket_number": BOYS[1],
                "decision": "dispute",
                "reason": "my second pull-up was higher",
            },
        }
    }
    exit_code, message, session = run_window(
        pe_server.url, key, code, stream, plan, tmp_path
    )
    assert exit_code == 0, message

    # the journal holds both trials, one clip, and both decisions sent
    journal = StationJournal.open(tmp_path)
    trials = {t.ticket_number: t for t in journal.trials()}
    assert {t: r.value for t, r in trials.items()} == {BOYS[0]: 3.0, BOYS[1]: 2.0}
    assert trials[BOYS[0]].clip == trials[BOYS[1]].clip
    assert trials[BOYS[0]].clip.stat().st_size > 0
    assert {d.decision for d in journal.decisions()} == {
        Decision.CONFIRM,
        Decision.DISPUTE,
    }
    assert all(d.state is DecisionState.SENT for d in journal.decisions())
    journal.close()

    # the server: a confirmed result with its evidence, and a dispute filed
    confirmed = pe_server.card(key, BOYS[0])
    assert confirmed.result is not None
    assert confirmed.result.value == 3.0
    assert str(confirmed.result.state) == "confirmed"
    (trial,) = confirmed.trials
    assert trial.repetitions == trials[BOYS[0]].repetitions
    assert [e.sha256 for e in trial.evidence] == [trials[BOYS[0]].clip_sha256]

    disputed = pe_server.card(key, BOYS[1])
    assert disputed.result is not None and disputed.result.value == 2.0
    assert str(disputed.result.state) == "open"
    assert [e.sha256 for e in disputed.trials[0].evidence] == [
        trials[BOYS[1]].clip_sha256
    ]
    retests = [r for r in pe_server.retests() if r["ticket_number"] == BOYS[1]]
    assert len(retests) == 1
    assert "my second pull-up was higher" in str(retests[0]["reason"])


@pytest.mark.data
def test_command_line_station_judges_a_real_clip_at_video_speed(
    shared_data: Path, pe_server: PeServer, tmp_path: Path
) -> None:
    """wd_stu1_40_pullup.mp4 is labelled 8 pull-ups (see its labels.json)."""
    video = shared_data / "pe" / "videos" / "wd_stu1_40_pullup.mp4"
    code, key = pe_server.station(PeItem.PULL_UP)
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"ticket_number": BOYS[2], "decision": "confirm"}))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "exam_client",
            "pe",
            "--server",
            pe_server.url,
            "--station",
            code,
            "--key",
            key,
            "--event",
            "pullup",
            "--video",
            str(video),
            "--autopilot",
            str(plan),
            "--data-dir",
            str(tmp_path / "station"),
            "--countdown-s",
            "0.5",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"{BOYS[2]}: 8" in done.stdout
    card = pe_server.card(key, BOYS[2])
    assert card.result is not None and card.result.value == 8.0
    assert str(card.result.state) == "confirmed"
    assert len(card.trials[0].evidence) == 1
