"""The proctor's page: one exam room's seats, live, with room start and end.

``GET /proctor`` serves a static page (``static/proctor.html`` with its
script and style, no build step and nothing fetched from the internet: the
exam room's network is cut off). The page logs in with the room code and
the room's proctor key, polls ``GET /api/rooms/{room}/board`` every second
and calls the sitting routes. A click on a seat (or Enter on it) opens a
panel to mark the candidate absent or abnormal, or move them to a free
spare seat, each with a reason and a confirmation; a refusal shows the
server's sentence. A board older than five seconds is flagged as not to be
trusted. ``GET /proctor/labels.json`` gives the Chinese and English labels
of the states it shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from exam_server.errors import NotFound
from exam_server.wire import SeatState, SittingState
from standards.glossary import SEAT_STATES, SITTING_STATES

STATIC_DIR = Path(__file__).resolve().parent / "static"

_STATIC_FILES = {
    "proctor.js": "text/javascript; charset=utf-8",
    "proctor.css": "text/css; charset=utf-8",
}
"""The files under ``/static``, by name; nothing else there is served."""

_NO_STORE = {"Cache-Control": "no-store"}

router = APIRouter()


@router.get("/proctor", include_in_schema=False)
def proctor_page() -> FileResponse:
    """The proctor page of a room (the room and key are entered on the page)."""
    return FileResponse(
        STATIC_DIR / "proctor.html",
        media_type="text/html; charset=utf-8",
        headers=_NO_STORE,
    )


@router.get("/static/{name}", include_in_schema=False)
def static_file(name: str) -> FileResponse:
    """The proctor page's script and style."""
    media_type = _STATIC_FILES.get(name)
    if media_type is None:
        raise NotFound(f"there is no static file {name!r}")
    return FileResponse(STATIC_DIR / name, media_type=media_type, headers=_NO_STORE)


@router.get("/proctor/labels.json", include_in_schema=False)
def labels() -> dict[str, Any]:
    """Chinese and English labels of seat and sitting states."""
    return {
        "seat_states": {
            state.value: {
                "zh": SEAT_STATES[state.value],
                "en": state.value.replace("_", " "),
            }
            for state in SeatState
        },
        "sitting_states": {
            state.value: {"zh": SITTING_STATES[state.value], "en": state.value}
            for state in SittingState
        },
    }
