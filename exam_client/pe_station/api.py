"""A typed HTTP client for the PE station routes of the exam server.

It is the seat's :class:`~exam_client.api.ServerClient` (same timeouts, same
error translation: :class:`~exam_client.errors.ServerRefused` with the
server's sentence, :class:`~exam_client.errors.ServerUnreachable`) with the
station key as its bearer token and the ``/api/pe/station`` routes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from exam_client.api import DEFAULT_TIMEOUT_S, ServerClient
from exam_client.errors import BadReply
from exam_server.wire import (
    PeCandidateCard,
    PeCheckinRequest,
    PeConfirmRequest,
    PeEvidenceKind,
    PeEvidenceOut,
    PeItemResult,
    PeRetestOut,
    PeRetestRequest,
    PeStationInfo,
    PeTrialIn,
    PeTrialOut,
    to_json,
)

logger = logging.getLogger(__name__)

STATION = "/api/pe/station"


class StationClient(ServerClient):
    """A PE station's connection to the exam server.

    Parameters
    ----------
    base_url : str
        The server's address, for example ``http://10.0.0.2:8000``.
    station_key : str
        The key the exam office gave this station (shown once at creation).
    timeout_s : float
        Seconds to wait for connecting and for each read or write.
    """

    def __init__(
        self, base_url: str, station_key: str, *, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        super().__init__(base_url, timeout_s=timeout_s, token=station_key)

    def __enter__(self) -> StationClient:
        return self

    def station(self) -> PeStationInfo:
        """Who this station is: its code, name and item."""
        return self._decode(PeStationInfo, self._request("GET", STATION))

    def look_up(self, ticket_number: str) -> PeCandidateCard:
        """A candidate's card without checking in."""
        reply = self._request("GET", f"{STATION}/candidates/{ticket_number}")
        return self._decode(PeCandidateCard, reply)

    def check_in(self, ticket_number: str) -> PeCandidateCard:
        """Check a candidate in for the station's item; opens an attempt."""
        body = to_json(PeCheckinRequest(ticket_number=ticket_number))
        reply = self._request("POST", f"{STATION}/checkin", json=body)
        return self._decode(PeCandidateCard, reply)

    def attempt(self, attempt_id: int) -> PeCandidateCard:
        """The candidate's card for an open or finished attempt."""
        reply = self._request("GET", f"{STATION}/attempts/{attempt_id}")
        return self._decode(PeCandidateCard, reply)

    def add_trial(self, attempt_id: int, trial: PeTrialIn) -> PeTrialOut:
        """Store one trial's result (sending the same trial again is harmless)."""
        reply = self._request(
            "POST", f"{STATION}/attempts/{attempt_id}/trials", json=to_json(trial)
        )
        return self._decode(PeTrialOut, reply)

    def upload_evidence(
        self,
        trial_id: int,
        path: Path,
        sha256: str,
        *,
        kind: PeEvidenceKind = PeEvidenceKind.CLIP,
    ) -> PeEvidenceOut:
        """Upload a trial's evidence file with its SHA-256."""
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise BadReply(
                f"the evidence file {path} cannot be read for upload: {exc}"
            ) from exc
        media = "video/mp4" if kind is PeEvidenceKind.CLIP else "text/plain"
        reply = self._request(
            "PUT",
            f"{STATION}/trials/{trial_id}/evidence",
            files={"file": (path.name, content, media)},
            data={"sha256": sha256, "kind": kind.value},
        )
        return self._decode(PeEvidenceOut, reply)

    def confirm(self, attempt_id: int, request: PeConfirmRequest) -> PeItemResult:
        """The candidate confirms the result shown; final on the server."""
        reply = self._request(
            "POST", f"{STATION}/attempts/{attempt_id}/confirm", json=to_json(request)
        )
        return self._decode(PeItemResult, reply)

    def request_retest(self, request: PeRetestRequest) -> PeRetestOut:
        """File a retest (补测) request: how a disputed result reaches arbitration."""
        reply = self._request("POST", f"{STATION}/retests", json=to_json(request))
        return self._decode(PeRetestOut, reply)
