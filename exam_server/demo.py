"""A demo exam day on one machine: ``python -m exam_server demo``.

Builds (once per data folder; a rerun reuses it) an oral English exam shaped
like a city's zhongkao listening-and-speaking paper, one item of each kind,
with spoken prompts made by espeak-ng; room R01 with 30 seats and 3 spares;
30 made-up candidates seated at A01-A30 in one scheduled sitting; a proctor
key for the room. It also writes answer recordings a seat program can play
instead of a microphone (``--audio-input``) and an autopilot plan per seat.
Then it serves the exam and prints what a person needs to try it.

Every name and id number here is invented; the id numbers only have valid
check characters.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import random
import secrets
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import numpy as np
import soundfile as sf
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from exam_server.auth import secret_sha256
from exam_server.identity import IdCipher, id_check_character
from exam_server.models import (
    Attempt,
    Candidate,
    Exam,
    ExamKind,
    Item,
    Paper,
    Room,
    Seat,
    Sitting,
)
from exam_server.settings import Settings, load_settings
from exam_server.storage import prompt_audio_path
from exam_server.wire import ItemKind, SeatState, SittingState
from scoring_engine.synth import speak_to_wav
from standards.glossary import ITEM_KINDS
from standards.oral import ORAL_ITEM_POINTS
from standards.seats import seat_codes, spare_seats_needed

logger = logging.getLogger(__name__)

EXAM_CODE = "DEMO2027"
EXAM_NAME = "2027 中考英语听说考试 (demo)"
EXAM_YEAR = 2027
PAPER_CODE = "DEMO-A"
ROOM_CODE = "R01"
SITE = "示范中学 (demo site)"
SITTING_CODE = "2027-06-12-AM-1"
N_CANDIDATES = 30
"""Candidates of the demo room: one per exam seat of a standard room."""

ANSWERS_FOLDER = "demo_answers"
PROCTOR_KEY_FILE = "demo_proctor_key"
RANDOM_SEED = 2027
"""Seeds the made-up names and id numbers, so every demo has the same people."""

FAST_PREP_S = 2.0
FAST_MIN_ANSWER_S = 4.0
FAST_ANSWER_MARGIN_S = 1.0
"""Fast timings (tests): answer time is the demo answer's length plus this."""

SILENCE_BETWEEN_LINES_S = 0.4
SR = 16000


@dataclass(frozen=True)
class _ItemSpec:
    """One demo item: what the seat shows and plays, and how it is scored."""

    kind: ItemKind
    instructions: str
    prompt_text: str
    prompt_lines: tuple[tuple[str, str], ...]  # (voice, sentence) spoken in turn
    prep_s: float  # real timing, see DOMAIN notes
    answer_s: float
    answer_text: str = ""  # what the demo candidates say (spoken items)
    options: tuple[str, ...] = ()
    answer_key: str | None = None
    reference_text: str = ""
    reference_answers: tuple[str, ...] = ()
    key_points: tuple[str, ...] = ()

    @property
    def prompt_script(self) -> str:
        return " ".join(sentence for _, sentence in self.prompt_lines)


PASSAGE = (
    "My name is Li Hua and I live in a small town near the sea. "
    "Every morning I walk to school with my best friend. "
    "On the way we talk about books, sports and our favourite films. "
    "I think walking together is the best part of the day."
)

DEMO_ITEMS: tuple[_ItemSpec, ...] = (
    # Listen and choose: no published timing; 10 s to read the options
    # before the dialogue is our choice, and 10 s to choose after it.
    _ItemSpec(
        kind=ItemKind.LISTEN_CHOOSE,
        instructions="听一段对话，根据对话内容选择正确答案。对话读一遍。",
        prompt_text="How does Tom go to school now?",
        prompt_lines=(
            ("en-us+f3", "Hi Tom, do you still take the bus to school?"),
            (
                "en-gb",
                "Not any more. I ride my bike now. It only takes a quarter of an hour.",
            ),
            ("en-us+f3", "That sounds healthy."),
            ("en-us", "Question: How does Tom go to school now?"),
        ),
        prep_s=10.0,
        answer_s=10.0,
        options=("By bus.", "By bike.", "On foot."),  # lettered A, B, C
        answer_key="B",
    ),
    # Read aloud: 60 s to prepare and 90 s to read (a city's 2015 paper).
    _ItemSpec(
        kind=ItemKind.READ_ALOUD,
        instructions="请先阅读屏幕上的短文，准备时间结束后开始朗读。",
        prompt_text=PASSAGE,
        prompt_lines=(
            (
                "en-us",
                "Now read the passage on the screen aloud. You may "
                "prepare first. Start reading when the recording begins.",
            ),
        ),
        prep_s=60.0,
        answer_s=90.0,
        answer_text=PASSAGE,
        reference_text=PASSAGE,
    ),
    # Situational question: 20 s to read and 15 s to answer.
    _ItemSpec(
        kind=ItemKind.SITUATIONAL,
        instructions="请根据情景，用英语回答问题。",
        prompt_text=(
            "情景：一位来自加拿大的新同学想了解你的周末生活。\n"
            "A new classmate from Canada asks about your weekends."
        ),
        prompt_lines=(
            ("en-us+f3", "Hi, I am new here. What do you usually do on weekends?"),
        ),
        prep_s=20.0,
        answer_s=15.0,
        answer_text="I usually play basketball with my friends on weekends.",
        reference_answers=(
            "I usually play basketball with my friends on weekends.",
            "On weekends I often read books and help my parents at home.",
            "I usually go to the park with my family on weekends.",
        ),
        key_points=("usually", "weekends"),
    ),
    # Topic talk: 2 minutes to prepare and 2 minutes to speak.
    _ItemSpec(
        kind=ItemKind.TOPIC_TALK,
        instructions="请根据提示，就以下话题进行简述，时间约一分钟。",
        prompt_text=(
            "Topic: My favourite season\n"
            "- Which season is it?\n"
            "- What is the weather like?\n"
            "- What do you like to do then, and why?"
        ),
        prompt_lines=(
            (
                "en-us",
                "Now talk about your favourite season. Say which "
                "season it is, what the weather is like, what you like to do, "
                "and why.",
            ),
        ),
        prep_s=120.0,
        answer_s=120.0,
        answer_text=(
            "My favourite season is spring. The weather is warm and the "
            "flowers are beautiful. I like to fly kites in the park with my "
            "friends. I like spring because everything feels new."
        ),
        reference_answers=(
            "My favourite season is autumn. The weather is cool and sunny. "
            "I like to climb hills with my family because the views are "
            "beautiful.",
            "I like summer best. It is hot, so I can swim every day. I like "
            "summer because we have a long holiday.",
        ),
        key_points=("favourite season", "weather", "like to", "because"),
    ),
)

CHECK_TEXT = "Hello, I am testing my headset. One, two, three. I can hear clearly."

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN_MALE = ("浩然", "子轩", "宇航", "俊杰", "博文", "天佑", "嘉豪", "明哲", "志远")
GIVEN_FEMALE = ("欣怡", "梓涵", "雨桐", "思琪", "佳怡", "诗涵", "若曦", "可馨", "语嫣")
SCHOOLS = ("宁波市示范初级中学", "宁波市实验初级中学")
REGION_CODE = "330203"
"""The area part of the made-up id numbers (a district of Ningbo)."""


@dataclass(frozen=True)
class DemoCandidate:
    seat_code: str
    ticket_number: str
    name: str
    sex: str
    id_number: str
    school: str


@dataclass
class DemoInfo:
    """What a person needs to try the demo: keys, tickets and files."""

    exam_code: str
    room_code: str
    sitting_id: int
    proctor_key: str
    admin_token: str
    answers_dir: Path
    candidates: list[DemoCandidate] = field(default_factory=list)
    created: bool = True  # False when an existing demo was reused

    def proctor_url(self, base_url: str) -> str:
        """The proctor page of the room, logged in through the URL fragment."""
        return f"{base_url}/proctor?room={self.room_code}#key={self.proctor_key}"

    def autopilot_path(self, seat_code: str) -> Path:
        return self.answers_dir / "autopilot" / f"{seat_code}.json"


def build_demo(
    session_factory: sessionmaker[Session], settings: Settings, *, fast: bool = False
) -> DemoInfo:
    """Create the demo exam in an upgraded database, or reuse the one there.

    Parameters
    ----------
    session_factory : sessionmaker
        Sessions on the server's database (schema at head).
    settings : Settings
        Where prompt audio, demo answers and keys are written.
    fast : bool
        Short timings for tests: 2 s to prepare and just enough time to
        say the demo answers (at least 4 s).
    """
    settings.ensure_dirs()
    candidates = make_candidates(N_CANDIDATES, seed=RANDOM_SEED)

    # Answers first: fast timings follow their lengths.
    answers_dir = settings.data_dir / ANSWERS_FOLDER
    answer_lengths_s = write_demo_answers(answers_dir)
    proctor_key = _proctor_key(settings.data_dir / PROCTOR_KEY_FILE)

    with session_factory() as session, session.begin():
        exam = session.scalars(select(Exam).where(Exam.code == EXAM_CODE)).first()
        created = exam is None
        if exam is None:
            _create_exam(session, settings, candidates, fast, answer_lengths_s)
        room = session.scalars(select(Room).where(Room.code == ROOM_CODE)).one()
        room.proctor_key_sha256 = secret_sha256(proctor_key)
        sitting = session.scalars(
            select(Sitting).where(
                Sitting.room_id == room.id, Sitting.code == SITTING_CODE
            )
        ).one()
        sitting_id = sitting.id
    if not created:
        logger.info("reusing the demo exam %s in %s", EXAM_CODE, settings.data_dir)

    info = DemoInfo(
        exam_code=EXAM_CODE,
        room_code=ROOM_CODE,
        sitting_id=sitting_id,
        proctor_key=proctor_key,
        admin_token=settings.resolved_admin_token(),
        answers_dir=answers_dir,
        candidates=candidates,
        created=created,
    )
    _write_autopilot_plans(info)
    return info


def make_candidates(n: int, *, seed: int) -> list[DemoCandidate]:
    """Return ``n`` made-up candidates for seats A01..., the same for a seed."""
    rng = random.Random(seed)
    candidates = []
    for number, seat_code in enumerate(seat_codes(n), start=1):
        sex = "male" if rng.random() < 0.5 else "female"
        given = GIVEN_MALE if sex == "male" else GIVEN_FEMALE
        candidates.append(
            DemoCandidate(
                seat_code=seat_code,
                ticket_number=f"{EXAM_YEAR}01{number:04d}",
                name=rng.choice(SURNAMES) + rng.choice(given),
                sex=sex,
                id_number=_made_up_id_number(rng, sex=sex),
                school=SCHOOLS[number % len(SCHOOLS)],
            )
        )
    return candidates


def _made_up_id_number(rng: random.Random, *, sex: str) -> str:
    """An 18-character id number with a valid check character (GB 11643).

    Born in 2012 (in grade 9 in 2027); the order number is odd for boys and
    even for girls, as the standard lays down.
    """
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    order = rng.randrange(0, 500) * 2 + (1 if sex == "male" else 0)
    first17 = f"{REGION_CODE}2012{month:02d}{day:02d}{order:03d}"
    return first17 + id_check_character(first17)


def write_demo_answers(folder: Path) -> dict[int, float]:
    """Speak the demo answers into ``folder`` as a seat's ``--audio-input``.

    Writes ``check.wav`` and ``item<position>.wav`` for the spoken items
    (kept when already there). Returns each item position's answer length
    in seconds.
    """
    folder.mkdir(parents=True, exist_ok=True)
    check = folder / "check.wav"
    if not check.exists():
        speak_to_wav(CHECK_TEXT, check, sr=SR)
    lengths = {}
    for position, spec in enumerate(DEMO_ITEMS, start=1):
        if not spec.answer_text:
            continue
        path = folder / f"item{position}.wav"
        if not path.exists():
            speak_to_wav(spec.answer_text, path, sr=SR)
        lengths[position] = sf.info(str(path)).duration
    return lengths


def _write_autopilot_plans(info: DemoInfo) -> None:
    """One autopilot plan per seat: its ticket, a clear sound, the right choice."""
    choices = {
        str(position): spec.answer_key
        for position, spec in enumerate(DEMO_ITEMS, start=1)
        if spec.answer_key
    }
    for candidate in info.candidates:
        path = info.autopilot_path(candidate.seat_code)
        path.parent.mkdir(parents=True, exist_ok=True)
        plan = {
            "ticket_number": candidate.ticket_number,
            "device_check": "clear",
            "choices": choices,
        }
        path.write_text(json.dumps(plan, indent=2) + "\n", encoding="utf-8")


def _proctor_key(path: Path) -> str:
    """The room's proctor key, made once and kept (mode 0600) for reruns."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(18)
    path.write_text(key + "\n", encoding="ascii")
    path.chmod(0o600)
    return key


def _create_exam(
    session: Session,
    settings: Settings,
    candidates: list[DemoCandidate],
    fast: bool,
    answer_lengths_s: dict[int, float],
) -> None:
    # The exam and its paper, with spoken prompts.
    exam = Exam(
        code=EXAM_CODE, name=EXAM_NAME, kind=ExamKind.ORAL.value, year=EXAM_YEAR
    )
    paper = Paper(exam=exam, code=PAPER_CODE, title=f"{EXAM_NAME} A卷")
    for position, spec in enumerate(DEMO_ITEMS, start=1):
        prep_s, answer_s = spec.prep_s, spec.answer_s
        if fast:
            prep_s = FAST_PREP_S
            spoken_s = answer_lengths_s.get(position, 0.0)
            answer_s = max(
                FAST_MIN_ANSWER_S, math.ceil(spoken_s + FAST_ANSWER_MARGIN_S)
            )
        session.add(_make_item(paper, position, spec, settings, prep_s, answer_s))

    # The room, and its candidates seated in one scheduled sitting.
    room, seats = _make_room(session)
    sitting = Sitting(
        room=room,
        paper=paper,
        code=SITTING_CODE,
        state=SittingState.SCHEDULED.value,
    )
    cipher = IdCipher.from_data_dir(settings.data_dir)
    for person in candidates:
        candidate = Candidate(
            exam=exam,
            ticket_number=person.ticket_number,
            name=person.name,
            sex=person.sex,
            id_number_encrypted=cipher.encrypt(person.id_number),
            school=person.school,
        )
        session.add(
            Attempt(
                sitting=sitting,
                candidate=candidate,
                seat=seats[person.seat_code],
                state=SeatState.NOT_LOGGED_IN.value,
            )
        )
    session.flush()
    logger.info(
        "created the demo exam %s: %s items, room %s, %s candidates",
        EXAM_CODE,
        len(DEMO_ITEMS),
        ROOM_CODE,
        len(candidates),
    )


def _make_room(session: Session) -> tuple[Room, dict[str, Seat]]:
    """Room R01 with its exam seats and the spares a standard room keeps."""
    room = Room(code=ROOM_CODE, site=SITE, proctor_key_sha256="")
    seats = {
        code: Seat(room=room, code=code, is_spare=False)
        for code in seat_codes(N_CANDIDATES)
    }
    spares = [
        Seat(room=room, code=code, is_spare=True)
        for code in seat_codes(spare_seats_needed(N_CANDIDATES), spare=True)
    ]
    session.add_all([*seats.values(), *spares])
    return room, seats


def _make_item(
    paper: Paper,
    position: int,
    spec: _ItemSpec,
    settings: Settings,
    prep_s: float,
    answer_s: float,
) -> Item:
    kind_zh = ITEM_KINDS[spec.kind.value]
    return Item(
        paper=paper,
        position=position,
        kind=spec.kind.value,
        title=f"第{position}节 {kind_zh}",
        instructions=spec.instructions,
        prompt_text=spec.prompt_text,
        prompt_script=spec.prompt_script,
        prompt_audio_sha256=store_prompt_audio(spec.prompt_lines, settings.prompts_dir),
        options=list(spec.options),
        answer_key=spec.answer_key,
        reference_text=spec.reference_text,
        reference_answers=list(spec.reference_answers),
        key_points=list(spec.key_points),
        prep_s=prep_s,
        answer_s=answer_s,
        points=float(ORAL_ITEM_POINTS[spec.kind.value]),
    )


def store_prompt_audio(lines: Sequence[tuple[str, str]], prompts_dir: Path) -> str:
    """Speak ``lines`` (voice, sentence) in turn into the prompt store.

    Returns the SHA-256 of the WAV file, which is also its name under
    ``prompts_dir``.
    """
    with tempfile.TemporaryDirectory(dir=prompts_dir) as scratch:
        pieces = []
        gap = np.zeros(round(SILENCE_BETWEEN_LINES_S * SR), dtype=np.float32)
        for number, (voice, sentence) in enumerate(lines):
            path = speak_to_wav(
                sentence, Path(scratch) / f"line{number}.wav", voice=voice, sr=SR
            )
            y, _ = sf.read(str(path), dtype="float32")
            pieces.extend([y, gap])
        joined = Path(scratch) / "prompt.wav"
        sf.write(str(joined), np.concatenate(pieces), SR, subtype="PCM_16")
        sha256 = hashlib.sha256(joined.read_bytes()).hexdigest()
        os.replace(joined, prompt_audio_path(prompts_dir, sha256))
    return sha256


def main(argv: Sequence[str] | None = None) -> int:
    """Build the demo, print how to use it, and serve it (unless ``--no-serve``)."""
    parser = argparse.ArgumentParser(
        prog="python -m exam_server demo",
        description="Build a demo oral exam and serve it on this machine.",
    )
    parser.add_argument("--host", help="address to listen on (EXAM_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (EXAM_PORT)")
    parser.add_argument("--data-dir", help="data folder (EXAM_DATA_DIR)")
    parser.add_argument(
        "--fast", action="store_true", help="2 s preparation and short answers"
    )
    parser.add_argument(
        "--no-serve", action="store_true", help="build the demo and exit"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    settings = _settings_from(args)
    from exam_server.db import make_engine, make_session_factory, upgrade_database

    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        info = build_demo(make_session_factory(engine), settings, fast=args.fast)
    finally:
        engine.dispose()
    print_instructions(info, settings, stream=sys.stdout)
    if args.no_serve:
        return 0

    import uvicorn

    from exam_server.app import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
    return 0


def _settings_from(args: argparse.Namespace) -> Settings:
    env = dict(os.environ)
    if args.data_dir:
        env["EXAM_DATA_DIR"] = args.data_dir
    settings = load_settings(env)
    if args.host:
        settings = replace(settings, host=args.host)
    if args.port:
        settings = replace(settings, port=args.port)
    return settings


def print_instructions(info: DemoInfo, settings: Settings, *, stream: TextIO) -> None:
    """Print the proctor URL, the admin token, a seat command and tickets."""
    base_url = f"http://{settings.host}:{settings.port}"
    first = info.candidates[0]
    lines = [
        "",
        f"Demo exam {info.exam_code} in {settings.data_dir}"
        + ("" if info.created else " (reused)"),
        f"  proctor page (room {info.room_code}):  {info.proctor_url(base_url)}",
        f"  proctor key:   {info.proctor_key}",
        f"  admin token:   {info.admin_token}",
        "  a seat:        make client "
        f"SEAT={first.seat_code} AUDIO={info.answers_dir}"
        + ("" if settings.port == 8000 else f" PORT={settings.port}"),
        "  or unattended: python -m exam_client seat "
        f"--server {base_url} --room {info.room_code} --seat {first.seat_code} "
        f"--audio-input {info.answers_dir} "
        f"--autopilot {info.autopilot_path(first.seat_code)}",
        "  tickets:",
    ]
    lines += [
        f"    {c.seat_code}  {c.ticket_number}  {c.name}" for c in info.candidates[:5]
    ]
    lines.append(f"    ... {len(info.candidates)} candidates in all")
    print("\n".join(lines), file=stream)
