"""Inputs of the word and phone accuracy models."""

from __future__ import annotations

import numpy as np

from scoring_engine.features import UNKNOWN_PHONE, word_and_phone_inputs

STATS = {"T": [2.0, 4.0, 90.0], "IY": [-1.0, 2.0, 80.0], UNKNOWN_PHONE: [0, 5, 70]}
SENTENCE = {
    "gop_mean": -8.0,
    "gop_frame_mean": -6.0,
    "frac_bad_phones": 0.1,
    "speech_rate": 3.0,
}


def test_each_phone_is_measured_against_its_own_typical_gop() -> None:
    word, per_phone = word_and_phone_inputs(
        [("T", -6.0, 10, 0.0), ("IY", -1.0, 12, 1.0), ("ZH", 5.0, 8, 0.5)],
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
    assert np.isclose(word[6], np.log(10.0))
    # loop match and log frames of each phone follow the phone's own inputs
    assert [phone[9] for phone in per_phone] == [0.0, 1.0, 0.5]
    assert np.isclose(per_phone[1][10], np.log(12.0))
    assert word[-1] == 0.0 and len(per_phone[0]) == 11 + 12 + 1
