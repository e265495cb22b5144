"""A typed HTTP client for the seat routes of the exam server.

Every method returns a data class of :mod:`exam_server.wire`. A reply with an
error status becomes :class:`~exam_client.errors.ServerRefused` carrying the
server's ``detail`` sentence; a network failure becomes
:class:`~exam_client.errors.ServerUnreachable`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, TypeVar

import httpx

from exam_client.errors import BadReply, ServerRefused, ServerUnreachable
from exam_server.wire import (
    ChoiceAnswer,
    PaperOut,
    SeatLogin,
    SeatLoginRequest,
    SeatState,
    SeatStateReport,
    SeatStatus,
    UploadReceipt,
    from_json,
    to_json,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 10.0


class ServerClient:
    """The seat's connection to the exam server.

    Parameters
    ----------
    base_url : str
        The server's address, for example ``http://10.0.0.2:8000``.
    timeout_s : float
        Seconds to wait for connecting and for each read or write.
    token : str or None
        The seat token of an earlier login (after a restart), if any.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ServerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # seat routes

    def login(self, room_code: str, seat_code: str, ticket_number: str) -> SeatLogin:
        """Log a candidate in at a seat and keep the seat token it returns."""
        body = SeatLoginRequest(
            room_code=room_code, seat_code=seat_code, ticket_number=ticket_number
        )
        reply = self._request("POST", "/api/seat/login", json=to_json(body))
        login = self._decode(SeatLogin, reply)
        self.token = login.token
        return login

    def paper(self) -> PaperOut:
        """Fetch the paper of the seat's sitting."""
        return self._decode(PaperOut, self._request("GET", "/api/seat/paper"))

    def prompt_audio(self, item_id: int) -> bytes:
        """Fetch an item's prompt audio as the bytes of a WAV file."""
        reply = self._request("GET", f"/api/seat/prompts/{item_id}")
        return reply.content

    def status(self) -> SeatStatus:
        """Ask for the seat's and the sitting's state."""
        return self._decode(SeatStatus, self._request("GET", "/api/seat/status"))

    def report_state(self, state: SeatState, detail: str = "") -> SeatStatus:
        """Tell the server (and so the proctor) the seat's new state."""
        body = to_json(SeatStateReport(state=state, detail=detail))
        reply = self._request("POST", "/api/seat/state", json=body)
        return self._decode(SeatStatus, reply)

    def upload_audio(self, item_id: int, path: Path, sha256: str) -> UploadReceipt:
        """Upload a recorded answer (a WAV file) with its SHA-256."""
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise BadReply(
                f"the recording {path} cannot be read for upload: {exc}"
            ) from exc
        reply = self._request(
            "PUT",
            f"/api/seat/responses/{item_id}/audio",
            files={"file": (path.name, content, "audio/wav")},
            data={"sha256": sha256},
        )
        return self._decode(UploadReceipt, reply)

    def upload_choice(self, item_id: int, choice: str) -> UploadReceipt:
        """Upload the option chosen for a listen-and-choose item."""
        body = to_json(ChoiceAnswer(choice=choice))
        reply = self._request("PUT", f"/api/seat/responses/{item_id}/choice", json=body)
        return self._decode(UploadReceipt, reply)

    # plumbing

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            reply = self._http.request(method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"the exam server at {self.base_url} did not answer {method} "
                f"{url} ({type(exc).__name__}: {exc}); check the network cable "
                "and that the room server is running"
            ) from exc
        logger.debug("%s %s -> %s", method, url, reply.status_code)
        if reply.status_code >= 400:
            raise ServerRefused(_detail_of(reply), reply.status_code)
        return reply

    def _decode(self, cls: type[T], reply: httpx.Response) -> T:
        try:
            return from_json(cls, reply.json())
        except ValueError as exc:
            raise BadReply(
                f"the server's reply to {reply.request.url.path} is not a "
                f"{cls.__name__}: {exc}; the seat program and the server may be "
                "of different versions"
            ) from exc


def _detail_of(reply: httpx.Response) -> str:
    """Return the server's ``detail`` sentence, or a description of the reply."""
    try:
        data = reply.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and "detail" in data:
        detail = data["detail"]
        if isinstance(detail, str):
            return detail
        # FastAPI's validation errors: a list of {loc, msg} objects
        if isinstance(detail, list):
            return "; ".join(_validation_message(d) for d in detail)
        return str(detail)
    text = reply.text.strip()[:200]
    return f"the server refused the request: {text or reply.reason_phrase}"


def _validation_message(entry: Any) -> str:
    if isinstance(entry, dict):
        where = ".".join(str(part) for part in entry.get("loc", []))
        return f"{where}: {entry.get('msg', entry)}"
    return str(entry)
