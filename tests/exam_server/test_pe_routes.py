"""The PE results flow over HTTP, on SQLite and PostgreSQL.

A PE exam of year 2026 (the packaged example configuration, grade 9) with
two boys and a girl; stations are created through the exam office's route.
"""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.audit import verify_chain
from exam_server.models import (
    AuditEntry,
    Candidate,
    Exam,
    ExamKind,
    PeEvidence,
    PeTrial,
)
from exam_server.settings import Settings
from exam_server.wire import (
    PeCandidateCard,
    PeItem,
    PeItemResult,
    PeResultRow,
    PeRetestOut,
    PeStationCreated,
    PeTrialOut,
    from_json,
)
from standards import fitness, pe_exam
from tests.exam_server.builders import ADMIN_TOKEN, files_under, sha256_hex

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
BOY, GIRL, BOY2 = "20260001", "20260002", "20260003"
EXAM = "PE2026"


def build_pe_exam(factory: sessionmaker[Session], *, year: int = 2026) -> None:
    with factory() as session:
        exam = Exam(code=EXAM, name="2026 体育中考", kind=ExamKind.PE.value, year=year)
        session.add(exam)
        for ticket, name, sex, school in (
            (BOY, "张三", "male", "实验中学"),
            (GIRL, "李四", "female", "实验中学"),
            (BOY2, "王五", "male", "育才中学"),
        ):
            session.add(
                Candidate(
                    exam=exam, ticket_number=ticket, name=name, sex=sex, school=school
                )
            )
        session.commit()


def make_station(client: TestClient, item: PeItem, code: str = "") -> dict[str, str]:
    """Create a station for ``item``; return its authorization header."""
    response = client.post(
        f"/api/exams/{EXAM}/pe/stations",
        json={"code": code or f"{item}-1", "name": f"{item} 1号", "item": item.value},
        headers=ADMIN,
    )
    assert response.status_code == 200, response.text
    created = from_json(PeStationCreated, response.json())
    return {"Authorization": f"Bearer {created.station_key}"}


def check_in(
    client: TestClient, station: dict[str, str], ticket: str
) -> PeCandidateCard:
    response = client.post(
        "/api/pe/station/checkin", json={"ticket_number": ticket}, headers=station
    )
    assert response.status_code == 200, response.text
    return from_json(PeCandidateCard, response.json())


def post_trial(
    client: TestClient, station: dict[str, str], attempt_id: int | None, **body: Any
) -> Any:
    return client.post(
        f"/api/pe/station/attempts/{attempt_id}/trials", json=body, headers=station
    )


def device_trial(number: int, value: float, unit: str) -> dict[str, Any]:
    return {
        "trial_number": number,
        "source": "device",
        "unit": unit,
        "value": value,
        "device": "jump_mat/SN0042/boot7",
    }


def card_of(
    client: TestClient, station: dict[str, str], attempt_id: int | None
) -> PeCandidateCard:
    response = client.get(f"/api/pe/station/attempts/{attempt_id}", headers=station)
    assert response.status_code == 200, response.text
    return from_json(PeCandidateCard, response.json())


def audit_actions(factory: sessionmaker[Session]) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


@pytest.fixture
def pe_client(client: TestClient, session_factory: sessionmaker[Session]) -> TestClient:
    build_pe_exam(session_factory)
    return client


# --- check-in ----------------------------------------------------------------


def test_checkin_answers_the_candidate_card_with_trials_allowed(
    pe_client: TestClient,
) -> None:
    station = make_station(pe_client, PeItem.STANDING_LONG_JUMP)
    card = check_in(pe_client, station, BOY)
    assert (card.name, card.sex, card.school) == ("张三", "male", "实验中学")
    assert card.item_applies and card.attempt_id is not None
    assert (card.round, card.trial_number, card.trials_allowed) == (1, 1, 3)
    assert card.trials == [] and card.result is None
    # checking in again resumes the same open attempt
    assert check_in(pe_client, station, BOY).attempt_id == card.attempt_id


def test_checkin_refuses_an_unknown_ticket_and_a_wrong_sex_item(
    pe_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pull_up = make_station(pe_client, PeItem.PULL_UP)
    unknown = pe_client.post(
        "/api/pe/station/checkin", json={"ticket_number": "99999999"}, headers=pull_up
    )
    assert unknown.status_code == 404
    assert "99999999" in unknown.json()["detail"]

    wrong_sex = pe_client.post(
        "/api/pe/station/checkin", json={"ticket_number": GIRL}, headers=pull_up
    )
    assert wrong_sex.status_code == 409
    assert wrong_sex.json()["item_applies"] is False
    assert "引体向上" in wrong_sex.json()["detail"]
    # the look-up (no check-in) shows the card, saying the item does not apply
    look = pe_client.get(f"/api/pe/station/candidates/{GIRL}", headers=pull_up)
    assert look.status_code == 200
    assert from_json(PeCandidateCard, look.json()).item_applies is False
    with session_factory() as session:
        assert session.scalars(select(PeTrial)).first() is None


def test_a_station_key_opens_only_station_routes(pe_client: TestClient) -> None:
    station = make_station(pe_client, PeItem.RUN_50M)
    assert pe_client.get("/api/pe/station", headers=station).json()["unit"] == "s"
    bad = {"Authorization": "Bearer not-a-station-key"}
    assert pe_client.get("/api/pe/station", headers=bad).status_code == 401
    office = pe_client.get(f"/api/exams/{EXAM}/pe/results", headers=station)
    assert office.status_code == 403


# --- results from each source ------------------------------------------------


def test_results_from_judge_device_and_examiner(
    pe_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    pull_up = make_station(pe_client, PeItem.PULL_UP)
    card = check_in(pe_client, pull_up, BOY)
    reps = [
        {"start_s": 2.0 * i, "end_s": 2.0 * i + 1.5, "counted": i != 3}
        | ({"reason": "chin_below_bar"} if i == 3 else {})
        for i in range(13)
    ]
    judged = post_trial(
        pe_client,
        pull_up,
        card.attempt_id,
        trial_number=1,
        source="judge",
        unit="reps",
        value=12,
        judge_version="pullup/1.0",
        repetitions=reps,
    )
    assert judged.status_code == 200, judged.text
    trial = from_json(PeTrialOut, judged.json())
    assert trial.recorded == 12 and len(trial.repetitions) == 13
    assert trial.repetitions[3].reason == "chin_below_bar"

    vital = make_station(pe_client, PeItem.VITAL_CAPACITY)
    card = check_in(pe_client, vital, BOY)
    device = post_trial(
        pe_client, vital, card.attempt_id, **device_trial(1, 3550, "ml")
    )
    assert from_json(PeTrialOut, device.json()).device == "jump_mat/SN0042/boot7"

    # a hand-entered result needs a reason, and is audited
    manual = {"trial_number": 2, "source": "manual", "unit": "ml", "value": 3600}
    refused = post_trial(pe_client, vital, card.attempt_id, **manual)
    assert refused.status_code == 422
    stored = post_trial(
        pe_client, vital, card.attempt_id, **manual, reason="spirometer froze"
    )
    assert stored.status_code == 200
    assert "pe.trial.manual" in audit_actions(session_factory)


def test_a_judged_count_must_match_its_repetitions(pe_client: TestClient) -> None:
    pull_up = make_station(pe_client, PeItem.PULL_UP)
    card = check_in(pe_client, pull_up, BOY)
    response = post_trial(
        pe_client,
        pull_up,
        card.attempt_id,
        trial_number=1,
        source="judge",
        unit="reps",
        value=5,
        judge_version="pullup/1.0",
        repetitions=[{"start_s": 0.0, "end_s": 1.0, "counted": True}],
    )
    assert response.status_code == 422
    assert "counted 1" in response.json()["detail"]


def test_a_wrong_unit_or_implausible_value_is_refused(pe_client: TestClient) -> None:
    jump = make_station(pe_client, PeItem.STANDING_LONG_JUMP)
    card = check_in(pe_client, jump, BOY)
    metres = post_trial(pe_client, jump, card.attempt_id, **device_trial(1, 2.1, "m"))
    assert metres.status_code == 422 and "'cm'" in metres.json()["detail"]
    absurd = post_trial(pe_client, jump, card.attempt_id, **device_trial(1, 900, "cm"))
    assert absurd.status_code == 422 and "nothing was stored" in absurd.json()["detail"]
    assert card_of(pe_client, jump, card.attempt_id).trials == []


def test_a_resent_trial_is_answered_as_a_duplicate(pe_client: TestClient) -> None:
    jump = make_station(pe_client, PeItem.STANDING_LONG_JUMP)
    card = check_in(pe_client, jump, BOY)
    first = post_trial(pe_client, jump, card.attempt_id, **device_trial(1, 231, "cm"))
    again = post_trial(pe_client, jump, card.attempt_id, **device_trial(1, 231, "cm"))
    assert from_json(PeTrialOut, again.json()).duplicate
    assert again.json()["trial_id"] == first.json()["trial_id"]
    other = post_trial(pe_client, jump, card.attempt_id, **device_trial(1, 240, "cm"))
    assert other.status_code == 409 and "correction" in other.json()["detail"]


def test_bmi_is_computed_from_height_and_weight(pe_client: TestClient) -> None:
    bmi = make_station(pe_client, PeItem.BMI)
    card = check_in(pe_client, bmi, GIRL)
    body = {
        "trial_number": 1,
        "source": "device",
        "unit": "kg/m2",
        "height_cm": 160.0,
        "weight_kg": 56.7,
        "device": "height_weight/SN7/boot1",
    }
    trial = from_json(
        PeTrialOut, post_trial(pe_client, bmi, card.attempt_id, **body).json()
    )
    assert trial.recorded == 22.1  # 56.7 / 1.6**2 = 22.148... half up to 0.1
    expected = fitness.points(
        "bmi", grade=9, sex="female", height_cm=160.0, weight_kg=56.7
    )
    result = card_of(pe_client, bmi, card.attempt_id).result
    assert result is not None and result.table_points == expected.points


# --- best of the trials and the points ---------------------------------------


def test_long_jump_counts_the_best_of_three_and_points_match_the_standards(
    pe_client: TestClient,
) -> None:
    jump = make_station(pe_client, PeItem.STANDING_LONG_JUMP)
    card = check_in(pe_client, jump, BOY)
    for number, value in enumerate((212.0, 233.6, 228.0), start=1):
        response = post_trial(
            pe_client, jump, card.attempt_id, **device_trial(number, value, "cm")
        )
        assert response.status_code == 200, response.text
    fourth = post_trial(pe_client, jump, card.attempt_id, **device_trial(4, 240, "cm"))
    assert fourth.status_code == 409 and "3 trials" in fourth.json()["detail"]

    shown = card_of(pe_client, jump, card.attempt_id)
    result = shown.result
    assert result is not None and shown.trial_number == 4
    assert result.value == 233.0  # whole cm, fraction dropped
    assert result.best_trial_id == shown.trials[1].trial_id
    config = pe_exam.load_exam_config(2026)
    expected = pe_exam.score_slot(config, "standing_long_jump", sex="male", value=233.6)
    assert result.table_points == expected.item_score.points == 85
    assert result.exam_points == expected.points
    assert result.max_exam_points == 10.0
    assert result.provisional is expected.item_score.provisional is False


def test_runs_count_the_lower_time_and_carry_a_provisional_row(
    pe_client: TestClient,
) -> None:
    run = make_station(pe_client, PeItem.RUN_50M)
    card = check_in(pe_client, run, BOY)
    post_trial(pe_client, run, card.attempt_id, **device_trial(1, 7.41, "s"))
    result = card_of(pe_client, run, card.attempt_id).result
    expected = fitness.points("run_50m", grade=9, sex="male", value=7.41)
    assert result is not None and result.value == 7.5  # 7.41 s rounds up
    assert result.table_points == expected.points
    assert result.provisional and expected.provisional
    assert result.provisional_reason == fitness.PROVISIONAL_REASON


def test_sit_and_reach_counts_the_better_of_two(pe_client: TestClient) -> None:
    reach = make_station(pe_client, PeItem.SIT_AND_REACH)
    card = check_in(pe_client, reach, GIRL)
    post_trial(pe_client, reach, card.attempt_id, **device_trial(1, 18.36, "cm"))
    post_trial(pe_client, reach, card.attempt_id, **device_trial(2, 16.0, "cm"))
    result = card_of(pe_client, reach, card.attempt_id).result
    assert result is not None and result.value == 18.3 and result.trials_used == 2


def test_rope_skipping_has_no_table_and_says_so(pe_client: TestClient) -> None:
    rope = make_station(pe_client, PeItem.ROPE_SKIP_1MIN)
    info = pe_client.get("/api/pe/station", headers=rope).json()
    assert info["has_table"] is False
    card = check_in(pe_client, rope, GIRL)
    post_trial(pe_client, rope, card.attempt_id, **device_trial(1, 168, "reps"))
    result = card_of(pe_client, rope, card.attempt_id).result
    assert result is not None and result.value == 168
    assert result.table_points is None and result.exam_points is None
    assert "no table" in result.points_note


# --- confirmation, corrections, retests ----------------------------------------


def confirm(client: TestClient, station: dict[str, str], card: PeCandidateCard) -> Any:
    shown = card_of(client, station, card.attempt_id or 0)
    assert shown.result is not None
    return client.post(
        f"/api/pe/station/attempts/{card.attempt_id}/confirm",
        json={
            "ticket_number": card.ticket_number,
            "best_trial_id": shown.result.best_trial_id,
        },
        headers=station,
    )


def test_confirmation_makes_the_result_final_at_the_station(
    pe_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    jump = make_station(pe_client, PeItem.STANDING_LONG_JUMP)
    card = check_in(pe_client, jump, BOY)
    first = post_trial(pe_client, jump, card.attempt_id, **device_trial(1, 220, "cm"))
    stale = pe_client.post(
        f"/api/pe/station/attempts/{card.attempt_id}/confirm",
        json={"ticket_number": BOY, "best_trial_id": first.json()["trial_id"] + 999},
        headers=jump,
    )
    assert stale.status_code == 409 and "changed" in stale.json()["detail"]
    confirmed = confirm(pe_client, jump, card)
    assert confirmed.status_code == 200, confirmed.text
    assert from_json(PeItemResult, confirmed.json()).state == "confirmed"

    more = post_trial(pe_client, jump, card.attempt_id, **device_trial(2, 240, "cm"))
    assert more.status_code == 409 and "final" in more.json()["detail"]
    fix = pe_client.post(
        f"/api/pe/trials/{first.json()['trial_id']}/correct",
        json={"reason": "misread", "unit": "cm", "value": 230},
        headers=jump,
    )
    assert fix.status_code == 409
    again = pe_client.post(
        "/api/pe/station/checkin", json={"ticket_number": BOY}, headers=jump
    )
    assert again.status_code == 409 and "补测" in again.json()["detail"]
    assert "pe.result.confirm" in audit_actions(session_factory)


def test_a_correction_supersedes_and_never_edits(
    pe_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    jump = make_station(pe_client, PeItem.STANDING_LONG_JUMP)
    card = check_in(pe_client, jump, BOY)
    first = post_trial(pe_client, jump, card.attempt_id, **device_trial(1, 200, "cm"))
    old_id = first.json()["trial_id"]
    no_reason = pe_client.post(
        f"/api/pe/trials/{old_id}/correct",
        json={"reason": " ", "unit": "cm", "value": 205},
        headers=jump,
    )
    assert no_reason.status_code == 422
    fixed = pe_client.post(
        f"/api/pe/trials/{old_id}/correct",
        json={"reason": "the mat missed the heel mark", "unit": "cm", "value": 205},
        headers=jump,
    )
    assert fixed.status_code == 200, fixed.text
    correction = from_json(PeTrialOut, fixed.json())
    assert correction.supersedes_trial_id == old_id and correction.trial_number == 1

    shown = card_of(pe_client, jump, card.attempt_id)
    assert [(t.value, t.superseded) for t in shown.trials] == [
        (200.0, True),
        (205.0, False),
    ]
    assert shown.trial_number == 2  # a correction uses no trial
    assert shown.result is not None and shown.result.value == 205
    twice = pe_client.post(
        f"/api/pe/trials/{old_id}/correct",
        json={"reason": "again", "unit": "cm", "value": 210},
        headers=jump,
    )
    assert twice.status_code == 409 and "newest" in twice.json()["detail"]
    with session_factory() as session:
        assert session.get(PeTrial, old_id).value == "200.0"  # type: ignore[union-attr]
        assert verify_chain(session)
    assert "pe.trial.correct" in audit_actions(session_factory)


def test_the_exam_office_may_correct_a_confirmed_result(
    pe_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    jump = make_station(pe_client, PeItem.STANDING_LONG_JUMP)
    card = check_in(pe_client, jump, BOY)
    first = post_trial(pe_client, jump, card.attempt_id, **device_trial(1, 220, "cm"))
    assert confirm(pe_client, jump, card).status_code == 200
    arbitration = pe_client.post(
        f"/api/pe/trials/{first.json()['trial_id']}/correct",
        json={"reason": "仲裁: the clip shows 224 cm", "unit": "cm", "value": 224},
        headers=ADMIN,
    )
    assert arbitration.status_code == 200, arbitration.text
    assert arbitration.json()["recorded_by"] == "admin"
    result = card_of(pe_client, jump, card.attempt_id).result
    assert result is not None and result.value == 224 and result.state == "confirmed"


def test_a_retest_needs_the_exam_office_and_opens_a_new_round(
    pe_client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    jump = make_station(pe_client, PeItem.STANDING_LONG_JUMP)
    card = check_in(pe_client, jump, BOY)
    post_trial(pe_client, jump, card.attempt_id, **device_trial(1, 180, "cm"))
    assert confirm(pe_client, jump, card).status_code == 200

    no_reason = pe_client.post(
        "/api/pe/station/retests",
        json={"ticket_number": BOY, "reason": ""},
        headers=jump,
    )
    assert no_reason.status_code == 422
    asked = pe_client.post(
        "/api/pe/station/retests",
        json={"ticket_number": BOY, "reason": "ankle sprained on trial 1 (校医证明)"},
        headers=jump,
    )
    retest = from_json(PeRetestOut, asked.json())
    assert retest.state == "requested" and retest.attempt_id is None
    # still finished until the office decides; a station cannot decide
    assert (
        pe_client.post(
            "/api/pe/station/checkin", json={"ticket_number": BOY}, headers=jump
        ).status_code
        == 409
    )
    decide = f"/api/pe/retests/{retest.retest_id}/decide"
    body = {"approve": True, "reason": "medical certificate seen"}
    assert pe_client.post(decide, json=body, headers=jump).status_code == 403

    listed = pe_client.get(f"/api/exams/{EXAM}/pe/retests", headers=ADMIN).json()
    assert [r["retest_id"] for r in listed] == [retest.retest_id]
    approved = from_json(
        PeRetestOut, pe_client.post(decide, json=body, headers=ADMIN).json()
    )
    assert approved.state == "approved" and approved.attempt_id is not None
    assert pe_client.post(decide, json=body, headers=ADMIN).status_code == 409

    new = check_in(pe_client, jump, BOY)
    assert (new.attempt_id, new.round, new.trial_number) == (approved.attempt_id, 2, 1)
    post_trial(pe_client, jump, new.attempt_id, **device_trial(1, 226, "cm"))
    rows = pe_client.get(f"/api/exams/{EXAM}/pe/results", headers=ADMIN).json()
    boy = from_json(PeResultRow, rows[0])
    assert boy.items[0].round == 2 and boy.items[0].value == 226
    actions = audit_actions(session_factory)
    assert {"pe.retest.request", "pe.retest.approve"} <= set(actions)


def test_a_rejected_retest_leaves_the_result_final(pe_client: TestClient) -> None:
    jump = make_station(pe_client, PeItem.STANDING_LONG_JUMP)
    card = check_in(pe_client, jump, BOY)
    post_trial(pe_client, jump, card.attempt_id, **device_trial(1, 180, "cm"))
    assert confirm(pe_client, jump, card).status_code == 200
    asked = pe_client.post(
        "/api/pe/station/retests",
        json={"ticket_number": BOY, "reason": "wants to jump again"},
        headers=jump,
    ).json()
    rejected = pe_client.post(
        f"/api/pe/retests/{asked['retest_id']}/decide",
        json={"approve": False, "reason": "no valid cause"},
        headers=ADMIN,
    )
    assert rejected.json()["state"] == "rejected"
    assert (
        pe_client.post(
            "/api/pe/station/checkin", json={"ticket_number": BOY}, headers=jump
        ).status_code
        == 409
    )


# --- evidence ----------------------------------------------------------------


@pytest.fixture(scope="module")
def clip_mp4(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real 0.4 s H.264 MP4, made by ffmpeg from its test pattern."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi",
            "-i", "testsrc=size=64x48:rate=10:duration=0.4",
            "-pix_fmt", "yuv420p", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def upload(
    client: TestClient,
    station: dict[str, str],
    trial_id: int,
    data: bytes,
    *,
    sha256: str,
    kind: str,
) -> Any:
    return client.put(
        f"/api/pe/station/trials/{trial_id}/evidence",
        files={"file": ("evidence.bin", data)},
        data={"sha256": sha256, "kind": kind},
        headers=station,
    )


def test_evidence_is_kept_by_its_sha256_and_a_mismatch_stores_nothing(
    pe_client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    clip_mp4: bytes,
) -> None:
    pull_up = make_station(pe_client, PeItem.PULL_UP)
    card = check_in(pe_client, pull_up, BOY)
    trial = post_trial(
        pe_client,
        pull_up,
        card.attempt_id,
        trial_number=1,
        source="judge",
        unit="reps",
        value=0,
        judge_version="pullup/1.0",
    ).json()["trial_id"]
    evidence_dir = settings.data_dir / "evidence"

    damaged = clip_mp4[:-10] + b"\0" * 10
    refused = upload(
        pe_client, pull_up, trial, damaged, sha256=sha256_hex(clip_mp4), kind="clip"
    )
    assert refused.status_code == 422 and "nothing was" in refused.json()["detail"]
    assert files_under(evidence_dir) == []
    not_mp4 = b"RIFF....WAVEfmt " * 4
    refused = upload(
        pe_client, pull_up, trial, not_mp4, sha256=sha256_hex(not_mp4), kind="clip"
    )
    assert refused.status_code == 422 and "MP4" in refused.json()["detail"]
    assert files_under(evidence_dir) == []
    with session_factory() as session:
        assert session.scalars(select(PeEvidence)).first() is None

    digest = sha256_hex(clip_mp4)
    kept = upload(pe_client, pull_up, trial, clip_mp4, sha256=digest, kind="clip")
    assert kept.status_code == 200, kept.text
    assert files_under(evidence_dir) == [f"{digest[:2]}/{digest}.mp4"]
    assert (evidence_dir / digest[:2] / f"{digest}.mp4").read_bytes() == clip_mp4
    again = upload(pe_client, pull_up, trial, clip_mp4, sha256=digest, kind="clip")
    assert again.json()["duplicate"] is True
    log = b"t_s,count\n0.0,0\n"
    logged = upload(
        pe_client, pull_up, trial, log, sha256=sha256_hex(log), kind="device_log"
    )
    assert logged.status_code == 200
    shown = card_of(pe_client, pull_up, card.attempt_id)
    assert [e.kind for e in shown.trials[0].evidence] == ["clip", "device_log"]


# --- results and export ------------------------------------------------------


def test_results_and_export_carry_points_totals_and_the_provisional_flag(
    pe_client: TestClient,
) -> None:
    stations = {
        item: make_station(pe_client, item)
        for item in (PeItem.RUN_1000M, PeItem.RUN_50M, PeItem.PULL_UP)
    }
    values = {PeItem.RUN_1000M: 215.0, PeItem.RUN_50M: 7.41, PeItem.PULL_UP: 13}
    for item, value in values.items():
        card = check_in(pe_client, stations[item], BOY)
        unit = "reps" if item is PeItem.PULL_UP else "s"
        response = post_trial(
            pe_client, stations[item], card.attempt_id, **device_trial(1, value, unit)
        )
        assert response.status_code == 200, response.text
    card = check_in(pe_client, stations[PeItem.RUN_50M], BOY2)
    post_trial(
        pe_client,
        stations[PeItem.RUN_50M],
        card.attempt_id,
        **device_trial(1, 8.0, "s"),
    )

    rows = [
        from_json(PeResultRow, row)
        for row in pe_client.get(f"/api/exams/{EXAM}/pe/results", headers=ADMIN).json()
    ]
    boy = rows[0]
    config = pe_exam.load_exam_config(2026)
    slots = {"distance_run": 215.0, "run_50m": 7.41, "strength": 13}
    expected = {
        name: pe_exam.score_slot(config, name, sex="male", value=v)
        for name, v in slots.items()
    }
    assert boy.total == sum(s.points for s in expected.values())
    assert boy.max_total == 40.0
    assert boy.provisional  # the 50 m row for grade 9 boys has one source
    assert rows[1].items == [] and rows[1].total is None  # the girl: not tested
    assert rows[2].total is None  # one item of three

    export = pe_client.get(
        f"/api/exams/{EXAM}/export.csv", params={"reason": "admissions"}, headers=ADMIN
    )
    assert export.status_code == 200
    table = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    by_ticket = {row["KSH"]: row for row in table}
    boy_row = by_ticket[BOY]
    assert boy_row["run_50m_CJ"] == "7.5" and boy_row["run_50m_ZD"] == "暂定"
    assert boy_row["run_50m_BZF"] == str(expected["run_50m"].item_score.points)
    assert boy_row["pull_up_ZD"] == ""  # the pull-up rows are agreed
    assert boy_row["pull_up_DF"] == f"{expected['strength'].points:g}" == "13.5"
    assert boy_row["ZF_ZD"] == "暂定" and float(boy_row["ZF"]) == boy.total
    assert boy_row["SFZH"] == "" and by_ticket[GIRL]["run_50m_CJ"] == ""


def test_an_exam_year_without_configuration_gives_table_points_only(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    build_pe_exam(session_factory, year=2025)
    jump = make_station(client, PeItem.STANDING_LONG_JUMP)
    card = check_in(client, jump, BOY)
    post_trial(client, jump, card.attempt_id, **device_trial(1, 250, "cm"))
    result = card_of(client, jump, card.attempt_id).result
    assert result is not None and result.table_points == 100
    assert result.exam_points is None and "no PE configuration" in result.points_note


def test_stations_belong_only_to_pe_exams(
    client: TestClient, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with session_factory() as session:
        session.add(Exam(code="ORAL", name="听说", kind=ExamKind.ORAL.value, year=2026))
        session.commit()
    response = client.post(
        "/api/exams/ORAL/pe/stations",
        json={"code": "x", "name": "x", "item": "run_50m"},
        headers=ADMIN,
    )
    assert response.status_code == 409 and "not a PE exam" in response.json()["detail"]
