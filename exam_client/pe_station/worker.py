"""The station session on a QThread, and its listener turned into Qt signals.

As in the seat program (:mod:`exam_client.ui.worker`): the window never runs
a blocking step itself. It emits a request signal; the
:class:`StationWorker`, living on its own ``QThread``, runs the step and
answers with ``step_done`` or ``step_failed``. Camera images become
``QImage`` objects on the worker's thread (a ``QImage`` may be made off the
GUI thread; a ``QPixmap`` may not).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PyQt6.QtCore import QObject, pyqtSignal, pyqtSlot
from PyQt6.QtGui import QImage

from exam_client.errors import ClientError
from exam_client.pe_station.live import LiveCount
from exam_client.pe_station.session import (
    Lane,
    StationListener,
    StationSession,
    StationState,
)

logger = logging.getLogger(__name__)


def qimage_of(bgr: np.ndarray) -> QImage:
    """A deep copy of a BGR image (shape (height, width, 3), uint8) as a QImage."""
    height, width = bgr.shape[:2]
    data = np.ascontiguousarray(bgr).tobytes()
    image = QImage(data, width, height, 3 * width, QImage.Format.Format_BGR888)
    return image.copy()


class StationSignals(QObject):
    """Qt signals mirroring :class:`StationListener`; emitted off the GUI thread."""

    state_changed = pyqtSignal(object, str)  # StationState, detail
    lane_changed = pyqtSignal(object)  # Lane
    countdown = pyqtSignal(float)  # seconds left
    frame = pyqtSignal(object, float, object)  # QImage, time_s, limit_s or None
    counts = pyqtSignal(object)  # list[LiveCount]
    notice = pyqtSignal(str, bool)  # text, ok


class SignalListener(StationListener):
    """A station listener that emits :class:`StationSignals`."""

    def __init__(self, signals: StationSignals) -> None:
        self.signals = signals

    def state_changed(self, state: StationState, detail: str) -> None:
        self.signals.state_changed.emit(state, detail)

    def lane_changed(self, lane: Lane) -> None:
        self.signals.lane_changed.emit(lane)

    def countdown(self, remaining_s: float) -> None:
        self.signals.countdown.emit(remaining_s)

    def frame(self, image: object, time_s: float, limit_s: float | None) -> None:
        if isinstance(image, np.ndarray):
            self.signals.frame.emit(qimage_of(image), time_s, limit_s)

    def counts(self, counts: list[LiveCount]) -> None:
        self.signals.counts.emit(counts)

    def notice(self, text: str, ok: bool) -> None:
        self.signals.notice.emit(text, ok)


class StationWorker(QObject):
    """Runs the session's blocking steps on its thread; answers with signals."""

    step_done = pyqtSignal(str, object)  # step, result
    step_failed = pyqtSignal(str, str)  # step, message

    def __init__(self, session: StationSession) -> None:
        super().__init__()
        self.session = session

    @pyqtSlot()
    def identify(self) -> None:
        self._run("identify", self.session.identify)

    @pyqtSlot(int, str)
    def check_in(self, lane: int, ticket_number: str) -> None:
        self._run("check_in", lambda: self.session.check_in(lane, ticket_number))

    @pyqtSlot()
    def run_attempt(self) -> None:
        self._run("attempt", self.session.run_attempt)

    def _run(self, step: str, action: Callable[[], object]) -> None:
        try:
            result = action()
        except ClientError as exc:
            logger.warning("step %s failed: %s", step, exc)
            self.step_failed.emit(step, str(exc))
            return
        self.step_done.emit(step, result)
