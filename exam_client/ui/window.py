"""The seat window: one page per step of the candidate's exam.

Widgets live on the GUI thread only. A button asks the
:class:`~exam_client.ui.worker.SessionWorker` for a step through a request
signal; answers and session progress come back as signals. Choosing an
option and finishing an answer call the session's thread-safe methods
directly, so they act even while the worker runs the items.
"""

from __future__ import annotations

import logging

from PyQt6.QtCore import Qt, pyqtSignal, pyqtSlot
from PyQt6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from exam_client.errors import ClientError, EntryMismatch
from exam_client.session import (
    SeatSession,
    SessionState,
    check_ticket_entries,
    option_letters,
)
from exam_client.ui.worker import SessionSignals, SessionWorker
from exam_server.wire import CandidateCard, ItemKind, ItemOut

logger = logging.getLogger(__name__)

LEVEL_FLOOR_DBFS = -60  # the level meter's empty end

_PHASE_TEXT = {
    SessionState.PROMPT: "播放题目 Listen to the prompt",
    SessionState.PREPARING: "准备 Prepare",
    SessionState.ANSWERING: "作答 Answer now",
}


def _title(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setPointSize(font.pointSize() + 6)
    font.setBold(True)
    label.setFont(font)
    return label


def _message_label() -> QLabel:
    label = QLabel("")
    label.setWordWrap(True)
    label.setStyleSheet("color: #b00020;")
    return label


class LoginPage(QWidget):
    """Ticket number typed twice; room and seat come from the command line."""

    def __init__(self, room_code: str, seat_code: str) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addWidget(_title("考生登录 Candidate login"))
        layout.addWidget(QLabel(f"考场 Room: {room_code}    座位 Seat: {seat_code}"))
        self.ticket = QLineEdit()
        self.ticket.setPlaceholderText("准考证号 Ticket number")
        self.ticket_again = QLineEdit()
        self.ticket_again.setPlaceholderText("再次输入准考证号 Ticket number again")
        layout.addWidget(QLabel("准考证号 Ticket number"))
        layout.addWidget(self.ticket)
        layout.addWidget(QLabel("再次输入准考证号 Ticket number again"))
        layout.addWidget(self.ticket_again)
        self.login_button = QPushButton("登录 Log in")
        layout.addWidget(self.login_button)
        self.message = _message_label()
        layout.addWidget(self.message)
        layout.addStretch(1)


class ConfirmPage(QWidget):
    """The candidate checks the name, ticket and school shown with a photo."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addWidget(_title("核对信息 Check your details"))
        row = QHBoxLayout()
        self.photo = QLabel("照片\nPhoto")
        self.photo.setFixedSize(120, 160)
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setFrameShape(QFrame.Shape.Box)
        row.addWidget(self.photo)
        self.details = QLabel("")
        self.details.setWordWrap(True)
        row.addWidget(self.details, 1)
        layout.addLayout(row)
        self.confirm_button = QPushButton("确认是本人 This is me")
        layout.addWidget(self.confirm_button)
        layout.addWidget(QLabel("信息有误请举手 If anything is wrong, raise your hand"))
        self.message = _message_label()
        layout.addWidget(self.message)
        layout.addStretch(1)

    def show_card(self, card: CandidateCard) -> None:
        self.details.setText(
            f"姓名 Name: {card.name}\n"
            f"准考证号 Ticket number: {card.ticket_number}\n"
            f"学校 School: {card.school}"
        )


class DeviceCheckPage(QWidget):
    """Play a sample, record 3 s and play it back, then the candidate judges."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addWidget(_title("试音 Device check"))
        hint = QLabel(
            "戴好耳机，麦克风距嘴 2-3 厘米。\n"
            "Put on the headset; keep the microphone 2-3 cm from your mouth."
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.sample_button = QPushButton("1. 播放示例 Play the sample")
        self.record_button = QPushButton("2. 录音 3 秒并回放 Record 3 s and play back")
        self.level_meter = QProgressBar()
        self.level_meter.setRange(LEVEL_FLOOR_DBFS, 0)
        self.level_meter.setFormat("音量 Level %v dBFS")
        self.level_meter.setValue(LEVEL_FLOOR_DBFS)
        judge = QHBoxLayout()
        self.clear_button = QPushButton("3. 清晰 Clear")
        self.not_clear_button = QPushButton("不清晰 Not clear")
        judge.addWidget(self.clear_button)
        judge.addWidget(self.not_clear_button)
        for widget in (self.sample_button, self.record_button, self.level_meter):
            layout.addWidget(widget)
        layout.addLayout(judge)
        self.message = _message_label()
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.reset()

    def reset(self) -> None:
        self.sample_button.setEnabled(True)
        self.record_button.setEnabled(False)
        self.clear_button.setEnabled(False)
        self.not_clear_button.setEnabled(False)


class WaitingPage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        layout.addWidget(_title("请等待统一开考 Waiting for the room start"))
        layout.addWidget(
            QLabel(
                "监考员开考后，考试自动开始。\n"
                "The exam starts when the proctor starts it."
            )
        )
        self.message = _message_label()
        layout.addWidget(self.message)
        layout.addStretch(1)


class ItemPage(QWidget):
    """One item: title, instructions, prompt text, choices, countdown, finish."""

    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.title = _title("")
        self.instructions = QLabel("")
        self.instructions.setWordWrap(True)
        self.prompt_text = QLabel("")
        self.prompt_text.setWordWrap(True)
        self.prompt_text.setFrameShape(QFrame.Shape.StyledPanel)
        for widget in (self.title, self.instructions, self.prompt_text):
            layout.addWidget(widget)
        self.choice_row = QHBoxLayout()
        self.choice_group = QButtonGroup(self)
        self.choice_group.setExclusive(True)
        self.choice_buttons: dict[str, QPushButton] = {}
        layout.addLayout(self.choice_row)
        self.phase = QLabel("")
        self.countdown = QProgressBar()
        self.countdown.setRange(0, 1000)
        self.countdown.setTextVisible(False)
        self.seconds = QLabel("")
        self.level_meter = QProgressBar()
        self.level_meter.setRange(LEVEL_FLOOR_DBFS, 0)
        self.level_meter.setFormat("音量 Level %v dBFS")
        self.finish_button = QPushButton("结束作答 Finish answer")
        self.finish_button.setEnabled(False)
        for part in (
            self.phase,
            self.countdown,
            self.seconds,
            self.level_meter,
            self.finish_button,
        ):
            layout.addWidget(part)
        self.message = _message_label()
        layout.addWidget(self.message)
        layout.addStretch(1)

    def show_item(self, item: ItemOut, total: int) -> None:
        self.title.setText(
            f"第 {item.position}/{total} 题 "
            f"Item {item.position} of {total}: {item.title}"
        )
        self.instructions.setText(item.instructions)
        self.prompt_text.setText(item.prompt_text)
        self.message.setText("")
        self._set_choices(item)
        self.level_meter.setVisible(item.kind is not ItemKind.LISTEN_CHOOSE)
        self.level_meter.setValue(LEVEL_FLOOR_DBFS)
        self.finish_button.setEnabled(False)

    def _set_choices(self, item: ItemOut) -> None:
        for button in self.choice_buttons.values():
            self.choice_group.removeButton(button)
            self.choice_row.removeWidget(button)
            button.deleteLater()
        self.choice_buttons = {}
        if item.kind is not ItemKind.LISTEN_CHOOSE:
            return
        for letter, option in zip(option_letters(item), item.options, strict=True):
            button = QPushButton(f"{letter}. {option}")
            button.setProperty("letter", letter)
            button.setCheckable(True)
            button.setEnabled(False)
            self.choice_group.addButton(button)
            self.choice_row.addWidget(button)
            self.choice_buttons[letter] = button

    def show_phase(
        self, phase: SessionState, remaining_s: float, total_s: float
    ) -> None:
        self.phase.setText(_PHASE_TEXT.get(phase, ""))
        fraction = remaining_s / total_s if total_s > 0 else 0.0
        self.countdown.setValue(round(1000 * fraction))
        self.seconds.setText(f"剩余 {remaining_s:.0f} 秒 / {remaining_s:.0f} s left")


class FinishedPage(QWidget):
    def __init__(self) -> None:
        super().__init__()
        layout = QVBoxLayout(self)
        self.title = _title("正在上传答案 Uploading your answers")
        layout.addWidget(self.title)
        self.uploads = QListWidget()
        layout.addWidget(self.uploads)
        self.message = _message_label()
        layout.addWidget(self.message)
        layout.addStretch(1)


class SeatWindow(QMainWindow):
    """The seat program's window; see the module notes for its threading."""

    # requests to the worker (queued to its thread)
    login_requested = pyqtSignal(str, str)
    confirm_requested = pyqtSignal()
    sample_requested = pyqtSignal()
    record_requested = pyqtSignal()
    check_judged = pyqtSignal(bool)
    exam_requested = pyqtSignal()
    # for watchers (the autopilot): the page now shown, a finished step
    page_shown = pyqtSignal(str)
    step_finished = pyqtSignal(str, bool)  # step, succeeded
    exam_over = pyqtSignal(bool, str)  # every answer confirmed, message

    def __init__(
        self,
        session: SeatSession,
        worker: SessionWorker,
        signals: SessionSignals,
    ) -> None:
        super().__init__()
        self.session = session
        self.worker = worker
        cfg = session.config
        self.setWindowTitle(
            f"英语听说考试 Oral English exam — {cfg.room_code} {cfg.seat_code}"
        )
        self.pages = QStackedWidget()
        self.login_page = LoginPage(cfg.room_code, cfg.seat_code)
        self.confirm_page = ConfirmPage()
        self.check_page = DeviceCheckPage()
        self.waiting_page = WaitingPage()
        self.item_page = ItemPage()
        self.finished_page = FinishedPage()
        for page in (
            self.login_page,
            self.confirm_page,
            self.check_page,
            self.waiting_page,
            self.item_page,
            self.finished_page,
        ):
            self.pages.addWidget(page)
        self.setCentralWidget(self.pages)
        self.resize(900, 640)
        self._connect(worker, signals)

    def _connect(self, worker: SessionWorker, signals: SessionSignals) -> None:
        # buttons to requests
        self.login_page.login_button.clicked.connect(self.on_login_clicked)
        self.login_page.ticket_again.returnPressed.connect(self.on_login_clicked)
        self.confirm_page.confirm_button.clicked.connect(self.on_confirm_clicked)
        self.check_page.sample_button.clicked.connect(self.on_sample_clicked)
        self.check_page.record_button.clicked.connect(self.on_record_clicked)
        self.check_page.clear_button.clicked.connect(lambda: self.on_judged(True))
        self.check_page.not_clear_button.clicked.connect(lambda: self.on_judged(False))
        self.item_page.finish_button.clicked.connect(self.on_finish_clicked)
        self.item_page.choice_group.buttonClicked.connect(self.on_choice_clicked)

        # requests to the worker
        self.login_requested.connect(worker.login)
        self.confirm_requested.connect(worker.confirm)
        self.sample_requested.connect(worker.play_sample)
        self.record_requested.connect(worker.record_check)
        self.check_judged.connect(worker.finish_check)
        self.exam_requested.connect(worker.run_exam)
        worker.step_done.connect(self.on_step_done)
        worker.step_failed.connect(self.on_step_failed)

        # session progress
        signals.state_changed.connect(self.on_state_changed)
        signals.item_started.connect(self.item_page.show_item)
        signals.countdown.connect(self.on_countdown)
        signals.level.connect(self.on_level)
        signals.upload_confirmed.connect(self.on_upload_confirmed)
        signals.upload_refused.connect(self.on_upload_refused)
        signals.notice.connect(self.on_notice)

    def show_page(self, page: QWidget) -> None:
        self.pages.setCurrentWidget(page)
        self.page_shown.emit(type(page).__name__)

    # button slots (the autopilot clicks the same buttons)

    @pyqtSlot()
    def on_login_clicked(self) -> None:
        page = self.login_page
        try:
            check_ticket_entries(page.ticket.text(), page.ticket_again.text())
        except EntryMismatch as exc:
            page.message.setText(str(exc))
            page.ticket_again.clear()
            return
        page.message.setText("正在登录 Logging in…")
        page.login_button.setEnabled(False)
        self.login_requested.emit(page.ticket.text(), page.ticket_again.text())

    @pyqtSlot()
    def on_confirm_clicked(self) -> None:
        self.confirm_page.confirm_button.setEnabled(False)
        self.confirm_requested.emit()

    @pyqtSlot()
    def on_sample_clicked(self) -> None:
        self.check_page.sample_button.setEnabled(False)
        self.check_page.message.setText("正在播放 Playing…")
        self.sample_requested.emit()

    @pyqtSlot()
    def on_record_clicked(self) -> None:
        self.check_page.record_button.setEnabled(False)
        self.check_page.message.setText("请说话 Speak now…")
        self.record_requested.emit()

    def on_judged(self, clear: bool) -> None:
        self.check_page.clear_button.setEnabled(False)
        self.check_page.not_clear_button.setEnabled(False)
        self.check_judged.emit(clear)

    @pyqtSlot()
    def on_finish_clicked(self) -> None:
        self.item_page.finish_button.setEnabled(False)
        self.session.finish_answer()

    def on_choice_clicked(self, button: QPushButton) -> None:
        try:
            self.session.choose(str(button.property("letter")))
        except ClientError as exc:
            self.item_page.message.setText(str(exc))

    # worker replies

    @pyqtSlot(str, object)
    def on_step_done(self, step: str, result: object) -> None:
        check = self.check_page
        if step == "login" and isinstance(result, CandidateCard):
            self.confirm_page.show_card(result)
            self.show_page(self.confirm_page)
        elif step == "play_sample":
            check.message.setText("")
            check.record_button.setEnabled(True)
        elif step == "record_check":
            check.message.setText(f"最高音量 Loudest: {result:.0f} dBFS")
            check.clear_button.setEnabled(True)
            check.not_clear_button.setEnabled(True)
            check.sample_button.setEnabled(True)
        elif step == "finish_check" and result is SessionState.DEVICE_CHECK:
            check.reset()
        elif step == "run_exam":
            self._exam_over(bool(result))
        self.step_finished.emit(step, True)

    @pyqtSlot(str, str)
    def on_step_failed(self, step: str, message: str) -> None:
        pages = {
            "login": self.login_page,
            "confirm": self.confirm_page,
            "play_sample": self.check_page,
            "record_check": self.check_page,
            "finish_check": self.check_page,
        }
        if step == "login":
            self.login_page.login_button.setEnabled(True)
        elif step == "confirm":
            self.confirm_page.confirm_button.setEnabled(True)
        elif step in ("play_sample", "record_check", "finish_check"):
            self.check_page.reset()
        if step == "run_exam":
            self._exam_over(False, message)
        else:
            page = pages[step]
            page.message.setText(message)  # type: ignore[attr-defined]
        self.step_finished.emit(step, False)

    # session progress

    @pyqtSlot(object, str)
    def on_state_changed(self, state: SessionState, detail: str) -> None:
        if state is SessionState.DEVICE_CHECK:
            self.check_page.reset()
            self.show_page(self.check_page)
        elif state is SessionState.WAITING:
            self.show_page(self.waiting_page)
            self.exam_requested.emit()
        elif state in _PHASE_TEXT:
            if self.pages.currentWidget() is not self.item_page:
                self.show_page(self.item_page)
            answering = state is SessionState.ANSWERING
            choosing = state in (SessionState.PREPARING, SessionState.ANSWERING)
            for button in self.item_page.choice_buttons.values():
                button.setEnabled(choosing)
            self.item_page.finish_button.setEnabled(answering)
            self.page_shown.emit(f"ItemPage:{state.value}")
        elif state is SessionState.UPLOADING:
            self.finished_page.title.setText("正在上传答案 Uploading your answers")
            self.show_page(self.finished_page)
        elif state is SessionState.FINISHED:
            self.finished_page.title.setText(
                "考试结束，答案已全部上传 The exam is over; every answer is received"
            )
        elif state is SessionState.ABNORMAL:
            self.finished_page.message.setText(
                f"请举手示意监考员 Please raise your hand for the proctor: {detail}"
            )

    @pyqtSlot(object, float, float)
    def on_countdown(
        self, phase: SessionState, remaining_s: float, total_s: float
    ) -> None:
        self.item_page.show_phase(phase, remaining_s, total_s)

    @pyqtSlot(float)
    def on_level(self, dbfs: float) -> None:
        value = max(LEVEL_FLOOR_DBFS, round(dbfs))
        self.check_page.level_meter.setValue(value)
        self.item_page.level_meter.setValue(value)

    @pyqtSlot(int, str)
    def on_upload_confirmed(self, position: int, sha256: str) -> None:
        self.finished_page.uploads.addItem(
            f"第 {position} 题已上传 Item {position} received ({sha256[:12]})"
        )

    @pyqtSlot(int, str)
    def on_upload_refused(self, position: int, reason: str) -> None:
        self.finished_page.uploads.addItem(
            f"第 {position} 题上传被拒 Item {position} refused: {reason}"
        )

    @pyqtSlot(str)
    def on_notice(self, text: str) -> None:
        page = self.pages.currentWidget()
        message = getattr(page, "message", None)
        if isinstance(message, QLabel):
            message.setText(text)

    def _exam_over(self, ok: bool, message: str = "") -> None:
        if not ok and message:
            self.finished_page.message.setText(message)
        self.show_page(self.finished_page)
        if not message:
            message = "every answer confirmed" if ok else "the exam did not finish"
        self.exam_over.emit(ok, message)
