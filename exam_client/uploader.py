"""The background uploader: journaled answers to the server, until confirmed.

One thread takes the answers the journal holds as pending and uploads them
in item order. An answer counts as delivered only when the server's receipt
names the same SHA-256 that the journal holds. While the server cannot be
reached (or answers with a passing error: 5xx, 408, 429) the uploader waits
and tries again, the wait doubling from ``backoff_s`` up to
``max_backoff_s``; it never gives up on such failures, so a room server that
restarts does not lose an answer. A refusal (any other 4xx, 409 and 422
among them) is final: it is written into the journal and reported, and the
seat shows itself abnormal for a proctor to handle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from exam_client.api import ServerClient
from exam_client.errors import (
    BadReply,
    JournalError,
    ServerRefused,
    ServerUnreachable,
)
from exam_client.journal import Journal, StoredAnswer, file_sha256
from exam_client.retry import RETRY_STATUSES as RETRY_STATUSES
from exam_client.retry import BackgroundSender, is_passing
from exam_server.wire import UploadReceipt

logger = logging.getLogger(__name__)


@dataclass
class UploadListener:
    """Callbacks of the uploader, called on its own thread."""

    confirmed: Callable[[StoredAnswer, UploadReceipt], None] = lambda a, r: None
    refused: Callable[[StoredAnswer, str], None] = lambda a, why: None
    retrying: Callable[[StoredAnswer, str, float], None] = lambda a, why, s: None


class Uploader(BackgroundSender):
    """Uploads a journal's pending answers on a background thread.

    Parameters
    ----------
    journal : Journal
        Where the answers and their upload state live.
    client : ServerClient
        A client with the seat token set, used by this thread only.
    listener : UploadListener or None
        Told about every receipt, refusal and retry.
    backoff_s, max_backoff_s : float
        The first and the longest wait between attempts, in seconds.
    """

    def __init__(
        self,
        journal: Journal,
        client: ServerClient,
        *,
        listener: UploadListener | None = None,
        backoff_s: float = 0.5,
        max_backoff_s: float = 5.0,
    ) -> None:
        super().__init__(
            thread_name="answer-uploader",
            backoff_s=backoff_s,
            max_backoff_s=max_backoff_s,
        )
        self.journal = journal
        self.client = client
        self.listener = listener or UploadListener()

    def pending(self) -> bool:
        """Whether an answer waits for upload."""
        return bool(self.journal.pending_uploads())

    def _walk(self) -> float | None:
        for stored in self.journal.pending_uploads():
            self._check_stopping()
            try:
                failed_wait = self._deliver(stored)
            except JournalError as exc:
                # the disk may come back (space freed): keep the thread alive
                failed_wait = self._retry(stored, str(exc))
            if failed_wait is not None:
                return failed_wait
        return None

    def _deliver(self, stored: StoredAnswer) -> float | None:
        """Upload one answer; return the wait before a retry, or None."""
        if stored.path is not None and not _matches(stored.path, stored.sha256):
            self._refuse(stored, 0, "the file on disk is gone or no longer matches")
            return None
        try:
            receipt = self._send(stored)
        except ServerRefused as exc:
            if is_passing(exc):
                return self._retry(stored, str(exc))
            self._refuse(stored, exc.status, exc.message)
            return None
        except (ServerUnreachable, BadReply) as exc:
            return self._retry(stored, str(exc))
        if receipt.sha256 != stored.sha256 or receipt.item_id != stored.item_id:
            self._refuse(
                stored,
                200,
                f"the server confirmed item {receipt.item_id} with SHA-256 "
                f"{receipt.sha256[:12]}, not item {stored.item_id} with "
                f"{stored.sha256[:12]}",
            )
            return None
        self.journal.confirm_upload(stored.item_id, receipt)
        self._backoff.reset()
        logger.info(
            "item %s confirmed by the server (sha256 %s%s)",
            stored.position,
            receipt.sha256[:12],
            ", already held" if receipt.duplicate else "",
        )
        self.listener.confirmed(stored, receipt)
        return None

    def _send(self, stored: StoredAnswer) -> UploadReceipt:
        if stored.path is not None:
            return self.client.upload_audio(stored.item_id, stored.path, stored.sha256)
        if stored.choice is None:
            raise BadReply(f"item {stored.item_id}: a journaled answer has no content")
        return self.client.upload_choice(stored.item_id, stored.choice)

    def _retry(self, stored: StoredAnswer, why: str) -> float:
        wait_s = self._backoff.next_wait()
        logger.warning(
            "upload of item %s failed, retrying in %.1f s: %s",
            stored.position,
            wait_s,
            why,
        )
        self.listener.retrying(stored, why, wait_s)
        return wait_s

    def _refuse(self, stored: StoredAnswer, status: int, reason: str) -> None:
        self.journal.record_refusal(stored.item_id, status=status, reason=reason)
        logger.error("upload of item %s refused: %s", stored.position, reason)
        self.listener.refused(stored, reason)


def _matches(path: Path, sha256: str) -> bool:
    try:
        return file_sha256(path) == sha256
    except OSError:
        return False
