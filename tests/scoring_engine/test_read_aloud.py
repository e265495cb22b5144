"""The read-aloud scorer on espeak-ng speech with known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scoring_engine.audio import SR, load_audio
from scoring_engine.errors import ScoringError
from scoring_engine.read_aloud import ReadAloudResult, score_read_aloud
from scoring_engine.synth import speak_to_wav
from tests.scoring_engine.speech import OTHER_SENTENCE, SENTENCE

ASPECTS = {"accuracy", "fluency", "prosody", "completeness", "overall"}


@pytest.fixture(scope="module")
def right(sentence_audio: np.ndarray) -> ReadAloudResult:
    return score_read_aloud(sentence_audio, sr=SR, text=SENTENCE)


def test_right_text_scores_clearly_higher_than_another_text(
    right: ReadAloudResult, sentence_audio: np.ndarray
) -> None:
    wrong = score_read_aloud(sentence_audio, sr=SR, text=OTHER_SENTENCE)
    assert set(right.scores) == ASPECTS
    assert right.overall == right.scores["overall"]
    assert right.overall > wrong.overall + 30
    assert right.scores["accuracy"] > wrong.scores["accuracy"] + 30
    assert "different_text" in wrong.flags
    assert "different_text" not in right.flags
    assert all(0 <= v <= 100 for v in wrong.scores.values())


def test_right_text_finds_every_word_without_errors(right: ReadAloudResult) -> None:
    assert right.flags == []
    assert right.scores["completeness"] == 100.0
    assert [w.text for w in right.words] == SENTENCE.lower().split()
    assert sum(w.error != "none" for w in right.words) <= 1
    assert right.scorer.startswith("read_aloud/")


def test_word_and_phone_times_are_monotone_and_inside_the_audio(
    right: ReadAloudResult, sentence_audio: np.ndarray
) -> None:
    duration_s = sentence_audio.size / SR
    ends = 0.0
    for word in right.words:
        assert ends <= word.start_s < word.end_s <= duration_s + 0.01
        ends = word.end_s
        assert word.phones and all(0 <= p.accuracy <= 100 for p in word.phones)


def test_word_left_out_of_the_audio_is_an_omission(speech_dir: Path) -> None:
    y, sr = load_audio(speech_dir / "without_bike.wav")
    result = score_read_aloud(y, sr=sr, text=SENTENCE)
    errors = {w.text: w.error for w in result.words}
    assert errors["bike"] == "omission"
    assert errors["friends"] == "none" and errors["usually"] == "none"
    assert result.scores["completeness"] < 100.0


def test_scoring_is_deterministic(
    right: ReadAloudResult, sentence_audio: np.ndarray
) -> None:
    again = score_read_aloud(sentence_audio, sr=SR, text=SENTENCE)
    assert again.to_dict() == right.to_dict()


def test_out_of_dictionary_word_is_aligned(speech_dir: Path) -> None:
    text = "My friend Zorblax goes to school by bike"
    path = speak_to_wav(text, speech_dir / "zorblax.wav")
    y, sr = load_audio(path)
    result = score_read_aloud(y, sr=sr, text=text)
    word = next(w for w in result.words if w.text == "zorblax")
    assert [p.phone for p in word.phones][:4] == ["Z", "AO", "R", "B"]
    assert word.error == "none"


def test_silence_is_flagged_no_speech() -> None:
    rng = np.random.default_rng(7)
    y = (1e-4 * rng.standard_normal(3 * SR)).astype(np.float32)
    result = score_read_aloud(y, sr=SR, text=SENTENCE)
    assert result.flags == ["no_speech"]
    assert result.overall == 0.0
    assert all(w.error == "omission" for w in result.words)


def test_clipped_audio_is_flagged(sentence_audio: np.ndarray) -> None:
    clipped = np.clip(sentence_audio * 20, -1.0, 1.0)
    result = score_read_aloud(clipped, sr=SR, text=SENTENCE)
    assert "clipping" in result.flags


def test_noisy_audio_is_flagged_low_snr(sentence_audio: np.ndarray) -> None:
    rng = np.random.default_rng(11)
    noise = 0.05 * rng.standard_normal(sentence_audio.size)
    result = score_read_aloud(
        (sentence_audio + noise).astype(np.float32), sr=SR, text=SENTENCE
    )
    assert "low_snr" in result.flags


def test_result_is_json_able(right: ReadAloudResult) -> None:
    import json

    data = json.loads(json.dumps(right.to_dict()))
    assert set(data["words"][0]) == {
        "text",
        "start_s",
        "end_s",
        "accuracy",
        "error",
        "phones",
    }
    assert set(data["words"][0]["phones"][0]) == {"phone", "accuracy"}


@pytest.mark.parametrize("text", ["", "  ...  "])
def test_text_without_words_is_refused(sentence_audio: np.ndarray, text: str) -> None:
    with pytest.raises(ScoringError, match="no words"):
        score_read_aloud(sentence_audio, sr=SR, text=text)


def test_empty_audio_is_refused() -> None:
    with pytest.raises(ScoringError, match="shorter than"):
        score_read_aloud(np.zeros(0, dtype=np.float32), sr=SR, text=SENTENCE)


def test_words_spoken_beyond_the_text_are_an_insertion(speech_dir: Path) -> None:
    spoken = (
        "I usually go to school by bike. Yes, really. With my friends every morning"
    )
    y, sr = load_audio(speak_to_wav(spoken, speech_dir / "inserted.wav"))
    result = score_read_aloud(y, sr=sr, text=SENTENCE)
    kinds = [(w.text, w.error) for w in result.words]
    inserted = kinds.index(("<unknown>", "insertion"))
    assert kinds[inserted - 1][0] == "bike" and kinds[inserted + 1][0] == "with"
    assert sum(error == "insertion" for _, error in kinds) == 1


def test_audio_too_short_for_the_text_is_flagged(sentence_audio: np.ndarray) -> None:
    result = score_read_aloud(sentence_audio[: SR // 2], sr=SR, text=SENTENCE)
    assert "too_short" in result.flags
    assert result.overall == 0.0


PASSAGE = (
    "My name is Li Hua and I live in a small town near the sea. "
    "Every morning I walk to school with my best friend. "
    "On the way we talk about books, sports and our favourite films. "
    "I think walking together is the best part of the day."
)


def test_a_passage_read_as_another_text_is_scored_zero_and_flagged(
    tmp_path: Path,
) -> None:
    """No alignment is possible; the answer still gets a result, for review."""
    wav = speak_to_wav(
        "The weather was cold and windy, so we stayed at home and played chess "
        "with my grandfather all afternoon.",
        tmp_path / "other.wav",
    )
    y, sr = load_audio(wav)
    result = score_read_aloud(y, sr=sr, text=PASSAGE)
    assert {"different_text", "unaligned"} <= set(result.flags)
    assert result.overall == 0.0
    assert 0.0 < result.scores["completeness"] < 30.0
    assert len(result.words) == len(PASSAGE.split())
    assert sum(w.error == "omission" for w in result.words) > 30
