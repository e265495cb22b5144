"""File inputs deliver their samples exactly; the level meter reads true dBFS."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from exam_client.audio import (
    SILENCE_DBFS,
    FileInput,
    block_levels,
    read_wav,
    rms_dbfs,
)
from exam_client.errors import AudioError
from tests.exam_client.helpers import SR, sine, write_wav


def test_a_file_input_delivers_the_files_samples_exactly(tmp_path: Path) -> None:
    y = sine(f0=440.0, duration_s=0.5, peak=0.8)
    source = FileInput(write_wav(tmp_path / "tone.wav", y))
    blocks: list[np.ndarray] = []
    recorded = source.record(duration_s=0.5, take="item2", on_block=blocks.append)
    np.testing.assert_array_equal(recorded, y)
    assert [b.size for b in blocks] == [1600] * 5  # 100 ms blocks


def test_a_file_input_goes_on_with_silence_after_its_file(tmp_path: Path) -> None:
    y = sine(f0=220.0, duration_s=0.2, peak=0.5)
    source = FileInput(write_wav(tmp_path / "tone.wav", y))
    recorded = source.record(duration_s=0.35, take="check")
    assert recorded.size == round(0.35 * SR)
    np.testing.assert_array_equal(recorded[: y.size], y)
    assert not recorded[y.size :].any()


def test_a_folder_input_picks_the_file_of_each_take(tmp_path: Path) -> None:
    write_wav(tmp_path / "check.wav", sine(f0=300.0, duration_s=0.2, peak=0.1))
    item3 = write_wav(tmp_path / "item3.wav", sine(f0=600.0, duration_s=0.2, peak=0.9))
    source = FileInput(tmp_path)
    assert source.take_path("item3") == item3
    np.testing.assert_array_equal(
        source.record(duration_s=0.2, take="item3"), read_wav(item3)
    )
    # a take without a file records silence, like a quiet microphone
    assert not source.record(duration_s=0.1, take="item4").any()


def test_setting_stop_ends_a_recording_early(tmp_path: Path) -> None:
    y = sine(f0=440.0, duration_s=2.0, peak=0.5)
    source = FileInput(write_wav(tmp_path / "tone.wav", y))
    stop = threading.Event()

    seen: list[np.ndarray] = []

    def stop_after_three(block: np.ndarray) -> None:
        seen.append(block)
        if len(seen) == 3:
            stop.set()

    recorded = source.record(
        duration_s=2.0, take="item2", stop=stop, on_block=stop_after_three
    )
    assert recorded.size == 3 * 1600
    np.testing.assert_array_equal(recorded, y[: 3 * 1600])


def test_a_missing_input_is_refused_with_its_path(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="does not exist"):
        FileInput(tmp_path / "nowhere.wav")


def test_other_rates_and_stereo_are_converted_to_16_khz_mono(tmp_path: Path) -> None:
    y8k = sine(f0=400.0, duration_s=0.5, peak=0.5, sr=8000)
    path = write_wav(tmp_path / "low.wav", y8k, sr=8000)
    y = read_wav(path)
    assert y.size == 2 * y8k.size
    # the tone keeps its pitch: the spectrum peaks at 400 Hz
    spectrum = np.abs(np.fft.rfft(y.astype(np.float64)))
    assert np.argmax(spectrum) * SR / y.size == pytest.approx(400.0, abs=2.0)


def test_a_full_scale_sine_reads_about_minus_3_dbfs() -> None:
    y = sine(f0=1000.0, duration_s=1.0, peak=1.0)
    assert rms_dbfs(y) == pytest.approx(-3.01, abs=0.01)
    # half the amplitude is 6.02 dB lower
    assert rms_dbfs(sine(f0=1000.0, duration_s=1.0, peak=0.5)) == pytest.approx(
        -9.03, abs=0.01
    )


def test_silence_reads_the_meters_floor() -> None:
    assert rms_dbfs(np.zeros(1600, dtype=np.int16)) == SILENCE_DBFS
    assert rms_dbfs(np.zeros(0, dtype=np.int16)) == SILENCE_DBFS


def test_block_levels_follow_a_step_in_loudness() -> None:
    quiet = sine(f0=500.0, duration_s=0.2, peak=0.01)
    loud = sine(f0=500.0, duration_s=0.2, peak=1.0)
    levels = block_levels(np.concatenate([quiet, loud]))
    assert levels.shape == (4,)
    np.testing.assert_allclose(levels, [-43.01, -43.01, -3.01, -3.01], atol=0.05)


def test_spoken_answers_are_delivered_exactly(speech_folder: Path) -> None:
    y = read_wav(speech_folder / "item2.wav")
    source = FileInput(speech_folder)
    levels: list[float] = []
    recorded = source.record(
        duration_s=y.size / SR,
        take="item2",
        on_block=lambda block: levels.append(rms_dbfs(block)),
    )
    np.testing.assert_array_equal(recorded, y)
    # the meter moves with the speech: loud words, quiet gaps
    assert max(levels) > -30.0
    assert min(levels) < max(levels) - 20.0
