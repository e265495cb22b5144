"""Speech made with espeak-ng for the scoring tests (made once per session)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scoring_engine.audio import load_audio
from scoring_engine.synth import speak_to_wav
from tests.scoring_engine.speech import OTHER_SENTENCE, SENTENCE, WITHOUT_BIKE


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the espeak-ng recordings used across the tests."""
    folder = tmp_path_factory.mktemp("speech")
    speak_to_wav(SENTENCE, folder / "sentence.wav")
    speak_to_wav(WITHOUT_BIKE, folder / "without_bike.wav")
    speak_to_wav(OTHER_SENTENCE, folder / "other.wav")
    return folder


@pytest.fixture(scope="session")
def sentence_audio(speech_dir: Path) -> np.ndarray:
    """:data:`SENTENCE` spoken by espeak-ng, 16 kHz float32."""
    y, _ = load_audio(speech_dir / "sentence.wav")
    return y
