"""Who may call what: seat tokens, room proctor keys and the admin token.

Every credential travels as ``Authorization: Bearer <secret>``. The server
keeps only SHA-256 digests of seat tokens and proctor keys, and compares
secrets in constant time. A missing or unknown credential answers 401; a
known one used outside its reach (another room's key) answers 403.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import select

from exam_server.errors import Forbidden, NotAuthenticated
from exam_server.models import Attempt, Room
from exam_server.routes.deps import SessionDep, SettingsDep

ADMIN_ACTOR = "admin"


def secret_sha256(secret: str) -> str:
    """Return the hex SHA-256 of ``secret`` (UTF-8), as rooms and attempts store it."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def bearer_secret(request: Request) -> str:
    """Return the secret of the request's ``Authorization: Bearer`` header."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthenticated(
            "this request needs an 'Authorization: Bearer <token>' header: "
            "a seat logs in first; a proctor gives the room's proctor key"
        )
    return secret.strip()


def is_admin_secret(secret: str, admin_token: str) -> bool:
    return hmac.compare_digest(secret.encode("utf-8"), admin_token.encode("utf-8"))


def seat_attempt(request: Request, session: SessionDep) -> Attempt:
    """Return the attempt whose current seat token the request carries."""
    secret = bearer_secret(request)
    attempt = session.scalars(
        select(Attempt).where(Attempt.token_sha256 == secret_sha256(secret))
    ).first()
    if attempt is None:
        raise NotAuthenticated(
            "this seat token is no longer valid: a newer login replaced it or "
            "the proctor moved the candidate to another seat; log in again"
        )
    return attempt


def admin_actor(request: Request, settings: SettingsDep) -> str:
    """Return the actor name of an exam-office request, or refuse it."""
    secret = bearer_secret(request)
    if not is_admin_secret(secret, settings.resolved_admin_token()):
        raise Forbidden(
            "this route is for the exam office and the token given is not the "
            "admin token; ask the exam office"
        )
    return ADMIN_ACTOR


def proctor_actor(request: Request, settings: SettingsDep, room: Room) -> str:
    """Return the actor name when the request holds ``room``'s key or the admin's.

    Called by routes after they have found the room, since the room comes
    from a room code or from a sitting.
    """
    secret = bearer_secret(request)
    if is_admin_secret(secret, settings.resolved_admin_token()):
        return ADMIN_ACTOR
    if hmac.compare_digest(secret_sha256(secret), room.proctor_key_sha256):
        return f"proctor:{room.code}"
    raise Forbidden(
        f"the key given is not the proctor key of room {room.code}; use the key "
        "printed for this room, or ask the exam office"
    )


SeatAttempt = Annotated[Attempt, Depends(seat_attempt)]
AdminActor = Annotated[str, Depends(admin_actor)]
