"""Text normalisation and pronunciations for alignment.

Reference texts become lower-case word lists the pocketsphinx dictionary
knows: punctuation goes, hyphens split words, and whole numbers up to
999 999 are spelled out. A word missing from the CMU dictionary gets a
pronunciation from espeak-ng's IPA output mapped onto the ARPAbet phones of
the acoustic model (table :data:`IPA_TO_ARPABET`).
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess

from scoring_engine.errors import ScoringError

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = [
    "_",
    "_",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "sixty",
    "seventy",
    "eighty",
    "ninety",
]
MAX_NUMBER = 999_999
"""Largest whole number spelled out; longer digit strings are refused."""

# espeak-ng IPA segment (stress and length marks removed) -> ARPAbet phones.
# Vowels follow General American as espeak-ng's en-us voice writes them;
# r-coloured vowels split into vowel + R except the syllabic ER; the flap
# and the glottal stop become T, the acoustic model having neither.
IPA_TO_ARPABET: dict[str, tuple[str, ...]] = {
    # monophthongs
    "i": ("IY",),
    "ɪ": ("IH",),
    "e": ("EH",),
    "ɛ": ("EH",),
    "æ": ("AE",),
    "a": ("AE",),
    "ɑ": ("AA",),
    "ɒ": ("AA",),
    "ɔ": ("AO",),
    "o": ("OW",),
    "ʊ": ("UH",),
    "u": ("UW",),
    "ʌ": ("AH",),
    "ə": ("AH",),
    "ɐ": ("AH",),
    "ᵻ": ("IH",),
    "ɜ": ("ER",),
    "ɚ": ("ER",),
    "ɝ": ("ER",),
    # diphthongs
    "eɪ": ("EY",),
    "aɪ": ("AY",),
    "ɔɪ": ("OY",),
    "aʊ": ("AW",),
    "oʊ": ("OW",),
    "əʊ": ("OW",),
    # r-coloured and syllabic sequences espeak-ng writes as one segment
    "ɪɹ": ("IH", "R"),
    "ɛɹ": ("EH", "R"),
    "ʊɹ": ("UH", "R"),
    "ɑɹ": ("AA", "R"),
    "ɔɹ": ("AO", "R"),
    "oɹ": ("AO", "R"),
    "aɪɚ": ("AY", "ER"),
    "aʊɚ": ("AW", "ER"),
    "əl": ("AH", "L"),
    "l̩": ("AH", "L"),
    "n̩": ("AH", "N"),
    "m̩": ("AH", "M"),
    # consonants
    "p": ("P",),
    "b": ("B",),
    "t": ("T",),
    "d": ("D",),
    "k": ("K",),
    "ɡ": ("G",),
    "g": ("G",),
    "f": ("F",),
    "v": ("V",),
    "θ": ("TH",),
    "ð": ("DH",),
    "s": ("S",),
    "z": ("Z",),
    "ʃ": ("SH",),
    "ʒ": ("ZH",),
    "h": ("HH",),
    "tʃ": ("CH",),
    "dʒ": ("JH",),
    "m": ("M",),
    "n": ("N",),
    "ŋ": ("NG",),
    "l": ("L",),
    "ɹ": ("R",),
    "r": ("R",),
    "w": ("W",),
    "j": ("Y",),
    "ɾ": ("T",),
    "ʔ": ("T",),
    "x": ("HH",),
    "ç": ("HH",),
}
_IPA_MARKS = str.maketrans("", "", "ˈˌːˑ‿")
_LONGEST_IPA = max(len(key) for key in IPA_TO_ARPABET)


def number_to_words(n: int) -> list[str]:
    """Spell a whole number from 0 to :data:`MAX_NUMBER` in English words."""
    if not 0 <= n <= MAX_NUMBER:
        raise ScoringError(
            f"number {n} is outside 0 to {MAX_NUMBER}; write it in words"
        )
    if n < 20:
        return [_ONES[n]]
    if n < 100:
        tens, ones = divmod(n, 10)
        return [_TENS[tens]] + ([_ONES[ones]] if ones else [])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return [_ONES[hundreds], "hundred"] + (number_to_words(rest) if rest else [])
    thousands, rest = divmod(n, 1000)
    return (
        number_to_words(thousands)
        + ["thousand"]
        + (number_to_words(rest) if rest else [])
    )


def normalise_text(text: str) -> list[str]:
    """Split a reference text into lower-case words the aligner can use.

    Case is folded, curly apostrophes straightened, hyphens and slashes split
    words, other punctuation dropped, and digit strings spelled out
    ("3" -> "three", "1,200" -> "one thousand two hundred").
    """
    if not isinstance(text, str):
        raise ScoringError(f"text must be a str, got {type(text).__name__}")
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    words: list[str] = []
    for token in re.findall(r"[a-z0-9']+", re.sub(r"[-/]", " ", text)):
        token = token.strip("'")
        if not token:
            continue
        for part in re.findall(r"\d+|[a-z']+", token):
            if part.isdigit():
                if len(part) > len(str(MAX_NUMBER)):
                    raise ScoringError(
                        f"number {part} in the text is longer than "
                        f"{len(str(MAX_NUMBER))} digits; write it in words"
                    )
                words.extend(number_to_words(int(part)))
            else:
                words.append(part)
    return words


def ipa_to_arpabet(ipa_word: str) -> list[str]:
    """Map one word of espeak-ng IPA (segments split by ``_``) to ARPAbet.

    Each segment is looked up whole; a segment not in the table is split
    greedily into its longest known pieces, and unknown symbols are dropped.
    """
    phones: list[str] = []
    for segment in ipa_word.translate(_IPA_MARKS).split("_"):
        i = 0
        while i < len(segment):
            for size in range(min(_LONGEST_IPA, len(segment) - i), 0, -1):
                piece = segment[i : i + size]
                if piece in IPA_TO_ARPABET:
                    phones.extend(IPA_TO_ARPABET[piece])
                    i += size
                    break
            else:
                i += 1
    return phones


@functools.lru_cache(maxsize=4096)
def espeak_pronunciation(word: str) -> tuple[str, ...]:
    """ARPAbet pronunciation of ``word`` from espeak-ng's en-us voice.

    Raises :class:`ScoringError` when espeak-ng is missing or gives no phone.
    """
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise ScoringError(
            f"word {word!r} is not in the pronunciation dictionary and "
            "espeak-ng is not installed; install the Debian package espeak-ng"
        )
    try:
        result = subprocess.run(
            [espeak, "-v", "en-us", "-q", "--ipa", "--sep=_", "--", word],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        raise ScoringError(
            f"espeak-ng failed on word {word!r}: {exc.stderr.strip()}"
        ) from exc
    phones = [p for part in result.stdout.split() for p in ipa_to_arpabet(part)]
    if not phones:
        raise ScoringError(
            f"espeak-ng gave no pronunciation for word {word!r}; "
            "correct the spelling in the reference text"
        )
    return tuple(phones)
