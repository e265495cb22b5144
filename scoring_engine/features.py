"""Measurements of a read-aloud response: pronunciation, fluency, prosody.

Pronunciation is the goodness of pronunciation (GOP) of each phone: the
forced alignment's acoustic log-likelihood per frame minus the free phone
loop's over the same frames (Witt and Young, "Phone-level pronunciation
scoring and assessment for interactive language learning", Speech
Communication 30, 2000). It is near zero when the expected phone is what the
recogniser hears best, and strongly negative when another phone fits better.
Beside it, each phone's loop match is the share of its frames where the free
phone loop itself chose that phone, and, given a phone network trained on
learners' speech (:mod:`scoring_engine.phone_net`), that network's
posterior evidence for the phone.

Fluency follows the temporal measures of second-language speech (speech
rate, articulation rate, pauses, mean length of run; Cucchiarini, Strik and
Boves, JASA 107, 2000), with the hesitation sounds and restarts heard in the
pauses. Prosody is the spread of pitch over the vowels and of loudness over
speech, the rhythm of vowel durations (normalised pairwise variability
index, Grabe and Low 2002) and the lengthening of the phrase's last word.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import librosa
import numpy as np

from scoring_engine import sphinx
from scoring_engine.audio import SR, to_pcm16
from scoring_engine.phone_net import PhoneNet, frame_inputs, phone_evidence

logger = logging.getLogger(__name__)

HOP_LENGTH = SR // sphinx.FRAME_RATE
"""Samples per 10 ms analysis frame, the acoustic model's frame shift."""

GOP_FLOOR = -200.0
"""Lowest GOP kept per phone, so one wild frame cannot dominate a mean."""

BAD_PHONE_GOP = -40.0
"""GOP below which a phone counts as mispronounced for the features."""

BAD_WORD_GOP = -30.0
"""Word GOP (mean over its phones) below which a word counts as poor."""

PAUSE_S = 0.15
"""Shortest silence between words counted as a pause, in seconds."""

LONG_PAUSE_S = 0.5
"""Pauses longer than this inside the sentence count as long pauses."""

GAP_SPEECH_DB = 10.0
"""A frame of a pause holds speech when it is no more than this many dB
below the median loudness of the words: a filled pause ("er", "um") or a
false start is as loud as speech, silence and breath are far quieter."""

GAP_SPEECH_SHARE = 0.5
"""Share of a pause's frames that must hold speech for it to be a
disfluency rather than silence."""

RESTART_PHONES = 3
"""Phones the free phone loop hears in a spoken pause from which on it is a
restart (a repeated or abandoned word); fewer is a hesitation sound."""

MIN_PHONE_FRAMES = 3
"""Frames a phone needs in the 3-state model: a shorter word was squeezed."""

FMIN = 70.0
FMAX = 400.0
"""Pitch search range in Hz, covering children's and adults' speech."""

VOWELS = frozenset(
    [
        "AA",
        "AE",
        "AH",
        "AO",
        "AW",
        "AY",
        "EH",
        "ER",
        "EY",
        "IH",
        "IY",
        "OW",
        "OY",
        "UH",
        "UW",
    ]
)

BASE_FEATURE_NAMES = (
    "gop_mean",
    "gop_frame_mean",
    "gop_p10",
    "frac_bad_phones",
    "word_gop_min",
    "frac_bad_words",
    "phone_match",
    "frac_words_ok",
    "speech_rate",
    "articulation_rate",
    "n_pauses_per_word",
    "pause_frac",
    "n_long_pauses",
    "mean_length_of_run",
    "word_duration_cv",
    "vowel_npvi",
    "f0_range_st",
    "f0_std_st",
    "energy_std_db",
    "log_duration_s",
    "final_lengthening",
    "lead_silence_s",
    "hesitations_per_word",
    "restarts_per_word",
)
"""Features measured without the phone network, as calibration extracts
them before any network is trained."""

NET_FEATURE_NAMES = ("net_lp_mean", "net_margin_mean", "net_best_mean")
"""Means over the response's phones of :class:`PhoneAnalysis`'s network
evidence (``net_lp``, ``net_margin``, ``net_best``)."""

FEATURE_NAMES = (*BASE_FEATURE_NAMES, *NET_FEATURE_NAMES)
"""Order of the feature vector given to the calibrated linear models."""


@dataclass(frozen=True)
class PhoneAnalysis:
    """One aligned phone: times in frames and its GOP.

    ``gop`` is capped at 0 (a phone cannot fit better than the best free
    path); ``gop_raw`` keeps positive values, where the phone loop's
    language model kept the free path from the acoustically best phone,
    which tells phones apart when they are all said well. ``loop_match`` is
    the share of the phone's frames where the free phone loop heard this
    same phone. ``net_lp``, ``net_margin`` and ``net_best`` are the phone
    network's evidence (:func:`phone_net.phone_evidence`), 0 without one.
    """

    phone: str
    start: int
    duration: int
    gop: float
    gop_raw: float
    loop_match: float = 0.0
    net_lp: float = 0.0
    net_margin: float = 0.0
    net_best: float = 0.0


@dataclass(frozen=True)
class WordAnalysis:
    """One word of the reference text as aligned in the audio."""

    text: str
    start: int
    duration: int
    phones: list[PhoneAnalysis]
    gop: float
    gop_min: float
    squeezed: bool

    @property
    def evident(self) -> bool:
        """Whether the audio gives reasonable acoustic evidence of the word.

        A word is missing when its phones fit far worse than the free phone
        loop (mean GOP under twice :data:`BAD_WORD_GOP`), or when the aligner
        squeezed it into the fewest frames possible and it still fits badly;
        a short word said quickly and well is kept.
        """
        if self.gop < 2 * BAD_WORD_GOP:
            return False
        return not (self.squeezed and self.gop < BAD_WORD_GOP)


@dataclass(frozen=True)
class Analysis:
    """Everything measured on one response."""

    words: list[WordAnalysis]
    pauses_s: list[float]
    features: dict[str, float] = field(default_factory=dict)

    def vector(self) -> np.ndarray:
        """Features in :data:`FEATURE_NAMES` order, shape (n_features,)."""
        return np.array([self.features[name] for name in FEATURE_NAMES])


def analyse_read_aloud(
    y: np.ndarray, words: list[str], *, net: PhoneNet | None = None
) -> Analysis:
    """Align ``words`` to ``y`` and measure the response.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,), float32
        Speech at 16 kHz.
    words : list of str
        Normalised reference words, each known to the dictionary or to
        espeak-ng.
    net : PhoneNet, optional
        Phone network whose evidence is added to every phone and whose
        :data:`NET_FEATURE_NAMES` are added to the features. Without it
        only :data:`BASE_FEATURE_NAMES` are measured.

    Returns
    -------
    Analysis
        Per-word GOP and timing, inner pauses and the feature dictionary.
    """
    pcm = to_pcm16(y)

    # Align the text and the free phone loop; subtract per frame.
    forced = sphinx.align(pcm, words)
    loop = sphinx.phone_loop(pcm)
    loop_scores = np.zeros(forced.n_frames)
    n = min(forced.n_frames, loop.frame_scores.size)
    loop_scores[:n] = loop.frame_scores[:n]
    gop_frames = forced.frame_scores - loop_scores
    heard = _frame_phones(loop, n_frames=forced.n_frames)

    # Per phone and per word GOP, skipping the aligner's silences.
    analysed = [
        _word(entry, text, gop_frames, heard)
        for entry, text in zip(
            [w for w in forced.words if w.name not in sphinx.SILENCE_WORDS],
            words,
            strict=True,
        )
    ]
    if net is not None:
        log_post = net.log_posteriors(frame_inputs(y))
        analysed = [with_net_evidence(word, log_post) for word in analysed]
    pauses_s = _inner_pauses(analysed)
    features = _pronunciation_features(analysed)
    features.update(_fluency_features(analysed, pauses_s))
    levels_db = _levels_db(y)
    features.update(_prosody_features(y, analysed, levels_db=levels_db))
    features.update(_timing_features(analysed))
    features.update(_disfluency_features(levels_db, analysed, loop))
    features["log_duration_s"] = float(np.log(y.size / SR))
    if net is not None:
        features.update(
            net_features(
                [
                    (p.net_lp, p.net_margin, p.net_best)
                    for w in analysed
                    for p in w.phones
                ]
            )
        )
    return Analysis(analysed, pauses_s, features)


def with_net_evidence(word: WordAnalysis, log_post: np.ndarray) -> WordAnalysis:
    """``word`` with the phone network's evidence on each of its phones."""
    phones = []
    for phone in word.phones:
        lp, margin, best = phone_evidence(
            log_post, phone=phone.phone, start=phone.start, duration=phone.duration
        )
        phones.append(replace(phone, net_lp=lp, net_margin=margin, net_best=best))
    return replace(word, phones=phones)


def net_features(evidence: list[tuple[float, float, float]]) -> dict[str, float]:
    """:data:`NET_FEATURE_NAMES` from every phone's network evidence.

    Parameters
    ----------
    evidence : list of (float, float, float)
        ``net_lp``, ``net_margin`` and ``net_best`` of each phone of the
        response.
    """
    values = np.array(evidence, dtype=float).reshape(-1, 3)
    means = values.mean(axis=0) if values.size else np.zeros(3)
    return {name: float(m) for name, m in zip(NET_FEATURE_NAMES, means, strict=True)}


def _frame_phones(loop: sphinx.Alignment, *, n_frames: int) -> np.ndarray:
    """The free phone loop's phone at each frame, "" where it has none."""
    heard = np.full(n_frames, "", dtype=object)
    for word in loop.words:
        for phone in word.phones:
            heard[phone.start : phone.start + phone.duration] = phone.name
    return heard


def _word(
    entry: sphinx.AlignedWord, text: str, gop_frames: np.ndarray, heard: np.ndarray
) -> WordAnalysis:
    phones = []
    for phone in entry.phones:
        span = slice(phone.start, phone.start + phone.duration)
        frames = gop_frames[span]
        raw = max(float(frames.mean()), GOP_FLOOR) if frames.size else GOP_FLOOR
        same = heard[span] == phone.name
        match = float(np.mean(same)) if same.size else 0.0
        phones.append(
            PhoneAnalysis(
                phone.name, phone.start, phone.duration, min(raw, 0.0), raw, match
            )
        )
    gops = [p.gop for p in phones] or [GOP_FLOOR]
    squeezed = entry.duration <= MIN_PHONE_FRAMES * len(phones) + 1
    return WordAnalysis(
        text,
        entry.start,
        entry.duration,
        phones,
        float(np.mean(gops)),
        float(np.min(gops)),
        squeezed,
    )


SENTENCE_CONTEXT = (
    "gop_mean",
    "gop_frame_mean",
    "frac_bad_phones",
    "speech_rate",
    "net_margin_mean",
)
"""Response features that the word and phone models see beside a word's own."""

UNKNOWN_PHONE = "_other"
"""Key of the phone statistics used for a phone not seen in calibration."""

Z_BAD = -2.0
"""Phone GOP z-score under which a phone counts as poor in a word."""


PhoneInput = tuple[str, float, int, float, float, float, float]
"""A phone as the word and phone models see it: ARPAbet symbol, raw GOP,
frames, the share of frames where the phone loop heard the same phone, and
the phone network's evidence (``net_lp``, ``net_margin``, ``net_best``)."""


def word_and_phone_inputs(
    phones: list[PhoneInput],
    *,
    duration: int,
    squeezed: bool,
    sentence: dict[str, float],
    stats: dict[str, list[float]],
) -> tuple[list[float], list[list[float]]]:
    """Inputs of the word accuracy model and of each phone's accuracy model.

    Each phone's raw GOP is put on its phone's scale with statistics taken
    over all calibration phones: ``z = (gop_raw - median) / spread`` and
    ``drop = min(gop_raw - median, 0)``. Phones differ in how well they fit
    the free loop even when said right, so the same raw GOP means different
    things for different phones.

    Parameters
    ----------
    phones : list of PhoneInput
        ARPAbet symbol, raw GOP, frames, loop match and network evidence
        (``phone``, ``gop_raw``, ``duration``, ``loop_match``, ``net_lp``,
        ``net_margin`` and ``net_best`` of :class:`PhoneAnalysis`) of each
        phone of the word, at least one.
    duration : int
        Frames of the word.
    squeezed : bool
        Whether the aligner gave the word the fewest frames possible.
    sentence : dict
        The response's features (at least :data:`SENTENCE_CONTEXT`).
    stats : dict
        Per phone ``[median raw GOP, spread, mean expert score 0-100]``, and
        the same under :data:`UNKNOWN_PHONE` for phones without their own.

    Returns
    -------
    word : list of float
        Mean and minimum z, drop and loop match, the mean and minimum
        network log posterior, the mean network margin and share of best
        frames, log frames per phone, phone count, the sentence context,
        maximum z, mean raw GOP, squeezed (0/1) and the count of phones
        under :data:`Z_BAD`.
    per_phone : list of list of float
        For each phone: raw GOP, z, drop, the neighbours' z (0 at the word's
        edges), relative position, the phone's median and spread, vowel
        (0/1), loop match, log frames, its network evidence and the
        neighbours' network margin (0 at the word's edges), the word's
        inputs up to the sentence context and the phone's mean expert
        score.
    """
    rows = [stats.get(phone[0], stats[UNKNOWN_PHONE]) for phone in phones]
    raw = np.array([phone[1] for phone in phones])
    match = np.array([phone[3] for phone in phones])
    net = np.array([phone[4:7] for phone in phones], dtype=float).reshape(-1, 3)
    median = np.array([row[0] for row in rows])
    z = (raw - median) / np.array([row[1] for row in rows])
    drop = np.minimum(raw - median, 0.0)

    # The word as a whole, in the context of the response.
    context = [
        float(z.mean()),
        float(z.min()),
        float(drop.mean()),
        float(drop.min()),
        float(match.mean()),
        float(match.min()),
        float(net[:, 0].mean()),
        float(net[:, 0].min()),
        float(net[:, 1].mean()),
        float(net[:, 2].mean()),
        float(np.log(max(duration, 1) / len(phones))),
        float(len(phones)),
        *[float(sentence[name]) for name in SENTENCE_CONTEXT],
    ]
    word = [
        *context,
        float(z.max()),
        float(raw.mean()),
        float(squeezed),
        float(np.sum(z < Z_BAD)),
    ]

    # Each phone beside its neighbours.
    padded = np.concatenate([[0.0], z, [0.0]])
    margins = np.concatenate([[0.0], net[:, 1], [0.0]])
    per_phone = [
        [
            float(raw[k]),
            float(z[k]),
            float(drop[k]),
            float(padded[k]),
            float(padded[k + 2]),
            k / len(phones),
            float(rows[k][0]),
            float(rows[k][1]),
            float(name in VOWELS),
            float(match[k]),
            float(np.log(max(frames, 1))),
            *net[k].tolist(),
            float(margins[k]),
            float(margins[k + 2]),
            *context,
            float(rows[k][2]),
        ]
        for k, (name, _, frames, *_) in enumerate(phones)
    ]
    return word, per_phone


def _inner_pauses(words: list[WordAnalysis]) -> list[float]:
    """Silences between consecutive words, in seconds (0 when adjacent)."""
    gaps = []
    for before, after in zip(words, words[1:], strict=False):
        gap = after.start - (before.start + before.duration)
        gaps.append(max(gap, 0) / sphinx.FRAME_RATE)
    return gaps


def _pronunciation_features(words: list[WordAnalysis]) -> dict[str, float]:
    phones = [p for w in words for p in w.phones]
    gops = np.array([p.gop for p in phones])
    frames = np.array([p.duration for p in phones], dtype=float)
    word_gops = np.array([w.gop for w in words])
    return {
        "gop_mean": float(gops.mean()),
        "gop_frame_mean": float(np.average(gops, weights=np.maximum(frames, 1))),
        "gop_p10": float(np.percentile(gops, 10)),
        "frac_bad_phones": float(np.mean(gops < BAD_PHONE_GOP)),
        "word_gop_min": float(word_gops.min()),
        "frac_bad_words": float(np.mean(word_gops < BAD_WORD_GOP)),
        "phone_match": float(np.mean([p.loop_match for p in phones])),
        "frac_words_ok": float(np.mean([w.evident for w in words])),
    }


def _fluency_features(
    words: list[WordAnalysis], pauses_s: list[float]
) -> dict[str, float]:
    span_s = (words[-1].start + words[-1].duration - words[0].start) / 100
    span_s = max(span_s, 0.01)
    pauses = np.array(pauses_s)
    counted = pauses[pauses >= PAUSE_S] if pauses.size else pauses
    pause_total_s = float(counted.sum()) if counted.size else 0.0
    n_phones = sum(len(w.phones) for w in words)
    n_syllables = sum(1 for w in words for p in w.phones if p.phone in VOWELS)
    runs = np.split(np.arange(len(words)), np.flatnonzero(pauses >= PAUSE_S) + 1)
    durations = np.array([w.duration / max(len(w.phones), 1) for w in words])
    return {
        "speech_rate": max(n_syllables, 1) / span_s,
        "articulation_rate": n_phones / max(span_s - pause_total_s, 0.01),
        "n_pauses_per_word": counted.size / len(words),
        "pause_frac": pause_total_s / span_s,
        "n_long_pauses": float(np.sum(pauses > LONG_PAUSE_S)),
        "mean_length_of_run": float(np.mean([len(run) for run in runs])),
        "word_duration_cv": float(durations.std() / max(durations.mean(), 1e-6)),
    }


def _levels_db(y: np.ndarray) -> np.ndarray:
    """RMS level of each 10 ms frame, 25 ms windows centred on it, in dB."""
    rms = librosa.feature.rms(y=y, frame_length=400, hop_length=HOP_LENGTH)[0]
    return np.asarray(20 * np.log10(np.maximum(rms, 1e-5)))


def _prosody_features(
    y: np.ndarray, words: list[WordAnalysis], *, levels_db: np.ndarray
) -> dict[str, float]:
    vowels = [p for w in words for p in w.phones if p.phone in VOWELS]

    # Pitch on a 20 ms hop, read at the middle of each vowel.
    hop = 2 * HOP_LENGTH
    f0 = librosa.yin(y, fmin=FMIN, fmax=FMAX, sr=SR, frame_length=1024, hop_length=hop)
    vowel_f0 = []
    for vowel in vowels:
        lo = vowel.start // 2
        hi = max((vowel.start + vowel.duration) // 2, lo + 1)
        values = f0[lo:hi]
        values = values[(values > FMIN * 1.05) & (values < FMAX * 0.95)]
        if values.size:
            vowel_f0.append(float(np.median(values)))
    semitones = 12 * np.log2(np.array(vowel_f0) / 100.0) if vowel_f0 else np.zeros(1)

    # Loudness over the words, in dB.
    in_words = np.concatenate(
        [levels_db[w.start : w.start + w.duration] for w in words] or [levels_db]
    )

    # Rhythm: normalised pairwise variability of vowel durations.
    dur = np.array([v.duration for v in vowels], dtype=float)
    if dur.size >= 2:
        pairs = np.abs(np.diff(dur)) / ((dur[1:] + dur[:-1]) / 2)
        npvi = float(100 * pairs.mean())
    else:
        npvi = 0.0
    return {
        "vowel_npvi": npvi,
        "f0_range_st": float(
            np.percentile(semitones, 90) - np.percentile(semitones, 10)
        ),
        "f0_std_st": float(semitones.std()),
        "energy_std_db": float(in_words.std()) if in_words.size else 0.0,
    }


def _timing_features(words: list[WordAnalysis]) -> dict[str, float]:
    """Phrase-final lengthening and the silence before the first word.

    ``final_lengthening`` is ``log(d_last / median(d_other))`` with ``d`` a
    word's frames per phone: fluent readers slow down on the last word of a
    phrase, word-by-word readers do not. ``lead_silence_s`` is the time from
    the start of the recording to the first word.
    """
    per_phone = np.array([w.duration / max(len(w.phones), 1) for w in words])
    lengthening = 0.0
    if per_phone.size >= 2:
        lengthening = float(
            np.log(max(per_phone[-1], 1.0) / max(np.median(per_phone[:-1]), 1.0))
        )
    return {
        "final_lengthening": lengthening,
        "lead_silence_s": words[0].start / sphinx.FRAME_RATE,
    }


def _disfluency_features(
    levels_db: np.ndarray, words: list[WordAnalysis], loop: sphinx.Alignment
) -> dict[str, float]:
    """Hesitations and restarts heard in the pauses between words, per word.

    A pause of at least :data:`PAUSE_S` is spoken when over
    :data:`GAP_SPEECH_SHARE` of its frames are within :data:`GAP_SPEECH_DB`
    of the words' median loudness. A spoken pause in which the free phone
    loop hears :data:`RESTART_PHONES` phones or more is a restart (a word
    said twice or begun and dropped); a shorter one is a hesitation sound.
    ``levels_db`` is :func:`_levels_db` of the recording.
    """
    db = levels_db
    speech_db = float(
        np.median(np.concatenate([db[w.start : w.start + w.duration] for w in words]))
    )
    loop_phones = np.array(
        [
            phone.start + phone.duration / 2
            for word in loop.words
            for phone in word.phones
            if phone.name != "SIL"
        ]
    )
    hesitations = restarts = 0
    for before, after in zip(words, words[1:], strict=False):
        start, stop = before.start + before.duration, after.start
        if stop - start < PAUSE_S * sphinx.FRAME_RATE:
            continue
        gap = db[start:stop]
        if gap.size == 0 or np.mean(gap > speech_db - GAP_SPEECH_DB) < GAP_SPEECH_SHARE:
            continue
        heard = int(np.sum((loop_phones >= start) & (loop_phones < stop)))
        if heard >= RESTART_PHONES:
            restarts += 1
        else:
            hesitations += 1
    return {
        "hesitations_per_word": hesitations / len(words),
        "restarts_per_word": restarts / len(words),
    }
