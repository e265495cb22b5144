"""The open-answer scorer finds key points in matching answers only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scoring_engine.audio import SR, load_audio
from scoring_engine.errors import ScoringError
from scoring_engine.open_answer import score_open_answer, words_match
from scoring_engine.synth import speak_to_wav

REFERENCES = [
    "I usually go to school by bike with my friends.",
    "I ride my bike to school every morning.",
]
KEY_POINTS = ["bike", "school", "friends"]


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    folder = tmp_path_factory.mktemp("answers")
    texts = {
        "matching": "I usually go to school by bike with my friends",
        "unrelated": "My favourite food is noodles and I like apples too",
    }
    audio = {}
    for name, text in texts.items():
        y, _ = load_audio(speak_to_wav(text, folder / f"{name}.wav"))
        audio[name] = y
    return audio


def test_matching_answer_finds_key_points_and_scores_higher(
    answers: dict[str, np.ndarray],
) -> None:
    good = score_open_answer(
        answers["matching"], sr=SR, reference_answers=REFERENCES, key_points=KEY_POINTS
    )
    bad = score_open_answer(
        answers["unrelated"], sr=SR, reference_answers=REFERENCES, key_points=KEY_POINTS
    )
    assert len(good.key_points_found) >= 2
    assert bad.key_points_found == []
    assert good.overall > bad.overall + 30
    assert good.transcript and good.scorer.startswith("open_answer/")
    assert 0 <= bad.overall <= 100 and 0 <= good.overall <= 100


def test_silence_scores_zero_with_no_speech_flag() -> None:
    y = np.zeros(2 * SR, dtype=np.float32)
    result = score_open_answer(
        y, sr=SR, reference_answers=REFERENCES, key_points=KEY_POINTS
    )
    assert result.overall == 0.0 and result.flags == ["no_speech"]


def test_answers_without_content_words_are_refused(tmp_path: Path) -> None:
    y = np.zeros(SR, dtype=np.float32)
    with pytest.raises(ScoringError, match="reference_answers"):
        score_open_answer(y, sr=SR, reference_answers=["the a"], key_points=[])


def test_fuzzy_word_match() -> None:
    assert words_match("bikes", "bike")
    assert not words_match("bike", "book")
