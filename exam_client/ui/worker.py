"""The seat session on a QThread, and its listener turned into Qt signals.

The window never calls a blocking session step itself: it emits a request
signal, the :class:`SessionWorker` (living on its own ``QThread``) runs the
step and answers with :attr:`SessionWorker.step_done` or
:attr:`SessionWorker.step_failed`. Session progress arrives through the
signals of :class:`SessionSignals`, which Qt queues to the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PyQt6.QtCore import QObject, pyqtSignal, pyqtSlot

from exam_client.errors import ClientError
from exam_client.journal import StoredAnswer
from exam_client.session import SeatSession, SessionListener, SessionState
from exam_server.wire import ItemOut, UploadReceipt

logger = logging.getLogger(__name__)


class SessionSignals(QObject):
    """Qt signals mirroring :class:`SessionListener`; emitted off the GUI thread."""

    state_changed = pyqtSignal(object, str)  # SessionState, detail
    item_started = pyqtSignal(object, int)  # ItemOut, number of items
    countdown = pyqtSignal(object, float, float)  # phase, remaining_s, total_s
    level = pyqtSignal(float)  # dBFS
    answer_stored = pyqtSignal(object, object)  # ItemOut, StoredAnswer | None
    upload_confirmed = pyqtSignal(int, str)  # position, sha256
    upload_refused = pyqtSignal(int, str)  # position, reason
    notice = pyqtSignal(str)


class SignalListener(SessionListener):
    """A session listener that emits :class:`SessionSignals`."""

    def __init__(self, signals: SessionSignals) -> None:
        self.signals = signals

    def state_changed(self, state: SessionState, detail: str) -> None:
        self.signals.state_changed.emit(state, detail)

    def item_started(self, item: ItemOut, total: int) -> None:
        self.signals.item_started.emit(item, total)

    def countdown(
        self, phase: SessionState, remaining_s: float, total_s: float
    ) -> None:
        self.signals.countdown.emit(phase, remaining_s, total_s)

    def level(self, dbfs: float) -> None:
        self.signals.level.emit(dbfs)

    def answer_stored(self, item: ItemOut, stored: StoredAnswer | None) -> None:
        self.signals.answer_stored.emit(item, stored)

    def upload_confirmed(self, position: int, receipt: UploadReceipt) -> None:
        self.signals.upload_confirmed.emit(position, receipt.sha256)

    def upload_refused(self, position: int, reason: str) -> None:
        self.signals.upload_refused.emit(position, reason)

    def notice(self, text: str) -> None:
        self.signals.notice.emit(text)


class SessionWorker(QObject):
    """Runs the session's blocking steps on the thread it is moved to.

    Every slot reports back with ``step_done(step, result)`` or
    ``step_failed(step, message)``; ``step`` names the slot.
    """

    step_done = pyqtSignal(str, object)
    step_failed = pyqtSignal(str, str)

    def __init__(self, session: SeatSession, stop: threading.Event) -> None:
        super().__init__()
        self.session = session
        self.stop = stop

    @pyqtSlot(str, str)
    def login(self, first: str, second: str) -> None:
        self._run("login", lambda: self.session.login(first, second))

    @pyqtSlot()
    def confirm(self) -> None:
        self._run("confirm", self.session.confirm_identity)

    @pyqtSlot()
    def play_sample(self) -> None:
        self._run("play_sample", self.session.play_check_sample)

    @pyqtSlot()
    def record_check(self) -> None:
        def record_and_play_back() -> float:
            peak_dbfs = self.session.record_check()
            self.session.play_back_check()
            return peak_dbfs

        self._run("record_check", record_and_play_back)

    @pyqtSlot(bool)
    def finish_check(self, clear: bool) -> None:
        self._run("finish_check", lambda: self.session.finish_device_check(clear=clear))

    @pyqtSlot()
    def run_exam(self) -> None:
        self._run("run_exam", lambda: self.session.run_exam(self.stop))

    def _run(self, step: str, work: Callable[[], object]) -> None:
        try:
            result = work()
        except ClientError as exc:
            logger.warning("step %s failed: %s", step, exc)
            self.step_failed.emit(step, str(exc))
            return
        except Exception as exc:  # a bug: log it whole, show the proctor
            logger.exception("step %s failed unexpectedly", step)
            self.step_failed.emit(
                step,
                f"the seat program failed ({type(exc).__name__}: {exc}); call the "
                "proctor / 程序故障，请举手示意监考员",
            )
            return
        self.step_done.emit(step, result)
