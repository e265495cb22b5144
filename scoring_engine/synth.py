"""Spoken English made with espeak-ng, for prompt audio, demos and tests.

espeak-ng writes 22 050 Hz WAV; sox converts it to the rate asked for.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from standards.errors import PlatformError


class SynthesisError(PlatformError):
    """espeak-ng or sox is missing or failed."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise SynthesisError(
            f"{name} is not installed; run `make install` as root, which "
            "installs the Debian packages espeak-ng and sox"
        )
    return path


def speak_to_wav(
    text: str,
    path: Path,
    *,
    voice: str = "en-us",
    words_per_minute: int = 150,
    sr: int = 16000,
) -> Path:
    """Speak ``text`` into a mono 16-bit WAV file at ``sr`` Hz.

    Parameters
    ----------
    text : str
        English text; an empty text is refused.
    path : Path
        The WAV file to write (its folder must exist).
    voice : str
        espeak-ng voice name, for example ``en-us`` or ``en-gb``.
    words_per_minute : int
        Speaking rate, 80 to 450 as espeak-ng accepts.
    sr : int
        Sample rate of the written file, in Hz.
    """
    if not text.strip():
        raise SynthesisError("cannot speak an empty text")
    if not 80 <= words_per_minute <= 450:
        raise SynthesisError(
            f"words_per_minute must be 80 to 450, got {words_per_minute}"
        )
    raw = path.with_suffix(".espeak.wav")
    try:
        subprocess.run(
            [
                _tool("espeak-ng"),
                "-v",
                voice,
                "-s",
                str(words_per_minute),
                "-w",
                str(raw),
                "--",
                text,
            ],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [_tool("sox"), str(raw), "-r", str(sr), "-c", "1", "-b", "16", str(path)],
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        message = exc.stderr.decode("utf-8", "replace").strip()
        raise SynthesisError(f"speaking {text[:40]!r} failed: {message}") from exc
    finally:
        raw.unlink(missing_ok=True)
    return path
