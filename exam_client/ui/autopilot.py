"""Drives the seat window without a person, for demos and end-to-end tests.

The autopilot clicks the real buttons of :class:`SeatWindow` (the same
slots a person's click reaches) in answer to the window's ``page_shown`` and
``step_finished`` signals. Spoken answers come from the seat's audio input
(``--audio-input``); the plan only says what a person would type or choose::

    {"ticket_number": "2026010001", "device_check": "clear",
     "choices": {"1": "B"}}

``choices`` maps an item's position (as text) to the option to choose.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PyQt6.QtCore import QObject, QTimer, pyqtSlot

from exam_client.cli_common import AutopilotError, read_plan_json
from exam_client.session import SessionState
from exam_client.ui.window import SeatWindow
from exam_server.wire import ItemKind

logger = logging.getLogger(__name__)

CLICK_DELAY_MS = 50  # a pause before each click, so every page is drawn first


@dataclass(frozen=True)
class AutopilotPlan:
    ticket_number: str
    device_check_clear: bool = True
    choices: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> AutopilotPlan:
        """Read a plan file (see the module notes)."""
        return cls.from_json(read_plan_json(path), where=str(path))

    @classmethod
    def from_json(cls, data: object, *, where: str = "the plan") -> AutopilotPlan:
        if not isinstance(data, dict) or not isinstance(data.get("ticket_number"), str):
            raise AutopilotError(
                f"{where} needs an object with a text field ticket_number, like "
                '{"ticket_number": "2026010001", "device_check": "clear", '
                '"choices": {"1": "B"}}'
            )
        verdict = data.get("device_check", "clear")
        if verdict not in ("clear", "not clear"):
            raise AutopilotError(
                f"{where}: device_check must be 'clear' or 'not clear', got {verdict!r}"
            )
        raw_choices = data.get("choices", {})
        if not isinstance(raw_choices, dict):
            raise AutopilotError(f"{where}: choices must map positions to options")
        try:
            choices = {int(k): str(v).strip().upper() for k, v in raw_choices.items()}
        except ValueError as exc:
            raise AutopilotError(
                f'{where}: choice keys must be item positions like "1" ({exc})'
            ) from exc
        return cls(
            ticket_number=data["ticket_number"],
            device_check_clear=verdict == "clear",
            choices=choices,
        )


class Autopilot(QObject):
    """Clicks through a :class:`SeatWindow` following an :class:`AutopilotPlan`.

    Parameters
    ----------
    window : SeatWindow
    plan : AutopilotPlan
    finish : callable
        Called once with an exit code (0: every answer confirmed) and a
        message when the run ends.
    """

    def __init__(
        self,
        window: SeatWindow,
        plan: AutopilotPlan,
        finish: Callable[[int, str], None],
    ) -> None:
        super().__init__(window)
        self.window = window
        self.plan = plan
        self._finish = finish
        self._finished = False
        window.page_shown.connect(self.on_page_shown)
        window.step_finished.connect(self.on_step_finished)
        window.exam_over.connect(self.on_exam_over)

    def start(self) -> None:
        self._later(self._log_in)

    def _later(self, action: Callable[[], None]) -> None:
        QTimer.singleShot(CLICK_DELAY_MS, action)

    def _end(self, code: int, message: str) -> None:
        if not self._finished:
            self._finished = True
            self._finish(code, message)

    def _log_in(self) -> None:
        page = self.window.login_page
        page.ticket.setText(self.plan.ticket_number)
        page.ticket_again.setText(self.plan.ticket_number)
        page.login_button.click()

    @pyqtSlot(str)
    def on_page_shown(self, page: str) -> None:
        logger.debug("autopilot sees %s", page)
        if page == "ConfirmPage":
            self._later(self.window.confirm_page.confirm_button.click)
        elif page == "DeviceCheckPage":
            self._later(self.window.check_page.sample_button.click)
        elif page == f"ItemPage:{SessionState.ANSWERING.value}":
            self._later(self._answer)

    @pyqtSlot(str, bool)
    def on_step_finished(self, step: str, ok: bool) -> None:
        if not ok and step != "run_exam":
            message = self._visible_message()
            self._end(2, f"the autopilot stopped at step {step}: {message}")
            return
        check = self.window.check_page
        if step == "play_sample":
            self._later(check.record_button.click)
        elif step == "record_check":
            button = check.clear_button if self.plan.device_check_clear else None
            if button is None:
                check.not_clear_button.click()
                self._end(3, "the autopilot plan says the device check is not clear")
            else:
                self._later(button.click)

    @pyqtSlot(bool, str)
    def on_exam_over(self, ok: bool, message: str) -> None:
        self._end(0 if ok else 1, message)

    def _answer(self) -> None:
        item = self.window.session.current_item
        if item is None or item.kind is not ItemKind.LISTEN_CHOOSE:
            return  # spoken answers come from the audio input
        option = self.plan.choices.get(item.position)
        button = self.window.item_page.choice_buttons.get(option or "")
        if button is None:
            logger.warning(
                "autopilot: no option %r for item %s (options %s); leaving it blank",
                option,
                item.position,
                item.options,
            )
            return
        button.click()
        self.window.item_page.finish_button.click()

    def _visible_message(self) -> str:
        page = self.window.pages.currentWidget()
        label = getattr(page, "message", None)
        return label.text() if label is not None else ""
