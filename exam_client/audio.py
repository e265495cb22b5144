"""Audio at the seat: microphone input, prompt playback and a level meter.

Recordings are 16 kHz mono int16, the format the scorer reads. Inputs
deliver blocks of :data:`BLOCK_S` seconds in real time, whether they come
from a microphone (:class:`SoundDeviceInput`) or from WAV files
(:class:`FileInput`, for demos and tests). ``sounddevice`` is imported only
when a device is opened, so a machine without PortAudio devices runs the
rest.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
import wave
from collections.abc import Callable, Generator
from math import gcd
from pathlib import Path
from typing import Any

import numpy as np

from exam_client.errors import AudioError

logger = logging.getLogger(__name__)

SR = 16000  # Hz, the sample rate of every recording
BLOCK_S = 0.1  # seconds of audio per block delivered by an input
FULL_SCALE = 32768.0  # int16 full scale
SILENCE_DBFS = -120.0  # the level reported for digital silence

BlockCallback = Callable[[np.ndarray], None]

CHECK_TAKE = "check"


def item_take(position: int) -> str:
    """The take name of an item's answer: ``item3`` for position 3."""
    return f"item{position}"


def rms_dbfs(y: np.ndarray) -> float:
    """Return the RMS level of int16 samples in dB relative to full scale.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), dtype=int16]
        Samples of one block.

    Returns
    -------
    float
        ``20 * log10(sqrt(mean((y / 32768) ** 2)))``, at least
        :data:`SILENCE_DBFS`. A full-scale sine reads about -3.01 dBFS
        (its RMS is 1 / sqrt(2) of its peak).
    """
    if y.size == 0:
        return SILENCE_DBFS
    x = y.astype(np.float64) / FULL_SCALE
    rms = float(np.sqrt(np.mean(x * x)))
    if rms <= 10 ** (SILENCE_DBFS / 20):
        return SILENCE_DBFS
    return 20.0 * float(np.log10(rms))


def block_levels(
    y: np.ndarray, *, sr: int = SR, block_s: float = BLOCK_S
) -> np.ndarray:
    """Return the RMS dBFS of each whole block of ``y``.

    Parameters
    ----------
    y : np.ndarray [shape=(n,), dtype=int16]
    sr : int
        Sample rate in Hz.
    block_s : float
        Block length in seconds.

    Returns
    -------
    np.ndarray [shape=(n // (sr * block_s),)]
        Levels in dBFS; a trailing partial block is left out.
    """
    frame_length = round(sr * block_s)
    n_blocks = y.size // frame_length
    return np.array(
        [
            rms_dbfs(y[i * frame_length : (i + 1) * frame_length])
            for i in range(n_blocks)
        ]
    )


def read_wav(path: Path, *, sr: int = SR) -> np.ndarray:
    """Read a WAV file as mono int16 at ``sr`` Hz (mixing and resampling).

    Returns
    -------
    np.ndarray [shape=(n,), dtype=int16]
    """
    try:
        with wave.open(str(path), "rb") as stream:
            n_channels = stream.getnchannels()
            width = stream.getsampwidth()
            file_sr = stream.getframerate()
            raw = stream.readframes(stream.getnframes())
    except (wave.Error, EOFError, OSError) as exc:
        raise AudioError(
            f"{path} is not a readable PCM WAV file ({exc}); give a 16-bit WAV "
            "file, for example one written by sox"
        ) from exc
    if width != 2:
        raise AudioError(
            f"{path} has {8 * width}-bit samples; the seat reads 16-bit WAV only, "
            f"convert it with `sox {path.name} -b 16 out.wav`"
        )
    y = np.frombuffer(raw, dtype="<i2").reshape(-1, n_channels)
    mono = y[:, 0] if n_channels == 1 else y.mean(axis=1)
    if file_sr != sr:
        mono = _resample(mono.astype(np.float64), orig_sr=file_sr, target_sr=sr)
    return np.clip(np.round(mono), -32768, 32767).astype(np.int16)


def _resample(y: np.ndarray, *, orig_sr: int, target_sr: int) -> np.ndarray:
    from scipy.signal import resample_poly

    g = gcd(orig_sr, target_sr)
    return np.asarray(resample_poly(y, target_sr // g, orig_sr // g))


class AudioInput(abc.ABC):
    """A source of 16 kHz mono int16 samples, delivered in real time."""

    sr: int = SR

    def record(
        self,
        *,
        duration_s: float,
        take: str,
        stop: threading.Event | None = None,
        on_block: BlockCallback | None = None,
    ) -> np.ndarray:
        """Record for ``duration_s`` seconds or until ``stop`` is set.

        Parameters
        ----------
        duration_s : float
            The longest recording, in seconds.
        take : str
            What is recorded: ``check`` or ``item<position>``; a file input
            uses it to pick its file, a microphone ignores it.
        stop : threading.Event or None
            Set by another thread to end the recording early.
        on_block : callable or None
            Called with each block as it arrives (level meter, countdown).

        Returns
        -------
        np.ndarray [shape=(n,), dtype=int16]
        """
        n_total = round(duration_s * self.sr)
        blocks: list[np.ndarray] = []
        n_done = 0
        source = self._blocks(take=take, n_samples=n_total)
        try:
            for block in source:
                block = block[: n_total - n_done]
                blocks.append(block)
                n_done += block.size
                if on_block is not None:
                    on_block(block)
                if n_done >= n_total or (stop is not None and stop.is_set()):
                    break
        finally:
            source.close()  # releases the device at once
        if not blocks:
            return np.zeros(0, dtype=np.int16)
        return np.concatenate(blocks)

    @abc.abstractmethod
    def _blocks(self, *, take: str, n_samples: int) -> Generator[np.ndarray]:
        """Yield int16 blocks of about :data:`BLOCK_S` seconds, paced in time."""


class FileInput(AudioInput):
    """Samples from WAV files, paced as if they came from a microphone.

    Parameters
    ----------
    source : Path
        A WAV file used for every take, or a folder holding ``check.wav``
        and ``item1.wav``, ``item2.wav``, ... by item position. A take whose
        file is missing records silence (with a warning), as a microphone
        does when nobody speaks. After its file ends, a take goes on with
        silence until the recording time is up.
    """

    def __init__(self, source: Path) -> None:
        if not source.exists():
            raise AudioError(
                f"the audio input {source} does not exist; give a WAV file or a "
                "folder with check.wav and item<position>.wav files"
            )
        self.source = source

    def take_path(self, take: str) -> Path | None:
        if self.source.is_file():
            return self.source
        path = self.source / f"{take}.wav"
        return path if path.is_file() else None

    def _blocks(self, *, take: str, n_samples: int) -> Generator[np.ndarray]:
        path = self.take_path(take)
        if path is None:
            logger.warning("no %s.wav in %s; recording silence", take, self.source)
            y = np.zeros(0, dtype=np.int16)
        else:
            y = read_wav(path, sr=self.sr)
        frame_length = round(self.sr * BLOCK_S)
        t0 = time.monotonic()
        for start in range(0, n_samples, frame_length):
            # wait until the block would have been captured
            due = t0 + (start + frame_length) / self.sr
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            block = y[start : start + frame_length]
            if block.size < frame_length:
                pad = np.zeros(frame_length - block.size, dtype=np.int16)
                block = np.concatenate([block, pad])
            yield block


class SoundDeviceInput(AudioInput):
    """The headset microphone through PortAudio (``sounddevice``).

    Parameters
    ----------
    device : int, str or None
        A PortAudio device index or name; None for the system default.
    """

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device

    def _blocks(self, *, take: str, n_samples: int) -> Generator[np.ndarray]:
        sd = _sounddevice()
        frame_length = round(self.sr * BLOCK_S)
        try:
            stream = sd.InputStream(
                samplerate=self.sr,
                channels=1,
                dtype="int16",
                blocksize=frame_length,
                device=self.device,
            )
        except Exception as exc:  # PortAudio raises its own error kinds
            raise AudioError(
                f"the microphone {self.device or '(default)'} cannot be opened "
                f"({exc}); check that the headset is plugged in, or move the "
                "candidate to a spare seat"
            ) from exc
        with stream:
            for _ in range(0, n_samples, frame_length):
                data, overflowed = stream.read(frame_length)
                if overflowed:
                    logger.warning("the microphone input overflowed; samples lost")
                yield np.asarray(data[:, 0], dtype=np.int16)


class AudioOutput(abc.ABC):
    """Plays prompt audio to the candidate's headset."""

    @abc.abstractmethod
    def play(
        self, y: np.ndarray, *, sr: int, stop: threading.Event | None = None
    ) -> None:
        """Play int16 samples ``y`` at ``sr`` Hz; return when done or stopped."""


class NullOutput(AudioOutput):
    """Plays nothing but takes the prompt's time (tests, headless seats)."""

    def play(
        self, y: np.ndarray, *, sr: int, stop: threading.Event | None = None
    ) -> None:
        duration_s = y.size / sr
        if stop is None:
            time.sleep(duration_s)
        else:
            stop.wait(duration_s)


class SoundDeviceOutput(AudioOutput):
    """The headset through PortAudio (``sounddevice``)."""

    def __init__(self, device: int | str | None = None) -> None:
        self.device = device

    def play(
        self, y: np.ndarray, *, sr: int, stop: threading.Event | None = None
    ) -> None:
        sd = _sounddevice()
        try:
            sd.play(y, samplerate=sr, device=self.device)
        except Exception as exc:  # PortAudio raises its own error kinds
            raise AudioError(
                f"the headset {self.device or '(default)'} cannot play ({exc}); "
                "check that it is plugged in, or move the candidate to a spare "
                "seat"
            ) from exc
        deadline = time.monotonic() + y.size / sr
        while time.monotonic() < deadline:
            if stop is not None and stop.wait(0.05):
                sd.stop()
                return
            if stop is None:
                time.sleep(0.05)
        sd.wait()


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # the PortAudio library itself is missing
        raise AudioError(
            f"PortAudio cannot be loaded ({exc}); install the Debian package "
            "libportaudio2, or run the seat with --audio-input FILE_OR_FOLDER"
        ) from exc
    return sounddevice
