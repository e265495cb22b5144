"""Exam-office routes over HTTP: import, assignment, results and exports."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import dbfread
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server import audit
from exam_server.identity import IdCipher
from exam_server.models import Attempt, AuditEntry, Candidate, Exam, Response, Score
from exam_server.settings import Settings
from tests.exam_server.builders import (
    ADMIN_TOKEN,
    PROCTOR_KEY,
    World,
    build_world,
    sha256_hex,
    tone_wav,
)
from tests.exam_server.test_seat_routes import auth, login, put_audio, start_room

ADMIN = auth(ADMIN_TOKEN)

GOOD_CSV = (
    "准考证号,姓名,性别,身份证号,学籍号,学校\n"
    "20250001,张三丰,男,11010519491231002X,G1,实验中学\n"  # updates a known one
    "20250009,周九,女,330106200801011233,G9,育才中学\n"
)
BAD_CSV = (
    "准考证号,姓名,性别,身份证号,学籍号,学校\n"
    "20250001,张三丰,男,11010519491231002X,G1,实验中学\n"
    "20250009,周九,女,330106200801011234,G9,育才中学\n"  # checksum
    "20250010,,男,,,育才中学\n"  # no name
)


@pytest.fixture
def world(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> World:
    return build_world(session_factory, settings)


def candidates_snapshot(factory: sessionmaker[Session]) -> list[tuple]:
    with factory() as session:
        return [
            (c.ticket_number, c.name, c.sex, c.id_number_encrypted, c.school)
            for c in session.scalars(
                select(Candidate).order_by(Candidate.ticket_number)
            )
        ]


def import_csv(client: TestClient, data: bytes, headers=ADMIN):
    return client.post(
        "/api/exams/E2025/candidates/import",
        files={"file": ("考生.csv", data, "text/csv")},
        headers=headers,
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_good_file_creates_and_updates_candidates(
    client: TestClient,
    world: World,
    settings: Settings,
    session_factory: sessionmaker[Session],
    encoding: str,
) -> None:
    answer = import_csv(client, GOOD_CSV.encode(encoding))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"created": 1, "updated": 1, "errors": []}
    cipher = IdCipher.from_data_dir(settings.data_dir)
    with session_factory() as session:
        new = session.scalars(
            select(Candidate).where(Candidate.ticket_number == "20250009")
        ).one()
        entry = session.scalars(select(AuditEntry)).one()
        names = {
            t: n
            for t, n in session.execute(select(Candidate.ticket_number, Candidate.name))
        }
    assert new.sex == "female" and new.student_number == "G9"
    assert new.id_number_encrypted and "330106" not in new.id_number_encrypted
    assert cipher.decrypt(new.id_number_encrypted) == "330106200801011233"
    assert names["20250001"] == "张三丰"
    assert entry.action == "candidates.import" and entry.detail["created"] == 1


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_a_file_with_any_bad_row_stores_nothing(
    client: TestClient,
    world: World,
    session_factory: sessionmaker[Session],
    encoding: str,
) -> None:
    before = candidates_snapshot(session_factory)
    answer = import_csv(client, BAD_CSV.encode(encoding))
    assert answer.status_code == 422
    body = answer.json()
    assert "nothing was stored" in body["detail"]
    assert [(e["line"], e["column"]) for e in body["errors"]] == [
        (3, "id_number"),
        (4, "name"),
    ]
    assert candidates_snapshot(session_factory) == before
    with session_factory() as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == 0


def test_an_undecodable_file_and_a_wrong_token_store_nothing(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    before = candidates_snapshot(session_factory)
    garbled = import_csv(client, b"\xff\xfe\x00\x81\x20,\n")
    assert garbled.status_code == 422
    assert "UTF-8" in garbled.json()["detail"]
    refused = import_csv(client, GOOD_CSV.encode(), headers=auth(PROCTOR_KEY))
    assert refused.status_code == 403
    assert candidates_snapshot(session_factory) == before


def test_assignment_fills_exam_seats_in_ticket_order(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_world(session_factory, settings, assign=False)
    answer = client.post(
        f"/api/sittings/{world.sitting_id}/assign", json={}, headers=ADMIN
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["assignments"] == [
        {"ticket_number": "20250001", "seat_code": "A01"},
        {"ticket_number": "20250002", "seat_code": "A02"},
        {"ticket_number": "20250003", "seat_code": "A03"},
    ]
    again = client.post(
        f"/api/sittings/{world.sitting_id}/assign",
        json={"ticket_numbers": ["20250002"]},
        headers=ADMIN,
    )
    assert again.status_code == 409


def test_more_candidates_than_exam_seats_are_refused(
    client: TestClient, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_world(session_factory, settings, assign=False)
    import_csv(client, GOOD_CSV.encode())  # a fourth candidate, three exam seats
    answer = client.post(
        f"/api/sittings/{world.sitting_id}/assign", json={}, headers=ADMIN
    )
    assert answer.status_code == 409
    assert "only 3 free exam seats" in answer.json()["detail"]
    with session_factory() as session:
        assert session.scalar(select(func.count(Attempt.id))) == 0


def _sit_and_score(
    client: TestClient, world: World, factory: sessionmaker[Session]
) -> None:
    """Candidate 1 answers everything and is scored; candidate 3 is absent."""
    token = login(client)
    client.post(
        f"/api/sittings/{world.sitting_id}/seats/A03/mark",
        json={"status": "absent", "reason": "did not come"},
        headers=auth(PROCTOR_KEY),
    )
    start_room(client, world)
    client.put(
        f"/api/seat/responses/{world.item_ids[0]}/choice",
        json={"choice": "B"},
        headers=auth(token),
    )
    for item_id, f0 in zip(world.item_ids[1:], (300.0, 500.0), strict=True):
        wav = tone_wav(duration_s=1.0, f0=f0)
        put_audio(client, token, item_id, wav, sha256_hex(wav))
    with factory() as session:
        responses = session.scalars(select(Response).order_by(Response.id)).all()
        for response, points in zip(responses, (1.0, 2.5, 1.5), strict=True):
            session.add(
                Score(response_id=response.id, scorer="t/1", score=80, points=points)
            )
        session.commit()
    client.post(
        f"/api/sittings/{world.sitting_id}/end",
        json={"reason": "time"},
        headers=auth(PROCTOR_KEY),
    )


def test_results_give_points_by_item_and_totals(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    _sit_and_score(client, world, session_factory)
    answer = client.get("/api/exams/E2025/results", headers=ADMIN)
    assert answer.status_code == 200
    rows = {row["ticket_number"]: row for row in answer.json()}
    assert [item["points"] for item in rows["20250001"]["items"]] == [1.0, 2.5, 1.5]
    assert rows["20250001"]["total"] == pytest.approx(5.0)
    # never logged in, room ended: every item counts 0
    assert rows["20250002"]["total"] == 0.0
    assert rows["20250003"]["status"] == "absent"
    assert "11010519491231002X" not in answer.text


def test_the_csv_export_has_a_bom_the_columns_and_is_audited(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    _sit_and_score(client, world, session_factory)
    answer = client.get(
        "/api/exams/E2025/export.csv",
        params={"reason": "admissions upload"},
        headers=ADMIN,
    )
    assert answer.status_code == 200
    assert answer.content.startswith(b"\xef\xbb\xbf")
    lines = answer.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "KSH,XM,XBDM,SFZH,BYXXMC,T1,T2,T3,ZF,ZT"
    assert lines[1] == "20250001,张三,1,11010519491231002X,实验中学,1,2.5,1.5,5,normal"
    assert lines[3].startswith("20250003,王五,1,330106200802022348,育才中学,")
    assert lines[3].endswith(",absent")
    with session_factory() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "export.csv")
        ).one()
        assert audit.verify_chain(session)
    assert entry.actor == "admin" and entry.reason == "admissions upload"
    assert entry.detail == {"exam": "E2025", "rows": 3}


def test_the_xlsx_export_opens_with_openpyxl(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    _sit_and_score(client, world, session_factory)
    answer = client.get(
        "/api/exams/E2025/export.xlsx", params={"reason": "backup"}, headers=ADMIN
    )
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == (
        "KSH",
        "XM",
        "XBDM",
        "SFZH",
        "BYXXMC",
        "T1",
        "T2",
        "T3",
        "ZF",
        "ZT",
    )
    assert rows[1] == (
        "20250001", "张三", "1", "11010519491231002X", "实验中学",
        1.0, 2.5, 1.5, 5.0, "normal",
    )  # fmt: skip
    assert len(rows) == 4


def _rename(factory: sessionmaker[Session], ticket: str, **values: str) -> None:
    with factory() as session:
        candidate = session.scalars(
            select(Candidate).where(Candidate.ticket_number == ticket)
        ).one()
        for key, value in values.items():
            setattr(candidate, key, value)
        session.commit()


def test_the_dbf_export_is_gbk_with_fixed_fields_and_is_audited(
    client: TestClient,
    world: World,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    _sit_and_score(client, world, session_factory)
    _rename(session_factory, "20250002", name="李𠀀")  # U+20000: not in GBK
    answer = client.get(
        "/api/exams/E2025/export.dbf",
        params={"reason": "admissions upload"},
        headers=ADMIN,
    )
    assert answer.status_code == 200, answer.text
    assert "E2025-results.dbf" in answer.headers["content-disposition"]
    data = answer.content
    assert data[0] == 0x03 and data[29] == 0x7A and data[-1] == 0x1A
    n_records, header_length, record_length = struct.unpack_from("<IHH", data, 4)
    assert (n_records, header_length) == (3, 32 + 10 * 32 + 1)
    assert record_length == 1 + 20 + 40 + 1 + 18 + 100 + 4 * 6 + 10
    second = data[header_length + record_length : header_length + 2 * record_length]
    assert second[21:61] == "李".encode("gbk") + b"??" + b" " * 36

    path = tmp_path / "export.dbf"
    path.write_bytes(data)
    table = dbfread.DBF(str(path), encoding="gbk")
    assert [field.name for field in table.fields] == [
        "KSH", "XM", "XBDM", "SFZH", "BYXXMC", "T1", "T2", "T3", "ZF", "ZT",
    ]  # fmt: skip
    assert [(f.type, f.length, f.decimal_count) for f in table.fields[5:9]] == [
        ("N", 6, 1)
    ] * 4
    records = list(table)
    assert dict(records[0]) == {
        "KSH": "20250001", "XM": "张三", "XBDM": "1", "SFZH": "11010519491231002X",
        "BYXXMC": "实验中学", "T1": 1.0, "T2": 2.5, "T3": 1.5, "ZF": 5.0,
        "ZT": "normal",
    }  # fmt: skip
    assert records[1]["XM"] == "李??" and records[2]["ZT"] == "absent"
    with session_factory() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "export.dbf")
        ).one()
        assert audit.verify_chain(session)
    assert entry.actor == "admin" and entry.reason == "admissions upload"
    assert entry.detail == {"exam": "E2025", "rows": 3}


def test_a_dbf_value_too_wide_for_its_field_refuses_the_export_unlogged(
    client: TestClient, world: World, session_factory: sessionmaker[Session]
) -> None:
    school = "北京市海淀区" + "实验" * 22 + "中学"  # 52 characters, 104 GBK bytes
    _rename(session_factory, "20250003", school=school)
    answer = client.get(
        "/api/exams/E2025/export.dbf", params={"reason": "upload"}, headers=ADMIN
    )
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "BYXXMC" in detail and "104 GBK bytes" in detail
    assert "width of 100" in detail and "nothing was written" in detail
    with session_factory() as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == 0


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_an_export_without_a_reason_is_refused_and_not_logged(
    client: TestClient,
    world: World,
    session_factory: sessionmaker[Session],
    reason: str | None,
) -> None:
    params = {} if reason is None else {"reason": reason}
    for suffix in ("csv", "xlsx", "dbf"):
        answer = client.get(
            f"/api/exams/E2025/export.{suffix}", params=params, headers=ADMIN
        )
        assert answer.status_code == 422
    with session_factory() as session:
        assert session.scalar(select(func.count(AuditEntry.id))) == 0


def test_unknown_exams_are_not_found(client: TestClient, world: World) -> None:
    answer = client.get("/api/exams/NOPE/results", headers=ADMIN)
    assert answer.status_code == 404
    assert "no exam 'NOPE'" in answer.json()["detail"]


def test_exam_rows_exist_before_and_after(
    world: World, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        assert session.scalar(select(func.count(Exam.id))) == 1
