"""The pocketsphinx decoder, loaded once per process, and what we ask of it.

Three searches share one decoder (the en-us acoustic model shipped in the
pocketsphinx wheel):

- forced alignment of a word sequence, in two passes (words, then phones and
  HMM states), giving each phone its frames and acoustic log-likelihood;
- a free phone loop (allphone search with the wheel's phone trigram), whose
  best phone string is aligned the same way, so that its log-likelihood per
  frame is in the same units as the forced alignment's;
- large-vocabulary recognition with the wheel's general English trigram,
  loaded on first use.

Acoustic scores are pocketsphinx's integer log-likelihoods (log base 1.0001,
scaled down by 2**10 inside the decoder); only differences and per-frame
means are used, so the unit cancels once the calibration is fitted.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pocketsphinx
from pocketsphinx.lm import ArpaBoLM

from scoring_engine.errors import AlignmentError, ScoringError
from scoring_engine.text import espeak_pronunciation

logger = logging.getLogger(__name__)

FRAME_RATE = 100
"""Frames per second of the acoustic model (10 ms shift)."""

PHONES = [
    "AA",
    "AE",
    "AH",
    "AO",
    "AW",
    "AY",
    "B",
    "CH",
    "D",
    "DH",
    "EH",
    "ER",
    "EY",
    "F",
    "G",
    "HH",
    "IH",
    "IY",
    "JH",
    "K",
    "L",
    "M",
    "N",
    "NG",
    "OW",
    "OY",
    "P",
    "R",
    "S",
    "SH",
    "T",
    "TH",
    "UH",
    "UW",
    "V",
    "W",
    "Y",
    "Z",
    "ZH",
]
"""The 39 ARPAbet phones of the en-us acoustic model (silence apart)."""

SILENCE_WORDS = frozenset({"<sil>", "<s>", "</s>", "[NOISE]", "[SPEECH]"})
_LOOP_WORD = "phone_loop_{}"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Segment:
    """A word or phone of an alignment; frames are 10 ms."""

    name: str
    start: int
    duration: int
    score: float


@dataclass(frozen=True)
class AlignedWord(Segment):
    """A word with its phones."""

    phones: list[Segment] = field(default_factory=list)


@dataclass(frozen=True)
class Alignment:
    """A two-pass alignment: words with phones, and per-frame scores.

    ``frame_scores[t]`` is the acoustic log-likelihood of frame ``t`` on the
    aligned path (each HMM state's score spread evenly over its frames).
    """

    words: list[AlignedWord]
    frame_scores: np.ndarray
    n_frames: int


@dataclass(frozen=True)
class RecognisedWord:
    """A word of a recognition hypothesis with its posterior probability."""

    text: str
    start: int
    end: int
    conf: float


class _Sphinx:
    """One decoder with the alignment, phone-loop and LM searches."""

    def __init__(self, *, beam: float | None = None) -> None:
        model = pocketsphinx.get_model_path()
        self.model_dir = os.path.join(model, "en-us")
        self.hmm = os.path.join(self.model_dir, "en-us")
        config = pocketsphinx.Config(
            hmm=self.hmm,
            dict=os.path.join(self.model_dir, "cmudict-en-us.dict"),
            lm=None,
            loglevel="FATAL",
            # bestpath adds a one-frame </s> that phone alignment cannot fit
            bestpath=False,
        )
        if beam is not None:
            config["beam"] = config["pbeam"] = config["wbeam"] = beam
        self.decoder = pocketsphinx.Decoder(config)
        self.decoder.add_allphone_file(
            "phone_loop", os.path.join(self.model_dir, "en-us-phone.lm.bin")
        )
        for i, phone in enumerate(PHONES):
            self.decoder.add_word(
                _LOOP_WORD.format(phone.lower()), phone, i == len(PHONES) - 1
            )
        self.has_lm = False
        self.espeak_words: set[str] = set()

    def pronunciation(self, word: str) -> tuple[tuple[str, ...], str]:
        """Phones of ``word`` and their source ("cmudict" or "espeak")."""
        phones = self.decoder.lookup_word(word)
        if phones:
            source = "espeak" if word in self.espeak_words else "cmudict"
            return tuple(phones.split()), source
        espeak = espeak_pronunciation(word)
        self.decoder.add_word(word, " ".join(espeak), True)
        self.espeak_words.add(word)
        logger.debug("pronunciation of %s from espeak-ng: %s", word, espeak)
        return espeak, "espeak"

    def _decode(self, pcm: bytes) -> None:
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()

    def align(self, pcm: bytes, words: Sequence[str]) -> Alignment:
        """Force-align ``words`` (all known to the dictionary) to ``pcm``."""
        try:
            self.decoder.set_align_text(" ".join(words))
            self._decode(pcm)
            self.decoder.set_alignment()
            self._decode(pcm)
        except RuntimeError as exc:
            raise AlignmentError(
                f"pocketsphinx could not align {len(words)} words to "
                f"{len(pcm) / 32000:.1f} s of audio: {exc}; the audio may be "
                "too short for the text"
            ) from exc
        n_frames = self.decoder.n_frames()
        frame_scores = np.zeros(n_frames, dtype=np.float64)
        aligned: list[AlignedWord] = []
        for entry in self.decoder.get_alignment():
            word = AlignedWord(entry.name, entry.start, entry.duration, entry.score)
            for phone in entry:
                word.phones.append(
                    Segment(phone.name, phone.start, phone.duration, phone.score)
                )
                for state in phone:
                    stop = min(state.start + state.duration, n_frames)
                    if state.duration > 0:
                        frame_scores[state.start : stop] = state.score / state.duration
            aligned.append(word)
        return Alignment(aligned, frame_scores, n_frames)

    def phone_loop(self, pcm: bytes) -> Alignment:
        """Best free phone string, aligned for per-frame scores."""
        self.decoder.activate_search("phone_loop")
        self._decode(pcm)
        loop = [
            _LOOP_WORD.format(seg.word.lower())
            for seg in self.decoder.seg()
            if seg.word in PHONES
        ]
        if not loop:
            return Alignment([], np.zeros(0), 0)
        return self.align(pcm, loop)

    def recognise(self, pcm: bytes) -> list[RecognisedWord]:
        """Words recognised with the general English trigram."""
        if not self.has_lm:
            self.decoder.add_lm_file(
                "general", os.path.join(self.model_dir, "en-us.lm.bin")
            )
            self.has_lm = True
        self.decoder.activate_search("general")
        return _hypothesis(self.decoder, pcm)

    def recognise_biased(
        self, pcm: bytes, sentences: Sequence[Sequence[str]], extra: Sequence[str]
    ) -> list[RecognisedWord]:
        """Words recognised with a trigram of ``sentences`` plus ``extra`` words.

        The ``extra`` words enter as unigrams seen once, so the decoder can
        leave the item's sentences when the audio says something else. The
        search runs on a fresh decoder whose dictionary holds only these
        words: building an n-gram search over the full dictionary takes
        seconds, loading the acoustic model a tenth of one.
        """
        words = sorted({w for sentence in sentences for w in sentence} | set(extra))
        text = "\n".join(" ".join(sentence) for sentence in sentences if sentence)
        model = ArpaBoLM(text=text + "\n", add_start=True)
        for word in extra:
            model.grams_1.setdefault(word, 1)
        model.compute()
        with tempfile.TemporaryDirectory() as folder:
            lexicon = os.path.join(folder, "item.dict")
            with open(lexicon, "w", encoding="utf-8") as sink:
                for word in words:
                    sink.write(f"{word} {' '.join(self.pronunciation(word)[0])}\n")
            arpa = os.path.join(folder, "item.arpa")
            with open(arpa, "w", encoding="utf-8") as sink:
                model.write(sink)
            decoder = pocketsphinx.Decoder(
                pocketsphinx.Config(
                    hmm=self.hmm, dict=lexicon, lm=arpa, loglevel="FATAL"
                )
            )
        return _hypothesis(decoder, pcm)


WIDE_BEAM = 1e-300
"""Pruning beam of the retry decoder (the default is 1e-48), close to no
pruning: a hesitant reading, or audio of another text, whose alignment falls
off the default beam is aligned again with this one, about twice as slowly."""


def _hypothesis(decoder: pocketsphinx.Decoder, pcm: bytes) -> list[RecognisedWord]:
    """Decode ``pcm`` with the active search; words without fillers."""
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    logmath = decoder.get_logmath()
    words = []
    for seg in decoder.seg():
        if seg.word in SILENCE_WORDS or seg.word.startswith("++"):
            continue
        text = seg.word.split("(")[0]
        conf = float(logmath.exp(seg.prob)) if seg.prob else 1.0
        words.append(RecognisedWord(text, seg.start_frame, seg.end_frame, conf))
    return words


@functools.lru_cache(maxsize=1)
def _sphinx() -> _Sphinx:
    logger.info("loading the pocketsphinx en-us model")
    return _Sphinx()


@functools.lru_cache(maxsize=1)
def _sphinx_wide() -> _Sphinx:
    logger.info("loading the pocketsphinx en-us model with a wide beam")
    return _Sphinx(beam=WIDE_BEAM)


def pronunciation(word: str) -> tuple[tuple[str, ...], str]:
    """Phones of ``word`` (CMU dictionary, else espeak-ng) and their source."""
    with _LOCK:
        return _sphinx().pronunciation(word)


def align(pcm: bytes, words: Sequence[str]) -> Alignment:
    """Two-pass forced alignment of ``words`` to 16 kHz 16-bit ``pcm``."""
    with _LOCK:
        try:
            return _align_with(_sphinx(), pcm, words)
        except ScoringError as exc:
            logger.warning("%s; retrying with a wider beam", exc)
        return _align_with(_sphinx_wide(), pcm, words)


def _align_with(sphinx: _Sphinx, pcm: bytes, words: Sequence[str]) -> Alignment:
    for word in words:
        sphinx.pronunciation(word)
    return sphinx.align(pcm, words)


def phone_loop(pcm: bytes) -> Alignment:
    """The free phone loop's best path, with per-frame scores."""
    with _LOCK:
        return _sphinx().phone_loop(pcm)


def recognise(pcm: bytes) -> list[RecognisedWord]:
    """Recognise ``pcm`` with the general English language model."""
    with _LOCK:
        return _sphinx().recognise(pcm)


def recognise_biased(
    pcm: bytes, sentences: Sequence[Sequence[str]], extra: Sequence[str]
) -> list[RecognisedWord]:
    """Recognise ``pcm`` with a small trigram of an item's own sentences."""
    with _LOCK:
        return _sphinx().recognise_biased(pcm, sentences, extra)
