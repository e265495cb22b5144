"""Routes of the seat program: login, paper, prompts, status, state, answers.

Login rules (断点续考 and late arrivals):

* A seat logs in with the room code, its seat code and the candidate's
  ticket number; the ticket must be assigned to that very seat in the room's
  current sitting.
* Logging in again (after a crash, or at the spare seat the proctor moved
  the candidate to) hands out a new token; the old one stops working. The
  answer lists the items whose answers the server already holds.
* After the room start, only a candidate who had logged in before the start
  may log in (to resume); a late arrival goes to a later sitting.
* No login after the room end, and none for a candidate marked absent.

Answers recorded before the room end may arrive after it: seats upload at
the end, and a slow network must not cost a child an answer.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import string
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exam_server import storage
from exam_server.auth import SeatAttempt, secret_sha256
from exam_server.errors import Conflict, Forbidden, NotFound, Unprocessable
from exam_server.models import (
    Attempt,
    Candidate,
    Item,
    Response,
    ScoringJob,
    Seat,
    Sitting,
)
from exam_server.results import current_sitting
from exam_server.routes.common import answered_item_ids, room_by_code, sitting_info
from exam_server.routes.deps import SessionDep, SettingsDep
from exam_server.timeutil import as_utc, iso, now_iso
from exam_server.wire import (
    CandidateCard,
    ChoiceAnswer,
    ItemKind,
    ItemOut,
    PaperOut,
    SeatLogin,
    SeatLoginRequest,
    SeatState,
    SeatStateReport,
    SeatStatus,
    SittingState,
    UploadReceipt,
)

logger = logging.getLogger(__name__)

router = APIRouter()

# the moves a seat may report for itself, from each state
SEAT_MOVES: dict[SeatState, frozenset[SeatState]] = {
    SeatState.NOT_LOGGED_IN: frozenset(),
    SeatState.LOGGED_IN: frozenset(
        {SeatState.DEVICE_CHECK, SeatState.WAITING, SeatState.IN_EXAM}
    ),
    SeatState.DEVICE_CHECK: frozenset(
        {SeatState.LOGGED_IN, SeatState.WAITING, SeatState.IN_EXAM}
    ),
    SeatState.WAITING: frozenset({SeatState.DEVICE_CHECK, SeatState.IN_EXAM}),
    SeatState.IN_EXAM: frozenset({SeatState.UPLOADING, SeatState.FINISHED}),
    SeatState.UPLOADING: frozenset({SeatState.FINISHED}),
    SeatState.ABNORMAL: frozenset(
        {
            SeatState.LOGGED_IN,
            SeatState.DEVICE_CHECK,
            SeatState.WAITING,
            SeatState.IN_EXAM,
            SeatState.UPLOADING,
            SeatState.FINISHED,
        }
    ),
    SeatState.FINISHED: frozenset(),
    SeatState.ABSENT: frozenset(),
}
"""Besides these, any live state may go to ABNORMAL, and staying put is allowed."""


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("/api/seat/login")
def login(body: SeatLoginRequest, session: SessionDep) -> SeatLogin:
    """Check the ticket against the seat and hand out a fresh seat token."""
    room = room_by_code(session, body.room_code)
    seat = _seat_in_room(session, room.id, room.code, body.seat_code)
    sitting = current_sitting(session, room)
    if sitting is None:
        raise Conflict(f"room {room.code} has no sitting; ask the proctor")
    if sitting.state == SittingState.ENDED:
        raise Conflict(
            f"sitting {sitting.code} of room {room.code} has ended; no more logins"
        )
    attempt = _attempt_for_ticket(session, sitting, body.ticket_number, seat)
    if attempt.state == SeatState.ABSENT:
        raise Forbidden(
            f"准考证号 {body.ticket_number} was marked absent (缺考) by the "
            "proctor; ask the proctor"
        )
    if sitting.state == SittingState.STARTED and attempt.logged_in_at is None:
        raise Conflict(
            f"room {room.code} started at {iso(sitting.started_at)} and "
            f"准考证号 {body.ticket_number} had not logged in before; a late "
            "candidate sits a later sitting: see the proctor"
        )

    token = secrets.token_urlsafe(32)
    now = _now()
    attempt.token_sha256 = secret_sha256(token)
    attempt.logged_in_at = attempt.logged_in_at or now
    attempt.last_seen_at = now
    if attempt.state != SeatState.FINISHED:
        attempt.state = SeatState.LOGGED_IN
    session.commit()
    logger.info(
        "login: ticket %s at seat %s of room %s",
        body.ticket_number,
        seat.code,
        room.code,
    )
    candidate = attempt.candidate
    return SeatLogin(
        token=token,
        candidate=CandidateCard(
            ticket_number=candidate.ticket_number,
            name=candidate.name,
            school=candidate.school,
        ),
        sitting=sitting_info(sitting),
        seat_code=seat.code,
        answered_item_ids=answered_item_ids(attempt),
    )


def _seat_in_room(session: Session, room_id: int, room_code: str, code: str) -> Seat:
    seat = session.scalars(
        select(Seat).where(Seat.room_id == room_id, Seat.code == code)
    ).first()
    if seat is None:
        raise NotFound(
            f"room {room_code} has no seat {code!r}; check the label on the desk"
        )
    return seat


def _attempt_for_ticket(
    session: Session, sitting: Sitting, ticket_number: str, seat: Seat
) -> Attempt:
    """Return the ticket's attempt in ``sitting`` at ``seat``, or explain why not."""
    room_code = sitting.room.code
    candidate = session.scalars(
        select(Candidate).where(
            Candidate.exam_id == sitting.paper.exam_id,
            Candidate.ticket_number == ticket_number,
        )
    ).first()
    if candidate is None:
        raise NotFound(
            f"准考证号 {ticket_number} is not on the candidate list of this exam; "
            "check the number on the admission ticket"
        )
    attempt = session.scalars(
        select(Attempt).where(
            Attempt.sitting_id == sitting.id, Attempt.candidate_id == candidate.id
        )
    ).first()
    if attempt is None:
        elsewhere = session.scalars(
            select(Attempt)
            .join(Sitting)
            .where(
                Attempt.candidate_id == candidate.id,
                Sitting.state != SittingState.ENDED,
            )
        ).first()
        if elsewhere is not None:
            raise Conflict(
                f"准考证号 {ticket_number} is assigned to seat "
                f"{elsewhere.seat.code} in room {elsewhere.sitting.room.code}, "
                f"not {seat.code} in room {room_code}: go to that room, or ask "
                "the proctor"
            )
        raise Conflict(
            f"准考证号 {ticket_number} has no seat in room {room_code}'s sitting "
            f"{sitting.code}; ask the proctor"
        )
    if attempt.seat_id != seat.id:
        raise Conflict(
            f"准考证号 {ticket_number} is assigned to seat {attempt.seat.code} in "
            f"room {room_code}, not {seat.code}: go to seat {attempt.seat.code}, "
            "or ask the proctor to move you"
        )
    return attempt


@router.get("/api/seat/paper")
def paper(attempt: SeatAttempt) -> PaperOut:
    """The paper of the seat's sitting, without keys, references or scripts."""
    the_paper = attempt.sitting.paper
    return PaperOut(
        paper_id=the_paper.id,
        code=the_paper.code,
        title=the_paper.title,
        items=[_item_out(item) for item in the_paper.items],
    )


def _item_out(item: Item) -> ItemOut:
    return ItemOut(
        item_id=item.id,
        position=item.position,
        kind=ItemKind(item.kind),
        title=item.title,
        instructions=item.instructions,
        prompt_text=item.prompt_text,
        options=[str(option) for option in item.options],
        prompt_audio_sha256=item.prompt_audio_sha256,
        prep_s=item.prep_s,
        answer_s=item.answer_s,
        points=item.points,
    )


def _paper_item(attempt: Attempt, item_id: int) -> Item:
    for item in attempt.sitting.paper.items:
        if item.id == item_id:
            return item
    raise NotFound(f"item {item_id} is not on this seat's paper")


@router.get("/api/seat/prompts/{item_id}", response_class=FileResponse)
def prompt_audio(
    item_id: int, attempt: SeatAttempt, settings: SettingsDep
) -> FileResponse:
    """The prompt audio of one item of the seat's paper, as WAV."""
    item = _paper_item(attempt, item_id)
    if not item.prompt_audio_sha256:
        raise NotFound(f"item {item.position} ({item.title}) has no prompt audio")
    path = storage.prompt_audio_path(settings.prompts_dir, item.prompt_audio_sha256)
    if not path.is_file():
        logger.error("prompt audio %s of item %s is missing", path.name, item.id)
        raise NotFound(
            f"the prompt audio of item {item.position} is missing on the server; "
            "tell the exam office"
        )
    return FileResponse(path, media_type="audio/wav")


def _status(attempt: Attempt) -> SeatStatus:
    return SeatStatus(
        seat_code=attempt.seat.code,
        seat_state=SeatState(attempt.state),
        sitting_state=SittingState(attempt.sitting.state),
        answered_item_ids=answered_item_ids(attempt),
        server_time=now_iso(),
    )


@router.get("/api/seat/status")
def status(attempt: SeatAttempt, session: SessionDep) -> SeatStatus:
    """Where the seat and its sitting are, and which answers the server holds."""
    attempt.last_seen_at = _now()
    session.commit()
    return _status(attempt)


@router.post("/api/seat/state")
def report_state(
    body: SeatStateReport, attempt: SeatAttempt, session: SessionDep
) -> SeatStatus:
    """Move the seat to the state it reports, when that move is possible."""
    current = SeatState(attempt.state)
    wanted = body.state
    _check_move(attempt, current, wanted)
    attempt.state = wanted
    attempt.state_detail = body.detail
    attempt.last_seen_at = _now()
    if wanted == SeatState.FINISHED and attempt.finished_at is None:
        attempt.finished_at = attempt.last_seen_at
    session.commit()
    if wanted != current:
        logger.info(
            "seat %s of room %s: %s -> %s",
            attempt.seat.code,
            attempt.sitting.room.code,
            current,
            wanted,
        )
    return _status(attempt)


def _check_move(attempt: Attempt, current: SeatState, wanted: SeatState) -> None:
    if wanted == current:
        return
    live = current not in (SeatState.FINISHED, SeatState.ABSENT)
    allowed = SEAT_MOVES[current] | ({SeatState.ABNORMAL} if live else set())
    if wanted not in allowed:
        raise Conflict(
            f"seat {attempt.seat.code} is {current.value} and cannot move to "
            f"{wanted.value}; possible: {', '.join(sorted(allowed)) or 'none'}"
        )
    sitting_state = SittingState(attempt.sitting.state)
    if wanted == SeatState.IN_EXAM and sitting_state != SittingState.STARTED:
        raise Conflict(
            f"seat {attempt.seat.code} cannot start the exam: the room is "
            f"{sitting_state.value}, wait for the proctor's room start"
        )
    if wanted == SeatState.FINISHED:
        missing = len(attempt.sitting.paper.items) - len(attempt.responses)
        if missing > 0:
            raise Conflict(
                f"seat {attempt.seat.code} cannot finish: {missing} answers have "
                "not reached the server yet; upload them first"
            )


def _check_can_answer(attempt: Attempt) -> None:
    if attempt.state == SeatState.ABSENT:
        raise Forbidden("this candidate was marked absent; answers are refused")
    if attempt.sitting.state == SittingState.SCHEDULED:
        raise Conflict("the room has not started yet; no answers are taken before")


@router.put("/api/seat/responses/{item_id}/audio")
def upload_audio(
    item_id: int,
    request: Request,
    attempt: SeatAttempt,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="the recorded answer, WAV")],
    sha256: Annotated[str, Form(description="hex SHA-256 of the file")],
) -> UploadReceipt:
    """Keep one recorded answer, once, after checking its hash and its audio."""
    item = _paper_item(attempt, item_id)
    _check_can_answer(attempt)
    if item.kind == ItemKind.LISTEN_CHOOSE:
        raise Unprocessable(
            f"item {item.position} is answered by choosing an option, not by a "
            "recording; send the choice instead"
        )
    expected = storage.normalize_sha256(sha256)
    _refuse_second_answer(session, attempt, item, expected)
    staged = storage.stage_upload(
        file.file,
        responses_dir=settings.responses_dir,
        expected_sha256=expected,
        max_duration_s=item.answer_s + storage.ANSWER_TIME_MARGIN_S,
    )
    relative = storage.keep_staged(staged, responses_dir=settings.responses_dir)
    return _record_answer(
        request,
        session,
        attempt,
        item,
        Response(
            attempt_id=attempt.id,
            item_id=item.id,
            sha256=expected,
            audio_path=relative,
            duration_s=staged.duration_s,
        ),
    )


@router.put("/api/seat/responses/{item_id}/choice")
def upload_choice(
    item_id: int,
    body: ChoiceAnswer,
    request: Request,
    attempt: SeatAttempt,
    session: SessionDep,
) -> UploadReceipt:
    """Keep the option chosen for a listen-and-choose item."""
    item = _paper_item(attempt, item_id)
    _check_can_answer(attempt)
    if item.kind != ItemKind.LISTEN_CHOOSE:
        raise Unprocessable(
            f"item {item.position} is answered by speaking, not by choosing; "
            "upload the recording instead"
        )
    letters = string.ascii_uppercase[: len(item.options)]
    choice = body.choice.strip().upper()
    if len(choice) != 1 or choice not in letters:
        raise Unprocessable(
            f"choice {body.choice!r} is not one of item {item.position}'s options "
            f"{', '.join(letters)}"
        )
    digest = hashlib.sha256(choice.encode("ascii")).hexdigest()
    _refuse_second_answer(session, attempt, item, digest)
    return _record_answer(
        request,
        session,
        attempt,
        item,
        Response(attempt_id=attempt.id, item_id=item.id, sha256=digest, choice=choice),
    )


def _existing_response(
    session: Session, attempt: Attempt, item: Item
) -> Response | None:
    return session.scalars(
        select(Response).where(
            Response.attempt_id == attempt.id, Response.item_id == item.id
        )
    ).first()


def _refuse_second_answer(
    session: Session, attempt: Attempt, item: Item, sha256: str
) -> None:
    existing = _existing_response(session, attempt, item)
    if existing is not None and existing.sha256 != sha256:
        raise Conflict(
            f"item {item.position} already has a different answer (SHA-256 "
            f"{existing.sha256[:12]}..., received {iso(existing.received_at)}); "
            "the first answer is kept"
        )


def _record_answer(
    request: Request,
    session: Session,
    attempt: Attempt,
    item: Item,
    response: Response,
) -> UploadReceipt:
    """Store a new answer with its scoring job, or count a repeat of the same one."""
    existing = _existing_response(session, attempt, item)
    if existing is None:
        job = ScoringJob(response=response)
        session.add_all([response, job])
        try:
            session.flush()
            _finish_when_complete(session, attempt)
            session.commit()
        except IntegrityError:
            # the same answer arrived twice at once; the other request stored it
            session.rollback()
            existing = _existing_response(session, attempt, item)
            if existing is None:
                raise
        else:
            logger.info(
                "answer: item %s of seat %s in room %s (%s)",
                item.position,
                attempt.seat.code,
                attempt.sitting.room.code,
                response.sha256[:12],
            )
            _submit(request, job.id)
            return _receipt(response, duplicate=False)
    if existing.sha256 != response.sha256:
        _refuse_second_answer(session, attempt, item, response.sha256)
    existing.upload_count += 1
    session.commit()
    logger.info(
        "repeated answer: item %s of seat %s (%s uploads)",
        item.position,
        attempt.seat.code,
        existing.upload_count,
    )
    return _receipt(existing, duplicate=True)


def _finish_when_complete(session: Session, attempt: Attempt) -> None:
    answered = session.scalar(
        select(func.count(Response.id)).where(Response.attempt_id == attempt.id)
    )
    if answered == len(attempt.sitting.paper.items):
        if attempt.state != SeatState.FINISHED:
            logger.info("seat %s: every answer arrived", attempt.seat.code)
        attempt.state = SeatState.FINISHED
        attempt.finished_at = attempt.finished_at or _now()


def _submit(request: Request, job_id: int) -> None:
    try:
        request.app.state.job_runner.submit(job_id)
    except Exception:
        # the answer and its queued job are committed; the runner requeues
        # queued jobs when it starts, so the seat must not see a failure
        logger.exception("scoring job %s could not be submitted now", job_id)


def _receipt(response: Response, *, duplicate: bool) -> UploadReceipt:
    return UploadReceipt(
        item_id=response.item_id,
        sha256=response.sha256,
        duplicate=duplicate,
        received_at=iso(as_utc(response.received_at)) or "",
    )
