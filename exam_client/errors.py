"""The seat program's own exceptions.

The seat program reaches the server only over HTTP and imports nothing of the
platform but the wire schemas, so it has its own root, :class:`ClientError`.
Messages are sentences for the proctor who reads the seat's screen or log:
they name the input, the bad value, the limit and what to do.
"""

from __future__ import annotations


class ClientError(Exception):
    """A failure the seat program explains to a person."""


class ServerUnreachable(ClientError):
    """The server did not answer: network down, server stopped, timeout."""


class ServerRefused(ClientError):
    """The server answered with an error status and a reason.

    Parameters
    ----------
    message : str
        The server's ``detail`` sentence (or a description of the reply).
    status : int
        The HTTP status code of the reply.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return f"{self.message} (HTTP {self.status})"


class BadReply(ClientError):
    """The server's reply does not match the wire schema the seat expects."""


class EntryMismatch(ClientError):
    """The two ticket number entries differ or one of them is empty."""


class JournalError(ClientError):
    """The seat's local journal or a recording in it cannot be used."""


class AudioError(ClientError):
    """An audio device or an audio file cannot be used."""


class SessionError(ClientError):
    """A step of the exam was asked for in a state that does not allow it."""
