"""The PE station's window: camera, counts, timer, check-in and results.

Threading follows the seat window (:mod:`exam_client.ui.window`): blocking
steps (asking the server who the station is, check-in, the attempt) are
requests to the :class:`StationWorker` on its thread; progress arrives as
queued signals; widgets are touched on the GUI thread only. A candidate's
decision (confirm, dispute, another trial) is a journal write and runs here.
"""

from __future__ import annotations

import logging

from PyQt6.QtCore import Qt, pyqtSignal, pyqtSlot
from PyQt6.QtGui import QFont, QImage, QPixmap
from PyQt6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from exam_client.errors import ClientError
from exam_client.pe_station.journal import Decision
from exam_client.pe_station.live import LiveCount
from exam_client.pe_station.session import (
    Lane,
    LaneState,
    StationSession,
    StationState,
)
from exam_client.pe_station.worker import StationSignals, StationWorker, qimage_of
from exam_server.wire import PeStationInfo
from pe_sensors.judges import describe

logger = logging.getLogger(__name__)

EVENT_TEXT = {
    "pullup": "引体向上 Pull-ups",
    "situp": "1分钟仰卧起坐 One-minute sit-ups",
    "rope_skip": "1分钟跳绳 One-minute rope skipping",
}
VIDEO_WIDTH = 640
STATE_TEXT = {
    StationState.IDLE: "请考生检录 Check a candidate in",
    StationState.READY: "准备开始 Ready: press Start",
    StationState.COUNTDOWN: "预备 Get ready…",
    StationState.RUNNING: "测试中 Testing",
    StationState.JUDGING: "正在判定 Judging…",
    StationState.CONFIRMING: "请考生确认成绩 Candidate: confirm or dispute",
}


def _big(size: int) -> QFont:
    font = QFont()
    font.setPointSize(size)
    font.setBold(True)
    return font


class LanePanel(QGroupBox):
    """One lane: check-in, the candidate, the running count, the decision."""

    def __init__(self, number: int) -> None:
        super().__init__(f"第 {number} 道 Lane {number}")
        self.number = number
        layout = QGridLayout(self)
        self.ticket = QLineEdit()
        self.ticket.setPlaceholderText("准考证号（输入或扫码）Ticket number")
        self.check_in_button = QPushButton("检录 Check in")
        self.candidate = QLabel("")
        self.candidate.setWordWrap(True)
        self.count = QLabel("0")
        self.count.setFont(_big(40))
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.refusal = QLabel("")
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet("color: #b00020")
        self.confirm_button = QPushButton("确认成绩 Confirm")
        self.dispute_reason = QLineEdit()
        self.dispute_reason.setPlaceholderText("异议理由 Reason for the dispute")
        self.dispute_button = QPushButton("有异议 Dispute")
        self.again_button = QPushButton("再测一次 Another trial")
        self.clear_button = QPushButton("取消检录 Cancel")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.ticket, 0, 0, 1, 2)
        layout.addWidget(self.check_in_button, 0, 2)
        layout.addWidget(self.candidate, 1, 0, 1, 3)
        layout.addWidget(self.count, 2, 0, 1, 3)
        layout.addWidget(self.refusal, 3, 0, 1, 3)
        layout.addWidget(self.confirm_button, 4, 0)
        layout.addWidget(self.again_button, 4, 1)
        layout.addWidget(self.clear_button, 4, 2)
        layout.addWidget(self.dispute_reason, 5, 0, 1, 2)
        layout.addWidget(self.dispute_button, 5, 2)
        layout.addWidget(self.message, 6, 0, 1, 3)
        self.show_lane(Lane(number=number))

    def show_lane(self, lane: Lane) -> None:
        card = lane.card
        empty = lane.state is LaneState.EMPTY
        tested = lane.state is LaneState.TESTED
        self.ticket.setEnabled(empty)
        self.check_in_button.setEnabled(empty)
        self.clear_button.setEnabled(lane.state is LaneState.CHECKED_IN)
        for button in (self.confirm_button, self.dispute_button):
            button.setEnabled(tested)
        self.dispute_reason.setEnabled(tested)
        self.again_button.setEnabled(tested and lane.can_try_again)
        if empty:
            self.ticket.clear()
            self.candidate.setText("")
            self.count.setText("0")
            self.refusal.setText("")
            self.dispute_reason.clear()
            return
        assert card is not None
        trial = lane.next_trial - 1 if tested else lane.next_trial
        self.candidate.setText(
            f"{card.name}  {card.ticket_number}  {card.school}\n"
            f"第 {trial}/{card.trials_allowed} 次 Trial {trial} of "
            f"{card.trials_allowed}"
        )
        best = lane.best
        if tested and best is not None:
            self.count.setText(f"{best.value:g}")
            self.message.setText(
                f"成绩 Result: {best.value:g} 个 (best of {len(lane.trials)})"
            )
        if lane.error:
            self.message.setText(lane.error)

    def show_count(self, count: LiveCount) -> None:
        self.count.setText(str(count.count))
        refusal = count.latest_refusal
        if refusal is not None and refusal.reason is not None:
            self.refusal.setText(
                f"{refusal.end_s:.1f} s 不计数 not counted: {describe(refusal.reason)}"
            )


class StationWindow(QMainWindow):
    """The station's window; see the module notes for its threading."""

    identify_requested = pyqtSignal()
    check_in_requested = pyqtSignal(int, str)
    attempt_requested = pyqtSignal()
    # for watchers (the autopilot)
    step_finished = pyqtSignal(str, bool, str)  # step, succeeded, message
    station_state = pyqtSignal(object)  # StationState

    def __init__(
        self, session: StationSession, worker: StationWorker, signals: StationSignals
    ) -> None:
        super().__init__()
        self.session = session
        event = session.config.event.value
        self.setWindowTitle(f"体育中考测试点 PE station — {EVENT_TEXT[event]}")
        central = QWidget()
        outer = QHBoxLayout(central)
        left = QVBoxLayout()
        self.title = QLabel(EVENT_TEXT[event])
        self.title.setFont(_big(16))
        self.video = QLabel()
        self.video.setMinimumSize(320, 240)
        self.video.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.timer = QLabel("0.0 s")
        self.timer.setFont(_big(28))
        self.status = QLabel(STATE_TEXT[StationState.IDLE])
        self.status.setFont(_big(14))
        buttons = QHBoxLayout()
        self.start_button = QPushButton("开始 Start")
        self.stop_button = QPushButton("结束 Stop")
        self.start_button.setEnabled(False)
        self.stop_button.setEnabled(False)
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        self.notices = QListWidget()
        for widget in (self.title, self.video, self.timer, self.status):
            left.addWidget(widget)
        left.addLayout(buttons)
        left.addWidget(self.notices)
        right = QVBoxLayout()
        self.lane_panels = [LanePanel(lane.number) for lane in session.lanes]
        for panel in self.lane_panels:
            right.addWidget(panel)
        right.addStretch(1)
        outer.addLayout(left, 3)
        outer.addLayout(right, 2)
        self.setCentralWidget(central)
        self.resize(1100, 720)
        self._checking_in: list[int] = []  # lanes whose check-in is on its way
        first = getattr(session.stream, "first_image", None)
        if first is not None:
            self.on_frame(qimage_of(first), 0.0, session.time_limit_s)
        self._connect(worker, signals)

    def _connect(self, worker: StationWorker, signals: StationSignals) -> None:
        self.start_button.clicked.connect(self.on_start_clicked)
        self.stop_button.clicked.connect(self.on_stop_clicked)
        for panel in self.lane_panels:
            n = panel.number
            panel.check_in_button.clicked.connect(
                lambda _=False, n=n: self.on_check_in_clicked(n)
            )
            panel.ticket.returnPressed.connect(lambda n=n: self.on_check_in_clicked(n))
            panel.confirm_button.clicked.connect(
                lambda _=False, n=n: self.on_decided(n, Decision.CONFIRM)
            )
            panel.dispute_button.clicked.connect(
                lambda _=False, n=n: self.on_decided(n, Decision.DISPUTE)
            )
            panel.again_button.clicked.connect(
                lambda _=False, n=n: self.on_again_clicked(n)
            )
            panel.clear_button.clicked.connect(
                lambda _=False, n=n: self.on_clear_clicked(n)
            )

        self.identify_requested.connect(worker.identify)
        self.check_in_requested.connect(worker.check_in)
        self.attempt_requested.connect(worker.run_attempt)
        worker.step_done.connect(self.on_step_done)
        worker.step_failed.connect(self.on_step_failed)

        signals.state_changed.connect(self.on_state_changed)
        signals.lane_changed.connect(self.on_lane_changed)
        signals.countdown.connect(self.on_countdown)
        signals.frame.connect(self.on_frame)
        signals.counts.connect(self.on_counts)
        signals.notice.connect(self.on_notice)

    # buttons (the autopilot clicks the same ones)

    def on_check_in_clicked(self, lane: int) -> None:
        panel = self.lane_panels[lane - 1]
        ticket = panel.ticket.text().strip()
        if not ticket:
            panel.message.setText("请输入或扫描准考证号 Type or scan the ticket number")
            return
        panel.check_in_button.setEnabled(False)
        panel.message.setText("正在检录 Checking in…")
        self._checking_in.append(lane)
        self.check_in_requested.emit(lane, ticket)

    @pyqtSlot()
    def on_start_clicked(self) -> None:
        self.start_button.setEnabled(False)
        self.attempt_requested.emit()

    @pyqtSlot()
    def on_stop_clicked(self) -> None:
        self.stop_button.setEnabled(False)
        self.session.stop()

    def on_decided(self, lane: int, decision: Decision) -> None:
        panel = self.lane_panels[lane - 1]
        try:
            self.session.decide(lane, decision, panel.dispute_reason.text())
        except ClientError as exc:
            panel.message.setText(str(exc))
            self.step_finished.emit("decide", False, str(exc))
            return
        verdict = "已确认 confirmed" if decision is Decision.CONFIRM else "已申请仲裁"
        self.notices.addItem(f"lane {lane}: {verdict}")
        self.step_finished.emit("decide", True, decision.value)

    def on_again_clicked(self, lane: int) -> None:
        try:
            self.session.try_again(lane)
        except ClientError as exc:
            self.lane_panels[lane - 1].message.setText(str(exc))

    def on_clear_clicked(self, lane: int) -> None:
        try:
            self.session.clear_lane(lane)
        except ClientError as exc:
            self.lane_panels[lane - 1].message.setText(str(exc))

    # worker replies

    @pyqtSlot(str, object)
    def on_step_done(self, step: str, result: object) -> None:
        if step == "identify" and isinstance(result, PeStationInfo):
            self.title.setText(f"{result.name} ({result.code}) — {result.item_zh}")
        elif step == "check_in" and self._checking_in:
            self._checking_in.pop(0)
        self.step_finished.emit(step, True, "")

    @pyqtSlot(str, str)
    def on_step_failed(self, step: str, message: str) -> None:
        if step == "check_in":
            for panel in self.lane_panels:
                if (
                    panel.check_in_button.isEnabled() is False
                    and panel.ticket.isEnabled()
                ):
                    panel.check_in_button.setEnabled(True)
                    panel.message.setText(message)
        else:
            self.status.setText(message)
        self.notices.addItem(f"{step}: {message}")
        self.step_finished.emit(step, False, message)

    # session progress

    @pyqtSlot(object, str)
    def on_state_changed(self, state: StationState, detail: str) -> None:
        self.status.setText(STATE_TEXT[state])
        self.start_button.setEnabled(state is StationState.READY)
        self.stop_button.setEnabled(
            state in (StationState.COUNTDOWN, StationState.RUNNING)
        )
        self.station_state.emit(state)

    @pyqtSlot(object)
    def on_lane_changed(self, lane: Lane) -> None:
        panel = self.lane_panels[lane.number - 1]
        panel.show_lane(lane)
        if lane.state is LaneState.CHECKED_IN:
            panel.message.setText("已检录 Checked in")

    @pyqtSlot(float)
    def on_countdown(self, remaining_s: float) -> None:
        self.timer.setText(f"{remaining_s:.0f}" if remaining_s > 0 else "开始 Go")

    @pyqtSlot(object, float, object)
    def on_frame(self, image: QImage, time_s: float, limit_s: float | None) -> None:
        pixmap = QPixmap.fromImage(image)
        self.video.setPixmap(
            pixmap.scaledToWidth(
                min(VIDEO_WIDTH, max(320, self.video.width())),
                Qt.TransformationMode.SmoothTransformation,
            )
        )
        if limit_s is None:
            self.timer.setText(f"{time_s:.1f} s")
        else:
            self.timer.setText(f"{max(0.0, limit_s - time_s):.1f} s")

    @pyqtSlot(object)
    def on_counts(self, counts: list[LiveCount]) -> None:
        for panel, count in zip(self.lane_panels, counts, strict=True):
            if self.session.lanes[panel.number - 1].state is not LaneState.EMPTY:
                panel.show_count(count)

    @pyqtSlot(str, bool)
    def on_notice(self, text: str, ok: bool) -> None:
        self.notices.addItem(text if ok else f"⚠ {text}")
        self.notices.scrollToBottom()
