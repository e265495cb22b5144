"""Text normalisation and pronunciations for words outside the dictionary."""

from __future__ import annotations

import pytest

from scoring_engine import sphinx
from scoring_engine.errors import ScoringError
from scoring_engine.text import (
    espeak_pronunciation,
    ipa_to_arpabet,
    normalise_text,
    number_to_words,
)


def test_normalise_folds_case_drops_punctuation_and_splits_hyphens() -> None:
    assert normalise_text("Hello, World! It's a well-known “fact”.") == [
        "hello",
        "world",
        "it's",
        "a",
        "well",
        "known",
        "fact",
    ]


def test_normalise_spells_numbers() -> None:
    assert normalise_text("I have 3 cats and 1,250 books") == [
        "i",
        "have",
        "three",
        "cats",
        "and",
        "one",
        "thousand",
        "two",
        "hundred",
        "fifty",
        "books",
    ]
    assert number_to_words(0) == ["zero"]
    assert number_to_words(115) == ["one", "hundred", "fifteen"]


def test_numbers_beyond_the_limit_are_refused() -> None:
    with pytest.raises(ScoringError, match="write it in words"):
        normalise_text("call 12345678")


def test_ipa_segments_map_to_arpabet() -> None:
    assert ipa_to_arpabet("θ_ˈɪ_ŋ_k_ɪ_ŋ") == ["TH", "IH", "NG", "K", "IH", "NG"]
    assert ipa_to_arpabet("b_ˈɑː_ɾ_əl") == ["B", "AA", "T", "AH", "L"]
    assert ipa_to_arpabet("tʃ_ˈɜː_tʃ") == ["CH", "ER", "CH"]


def test_out_of_dictionary_word_gets_espeak_pronunciation() -> None:
    phones, source = sphinx.pronunciation("zorblax")
    assert source == "espeak"
    assert phones == espeak_pronunciation("zorblax")
    assert phones[0] == "Z" and phones[-3:] == ("AE", "K", "S")
    assert set(phones) <= set(sphinx.PHONES)


def test_dictionary_word_comes_from_cmudict() -> None:
    assert sphinx.pronunciation("school") == (("S", "K", "UW", "L"), "cmudict")
