"""Recorded answers on disk, kept once per SHA-256.

An upload is streamed into a temporary file under ``responses/.incoming``
while its SHA-256 is computed; it is checked (hash, WAV, duration) before
anything is kept. Kept recordings live at ``responses/<aa>/<sha256>.wav``
(``aa`` the first two hex digits), are fsynced and renamed into place
atomically, so a crash leaves either the whole file or none, and the same
recording uploaded twice is stored once. Prompt audio lives at
``prompts/<sha256>.wav``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import soundfile as sf

from exam_server.errors import Unprocessable

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20
MAX_UPLOAD_BYTES = 64 << 20
"""Largest recording accepted: 64 MiB is over 30 minutes of 16 kHz mono PCM."""

ANSWER_TIME_MARGIN_S = 3.0
"""Extra recording time allowed past an item's answer time (start/stop slack)."""

_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StagedAudio:
    """A checked upload waiting in a temporary file to be kept or discarded."""

    temporary: Path
    sha256: str
    duration_s: float


def normalize_sha256(value: str) -> str:
    """Return ``value`` as 64 lower-case hex digits, or refuse it."""
    digest = value.strip().lower()
    if not _SHA256_PATTERN.match(digest):
        raise Unprocessable(
            f"the sha256 field {value!r} is not 64 hexadecimal digits; send the "
            "SHA-256 of the WAV file as computed at the seat"
        )
    return digest


def audio_relative_path(sha256: str) -> str:
    """Return where a recording with this SHA-256 lives under ``responses/``."""
    return f"{sha256[:2]}/{sha256}.wav"


def prompt_audio_path(prompts_dir: Path, sha256: str) -> Path:
    """Return where the prompt audio with this SHA-256 lives."""
    return prompts_dir / f"{normalize_sha256(sha256)}.wav"


def stage_upload(
    source: BinaryIO,
    *,
    responses_dir: Path,
    expected_sha256: str,
    max_duration_s: float,
) -> StagedAudio:
    """Copy ``source`` to a temporary file and check it; nothing is kept on refusal.

    Raises
    ------
    Unprocessable
        When the SHA-256 differs from ``expected_sha256``, the file is not a
        readable WAV, is empty, or lasts longer than ``max_duration_s``.
    """
    incoming = responses_dir / ".incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    temporary = incoming / f"{secrets.token_hex(16)}.part"
    try:
        digest = _copy_hashing(source, temporary)
        if digest != expected_sha256:
            raise Unprocessable(
                f"the uploaded file's SHA-256 is {digest} but the seat sent "
                f"{expected_sha256}: the file was damaged on the way; nothing was "
                "stored, upload it again"
            )
        duration_s = _wav_duration_s(temporary)
        if duration_s > max_duration_s:
            raise Unprocessable(
                f"the recording lasts {duration_s:.1f} s, longer than the "
                f"{max_duration_s:.1f} s this item allows; nothing was stored"
            )
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return StagedAudio(temporary=temporary, sha256=digest, duration_s=duration_s)


def keep_staged(staged: StagedAudio, *, responses_dir: Path) -> str:
    """Move a staged upload to its content address; return the relative path.

    When an intact copy is already there the staged file is dropped; a copy
    that no longer matches its name (damaged on disk) is replaced.
    """
    relative = audio_relative_path(staged.sha256)
    target = responses_dir / relative
    if target.exists() and _file_sha256(target) == staged.sha256:
        staged.temporary.unlink(missing_ok=True)
        return relative
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged.temporary, target)
    _fsync_directory(target.parent)
    logger.info("stored recording %s (%.1f s)", relative, staged.duration_s)
    return relative


def discard_staged(staged: StagedAudio) -> None:
    staged.temporary.unlink(missing_ok=True)


def _copy_hashing(source: BinaryIO, destination: Path) -> str:
    hasher = hashlib.sha256()
    size = 0
    with destination.open("wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise Unprocessable(
                    f"the uploaded file is larger than {MAX_UPLOAD_BYTES >> 20} MiB; "
                    "a recorded answer is far smaller, so nothing was stored"
                )
            hasher.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return hasher.hexdigest()


def _wav_duration_s(path: Path) -> float:
    try:
        with sf.SoundFile(path) as audio:
            if audio.format != "WAV":
                raise Unprocessable(
                    f"the uploaded file is {audio.format}, not WAV; nothing was stored"
                )
            frames = sum(len(block) for block in audio.blocks(blocksize=65536))
            sr = audio.samplerate
    except sf.SoundFileError as exc:
        raise Unprocessable(
            f"the uploaded file cannot be read as WAV audio ({exc}); nothing was "
            "stored: record the answer again or upload the seat's saved copy"
        ) from exc
    if frames == 0:
        raise Unprocessable(
            "the uploaded WAV file holds no samples; nothing was stored"
        )
    return frames / sr


def _file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            hasher.update(chunk)
    return hasher.hexdigest()


def _fsync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
