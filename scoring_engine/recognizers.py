"""Speech recognisers behind one small typed interface.

:class:`Recognizer` turns 16 kHz mono samples into a :class:`Transcript`
(words with times in seconds and a confidence 0-1). Two implementations:

- :class:`PocketsphinxRecognizer`: the general English trigram shipped in
  the pocketsphinx wheel; always available. Given an item's texts (model
  answers, key points) it decodes twice: the general trigram first, then a
  small trigram of the item's texts whose vocabulary also holds the words
  of the first pass, so the item's phrases are preferred where the audio
  allows and other words stay possible.
- :class:`VoskRecognizer`: a Kaldi model run by vosk, usually more accurate.
  No English vosk model ships with the platform. A site installs one by
  downloading ``vosk-model-small-en-us-0.15`` (about 40 MB, Apache 2.0) from
  the vosk project's model list, unpacking it to a folder readable by the
  scoring workers (for example ``/opt/vosk/vosk-model-small-en-us-0.15``),
  and setting the environment variable ``SCORING_VOSK_MODEL`` to that folder
  for the server. :func:`default_recognizer` then picks vosk.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from scoring_engine import sphinx
from scoring_engine.audio import check_audio, to_pcm16
from scoring_engine.errors import ScoringError
from scoring_engine.text import normalise_text

logger = logging.getLogger(__name__)

VOSK_MODEL_ENV = "SCORING_VOSK_MODEL"
"""Environment variable naming a vosk model folder."""

_VOSK_CHUNK = 8000
"""Samples fed to vosk per call (0.5 s)."""


@dataclass(frozen=True)
class TranscriptWord:
    """A recognised word, its times in seconds and confidence 0-1."""

    text: str
    start_s: float
    end_s: float
    conf: float


@dataclass(frozen=True)
class Transcript:
    """Recognised words in time order and the recogniser that made them."""

    words: list[TranscriptWord] = field(default_factory=list)
    recognizer: str = ""

    @property
    def text(self) -> str:
        """The words joined by spaces."""
        return " ".join(w.text for w in self.words)


class Recognizer(Protocol):
    """Anything that can transcribe 16 kHz mono speech."""

    name: str

    def transcribe(self, y: np.ndarray, *, sr: int) -> Transcript:
        """Recognise ``y`` (float32 mono in [-1, 1]) sampled at ``sr`` Hz."""
        ...


class PocketsphinxRecognizer:
    """English recognition with pocketsphinx, optionally biased to an item.

    Parameters
    ----------
    bias_texts : list of str, optional
        The item's model answers and key points.
    """

    def __init__(self, bias_texts: list[str] | None = None) -> None:
        self._bias = [normalise_text(t) for t in bias_texts or []]
        self.name = "pocketsphinx/en-us" + ("+item" if self._bias else "")

    def transcribe(self, y: np.ndarray, *, sr: int) -> Transcript:
        """Recognise ``y``; see :class:`Recognizer`."""
        y = check_audio(y, sr=sr)
        pcm = to_pcm16(y)
        recognised = sphinx.recognise(pcm)
        if self._bias:
            extra = sorted({w.text for w in recognised})
            recognised = sphinx.recognise_biased(pcm, self._bias, extra)
        words = [
            TranscriptWord(
                w.text,
                w.start / sphinx.FRAME_RATE,
                (w.end + 1) / sphinx.FRAME_RATE,
                round(min(max(w.conf, 0.0), 1.0), 4),
            )
            for w in recognised
        ]
        return Transcript(words, self.name)


class VoskRecognizer:
    """Recognition with a vosk (Kaldi) model folder.

    Parameters
    ----------
    model_dir : str or Path
        An unpacked vosk model (holding ``am/`` and ``conf/``).
    """

    def __init__(self, model_dir: str | Path) -> None:
        import vosk

        path = Path(model_dir)
        if not (path / "am").is_dir() or not (path / "conf").is_dir():
            raise ScoringError(
                f"vosk model folder {path} does not exist or lacks am/ and "
                f"conf/; unpack a vosk model there or fix {VOSK_MODEL_ENV}"
            )
        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(path))
        except Exception as exc:  # vosk raises a bare Exception
            raise ScoringError(f"vosk cannot load the model in {path}: {exc}") from exc
        self._vosk = vosk
        self.name = f"vosk/{path.name}"

    def transcribe(self, y: np.ndarray, *, sr: int) -> Transcript:
        """Recognise ``y``; see :class:`Recognizer`."""
        y = check_audio(y, sr=sr)
        recognizer = self._vosk.KaldiRecognizer(self._model, float(sr))
        recognizer.SetWords(True)
        pieces: list[dict[str, object]] = []
        pcm = to_pcm16(y)
        step = 2 * _VOSK_CHUNK
        for offset in range(0, len(pcm), step):
            if recognizer.AcceptWaveform(pcm[offset : offset + step]):
                pieces.extend(json.loads(recognizer.Result()).get("result", []))
        pieces.extend(json.loads(recognizer.FinalResult()).get("result", []))
        words = [
            TranscriptWord(
                str(p["word"]),
                float(p["start"]),  # type: ignore[arg-type]
                float(p["end"]),  # type: ignore[arg-type]
                float(p.get("conf", 1.0)),  # type: ignore[arg-type]
            )
            for p in pieces
        ]
        return Transcript(words, self.name)


def default_recognizer(
    model_dir: str | Path | None = None, *, bias_texts: list[str] | None = None
) -> Recognizer:
    """vosk when a model folder is given or configured, else pocketsphinx.

    ``bias_texts`` (an item's answers and key points) bias pocketsphinx;
    vosk decodes with its own graph.
    """
    model_dir = model_dir or os.environ.get(VOSK_MODEL_ENV) or None
    if model_dir:
        logger.debug("using the vosk model in %s", model_dir)
        return _cached_vosk(str(model_dir))
    return PocketsphinxRecognizer(bias_texts)


_VOSK_CACHE: dict[str, VoskRecognizer] = {}


def _cached_vosk(model_dir: str) -> VoskRecognizer:
    if model_dir not in _VOSK_CACHE:
        _VOSK_CACHE[model_dir] = VoskRecognizer(model_dir)
    return _VOSK_CACHE[model_dir]
