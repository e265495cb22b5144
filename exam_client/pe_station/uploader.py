"""The station's background uploader: trials, clips and decisions, in order.

One thread walks the journal: first every trial's result (the server
answers with its trial id), then every clip of a trial the server holds
(confirmed only when the server names the same SHA-256), then every
candidate's decision whose attempt has all its trials and clips settled: a
confirmation (:meth:`StationClient.confirm`) or a dispute, which files a
retest request with the candidate's reason so the exam office decides it on
the kept evidence (仲裁). A server that cannot be reached, or answers with a
passing error (5xx, 408, 425, 429), is tried again, the wait doubling from
``backoff_s`` to ``max_backoff_s``; any other refusal is final, journaled and
reported for an examiner to handle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from exam_client.durable import file_sha256
from exam_client.errors import ClientError, ServerRefused
from exam_client.pe_station.api import StationClient
from exam_client.pe_station.journal import (
    Decision,
    DecisionRecord,
    DecisionState,
    EvidenceState,
    StationJournal,
    TrialRecord,
    TrialState,
)
from exam_client.retry import RETRY_STATUSES as RETRY_STATUSES
from exam_client.retry import BackgroundSender, is_passing
from exam_server.wire import (
    PeConfirmRequest,
    PeRetestRequest,
    PeSource,
    PeTrialIn,
)

logger = logging.getLogger(__name__)

UNIT = "reps"


class _Retry(Exception):
    """A passing failure: wait, then walk the journal again."""


@dataclass
class UploadNotice:
    """What the uploader tells the window, on the uploader's thread."""

    ticket_number: str
    text: str
    ok: bool  # False: refused, an examiner must look


def trial_in(record: TrialRecord) -> PeTrialIn:
    """The wire form of a journaled trial."""
    return PeTrialIn(
        trial_number=record.trial_number,
        source=PeSource.JUDGE,
        unit=UNIT,
        value=record.value,
        device=record.device,
        judge_version=record.judge_version,
        repetitions=record.repetitions,
    )


class StationUploader(BackgroundSender):
    """Sends the journal's pending work on a background thread.

    Parameters
    ----------
    journal : StationJournal
    client : StationClient
        Used by this thread only.
    notify : callable
        Told about every delivery and refusal.
    backoff_s, max_backoff_s : float
        The first and the longest wait between attempts, in seconds.
    """

    def __init__(
        self,
        journal: StationJournal,
        client: StationClient,
        *,
        notify: Callable[[UploadNotice], None] = lambda notice: None,
        backoff_s: float = 0.5,
        max_backoff_s: float = 5.0,
    ) -> None:
        super().__init__(
            thread_name="pe-uploader",
            backoff_s=backoff_s,
            max_backoff_s=max_backoff_s,
        )
        self.journal = journal
        self.client = client
        self.notify = notify
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s

    def pending(self) -> bool:
        j = self.journal
        return bool(j.pending_trials() or j.pending_evidence() or self._ready())

    def _walk(self) -> float | None:
        try:
            self._send_all()
        except _Retry:
            return self._backoff.next_wait()
        self._backoff.reset()
        return None

    def _send_all(self) -> None:
        for trial in self.journal.pending_trials():
            self._send_trial(trial)
        for trial in self.journal.pending_evidence():
            self._send_clip(trial)
        for decision in self._ready():
            self._send_decision(decision)

    def _ready(self) -> list[DecisionRecord]:
        """Pending decisions whose attempt's trials and clips are settled."""
        ready = []
        for decision in self.journal.pending_decisions():
            trials = self.journal.trials(decision.attempt_id)
            if all(
                t.trial_state is not TrialState.PENDING
                and t.evidence_state is not EvidenceState.PENDING
                or t.trial_state is TrialState.REFUSED
                for t in trials
            ):
                ready.append(decision)
        return ready

    # the three steps

    def _send_trial(self, trial: TrialRecord) -> None:
        what = f"trial {trial.trial_number} of {trial.ticket_number}"
        try:
            out = self.client.add_trial(trial.attempt_id, trial_in(trial))
        except ClientError as exc:
            reason = self._refusal_or_retry(what, exc)
            self.journal.mark_trial_refused(trial.local_id, reason=reason)
            self._tell(trial.ticket_number, f"{what} refused: {reason}", ok=False)
            return
        self.journal.mark_trial_sent(trial.local_id, trial_id=out.trial_id)
        logger.info(
            "%s stored by the server as trial %s%s",
            what,
            out.trial_id,
            " (already held)" if out.duplicate else "",
        )
        self._tell(trial.ticket_number, f"{what}: result received", ok=True)

    def _send_clip(self, trial: TrialRecord) -> None:
        what = f"the clip of trial {trial.trial_number} of {trial.ticket_number}"
        if not trial.clip.is_file() or file_sha256(trial.clip) != trial.clip_sha256:
            detail = "the clip on disk is gone or does not match its SHA-256"
            self.journal.mark_evidence(
                trial.local_id, EvidenceState.CORRUPT, detail=detail
            )
            self._tell(trial.ticket_number, f"{what}: {detail}", ok=False)
            return
        assert trial.trial_id is not None  # pending evidence has a sent trial
        try:
            out = self.client.upload_evidence(
                trial.trial_id, trial.clip, trial.clip_sha256
            )
        except ClientError as exc:
            reason = self._refusal_or_retry(what, exc)
            self.journal.mark_evidence(
                trial.local_id, EvidenceState.REFUSED, detail=reason
            )
            self._tell(trial.ticket_number, f"{what} refused: {reason}", ok=False)
            return
        if out.sha256 != trial.clip_sha256:
            detail = (
                f"the server confirmed SHA-256 {out.sha256[:12]}, not "
                f"{trial.clip_sha256[:12]}"
            )
            self.journal.mark_evidence(
                trial.local_id, EvidenceState.REFUSED, detail=detail
            )
            self._tell(trial.ticket_number, f"{what}: {detail}", ok=False)
            return
        self.journal.mark_evidence(
            trial.local_id, EvidenceState.CONFIRMED, detail=out.received_at
        )
        logger.info("%s confirmed (%s bytes)", what, out.size_bytes)
        self._tell(trial.ticket_number, f"{what}: evidence received", ok=True)

    def _send_decision(self, decision: DecisionRecord) -> None:
        what = f"the {decision.decision.value} of {decision.ticket_number}"
        best = self.journal.trial(decision.best_local_id)
        try:
            if best.trial_id is None:
                raise ServerRefused(
                    f"the trial shown to the candidate was refused ({best.refusal})",
                    409,
                )
            detail = self._deliver_decision(decision, best.trial_id)
        except ClientError as exc:
            reason = self._refusal_or_retry(what, exc)
            self.journal.mark_decision(
                decision.attempt_id, DecisionState.REFUSED, detail=reason
            )
            self._tell(decision.ticket_number, f"{what} refused: {reason}", ok=False)
            return
        self.journal.mark_decision(
            decision.attempt_id, DecisionState.SENT, detail=detail
        )
        logger.info("%s recorded by the server: %s", what, detail)
        self._tell(decision.ticket_number, f"{what} recorded: {detail}", ok=True)

    def _deliver_decision(self, decision: DecisionRecord, trial_id: int) -> str:
        if decision.decision is Decision.CONFIRM:
            result = self.client.confirm(
                decision.attempt_id,
                PeConfirmRequest(
                    ticket_number=decision.ticket_number, best_trial_id=trial_id
                ),
            )
            return f"{result.value:g} {result.unit}, {result.state}"
        retest = self.client.request_retest(
            PeRetestRequest(
                ticket_number=decision.ticket_number,
                reason=dispute_reason(decision.reason, trial_id),
            )
        )
        return f"retest request {retest.retest_id} ({retest.state})"

    # errors

    def _refusal_or_retry(self, what: str, exc: ClientError) -> str:
        """Return a final refusal's reason, or raise :class:`_Retry`."""
        if is_passing(exc):
            logger.warning("sending %s failed, will retry: %s", what, exc)
            raise _Retry from exc
        return str(exc)

    def _tell(self, ticket_number: str, text: str, *, ok: bool) -> None:
        self.notify(UploadNotice(ticket_number=ticket_number, text=text, ok=ok))


def dispute_reason(reason: str, trial_id: int) -> str:
    """The retest request's reason for a disputed result."""
    said = reason.strip() or "no reason given"
    return (
        f"考生对测试结果有异议，申请仲裁 / the candidate disputes the result of "
        f"trial {trial_id} (evidence kept): {said}"
    )
