"""Refusals of the exam server, each carrying the HTTP status it answers with.

Route code raises these; the application turns every one into
``{"detail": "<sentence>"}`` with its status. A message says what was
refused, the value that caused it, and what the person should do next.
"""

from __future__ import annotations

from typing import Any

from standards.errors import PlatformError


class ServerError(PlatformError):
    """A request the server refuses; ``status_code`` is the HTTP status."""

    status_code = 400

    def __init__(self, message: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class NotAuthenticated(ServerError):
    """No credential, or one the server does not know."""

    status_code = 401


class Forbidden(ServerError):
    """A known credential that may not do this."""

    status_code = 403


class NotFound(ServerError):
    """A room, seat, ticket, item or exam that does not exist."""

    status_code = 404


class Conflict(ServerError):
    """A request that contradicts the stored state (a seat, a sitting, an answer)."""

    status_code = 409


class Unprocessable(ServerError):
    """A well-formed request whose content the server refuses (file, CSV, value)."""

    status_code = 422
