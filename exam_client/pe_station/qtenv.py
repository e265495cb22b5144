"""Import OpenCV (and so mediapipe) without letting it steer PyQt6.

The ``opencv-contrib-python`` wheel that mediapipe depends on ships a Qt 5
build for its own ``imshow`` windows, and importing ``cv2`` sets
``QT_QPA_PLATFORM_PLUGIN_PATH`` and ``QT_QPA_FONTDIR`` to folders inside that
wheel. With PyQt6 6.11 and opencv-contrib-python 4.11.0.86 this was measured
harmless (PyQt6 starts on the ``offscreen`` platform and on ``xcb`` under
Xvfb, whichever is imported first, and draws the same Chinese text), because
Qt 6 looks for platform plugins directly in that folder and the wheel keeps
its Qt 5 plugin one level below. That is luck of the folder layout, not a
guarantee: the station imports OpenCV through :func:`import_vision`, which
puts the two variables back as they were, so PyQt6 always uses its own
plugins and the system's fonts. The station never calls ``cv2.imshow``,
which would load the wheel's Qt 5 libraries into the process.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

logger = logging.getLogger(__name__)

# Variables that importing cv2 from the opencv-python wheels may set.
QT_VARIABLES = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")


def snapshot_qt_env() -> dict[str, str | None]:
    """The current values of :data:`QT_VARIABLES` (None: unset)."""
    return {name: os.environ.get(name) for name in QT_VARIABLES}


def restore_qt_env(before: dict[str, str | None]) -> list[str]:
    """Put :data:`QT_VARIABLES` back as in ``before``; return those changed."""
    changed = []
    for name, value in before.items():
        if os.environ.get(name) == value:
            continue
        changed.append(name)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    return changed


@contextmanager
def keep_qt_env() -> Iterator[None]:
    """Undo, on leaving, what the code inside did to :data:`QT_VARIABLES`."""
    before = snapshot_qt_env()
    try:
        yield
    finally:
        changed = restore_qt_env(before)
        if changed:
            logger.debug("restored %s after importing OpenCV", ", ".join(changed))


def import_vision() -> ModuleType:
    """Import :mod:`pe_sensors.pose.video` (OpenCV, mediapipe), Qt untouched.

    Returns
    -------
    module
        :mod:`pe_sensors.pose.video`.
    """
    with keep_qt_env():
        module = importlib.import_module("pe_sensors.pose.video")
        importlib.import_module("pe_sensors.pose.annotate")
        importlib.import_module("mediapipe")  # imported by the first pose tracker
    return module
