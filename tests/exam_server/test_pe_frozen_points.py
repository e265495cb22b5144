"""A confirmed PE result keeps its points when the standards tables change.

The server is pointed at a real edited copy of the packaged tables through
``Settings.pe_tables_dir`` (``EXAM_PE_TABLES_DIR``): the 85-point row of the
grade 9 boys' standing long jump moves from 233 cm to 236 cm, as a corrected
single-source row would. A boy who confirmed 234 cm keeps 85 points; one who
did not confirm now gets 80; an arbitration re-scores with the tables in use
and keeps the new points, audited with old and new.
"""

from __future__ import annotations

import csv
import io
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server import pe
from exam_server.app import create_app
from exam_server.audit import verify_chain
from exam_server.models import AuditEntry, PeAttempt
from exam_server.settings import Settings, SettingsError, load_settings
from exam_server.wire import PeItem, PeItemResult, PeResultRow, from_json
from standards import fitness, pe_exam
from tests.exam_server.builders import RecordingRunner
from tests.exam_server.test_pe_routes import (
    ADMIN,
    BOY,
    BOY2,
    EXAM,
    build_pe_exam,
    card_of,
    check_in,
    confirm,
    device_trial,
    make_station,
    post_trial,
)

OLD_ROW = "初三,male,85,233,cm,higher,A;E,agreed"
NEW_ROW = "初三,male,85,236,cm,higher,A;E,agreed"


@pytest.fixture
def edited_tables(tmp_path: Path) -> Path:
    """A copy of the packaged tables with one standing long jump row moved."""
    folder = tmp_path / "tables"
    shutil.copytree(pe.PACKAGED_TABLES_DIR / "fitness_2014", folder / "fitness_2014")
    shutil.copytree(pe.PACKAGED_TABLES_DIR / "pe_exam", folder / "pe_exam")
    table = folder / "fitness_2014" / "standing_long_jump.csv"
    text = table.read_text(encoding="utf-8")
    assert text.count(OLD_ROW) == 1
    table.write_text(text.replace(OLD_ROW, NEW_ROW), encoding="utf-8")
    return folder


def jump_results(client: TestClient) -> dict[str, PeItemResult]:
    response = client.get(f"/api/exams/{EXAM}/pe/results", headers=ADMIN)
    assert response.status_code == 200, response.text
    rows = [from_json(PeResultRow, row) for row in response.json()]
    return {
        row.ticket_number: item
        for row in rows
        for item in row.items
        if item.item is PeItem.STANDING_LONG_JUMP
    }


def exam_points_of(table_points: int, result: PeItemResult) -> float:
    assert result.max_exam_points is not None
    return pe_exam.exam_points(
        table_points=table_points, max_points=result.max_exam_points
    )


def test_confirmed_points_stay_when_the_tables_change_and_arbitration_refreezes(
    client: TestClient,
    settings: Settings,
    session_factory: sessionmaker[Session],
    edited_tables: Path,
) -> None:
    build_pe_exam(session_factory)
    jump = make_station(client, PeItem.STANDING_LONG_JUMP)
    card = check_in(client, jump, BOY)
    first = post_trial(client, jump, card.attempt_id, **device_trial(1, 234, "cm"))
    confirmed = confirm(client, jump, card)
    assert confirmed.status_code == 200, confirmed.text
    at_confirmation = from_json(PeItemResult, confirmed.json())
    assert at_confirmation.table_points == 85 and at_confirmation.value == 234
    other = check_in(client, jump, BOY2)
    post_trial(client, jump, other.attempt_id, **device_trial(1, 234, "cm"))
    before = jump_results(client)
    assert before[BOY2].table_points == 85

    packaged_version = pe.pe_tables().version(2026)
    edited_version = pe.pe_tables(edited_tables).version(2026)
    assert packaged_version != edited_version
    with session_factory() as session:
        attempt = session.get(PeAttempt, card.attempt_id)
        assert attempt is not None
        assert attempt.standards_version == packaged_version
        assert (attempt.frozen_value, attempt.frozen_table_points) == ("234.0", 85)
        assert attempt.frozen_provisional is False

    edited = replace(settings, pe_tables_dir=edited_tables)
    with TestClient(create_app(edited, job_runner=RecordingRunner())) as now:
        after = jump_results(now)
        # the confirmed boy keeps what he saw; the unconfirmed one is re-scored
        assert after[BOY] == before[BOY]
        assert after[BOY].table_points == 85
        assert after[BOY].exam_points == exam_points_of(85, after[BOY])
        assert after[BOY2].table_points == 80
        assert after[BOY2].exam_points == exam_points_of(80, after[BOY2])
        shown = card_of(now, jump, card.attempt_id).result
        assert shown is not None and shown.table_points == 85
        # the admissions export scores with the same tables as the results
        exported = now.get(
            "/api/exams/PE2026/export.csv", params={"reason": "check"}, headers=ADMIN
        )
        assert exported.status_code == 200, exported.text
        rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
        points = {row["KSH"]: row["standing_long_jump_BZF"] for row in rows}
        assert (points[BOY], points[BOY2]) == ("85", "80")

        # arbitration: the clip shows 235 cm, scored with the tables now in use
        arbitration = now.post(
            f"/api/pe/trials/{first.json()['trial_id']}/correct",
            json={"reason": "仲裁: the clip shows 235 cm", "unit": "cm", "value": 235},
            headers=ADMIN,
        )
        assert arbitration.status_code == 200, arbitration.text
        corrected = jump_results(now)[BOY]
        assert (corrected.value, corrected.table_points) == (235, 80)
        assert corrected.best_trial_id == arbitration.json()["trial_id"]
        assert corrected.state == "confirmed"

    # back on the packaged tables the re-frozen points still hold
    assert jump_results(client)[BOY] == corrected
    with session_factory() as session:
        attempt = session.get(PeAttempt, card.attempt_id)
        assert attempt is not None and attempt.standards_version == edited_version
        assert attempt.confirmed_trial_id == arbitration.json()["trial_id"]
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "pe.trial.correct")
        ).one()
        assert verify_chain(session)
    old, new = entry.detail["old_points"], entry.detail["new_points"]
    assert (old["value"], old["table_points"]) == (234, 85)
    assert old["standards_version"] == packaged_version
    assert (new["value"], new["table_points"]) == (235, 80)
    assert new["standards_version"] == edited_version
    assert new["exam_points"] == corrected.exam_points


def test_a_correction_before_confirmation_freezes_nothing(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    build_pe_exam(session_factory)
    jump = make_station(client, PeItem.STANDING_LONG_JUMP)
    card = check_in(client, jump, BOY)
    first = post_trial(client, jump, card.attempt_id, **device_trial(1, 200, "cm"))
    fixed = client.post(
        f"/api/pe/trials/{first.json()['trial_id']}/correct",
        json={"reason": "the mat missed the heel mark", "unit": "cm", "value": 234},
        headers=jump,
    )
    assert fixed.status_code == 200, fixed.text
    with session_factory() as session:
        attempt = session.get(PeAttempt, card.attempt_id)
        assert attempt is not None and attempt.standards_version is None
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "pe.trial.correct")
        ).one()
    assert "old_points" not in entry.detail


def test_the_tables_version_names_the_files_that_score(edited_tables: Path) -> None:
    packaged = pe.pe_tables()
    assert packaged.folder == fitness.DATA_DIR.parent
    assert packaged.version(2026) == pe.pe_tables(pe.PACKAGED_TABLES_DIR).version(2026)
    fitness_part, config_part = packaged.version(2026).split()
    assert fitness_part.startswith("fitness_2014:") and len(fitness_part) == 25
    assert config_part.startswith("pe_exam/2026:") and len(config_part) == 25
    assert packaged.version(1999).endswith("pe_exam/1999:none")
    edited = pe.pe_tables(edited_tables).version(2026)
    assert edited.split()[0] != fitness_part and edited.split()[1] == config_part


def test_settings_read_the_tables_folder(tmp_path: Path) -> None:
    settings = load_settings({"EXAM_PE_TABLES_DIR": str(tmp_path)})
    assert settings.pe_tables_dir == tmp_path.resolve()
    assert load_settings({}).pe_tables_dir is None
    with pytest.raises(SettingsError, match="EXAM_PE_TABLES_DIR"):
        load_settings({"EXAM_PE_TABLES_DIR": str(tmp_path / "missing")})
