"""Framing, payload codecs and sequence judging of the PE device protocol."""

from __future__ import annotations

import pytest

from pe_sensors.drivers.frames import (
    MAX_PAYLOAD,
    SOF,
    FrameDecoder,
    FrameType,
    crc16_ccitt,
    encode_frame,
)
from pe_sensors.drivers.readings import (
    DeviceIdentity,
    DeviceKind,
    GateTime,
    Height,
    LapRead,
    Measurement,
    RopeCount,
    SitAndReach,
    StartSignal,
    VitalCapacity,
    Weight,
    decode_ident,
    decode_measurement,
    encode_ident,
    encode_measurement,
)
from pe_sensors.drivers.sequence import SequenceTracker, SeqVerdict
from pe_sensors.errors import FrameError

EXAMPLES: list[Measurement] = [
    StartSignal(t_s=12.345),
    GateTime(lane=3, elapsed_s=7.891),
    LapRead(tag_id="E28011700000020F3A5B6C7D", t_s=95.25, antenna=2),
    RopeCount(count=187, t_s=60.0),
    VitalCapacity(ml=3520, trial=2),
    SitAndReach(cm=-4.5, trial=1),
    Height(cm=165.3),
    Weight(kg=52.35),
]


def test_crc_matches_the_catalogued_check_value() -> None:
    assert crc16_ccitt(b"123456789") == 0x29B1


def test_frame_layout_is_sof_len_type_seq_payload_crc() -> None:
    frame = encode_frame(FrameType.HEIGHT, 0x1234, b"\x06\x75")
    assert frame[:5] == bytes((SOF, 2, 0x60, 0x12, 0x34))
    assert frame[5:7] == b"\x06\x75"
    assert int.from_bytes(frame[7:], "big") == crc16_ccitt(frame[1:7])


def test_encode_refuses_a_payload_over_the_limit() -> None:
    with pytest.raises(FrameError, match="exceeds the protocol limit"):
        encode_frame(FrameType.IDENT, 0, bytes(MAX_PAYLOAD + 1))


@pytest.mark.parametrize("measurement", EXAMPLES, ids=lambda m: type(m).__name__)
def test_every_measurement_survives_encoding(measurement: Measurement) -> None:
    frame_type, payload = encode_measurement(measurement)
    assert decode_measurement(frame_type, payload) == measurement


def test_decoder_finds_frames_fed_one_byte_at_a_time() -> None:
    stream = encode_frame(FrameType.HEARTBEAT, 1) + encode_frame(
        FrameType.HEIGHT, 2, b"\x06\x75"
    )
    decoder = FrameDecoder()
    frames = [f for b in stream for f in decoder.feed(bytes((b,)), now_s=0.0)]
    assert [(f.frame_type, f.seq, f.payload) for f in frames] == [
        (FrameType.HEARTBEAT, 1, b""),
        (FrameType.HEIGHT, 2, b"\x06\x75"),
    ]


def test_decoder_resynchronises_after_garbage_full_of_start_bytes() -> None:
    good = encode_frame(FrameType.WEIGHT, 9, b"\x14\x73")
    garbage = bytes((SOF, 3, SOF, SOF, 0xFF, SOF, 0x10, 0x00))
    decoder = FrameDecoder(frame_timeout_s=0.1)
    # The last false start claims 16 payload bytes, more than follow it...
    assert decoder.feed(garbage + good, now_s=0.0) == []
    # ...so the good frame comes out once that candidate times out.
    frames = decoder.feed(b"", now_s=0.5)
    assert [f.seq for f in frames] == [9]
    stats = decoder.stats
    # SOF 3 fails its CRC; SOF SOF and SOF 0xFF claim lengths over 64.
    assert (stats.crc_failures, stats.bad_lengths, stats.timeouts) == (1, 2, 1)


def test_truncated_frame_is_dropped_and_the_next_one_kept() -> None:
    first = encode_frame(FrameType.HEIGHT, 1, b"\x06\x75")
    second = encode_frame(FrameType.HEIGHT, 2, b"\x06\x76")
    decoder = FrameDecoder()
    frames = decoder.feed(first[:6] + second, now_s=0.0)
    assert [f.seq for f in frames] == [2]
    assert decoder.stats.crc_failures >= 1


def test_a_single_flipped_bit_is_never_accepted() -> None:
    frame = encode_frame(FrameType.LAP_READ, 77, bytes(range(17)))
    for bit in range(8, 8 * len(frame)):  # every bit after the start byte
        damaged = bytearray(frame)
        damaged[bit // 8] ^= 1 << (bit % 8)
        decoder = FrameDecoder()
        assert decoder.feed(bytes(damaged), now_s=0.0) == []


def test_a_stalled_partial_frame_is_abandoned_after_the_frame_timeout() -> None:
    frame = encode_frame(FrameType.HEIGHT, 5, b"\x06\x75")
    decoder = FrameDecoder(frame_timeout_s=0.1)
    assert decoder.feed(frame[:4], now_s=0.0) == []
    assert decoder.feed(b"", now_s=0.05) == []
    assert decoder.buffered == 4
    assert decoder.feed(b"", now_s=0.2) == []
    assert decoder.stats.timeouts == 1
    assert [f.seq for f in decoder.feed(frame, now_s=0.3)] == [5]


@pytest.mark.parametrize(
    ("frame_type", "payload", "reason"),
    [
        (FrameType.HEIGHT, (10).to_bytes(2, "big"), "plausible range"),
        (FrameType.GATE_TIME, bytes((0,)) + (5000).to_bytes(4, "big"), "range"),
        (FrameType.VITAL_CAPACITY, (3000).to_bytes(2, "big") + b"\x04", "range"),
        (FrameType.WEIGHT, b"\x14\x73\x00", "exactly 2"),
        (0x7E, b"", "carries no measurement"),
        (FrameType.HEARTBEAT, b"", "carries no measurement"),
    ],
)
def test_decode_refuses_implausible_or_malformed_payloads(
    frame_type: int, payload: bytes, reason: str
) -> None:
    with pytest.raises(FrameError, match=reason):
        decode_measurement(frame_type, payload)


def test_encode_refuses_values_the_decoder_would_refuse() -> None:
    with pytest.raises(FrameError, match="plausible range"):
        encode_measurement(Height(cm=320.0))
    with pytest.raises(FrameError, match="EPC-96"):
        encode_measurement(LapRead(tag_id="ABCD", t_s=1.0, antenna=1))


def test_ident_round_trip_and_refusals() -> None:
    identity = DeviceIdentity(DeviceKind.RFID_LAP, "LR-2024-0007", boot_id=513)
    assert decode_ident(encode_ident(identity)) == identity
    with pytest.raises(FrameError, match="kind 9"):
        decode_ident(bytes((9, 1, 0, 1)) + b"X1")
    with pytest.raises(FrameError, match="protocol version 2"):
        decode_ident(bytes((3, 2, 0, 1)) + b"X1")
    with pytest.raises(FrameError, match="printable"):
        decode_ident(bytes((3, 1, 0, 1)) + b"X\x00")


def test_sequence_verdicts_new_late_duplicate_stale() -> None:
    tracker = SequenceTracker(window=8)
    verdicts = []
    for seq in (10, 11, 13, 12, 12, 13, 2):
        verdict = tracker.judge(seq)
        tracker.record(seq, verdict)
        verdicts.append(verdict)
    assert verdicts == [
        SeqVerdict.NEW,
        SeqVerdict.NEW,
        SeqVerdict.NEW,
        SeqVerdict.LATE,
        SeqVerdict.DUPLICATE,
        SeqVerdict.DUPLICATE,
        SeqVerdict.STALE,
    ]
    assert tracker.missing == 0


def test_sequence_numbers_wrap_around() -> None:
    tracker = SequenceTracker()
    for seq in (65534, 65535, 0, 1):
        verdict = tracker.judge(seq)
        assert verdict is SeqVerdict.NEW
        tracker.record(seq, verdict)
    assert tracker.judge(65535) is SeqVerdict.DUPLICATE
    assert tracker.judge(3) is SeqVerdict.NEW
    tracker.record(3, SeqVerdict.NEW)
    assert tracker.missing == 1
    assert tracker.judge(2) is SeqVerdict.LATE


def test_duplicates_inside_the_window_are_caught_after_late_fills() -> None:
    # Late frames must not push a recent number out of the duplicate memory.
    tracker = SequenceTracker(window=4)
    for seq in (10, 7, 11, 12, 13):
        tracker.record(seq, tracker.judge(seq))
    assert tracker.judge(10) is SeqVerdict.DUPLICATE
    assert tracker.judge(11) is SeqVerdict.DUPLICATE
