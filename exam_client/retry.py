"""The background sending loop shared by the seat's and the station's uploaders.

A sender walks its journal on its own thread and sends what is pending. A
failure that passes (the server cannot be reached, or answers 5xx, 408, 425
or 429) is tried again after a wait that doubles from ``backoff_s`` up to
``max_backoff_s``; any other refusal is final and the subclass journals it.
The sender never gives up on passing failures, so a server that restarts
does not lose what the journal holds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from exam_client.errors import BadReply, ClientError, ServerRefused, ServerUnreachable

# Statuses that say "try again later" rather than "this is wrong".
RETRY_STATUSES = frozenset({408, 425, 429})


def is_passing(exc: ClientError) -> bool:
    """Whether a failure to send is worth trying again later."""
    if isinstance(exc, ServerUnreachable | BadReply):
        return True
    return isinstance(exc, ServerRefused) and (
        exc.status >= 500 or exc.status in RETRY_STATUSES
    )


@dataclass
class Backoff:
    """A wait that doubles after each failure, from ``first_s`` up to ``max_s``."""

    first_s: float
    max_s: float
    current_s: float = field(init=False)

    def __post_init__(self) -> None:
        self.current_s = self.first_s

    def next_wait(self) -> float:
        wait = self.current_s
        self.current_s = min(self.current_s * 2, self.max_s)
        return wait

    def reset(self) -> None:
        self.current_s = self.first_s


class _Stopped(Exception):
    """The sender was asked to stop in the middle of a walk."""


class BackgroundSender:
    """Walks a journal on a background thread until nothing is pending.

    A subclass implements :meth:`_walk` (send what is pending; return the
    wait in seconds before the next walk after a passing failure, or None
    when done) and :meth:`pending`.

    Parameters
    ----------
    thread_name : str
        The name of the sending thread, as logs and debuggers show it.
    backoff_s, max_backoff_s : float
        The first and the longest wait between attempts, in seconds.
    """

    def __init__(
        self, *, thread_name: str, backoff_s: float, max_backoff_s: float
    ) -> None:
        self._backoff = Backoff(first_s=backoff_s, max_s=max_backoff_s)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._busy = False
        self._thread = threading.Thread(target=self._run, name=thread_name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Look at the journal now (something new was journaled)."""
        with self._idle:
            self._busy = True
        self._wake.set()

    def stop(self, *, timeout_s: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def pending(self) -> bool:
        """Whether the journal holds anything this sender could send now."""
        raise NotImplementedError

    def wait_idle(self, *, timeout_s: float | None = None) -> bool:
        """Wait until nothing can be sent; return False on timeout."""
        with self._idle:
            return self._idle.wait_for(
                lambda: not self._busy and not self.pending(), timeout=timeout_s
            )

    def _walk(self) -> float | None:
        raise NotImplementedError

    def _check_stopping(self) -> None:
        """End the walk, and the thread, when the sender is asked to stop."""
        if self._stopping.is_set():
            raise _Stopped

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            with self._idle:
                self._busy = True
            try:
                wait_s = self._walk()
            except _Stopped:
                return
            if wait_s is not None:
                self._wake.wait(wait_s)
                continue
            with self._idle:
                self._busy = False
                self._idle.notify_all()
            self._wake.wait()
