"""Inputs of the word and phone accuracy models."""

from __future__ import annotations

import numpy as np

from scoring_engine import sphinx
from scoring_engine.audio import SR
from scoring_engine.features import (
    UNKNOWN_PHONE,
    PhoneAnalysis,
    WordAnalysis,
    _disfluency_features,
    _levels_db,
    _timing_features,
    word_and_phone_inputs,
)

STATS = {"T": [2.0, 4.0, 90.0], "IY": [-1.0, 2.0, 80.0], UNKNOWN_PHONE: [0, 5, 70]}
SENTENCE = {
    "gop_mean": -8.0,
    "gop_frame_mean": -6.0,
    "frac_bad_phones": 0.1,
    "speech_rate": 3.0,
    "net_margin_mean": -0.5,
}


def test_each_phone_is_measured_against_its_own_typical_gop() -> None:
    word, per_phone = word_and_phone_inputs(
        [
            ("T", -6.0, 10, 0.0, -0.5, -0.25, 0.5),
            ("IY", -1.0, 12, 1.0, -2.5, -1.5, 0.0),
            ("ZH", 5.0, 8, 0.5, -0.1, 0.0, 1.0),
        ],
        duration=30,
        squeezed=False,
        sentence=SENTENCE,
        stats=STATS,
    )
    z = [phone[1] for phone in per_phone]
    drop = [phone[2] for phone in per_phone]
    assert z == [-2.0, 0.0, 1.0]
    assert drop == [-8.0, 0.0, 0.0]
    # neighbours' z, 0 past the word's edges
    assert [phone[3] for phone in per_phone] == [0.0, -2.0, 0.0]
    assert [phone[4] for phone in per_phone] == [0.0, 1.0, 0.0]
    # an unseen phone takes the statistics of all phones
    assert per_phone[2][-1] == 70 and per_phone[0][-1] == 90.0
    assert word[:6] == [np.mean(z), -2.0, np.mean(drop), -8.0, 0.5, 0.0]
    # the network's evidence over the word: mean and least log posterior,
    # mean margin, mean share of best frames
    assert np.allclose(word[6:10], [-3.1 / 3, -2.5, -1.75 / 3, 0.5])
    assert np.isclose(word[10], np.log(10.0))
    # loop match and log frames of each phone follow the phone's own inputs
    assert [phone[9] for phone in per_phone] == [0.0, 1.0, 0.5]
    assert np.isclose(per_phone[1][10], np.log(12.0))
    # then its network evidence and its neighbours' margins
    assert per_phone[1][11:16] == [-2.5, -1.5, 0.0, -0.25, 0.0]
    assert word[-1] == 0.0 and len(per_phone[0]) == 16 + 17 + 1


def word_at(start: int, duration: int, n_phones: int) -> WordAnalysis:
    """A word of ``n_phones`` equal phones over [start, start + duration)."""
    step = duration // n_phones
    phones = [
        PhoneAnalysis("AH", start + k * step, step, 0.0, 0.0) for k in range(n_phones)
    ]
    return WordAnalysis("a", start, duration, phones, 0.0, 0.0, False)


def loop_of(phones: list[tuple[str, int, int]]) -> sphinx.Alignment:
    """A free phone loop hearing (name, start, duration) phones."""
    words = [
        sphinx.AlignedWord(
            name, start, length, 0.0, [sphinx.Segment(name, start, length, 0.0)]
        )
        for name, start, length in phones
    ]
    return sphinx.Alignment(words, np.zeros(400), 400)


def test_last_word_said_twice_as_slowly_lengthens_by_log_two() -> None:
    words = [word_at(50, 30, 3), word_at(80, 40, 4), word_at(120, 60, 3)]
    timing = _timing_features(words)
    assert np.isclose(timing["final_lengthening"], np.log(2.0))
    assert timing["lead_silence_s"] == 0.5


def speech_with_gaps(loud_gaps: set[int]) -> tuple[np.ndarray, list[WordAnalysis]]:
    """Four words as a loud tone; the three 30-frame gaps loud when listed."""
    t = np.arange(4 * SR) / SR
    tone = (0.3 * np.sin(2 * np.pi * 200.0 * t)).astype(np.float32)
    y = np.zeros_like(tone)
    words = [word_at(20 + 60 * k, 30, 3) for k in range(4)]
    for k, word in enumerate(words):
        y[word.start * 160 : (word.start + 30) * 160] = tone[: 30 * 160]
        if k in loud_gaps:
            y[(word.start + 30) * 160 : (word.start + 60) * 160] = tone[: 30 * 160]
    return y, words


def test_silent_pauses_are_neither_hesitations_nor_restarts() -> None:
    y, words = speech_with_gaps(set())
    found = _disfluency_features(_levels_db(y), words, loop_of([("AH", 55, 20)]))
    assert found == {"hesitations_per_word": 0.0, "restarts_per_word": 0.0}


def test_spoken_pause_is_a_hesitation_or_a_restart_by_the_phones_heard() -> None:
    # Gap 0 (frames 50-80) holds one phone: "er"; gap 1 (110-140) holds
    # four: a word begun again; gap 2 is silent.
    y, words = speech_with_gaps({0, 1})
    loop = loop_of(
        [("ER", 52, 25), ("SIL", 80, 30)]
        + [(name, 112 + 7 * k, 7) for k, name in enumerate(["DH", "AH", "K", "AE"])]
    )
    found = _disfluency_features(_levels_db(y), words, loop)
    assert found == {"hesitations_per_word": 0.25, "restarts_per_word": 0.25}
