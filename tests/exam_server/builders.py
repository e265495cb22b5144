"""A small exam built straight from the models, and test helpers around it."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
from sqlalchemy.orm import Session, sessionmaker

from exam_server.auth import secret_sha256
from exam_server.identity import IdCipher
from exam_server.models import (
    Attempt,
    Candidate,
    Exam,
    Item,
    Paper,
    Room,
    Seat,
    Sitting,
)
from exam_server.settings import Settings
from exam_server.wire import ItemKind, SeatState, SittingState

ADMIN_TOKEN = "office-token-for-tests"
PROCTOR_KEY = "proctor-key-R01"
SR = 16_000

# tickets, names and valid id numbers (GB 11643 sample and two computed ones)
CANDIDATES = [
    ("20250001", "张三", "male", "11010519491231002X", "实验中学"),
    ("20250002", "李四", "female", "330106200801011233", "实验中学"),
    ("20250003", "王五", "male", "330106200802022348", "育才中学"),
]


class RecordingRunner:
    """A job runner that only remembers which jobs were submitted."""

    def __init__(self) -> None:
        self.submitted: list[int] = []
        self.started = False
        self.stopped = False

    def start(self) -> None:
        self.started = True

    def submit(self, job_id: int) -> None:
        self.submitted.append(job_id)

    def stop(self) -> None:
        self.stopped = True


@dataclass
class World:
    exam_code: str
    room_code: str
    sitting_id: int
    item_ids: list[int]  # in paper order: choose, read aloud, situational
    seats: dict[str, str] = field(default_factory=dict)  # ticket -> seat code


def tone_wav(*, duration_s: float, f0: float = 440.0, sr: int = SR) -> bytes:
    """Return a mono 16-bit WAV of a pure tone."""
    t = np.arange(int(duration_s * sr)) / sr
    y = 0.3 * np.sin(2 * np.pi * f0 * t)
    buffer = io.BytesIO()
    sf.write(buffer, y, sr, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_world(
    factory: sessionmaker[Session],
    settings: Settings,
    *,
    assign: bool = True,
    sitting_state: SittingState = SittingState.SCHEDULED,
) -> World:
    """Make an exam, a three-item paper, room R01 (3 seats, 1 spare), candidates.

    With ``assign``, candidate i sits at seat A0i.
    """
    settings.ensure_dirs()
    prompt = tone_wav(duration_s=0.5, f0=330.0)
    prompt_sha = sha256_hex(prompt)
    (settings.prompts_dir / f"{prompt_sha}.wav").write_bytes(prompt)
    cipher = IdCipher.from_data_dir(settings.data_dir)
    with factory() as session:
        exam = Exam(code="E2025", name="2025 听说考试", year=2025)
        paper = Paper(exam=exam, code="P1", title="Paper one")
        items = [
            Item(
                paper=paper,
                position=1,
                kind=ItemKind.LISTEN_CHOOSE,
                title="听后选择",
                prompt_text="Where is Tom going?",
                prompt_script="Tom is going to the library.",
                prompt_audio_sha256=prompt_sha,
                options=["A. park", "B. library", "C. school"],
                answer_key="B",
                prep_s=5,
                answer_s=5,
                points=1.0,
            ),
            Item(
                paper=paper,
                position=2,
                kind=ItemKind.READ_ALOUD,
                title="朗读短文",
                prompt_text="I like reading books.",
                reference_text="I like reading books.",
                prep_s=10,
                answer_s=4,
                points=3.0,
            ),
            Item(
                paper=paper,
                position=3,
                kind=ItemKind.SITUATIONAL,
                title="情景问答",
                prompt_text="What do you do on Sundays?",
                reference_answers=["I play football on Sundays."],
                key_points=["football"],
                prep_s=5,
                answer_s=4,
                points=2.0,
            ),
        ]
        room = Room(
            code="R01", site="第一中学", proctor_key_sha256=secret_sha256(PROCTOR_KEY)
        )
        seats = {
            code: Seat(room=room, code=code, is_spare=code.startswith("S"))
            for code in ("A01", "A02", "A03", "S01")
        }
        sitting = Sitting(room=room, paper=paper, code="AM1", state=sitting_state)
        session.add_all([exam, paper, *items, room, *seats.values(), sitting])
        world_seats = {}
        for index, (ticket, name, sex, id_number, school) in enumerate(CANDIDATES):
            candidate = Candidate(
                exam=exam,
                ticket_number=ticket,
                name=name,
                sex=sex,
                id_number_encrypted=cipher.encrypt(id_number),
                school=school,
            )
            session.add(candidate)
            if assign:
                seat_code = f"A0{index + 1}"
                session.add(
                    Attempt(
                        sitting=sitting,
                        candidate=candidate,
                        seat=seats[seat_code],
                        state=SeatState.NOT_LOGGED_IN,
                    )
                )
                world_seats[ticket] = seat_code
        session.commit()
        return World(
            exam_code=exam.code,
            room_code=room.code,
            sitting_id=sitting.id,
            item_ids=[item.id for item in items],
            seats=world_seats,
        )


def files_under(folder: Path) -> list[str]:
    """Return the relative paths of the files under ``folder``, sorted."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
