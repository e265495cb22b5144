"""The demo builder: a whole exam room made once, reused on a rerun."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile as sf
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from exam_server import demo
from exam_server.auth import secret_sha256
from exam_server.db import make_engine, make_session_factory
from exam_server.identity import IdCipher, normalize_id_number
from exam_server.models import Attempt, Candidate, Exam, Item, Room, Seat, Sitting
from exam_server.settings import Settings, load_settings
from exam_server.storage import prompt_audio_path
from exam_server.wire import ItemKind, SeatState, SittingState


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, sessionmaker[Session], str]]:
    """A fast demo built through the command line, and what it printed."""
    data_dir = tmp_path_factory.mktemp("demo")
    out = data_dir / "printed.txt"
    with out.open("w", encoding="utf-8") as stream, pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stdout", stream)
        mp.delenv("EXAM_DATABASE_URL", raising=False)
        mp.delenv("DATABASE_URL", raising=False)
        code = demo.main(["--data-dir", str(data_dir), "--fast", "--no-serve"])
    assert code == 0
    settings = load_settings({"EXAM_DATA_DIR": str(data_dir)})
    engine = make_engine(settings.database_url)
    yield settings, make_session_factory(engine), out.read_text(encoding="utf-8")
    engine.dispose()


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_demo_room_has_30_seats_3_spares_and_30_seated_candidates(
    built: tuple[Settings, sessionmaker[Session], str],
) -> None:
    _, factory, _ = built
    with factory() as session:
        seats = session.scalars(select(Seat).order_by(Seat.code)).all()
        assert [s.code for s in seats if s.is_spare] == ["S01", "S02", "S03"]
        assert len(seats) == 33
        assert count(session, Candidate) == 30
        sitting = session.scalars(select(Sitting)).one()
        assert sitting.state == SittingState.SCHEDULED
        attempts = sorted(sitting.attempts, key=lambda a: a.seat.code)
        assert [a.seat.code for a in attempts][:2] == ["A01", "A02"]
        assert attempts[-1].seat.code == "A30"
        assert {a.state for a in attempts} == {SeatState.NOT_LOGGED_IN}


def test_the_paper_has_four_items_with_prompt_audio_stored_by_sha256(
    built: tuple[Settings, sessionmaker[Session], str],
) -> None:
    settings, factory, _ = built
    with factory() as session:
        items = session.scalars(select(Item).order_by(Item.position)).all()
        assert [i.kind for i in items] == [
            ItemKind.LISTEN_CHOOSE,
            ItemKind.READ_ALOUD,
            ItemKind.SITUATIONAL,
            ItemKind.TOPIC_TALK,
        ]
        assert [i.points for i in items] == [5.0, 3.0, 2.0, 5.0]
        for item in items:
            assert item.prompt_audio_sha256 is not None
            path = prompt_audio_path(settings.prompts_dir, item.prompt_audio_sha256)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert digest == item.prompt_audio_sha256
            assert sf.info(str(path)).duration > 1.0
        letters = "ABCDEFGH"[: len(items[0].options)]
        assert items[0].answer_key in letters
        assert items[0].options[letters.index("B")] == "By bike."
        assert items[1].reference_text == items[1].prompt_text


def test_fast_answer_times_leave_room_for_the_demo_answers(
    built: tuple[Settings, sessionmaker[Session], str],
) -> None:
    settings, factory, _ = built
    answers = settings.data_dir / demo.ANSWERS_FOLDER
    assert (answers / "check.wav").is_file()
    with factory() as session:
        for item in session.scalars(select(Item)):
            assert item.prep_s == demo.FAST_PREP_S
            spoken = answers / f"item{item.position}.wav"
            if item.kind == ItemKind.LISTEN_CHOOSE:
                assert not spoken.exists()
                continue
            assert sf.info(str(spoken)).duration < item.answer_s


def test_candidates_have_valid_encrypted_id_numbers_and_autopilot_plans(
    built: tuple[Settings, sessionmaker[Session], str],
) -> None:
    settings, factory, _ = built
    cipher = IdCipher.from_data_dir(settings.data_dir)
    with factory() as session:
        attempts = session.scalars(select(Attempt)).all()
        for attempt in attempts:
            candidate = attempt.candidate
            assert candidate.id_number_encrypted is not None
            id_number = cipher.decrypt(candidate.id_number_encrypted)
            assert normalize_id_number(id_number) == id_number
            odd = int(id_number[16]) % 2 == 1
            assert odd == (candidate.sex == "male")  # GB 11643 order digit

            plan_path = settings.data_dir / "demo_answers" / "autopilot"
            plan = json.loads((plan_path / f"{attempt.seat.code}.json").read_text())
            assert plan == {
                "ticket_number": candidate.ticket_number,
                "device_check": "clear",
                "choices": {"1": "B"},
            }


def test_the_printed_instructions_hold_the_proctor_url_and_tokens(
    built: tuple[Settings, sessionmaker[Session], str],
) -> None:
    settings, factory, printed = built
    key = (settings.data_dir / demo.PROCTOR_KEY_FILE).read_text().strip()
    assert f"http://127.0.0.1:8000/proctor?room=R01#key={key}" in printed
    assert settings.resolved_admin_token() in printed
    assert "make client SEAT=A01 AUDIO=" in printed
    with factory() as session:
        room = session.scalars(select(Room)).one()
        assert room.proctor_key_sha256 == secret_sha256(key)
        first = session.scalars(
            select(Candidate).order_by(Candidate.ticket_number)
        ).first()
        assert first is not None
        assert f"A01  {first.ticket_number}  {first.name}" in printed


def test_a_rerun_reuses_the_demo(
    built: tuple[Settings, sessionmaker[Session], str],
) -> None:
    settings, factory, _ = built
    with factory() as session:
        before = [count(session, m) for m in (Exam, Item, Seat, Candidate, Attempt)]

    info = demo.build_demo(factory, settings, fast=True)

    assert not info.created
    assert (
        info.proctor_key
        == (settings.data_dir / demo.PROCTOR_KEY_FILE).read_text().strip()
    )
    with factory() as session:
        after = [count(session, m) for m in (Exam, Item, Seat, Candidate, Attempt)]
        sitting = session.scalars(select(Sitting)).one()
    assert after == before == [1, 4, 33, 30, 30]
    assert info.sitting_id == sitting.id


def test_made_up_candidates_are_the_same_for_a_seed() -> None:
    first = demo.make_candidates(30, seed=1)
    assert first == demo.make_candidates(30, seed=1)
    assert len({c.ticket_number for c in first}) == 30
    assert all(len(c.name) in (2, 3) for c in first)


def test_store_prompt_audio_names_the_file_by_its_sha256(tmp_path: Path) -> None:
    sha256 = demo.store_prompt_audio(
        [("en-us", "Good morning."), ("en-gb", "Good morning to you.")], tmp_path
    )
    path = tmp_path / f"{sha256}.wav"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no leftovers
