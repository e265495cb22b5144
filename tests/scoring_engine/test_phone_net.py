"""The phone network: its inputs, its evidence, its training and its file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from scoring_engine import phone_net
from scoring_engine.audio import SR, load_audio
from scoring_engine.calibrate import train_phone_net
from scoring_engine.errors import ScoringError
from scoring_engine.features import analyse_read_aloud
from scoring_engine.phone_net import (
    CONTEXT,
    LABELS,
    N_MELS,
    PhoneNet,
    frame_bands,
    phone_evidence,
    read_phone_net,
    splice,
)
from scoring_engine.text import normalise_text
from tests.scoring_engine.speech import FIXTURES


def test_frames_follow_the_aligner_and_each_band_is_normalised() -> None:
    rng = np.random.default_rng(1)
    y = (0.1 * rng.standard_normal(SR + 50)).astype(np.float32)
    bands = frame_bands(y)
    # 1 s and 50 samples start 101 frames of 10 ms
    assert bands.shape == (101, N_MELS)
    assert np.allclose(bands.mean(axis=0), 0.0, atol=1e-4)
    assert np.allclose(bands.std(axis=0), 1.0, atol=1e-3)


def test_a_louder_half_shows_in_the_bands_of_its_frames() -> None:
    y = 0.01 * np.random.default_rng(5).standard_normal(SR).astype(np.float32)
    y[SR // 2 :] *= 10.0
    bands = frame_bands(y)
    # every band is 20 dB up: about one standard deviation above its mean
    # there, one below in the quiet half
    assert np.allclose(bands[55:95].mean(axis=1), 1.0, atol=0.3)
    assert np.allclose(bands[5:45].mean(axis=1), -1.0, atol=0.3)


def test_splice_puts_each_frame_between_its_neighbours_and_repeats_the_edges() -> None:
    bands = np.arange(8, dtype=np.float32)[:, None] * np.ones(N_MELS, np.float32)
    rows = splice(bands)
    width = 2 * CONTEXT + 1
    assert rows.shape == (8, N_MELS * width)
    firsts = rows[:, ::N_MELS]  # band 0 of each neighbour, earliest first
    assert firsts[4].tolist() == [0, 0, 1, 2, 3, 4, 5, 6, 7, 7, 7]
    assert firsts[0].tolist() == [0] * 6 + [1, 2, 3, 4, 5]
    assert firsts[7].tolist() == [2, 3, 4, 5, 6, 7, 7, 7, 7, 7, 7]


def one_hot_net(n_inputs: int) -> PhoneNet:
    """A net that names label ``k`` when input ``k`` is the largest."""
    n = len(LABELS)
    w_hidden = np.zeros((n_inputs, n), np.float32)
    w_hidden[:n, :n] = np.eye(n)
    return PhoneNet(
        w_hidden=w_hidden,
        b_hidden=np.zeros(n, np.float32),
        w_out=10.0 * np.eye(n, dtype=np.float32),
        b_out=np.zeros(n, np.float32),
    )


def test_log_posteriors_are_a_distribution_led_by_the_strongest_input() -> None:
    net = one_hot_net(60)
    x = np.zeros((3, 60), np.float32)
    x[0, LABELS.index("AA")] = 1.0
    x[1, LABELS.index("SIL")] = 2.0
    log_post = net.log_posteriors(x)
    assert log_post.shape == (3, len(LABELS))
    assert np.allclose(np.exp(log_post).sum(axis=1), 1.0)
    assert log_post[0].argmax() == LABELS.index("AA")
    assert log_post[1].argmax() == LABELS.index("SIL")
    # no evidence at all: every label equally likely
    assert np.allclose(log_post[2], -np.log(len(LABELS)))


def test_evidence_of_a_phone_best_on_three_of_its_four_frames() -> None:
    log_post = np.full((10, len(LABELS)), np.log(0.01))
    aa, ae = LABELS.index("AA"), LABELS.index("AE")
    log_post[2:6, aa] = np.log(0.5)
    log_post[5, ae] = np.log(0.8)
    lp, margin, best = phone_evidence(log_post, phone="AA", start=2, duration=4)
    assert np.isclose(lp, np.log(0.5))
    assert np.isclose(margin, (np.log(0.5) - np.log(0.8)) / 4)
    assert best == 0.75
    # a phone the network does not know has no evidence
    assert phone_evidence(log_post, phone="XX", start=2, duration=4) == (0, 0, 0)


def clusters(names: list[str], *, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` frames per name around a mean of its own, labelled by name."""
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.standard_normal((len(names), 20))
    x = np.concatenate([c + rng.standard_normal((n, 20)) for c in centres])
    y = np.repeat([LABELS.index(name) for name in names], n)
    return x.astype(np.float32), y


@pytest.mark.parametrize("names", [["AA", "SIL"], ["AA", "IY", "S", "SIL"]])
def test_a_trained_net_separates_its_classes_and_never_names_an_unseen_one(
    names: list[str],
) -> None:
    x, y = clusters(names, n=200, seed=2)
    net = train_phone_net(x, y, n_hidden=16, epochs=30, seed=3)
    test_x, test_y = clusters(names, n=50, seed=2)
    chosen = net.log_posteriors(test_x).argmax(axis=1)
    assert np.mean(chosen == test_y) > 0.95
    assert set(chosen.tolist()) <= {LABELS.index(name) for name in names}


def test_weights_survive_a_round_trip_through_their_file(tmp_path: Path) -> None:
    net = one_hot_net(60)
    net.save(tmp_path / "net.npz")
    again = read_phone_net(tmp_path / "net.npz")
    x = np.random.default_rng(4).standard_normal((5, 60)).astype(np.float32)
    assert np.allclose(again.log_posteriors(x), net.log_posteriors(x))


def test_a_file_with_other_labels_or_none_is_refused(tmp_path: Path) -> None:
    net = one_hot_net(60)
    np.savez(
        tmp_path / "other.npz",
        labels=np.array(LABELS[::-1]),
        w_hidden=net.w_hidden,
        b_hidden=net.b_hidden,
        w_out=net.w_out,
        b_out=net.b_out,
    )
    with pytest.raises(ScoringError, match="labels differ"):
        read_phone_net(tmp_path / "other.npz")
    with pytest.raises(ScoringError, match="rerun python -m scoring_engine"):
        read_phone_net(tmp_path / "missing.npz")


def test_the_shipped_net_hears_the_phones_of_a_real_reading() -> None:
    # The fixture clips the experts rated best, aligned: their phones are
    # the network's first choice on a large share of their frames, far
    # above the 1 in 40 of chance.
    lines = (FIXTURES / "labels.jsonl").read_text().splitlines()
    label = max((json.loads(line) for line in lines), key=lambda lb: lb["total"])
    y, _ = load_audio(FIXTURES / label["audio"])
    analysis = analyse_read_aloud(
        y, normalise_text(label["text"]), net=phone_net.shipped_phone_net()
    )
    best = [p.net_best for w in analysis.words for p in w.phones]
    assert np.mean(best) > 0.3
    assert set(analysis.features) >= {"net_lp_mean", "net_margin_mean"}
