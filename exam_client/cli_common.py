"""What the seat program's and the PE station's command lines share.

Logging to a rotating file in the data folder, the default data folder, the
autopilot plan file, and the run of the Qt event loop with its worker thread
and orderly shutdown. Qt is imported inside the functions that need it: the
PE station must import OpenCV before Qt (see
:mod:`exam_client.pe_station.qtenv`), and this module is imported first.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from exam_client.errors import ClientError

if TYPE_CHECKING:
    from PyQt6.QtCore import QObject, QThread
    from PyQt6.QtWidgets import QApplication

logger = logging.getLogger("exam_client")

LOG_FILE = "seat.log"
LOG_BYTES = 1_000_000
LOG_BACKUPS = 5
SHUTDOWN_WAIT_MS = 15_000  # how long the worker thread may take to end


class AutopilotError(ClientError):
    """The autopilot plan cannot be read or used."""


def read_plan_json(path: Path) -> object:
    """Read an autopilot plan file as JSON; its checks are the caller's."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AutopilotError(
            f"the autopilot plan {path} cannot be read as JSON ({exc})"
        ) from exc


def data_dir_from_env(env_var: str, default: Path) -> Path:
    """The folder ``env_var`` names when set and not empty, else ``default``."""
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    return default


def configure_logging(data_dir: Path) -> None:
    """Log to a rotating file in the data folder and to stderr."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    to_file = logging.handlers.RotatingFileHandler(
        data_dir / LOG_FILE,
        maxBytes=LOG_BYTES,
        backupCount=LOG_BACKUPS,
        encoding="utf-8",
    )
    to_stderr = logging.StreamHandler(sys.stderr)
    root = logging.getLogger()
    for handler in (to_file, to_stderr):
        handler.setFormatter(fmt)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    def log_uncaught(
        kind: type[BaseException], value: BaseException, tb: object
    ) -> None:
        logger.critical("uncaught error", exc_info=(kind, value, tb))  # type: ignore[arg-type]

    sys.excepthook = log_uncaught


class QtRun:
    """The Qt application of a client program, its worker thread and its end.

    Make it before the window; :meth:`finish` is what an autopilot calls to
    end the run with an exit code and a message.
    """

    def __init__(self) -> None:
        from PyQt6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(app, QApplication)
        self.app: QApplication = app
        self.message = ""
        self._thread: QThread | None = None

    def start_worker(self, worker: QObject, *, thread_name: str) -> None:
        """Move ``worker`` to a new thread named ``thread_name`` and start it."""
        from PyQt6.QtCore import QThread

        thread = QThread()
        thread.setObjectName(thread_name)
        worker.moveToThread(thread)
        thread.start()
        self._thread = thread

    def finish(self, code: int, message: str) -> None:
        self.message = message
        self.app.exit(code)

    def exec(
        self,
        *,
        stop: Callable[[], None],
        close: Callable[[], None],
        autopilot: bool,
    ) -> int:
        """Run the event loop; then stop the work, end the thread, close files.

        With an autopilot, its exit code and message are printed last (on
        stdout when the code is 0, else on stderr).
        """
        try:
            code = self.app.exec()
        finally:
            stop()
            if self._thread is not None:
                self._thread.quit()
                self._thread.wait(SHUTDOWN_WAIT_MS)
            close()
        if autopilot:
            stream = sys.stdout if code == 0 else sys.stderr
            print(f"autopilot: exit {code}: {self.message}", file=stream)
        return code
