"""Scoring of open answers: situational questions and topic talks.

The answer is recognised (:func:`recognizers.default_recognizer`: vosk when
a model is configured, else pocketsphinx biased towards the item's answers
and key points, see :class:`recognizers.PocketsphinxRecognizer`) and
compared with the item's reference answers and key points on content words
(a small stop-word list removed). Two words match when they are equal or
their spelling similarity (:class:`difflib.SequenceMatcher` ratio) is at
least :data:`WORD_MATCH`, which forgives recognition errors in endings.

The overall score (0-100) is::

    coverage   = key points found / key points
    content    = min(1, coverage / FULL_COVERAGE)
    similarity = max over reference answers of the F1 of matched content
                 words between the transcript and the answer
    fluency    = min(1, words per second / FLUENT_RATE) * (1 - pause share)
    overall    = 100 * (W_CONTENT * content + W_SIMILARITY * similarity
                        + W_FLUENCY * fluency)

A key point counts as found when at least :data:`KEY_POINT_SHARE` of its
content words occur in the transcript. Full marks need about 90 % of the
key points, as junior-middle exams mark content.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from typing import Any

import numpy as np

from scoring_engine.audio import check_audio
from scoring_engine.errors import ScoringError
from scoring_engine.recognizers import Recognizer, Transcript, default_recognizer
from scoring_engine.signal import check_signal
from scoring_engine.text import normalise_text

logger = logging.getLogger(__name__)

SCORER = "open_answer/0.1.0"

WORD_MATCH = 0.8
FULL_COVERAGE = 0.9
KEY_POINT_SHARE = 0.6
FLUENT_RATE = 2.0
"""Words per second of fluent answering speech at junior-middle level."""
PAUSE_S = 0.5
"""Gaps between recognised words longer than this count as pauses."""
W_CONTENT, W_SIMILARITY, W_FLUENCY = 0.6, 0.25, 0.15

STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "in",
        "on",
        "at",
        "and",
        "or",
        "but",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "my",
        "your",
        "his",
        "her",
        "our",
        "their",
        "me",
        "him",
        "us",
        "them",
        "this",
        "that",
        "do",
        "does",
        "did",
        "have",
        "has",
        "had",
        "so",
        "very",
        "can",
        "will",
        "would",
    ]
)


@dataclass(frozen=True)
class OpenAnswerResult:
    """Scores of one open answer; ``details`` holds the formula's parts."""

    overall: float
    transcript: str
    key_points_found: list[str]
    flags: list[str]
    details: dict[str, float]
    scorer: str = SCORER

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-able data."""
        return asdict(self)


def content_words(text: str) -> list[str]:
    """Normalised words of ``text`` without stop words."""
    return [w for w in normalise_text(text) if w not in STOP_WORDS]


def words_match(a: str, b: str) -> bool:
    """Whether two words are equal or spelled nearly alike."""
    return a == b or SequenceMatcher(None, a, b).ratio() >= WORD_MATCH


def _matched(words: list[str], heard: list[str]) -> int:
    return sum(any(words_match(w, h) for h in heard) for w in words)


def score_open_answer(
    y: np.ndarray,
    *,
    sr: int,
    reference_answers: list[str],
    key_points: list[str],
    recognizer: Recognizer | None = None,
) -> OpenAnswerResult:
    """Score a spoken answer against reference answers and key points.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,), float32
        Mono samples in [-1, 1].
    sr : int
        Sample rate in Hz; must be 16000.
    reference_answers : list of str
        Model answers of the item; at least one.
    key_points : list of str
        Phrases a good answer contains; may be empty (then content is the
        similarity alone).
    recognizer : Recognizer, optional
        Defaults to :func:`recognizers.default_recognizer`.

    Returns
    -------
    OpenAnswerResult
        Overall 0-100 by the formula in the module docstring.
    """
    y = check_audio(y, sr=sr)
    references = [content_words(a) for a in reference_answers]
    if not any(references):
        raise ScoringError(
            "reference_answers hold no content words; give at least one "
            "model answer for the item"
        )
    flags = check_signal(y).flags()
    if "no_speech" in flags:
        return OpenAnswerResult(0.0, "", [], flags, {})

    if recognizer is None:
        recognizer = default_recognizer(bias_texts=[*reference_answers, *key_points])
    transcript = recognizer.transcribe(y, sr=sr)
    found, content, similarity = _content(transcript, references, key_points)
    fluency = _fluency(transcript)
    overall = 100.0 * (
        W_CONTENT * content + W_SIMILARITY * similarity + W_FLUENCY * fluency
    )
    if not transcript.words:
        flags.append("no_words_recognised")
    logger.info(
        "scored open answer: %s of %s key points, overall %.1f",
        len(found),
        len(key_points),
        overall,
    )
    return OpenAnswerResult(
        round(overall, 1),
        transcript.text,
        found,
        flags,
        {
            "content": round(content, 3),
            "similarity": round(similarity, 3),
            "fluency": round(fluency, 3),
        },
    )


def _content(
    transcript: Transcript, references: list[list[str]], key_points: list[str]
) -> tuple[list[str], float, float]:
    """Key points found, the content part and the similarity part."""
    heard = content_words(transcript.text)
    found = [
        point
        for point in key_points
        if (words := content_words(point))
        and _matched(words, heard) >= math.ceil(KEY_POINT_SHARE * len(words))
    ]
    similarity = max(_f1(ref, heard) for ref in references if ref)
    if key_points:
        content = min(1.0, len(found) / len(key_points) / FULL_COVERAGE)
    else:
        content = similarity
    return found, content, similarity


def _f1(reference: list[str], heard: list[str]) -> float:
    if not reference or not heard:
        return 0.0
    recall = _matched(reference, heard) / len(reference)
    precision = _matched(heard, reference) / len(heard)
    return (
        0.0
        if recall + precision == 0
        else 2 * recall * precision / (recall + precision)
    )


def _fluency(transcript: Transcript) -> float:
    words = transcript.words
    if not words:
        return 0.0
    span_s = max(words[-1].end_s - words[0].start_s, 0.1)
    gaps = [b.start_s - a.end_s for a, b in zip(words, words[1:], strict=False)]
    pause_s = sum(g for g in gaps if g > PAUSE_S)
    rate = len(words) / span_s
    return float(min(1.0, rate / FLUENT_RATE) * (1.0 - pause_s / span_s))
