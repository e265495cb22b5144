"""The seat journal keeps every answer through a crash and never sends a bad one."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from exam_client.errors import JournalError
from exam_client.journal import (
    ItemStage,
    Journal,
    UploadState,
    choice_sha256,
    file_sha256,
    sha256_hex,
    wav_bytes,
)
from exam_server.wire import UploadReceipt
from tests.exam_client.helpers import SR, demo_paper, sine, write_wav

REPO = Path(__file__).resolve().parents[2]


def run_then_crash(folder: Path, steps: str) -> None:
    """Run ``steps`` against a journal in a child process that dies at the end.

    ``os._exit`` skips every clean-up (no close, no atexit), as a power cut
    or a killed process would.
    """
    script = (
        textwrap.dedent(
            """
        import os, sys
        from pathlib import Path
        from exam_client.journal import ItemStage, Journal
        from tests.exam_client.helpers import demo_paper, sine
        journal = Journal.open(Path(sys.argv[1]))
        journal.record_paper(demo_paper())
        """
        )
        + textwrap.dedent(steps)
        + "\nos._exit(9)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder)], env=env, capture_output=True
    )
    assert done.returncode == 9, done.stderr.decode()


def test_a_recording_survives_a_crash_before_its_upload(tmp_path: Path) -> None:
    run_then_crash(
        tmp_path,
        """
        journal.store_choice(11, "B")
        y = sine(f0=440.0, duration_s=1.0, peak=0.5)
        journal.store_recording(12, y, sr=16000)
        """,
    )
    expected = sha256_hex(wav_bytes(sine(f0=440.0, duration_s=1.0, peak=0.5), sr=SR))

    journal = Journal.open(tmp_path)
    waiting = journal.pending_uploads()
    assert [a.position for a in waiting] == [1, 2]
    recording = waiting[1]
    assert recording.sha256 == expected
    assert recording.path is not None and file_sha256(recording.path) == expected
    assert waiting[0].choice == "B" and waiting[0].sha256 == choice_sha256("B")
    point = journal.resume_point()
    assert point.next_position == 3
    assert point.restarted_item_id is None


def test_an_item_interrupted_by_a_crash_restarts(tmp_path: Path) -> None:
    run_then_crash(
        tmp_path,
        """
        journal.store_choice(11, "A")
        journal.mark_item(12, ItemStage.STARTED)
        journal.mark_item(12, ItemStage.PROMPT_PLAYED)
        """,
    )
    journal = Journal.open(tmp_path)
    point = journal.resume_point()
    assert point.next_position == 2
    assert point.restarted_item_id == 12
    assert [a.item_id for a in point.waiting_uploads] == [11]
    assert not point.device_check_passed


def test_partial_files_are_moved_aside_and_never_uploaded(tmp_path: Path) -> None:
    run_then_crash(
        tmp_path,
        """
        data = b"RIFF" + bytes(100)
        part = journal.recordings_dir / "item02-id12.wav.part"
        part.write_bytes(data)
        """,
    )
    # a final-named file that is cut short: not a readable WAV
    good = wav_bytes(sine(f0=300.0, duration_s=0.5, peak=0.3), sr=SR)
    (tmp_path / "recordings" / "item03-id13.wav").write_bytes(good[:30])

    journal = Journal.open(tmp_path)
    assert journal.pending_uploads() == []
    assert list((tmp_path / "recordings").iterdir()) == []
    assert len(list((tmp_path / "discarded").iterdir())) == 2
    assert journal.resume_point().next_position == 1


def test_a_complete_unjournaled_recording_is_adopted(tmp_path: Path) -> None:
    # the crash fell between the rename and the journal row
    journal = Journal.open(tmp_path)
    journal.record_paper(demo_paper())
    journal.close()
    y = sine(f0=500.0, duration_s=0.4, peak=0.2)
    path = write_wav(tmp_path / "recordings" / "item02-id12.wav", y)

    journal = Journal.open(tmp_path)
    (adopted,) = journal.pending_uploads()
    assert adopted.item_id == 12
    assert adopted.sha256 == file_sha256(path)
    assert journal.item_stage(12) is ItemStage.ANSWERED


def test_a_recording_changed_on_disk_is_marked_corrupt(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    journal.record_paper(demo_paper())
    stored = journal.store_recording(
        13, sine(f0=200.0, duration_s=0.3, peak=0.4), sr=SR
    )
    journal.close()
    assert stored.path is not None
    data = bytearray(stored.path.read_bytes())
    data[-1] ^= 0xFF
    stored.path.write_bytes(bytes(data))

    journal = Journal.open(tmp_path)
    assert journal.pending_uploads() == []
    assert journal.answer(13).upload is UploadState.CORRUPT
    assert journal.resume_point().next_position == 1  # item 1 never ran
    assert journal.item_stage(13) is ItemStage.NOT_STARTED


def test_a_confirmed_answer_is_never_replaced(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    journal.record_paper(demo_paper())
    stored = journal.store_choice(11, "C")
    assert stored is not None
    receipt = UploadReceipt(
        item_id=11, sha256=stored.sha256, duplicate=False, received_at="2026-01-01"
    )
    journal.confirm_upload(11, receipt)
    assert journal.pending_uploads() == []
    with pytest.raises(JournalError, match="never replaced"):
        journal.store_choice(11, "A")


def test_a_refusal_is_kept_with_its_reason(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    journal.record_paper(demo_paper())
    journal.store_choice(11, "A")
    journal.record_refusal(11, status=409, reason="another answer is held")
    answer = journal.answer(11)
    assert answer.upload is UploadState.REFUSED
    assert answer.refusal == "HTTP 409: another answer is held"
    assert journal.pending_uploads() == []


def test_only_mono_int16_recordings_are_stored(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    journal.record_paper(demo_paper())
    with pytest.raises(JournalError, match="mono int16"):
        journal.store_recording(12, np.zeros(10, dtype=np.float32), sr=SR)


def test_items_answered_at_another_seat_are_skipped(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    journal.record_paper(demo_paper())
    journal.mark_answered_elsewhere([11, 12])
    point = journal.resume_point()
    assert point.next_position == 3
    assert point.waiting_uploads == []
