"""Scoring of read-aloud items (朗读短文): the candidate reads a known text.

The recording is force-aligned to the text with pocketsphinx; each phone's
goodness of pronunciation, the timing of words and pauses, pitch and
loudness become the features of :mod:`scoring_engine.features`. A blend of
ridge regression and gradient-boosted trees calibrated on speechocean762
(``params/read_aloud.json``, written by :mod:`scoring_engine.calibrate`)
maps them to 0-100 scores for accuracy,
fluency, prosody and overall, each multiplied by the fraction of the text's
words found in the audio, so a response cannot earn credit for words it did
not read. Completeness is that fraction, in percent.

Word and phone accuracy come from boosted trees fitted to the experts'
word and phone scores; their inputs are each phone's GOP put on its phone's
scale (``phone_stats`` in the parameters), the evidence of a phone network
trained on the calibration speakers (:mod:`scoring_engine.phone_net`,
``params/phone_net.npz``), the word's length and timing and a few features
of the whole response (:func:`features.word_and_phone_inputs`).
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from scoring_engine import sphinx
from scoring_engine.audio import SR, check_audio, to_pcm16
from scoring_engine.errors import AlignmentError, ScoringError
from scoring_engine.features import (
    FEATURE_NAMES,
    MIN_PHONE_FRAMES,
    Analysis,
    WordAnalysis,
    analyse_read_aloud,
    word_and_phone_inputs,
)
from scoring_engine.params_io import load_params
from scoring_engine.phone_net import shipped_phone_net
from scoring_engine.signal import check_signal, frame_db
from scoring_engine.text import normalise_text
from scoring_engine.trees import predict_trees

logger = logging.getLogger(__name__)

SCORER = "read_aloud/0.5.0"
"""Name and version of this scorer; the version changes whenever scores would."""

MISPRONOUNCED_BELOW = 50.0
"""Word accuracy under which a found word is marked a mispronunciation."""

DIFFERENT_TEXT_BELOW = 0.5
"""Completeness fraction under which the audio is taken as another text."""

INSERTION_MIN_S = 0.3
"""A pause between words holding this much speech, in seconds, is an insertion."""

ASPECT_KEYS = {"accuracy": "accuracy", "fluency": "fluency", "prosody": "prosodic"}


@dataclass(frozen=True)
class PhoneResult:
    """One phone of a word: ARPAbet symbol and accuracy (0-100)."""

    phone: str
    accuracy: float


@dataclass(frozen=True)
class WordResult:
    """One word: times in seconds, accuracy 0-100 and the kind of error.

    ``error`` is "none", "mispronunciation", "omission" (the word is not
    found in the audio) or "insertion" (speech that is not in the text).
    """

    text: str
    start_s: float
    end_s: float
    accuracy: float
    error: str
    phones: list[PhoneResult] = field(default_factory=list)


@dataclass(frozen=True)
class ReadAloudResult:
    """Scores of one read-aloud response.

    ``scores`` holds accuracy, fluency, prosody, completeness and overall,
    each 0-100; ``overall`` repeats the overall score.
    """

    overall: float
    scores: dict[str, float]
    words: list[WordResult]
    flags: list[str]
    scorer: str = SCORER

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-able data."""
        return asdict(self)


def score_read_aloud(y: np.ndarray, *, sr: int, text: str) -> ReadAloudResult:
    """Score a recording of ``text`` read aloud.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,), float32
        Mono samples in [-1, 1].
    sr : int
        Sample rate in Hz; must be 16000 (see :func:`audio.load_audio`).
    text : str
        The text the candidate was asked to read.

    Returns
    -------
    ReadAloudResult
        Scores 0-100, per-word results and flags ("no_speech", "too_short",
        "clipping", "low_snr", "different_text").

    Raises
    ------
    ScoringError
        For empty or malformed audio, a wrong ``sr`` or a text without words.
    """
    y = check_audio(y, sr=sr)
    words = normalise_text(text)
    if not words:
        raise ScoringError(
            f"text {text[:60]!r} has no words to read; give the item's text"
        )
    report = check_signal(y)
    flags = report.flags()
    if "no_speech" in flags:
        return _zero_result(words, flags)
    n_phones = sum(len(sphinx.pronunciation(w)[0]) for w in words)
    if y.size / (SR / sphinx.FRAME_RATE) < MIN_PHONE_FRAMES * n_phones:
        return _zero_result(words, [*flags, "too_short"])

    try:
        analysis = analyse_read_aloud(y, words, net=shipped_phone_net())
    except AlignmentError as exc:
        logger.warning("%s; scoring what is recognised instead", exc)
        return _unaligned_result(y, words, flags)
    params = load_params("read_aloud")
    completeness = analysis.features["frac_words_ok"]
    if completeness < DIFFERENT_TEXT_BELOW:
        flags.append("different_text")
    scores = _sentence_scores(analysis, params, completeness)
    result = ReadAloudResult(
        overall=scores["overall"],
        scores=scores,
        words=_word_results(analysis, params, y),
        flags=flags,
    )
    logger.info(
        "scored read-aloud of %s words: overall %.1f, flags %s",
        len(words),
        result.overall,
        flags,
    )
    return result


def _unaligned_result(
    y: np.ndarray, words: list[str], flags: list[str]
) -> ReadAloudResult:
    """Score a recording the text cannot be aligned to, even with a wide beam.

    Such a recording is of another text, or of far too little of it: the
    calibrated model needs an alignment, so no aspect is scored. The words
    recognised freely (general English trigram) show which reference words
    were read; completeness is their share, every other score is 0, and the
    flags ask a person to listen.
    """
    heard = [w.text.lower() for w in sphinx.recognise(to_pcm16(y))]
    matcher = difflib.SequenceMatcher(a=words, b=heard, autojunk=False)
    found = {
        block.a + offset
        for block in matcher.get_matching_blocks()
        for offset in range(block.size)
    }
    result = _zero_result(words, [*flags, "different_text", "unaligned"])
    result.scores["completeness"] = round(100.0 * len(found) / len(words), 1)
    result.words[:] = [
        replace(word, error="none") if i in found else word
        for i, word in enumerate(result.words)
    ]
    return result


def _zero_result(words: list[str], flags: list[str]) -> ReadAloudResult:
    scores = dict.fromkeys(
        ("accuracy", "fluency", "prosody", "completeness", "overall"), 0.0
    )
    omitted = [WordResult(w, 0.0, 0.0, 0.0, "omission") for w in words]
    return ReadAloudResult(0.0, scores, omitted, flags)


def _sentence_scores(
    analysis: Analysis, params: dict[str, Any], completeness: float
) -> dict[str, float]:
    if params["feature_names"] != list(FEATURE_NAMES):
        raise ScoringError(
            "params/read_aloud.json was fitted on other features; rerun "
            "python -m scoring_engine.calibrate"
        )
    raw = analysis.vector()
    x = (raw - np.array(params["mean"])) / np.array(params["scale"])
    weight = float(params["tree_weight"])

    def predict(aspect: str) -> float:
        model = params["aspects"][aspect]
        ridge = float(x @ np.array(model["coef"]) + model["intercept"])
        trees = float(predict_trees(model["trees"], raw[None, :])[0])
        value = weight * trees + (1.0 - weight) * ridge
        return round(float(np.clip(value, 0.0, 100.0)) * completeness, 1)

    scores = {key: predict(aspect) for key, aspect in ASPECT_KEYS.items()}
    scores["completeness"] = round(100.0 * completeness, 1)
    scores["overall"] = predict("total")
    return scores


def _clipped(values: np.ndarray) -> list[float]:
    return [round(float(v), 1) for v in np.clip(values, 0.0, 100.0)]


def _word_results(
    analysis: Analysis, params: dict[str, Any], y: np.ndarray
) -> list[WordResult]:
    results = []
    for i, word in enumerate(analysis.words):
        results.append(_word_result(word, params, analysis.features))
        if i + 1 < len(analysis.words):
            inserted = _insertion(word, analysis.words[i + 1], y)
            if inserted is not None:
                results.append(inserted)
    return results


def _word_result(
    word: WordAnalysis, params: dict[str, Any], sentence: dict[str, float]
) -> WordResult:
    start_s = word.start / sphinx.FRAME_RATE
    end_s = (word.start + word.duration) / sphinx.FRAME_RATE
    if not word.phones:
        return WordResult(word.text, start_s, end_s, 0.0, "omission")
    inputs, per_phone = word_and_phone_inputs(
        [
            (
                p.phone,
                p.gop_raw,
                p.duration,
                p.loop_match,
                p.net_lp,
                p.net_margin,
                p.net_best,
            )
            for p in word.phones
        ],
        duration=word.duration,
        squeezed=word.squeezed,
        sentence=sentence,
        stats=params["phone_stats"],
    )
    phone_accuracy = _clipped(
        predict_trees(params["phone_accuracy"], np.array(per_phone))
    )
    phones = [
        PhoneResult(p.phone, accuracy)
        for p, accuracy in zip(word.phones, phone_accuracy, strict=True)
    ]
    if not word.evident:
        accuracy, error = 0.0, "omission"
    else:
        accuracy = _clipped(predict_trees(params["word_accuracy"], np.array([inputs])))[
            0
        ]
        error = "mispronunciation" if accuracy < MISPRONOUNCED_BELOW else "none"
    return WordResult(word.text, start_s, end_s, accuracy, error, phones)


def _insertion(
    before: WordAnalysis, after: WordAnalysis, y: np.ndarray
) -> WordResult | None:
    """Speech the aligner left as silence between two words, if any."""
    start = before.start + before.duration
    gap = y[start * (SR // 100) : after.start * (SR // 100)]
    if gap.size < INSERTION_MIN_S * SR:
        return None
    db = frame_db(gap)
    loud = db > max(float(frame_db(y).max()) - 25.0, -45.0)
    if loud.sum() / sphinx.FRAME_RATE < INSERTION_MIN_S:
        return None
    return WordResult(
        "<unknown>",
        start / sphinx.FRAME_RATE,
        after.start / sphinx.FRAME_RATE,
        0.0,
        "insertion",
    )
