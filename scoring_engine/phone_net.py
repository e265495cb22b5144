"""A frame phone classifier trained on learners' speech, for in-domain GOP.

The GOP of :mod:`scoring_engine.features` compares two paths through
pocketsphinx's acoustic model, which was trained on native US English: a
Mandarin speaker's well-said phone and a mispronounced one can both sit far
from it. This network is trained on the frames of phones that the experts
of the calibration corpus scored as right, so it learns what right sounds
like in these speakers' mouths. Each frame gets a posterior over the phones;
a phone's evidence is the mean log posterior of the expected phone over its
aligned frames and its margin below the best phone of each frame (the
posterior form of GOP: Hu, Qian, Soong and Wang, "Improved mispronunciation
detection with deep neural network trained acoustic models and transfer
learning based logistic regression classifiers", Speech Communication 67,
2015), and the share of its frames where the expected phone is the best.

Inputs are 40 log-mel bands of 25 ms frames at the aligner's 10 ms shift,
normalised per recording (mean and variance per band) and spliced with
:data:`CONTEXT` frames either side. The network has one hidden layer of
rectified units; the forward pass is plain numpy. It is trained by
:mod:`scoring_engine.calibrate` (:func:`calibrate.train_phone_net`) and
shipped as ``params/phone_net.npz``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import librosa
import numpy as np

from scoring_engine import sphinx
from scoring_engine.audio import SR
from scoring_engine.errors import ScoringError
from scoring_engine.signal import FRAME_LENGTH, HOP_LENGTH

N_MELS = 40
"""Mel bands per frame."""

CONTEXT = 5
"""Frames of context either side of the frame being classified."""

SILENCE = "SIL"
LABELS = (*sphinx.PHONES, SILENCE)
"""Classes of the network: the aligner's phones and silence."""

CMVN_FLOOR = 1e-3
"""Smallest per-band standard deviation used to normalise a recording."""


def frame_bands(y: np.ndarray) -> np.ndarray:
    """Log-mel bands of every 10 ms frame, normalised over the recording.

    Parameters
    ----------
    y : np.ndarray, shape (n_samples,), float32
        Speech at 16 kHz.

    Returns
    -------
    np.ndarray, shape (n_frames, N_MELS), float32
        Each band minus its mean, over its standard deviation, for 25 ms
        windows every 10 ms (:data:`signal.FRAME_LENGTH`,
        :data:`signal.HOP_LENGTH`), so frame ``t`` is the aligner's frame
        ``t``; ``n_frames`` is ``ceil(n_samples / HOP_LENGTH)``, as the
        aligner counts them.
    """
    n_frames = max(int(np.ceil(y.size / HOP_LENGTH)), 1)
    padded = np.pad(y, (0, n_frames * HOP_LENGTH + FRAME_LENGTH - y.size))
    mel = librosa.feature.melspectrogram(
        y=padded,
        sr=SR,
        n_fft=FRAME_LENGTH,
        hop_length=HOP_LENGTH,
        n_mels=N_MELS,
        center=False,
    )[:, :n_frames]
    bands = np.log(mel.T + 1e-8)
    spread = np.maximum(bands.std(axis=0), CMVN_FLOOR)
    return ((bands - bands.mean(axis=0)) / spread).astype(np.float32)


def splice(bands: np.ndarray) -> np.ndarray:
    """Each frame beside :data:`CONTEXT` neighbours either side.

    Parameters
    ----------
    bands : np.ndarray, shape (n_frames, N_MELS)
        :func:`frame_bands` of a recording; its edge frames are repeated
        beyond its ends.

    Returns
    -------
    np.ndarray, shape (n_frames, N_MELS * (2 * CONTEXT + 1)), float32
        The network's input rows, earliest neighbour first.
    """
    n_frames = bands.shape[0]
    edged = np.pad(bands, ((CONTEXT, CONTEXT), (0, 0)), mode="edge")
    shifted = [edged[i : i + n_frames] for i in range(2 * CONTEXT + 1)]
    return np.concatenate(shifted, axis=1).astype(np.float32)


def frame_inputs(y: np.ndarray) -> np.ndarray:
    """The network's input rows of ``y``: :func:`splice` of :func:`frame_bands`."""
    return splice(frame_bands(y))


@dataclass(frozen=True)
class PhoneNet:
    """One hidden layer of rectified units and a softmax over :data:`LABELS`."""

    w_hidden: np.ndarray
    """Shape (n_inputs, n_hidden)."""
    b_hidden: np.ndarray
    """Shape (n_hidden,)."""
    w_out: np.ndarray
    """Shape (n_hidden, len(LABELS))."""
    b_out: np.ndarray
    """Shape (len(LABELS),)."""

    def log_posteriors(self, inputs: np.ndarray) -> np.ndarray:
        """Log posterior of every label, shape (n_frames, len(LABELS))."""
        hidden = np.maximum(inputs @ self.w_hidden + self.b_hidden, 0.0)
        logits = hidden @ self.w_out + self.b_out
        top = logits.max(axis=1, keepdims=True)
        norm = np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
        return np.asarray(logits - top - norm)

    def save(self, path: Path) -> None:
        """Write the weights as a compressed ``.npz`` file."""
        np.savez_compressed(
            path,
            labels=np.array(LABELS),
            w_hidden=self.w_hidden.astype(np.float32),
            b_hidden=self.b_hidden.astype(np.float32),
            w_out=self.w_out.astype(np.float32),
            b_out=self.b_out.astype(np.float32),
        )


def phone_evidence(
    log_post: np.ndarray, *, phone: str, start: int, duration: int
) -> tuple[float, float, float]:
    """How well one aligned phone's frames fit the phone expected there.

    Parameters
    ----------
    log_post : np.ndarray, shape (n_frames, len(LABELS))
        :meth:`PhoneNet.log_posteriors` of the recording.
    phone : str
        The expected ARPAbet phone; one outside :data:`LABELS` has no
        evidence.
    start, duration : int
        The phone's first frame and its frames.

    Returns
    -------
    tuple of float
        Mean log posterior of the phone, mean margin to the best label of
        each frame (0 where the phone is best, negative otherwise) and the
        share of frames where it is the best label.
    """
    frames = log_post[start : start + max(duration, 1)]
    if phone not in LABELS or frames.size == 0:
        return 0.0, 0.0, 0.0
    expected = frames[:, LABELS.index(phone)]
    best = frames.max(axis=1)
    return (
        float(expected.mean()),
        float((expected - best).mean()),
        float(np.mean(expected >= best)),
    )


def read_phone_net(path: Path) -> PhoneNet:
    """Read weights written by :meth:`PhoneNet.save`."""
    try:
        with np.load(path) as data:
            if tuple(str(label) for label in data["labels"]) != LABELS:
                raise ValueError("its phone labels differ from the aligner's phones")
            return PhoneNet(
                w_hidden=data["w_hidden"],
                b_hidden=data["b_hidden"],
                w_out=data["w_out"],
                b_out=data["b_out"],
            )
    except (OSError, ValueError, KeyError) as exc:
        raise ScoringError(
            f"phone network {path.name} cannot be read: {exc}; reinstall the "
            "package or rerun python -m scoring_engine.calibrate"
        ) from exc


@functools.lru_cache(maxsize=1)
def shipped_phone_net() -> PhoneNet:
    """The network shipped beside the read-aloud parameters."""
    source = resources.files("scoring_engine.params").joinpath("phone_net.npz")
    with resources.as_file(source) as path:
        return read_phone_net(path)
