"""Drives the station window without a person, for demos and headless tests.

The autopilot types the tickets and clicks the real buttons of
:class:`StationWindow`, following a plan::

    {"lanes": {"1": {"ticket_number": "20260001", "decision": "confirm"},
               "2": {"ticket_number": "20260002", "decision": "dispute",
                     "reason": "the last pull-up was not counted"}}}

or, for one lane, ``{"ticket_number": "20260001", "decision": "confirm"}``.
It checks every planned lane in, presses Start once (the video or camera
then runs to its end or the time limit), gives every candidate's decision,
and waits until the server holds every trial, clip and decision. The exit
code is 0 then, 1 when something was refused, 2 when a step failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PyQt6.QtCore import QObject, QTimer, pyqtSlot

from exam_client.cli_common import AutopilotError, read_plan_json
from exam_client.pe_station.journal import (
    Decision,
    DecisionState,
    EvidenceState,
    TrialState,
)
from exam_client.pe_station.session import LaneState, StationState
from exam_client.pe_station.window import StationWindow

logger = logging.getLogger(__name__)

CLICK_DELAY_MS = 50
POLL_MS = 200


@dataclass(frozen=True)
class LanePlan:
    ticket_number: str
    decision: Decision = Decision.CONFIRM
    reason: str = ""


@dataclass(frozen=True)
class StationPlan:
    lanes: dict[int, LanePlan]

    @classmethod
    def load(cls, path: Path) -> StationPlan:
        return cls.from_json(read_plan_json(path), where=str(path))

    @classmethod
    def from_json(cls, data: object, *, where: str = "the plan") -> StationPlan:
        if isinstance(data, dict) and "lanes" not in data:
            data = {"lanes": {"1": data}}
        raw = data.get("lanes") if isinstance(data, dict) else None
        if not isinstance(raw, dict) or not raw:
            raise AutopilotError(
                f'{where} needs {{"ticket_number": ..., "decision": "confirm"}} '
                'or {"lanes": {"1": {...}, "2": {...}}}'
            )
        lanes = {}
        for key, entry in raw.items():
            if not isinstance(entry, dict) or not isinstance(
                entry.get("ticket_number"), str
            ):
                raise AutopilotError(f"{where}: lane {key} needs a ticket_number")
            try:
                decision = Decision(entry.get("decision", "confirm"))
                lanes[int(key)] = LanePlan(
                    entry["ticket_number"], decision, str(entry.get("reason", ""))
                )
            except ValueError as exc:
                raise AutopilotError(
                    f"{where}: lane {key}: {exc}; lanes are numbers from 1 and "
                    "decisions 'confirm' or 'dispute'"
                ) from exc
        return cls(lanes=lanes)


class StationAutopilot(QObject):
    """Clicks through a :class:`StationWindow` following a :class:`StationPlan`.

    Parameters
    ----------
    window : StationWindow
    plan : StationPlan
    finish : callable
        Called once with an exit code and a message when the run ends.
    """

    def __init__(
        self,
        window: StationWindow,
        plan: StationPlan,
        finish: Callable[[int, str], None],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.plan = plan
        self._finish = finish
        self._finished = False
        self._started = False
        self._decided: set[int] = set()
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_uploads)
        window.step_finished.connect(self.on_step_finished)
        window.station_state.connect(self.on_station_state)

    def start(self) -> None:
        missing = [n for n in self.plan.lanes if n > len(self.session.lanes)]
        if missing:
            self._end(2, f"the plan names lanes {missing} the station does not have")
            return
        self.window.identify_requested.emit()

    def _later(self, action: Callable[[], None]) -> None:
        QTimer.singleShot(CLICK_DELAY_MS, action)

    def _end(self, code: int, message: str) -> None:
        if not self._finished:
            self._finished = True
            self._poll.stop()
            logger.info("autopilot ends with %s: %s", code, message)
            self._finish(code, message)

    @pyqtSlot(str, bool, str)
    def on_step_finished(self, step: str, ok: bool, message: str) -> None:
        if not ok:
            self._end(2, f"{step} failed: {message}")
        elif step == "identify":
            self._later(self._check_in_all)

    def _check_in_all(self) -> None:
        for number, lane in self.plan.lanes.items():
            panel = self.window.lane_panels[number - 1]
            panel.ticket.setText(lane.ticket_number)
            panel.check_in_button.click()

    @pyqtSlot(object)
    def on_station_state(self, state: StationState) -> None:
        lanes = self.session.lanes
        if state is StationState.READY and not self._started:
            if all(lanes[n - 1].state is LaneState.CHECKED_IN for n in self.plan.lanes):
                self._started = True
                self._later(self.window.start_button.click)
        elif state is StationState.CONFIRMING:
            self._later(self._decide_all)
        elif state is StationState.READY and self._started:
            # the attempt ended without a result for some lane
            self._end(2, "the attempt gave no result; see the station's log")

    def _decide_all(self) -> None:
        for number, lane in self.plan.lanes.items():
            if self.session.lanes[number - 1].state is not LaneState.TESTED:
                continue
            panel = self.window.lane_panels[number - 1]
            self._decided.add(number)
            if lane.decision is Decision.DISPUTE:
                panel.dispute_reason.setText(lane.reason or "the count is wrong")
                panel.dispute_button.click()
            else:
                panel.confirm_button.click()
        if self._decided == set(self.plan.lanes):
            self._poll.start()

    def _check_uploads(self) -> None:
        journal = self.session.journal
        if self.session.uploader.pending():
            return
        trials = journal.trials()
        decisions = journal.decisions()
        if any(d.state is DecisionState.PENDING for d in decisions):
            return
        refused = [t for t in trials if t.trial_state is TrialState.REFUSED] + [
            t for t in trials if t.evidence_state is not EvidenceState.CONFIRMED
        ]
        refused_decisions = [d for d in decisions if d.state is DecisionState.REFUSED]
        if refused or refused_decisions:
            self._end(
                1,
                f"{len(refused)} trial or clip and {len(refused_decisions)} "
                "decision(s) not accepted by the server",
            )
            return
        counts = ", ".join(f"{t.ticket_number}: {t.value:g}" for t in trials)
        self._end(0, f"every result, clip and decision received ({counts})")
