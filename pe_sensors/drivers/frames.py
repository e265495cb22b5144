"""Framing of the PE device protocol: encoding, CRC and a resynchronising decoder.

The layout and the resynchronisation rule are specified in ``PROTOCOL.md``
beside this module. This module knows nothing of payload meanings; it turns
a byte stream into checked frames and counts what it had to throw away.
"""

from __future__ import annotations

import binascii
import logging
from dataclasses import dataclass, field
from enum import IntEnum

from pe_sensors.errors import FrameError

logger = logging.getLogger(__name__)

SOF = 0xA5
"""The start-of-frame byte."""

MAX_PAYLOAD = 64
"""The longest payload a frame may carry, in bytes."""

HEADER_LEN = 5
"""SOF, LEN, TYPE and the two SEQ bytes."""

CRC_LEN = 2

SEQ_MODULUS = 1 << 16

CRC_INIT = 0xFFFF
"""Initial register of CRC-16/CCITT-FALSE (polynomial 0x1021, no reflection)."""

DEFAULT_FRAME_TIMEOUT_S = 0.1
"""How long a started frame may wait for its remaining bytes.

A 71-byte frame takes about 6 ms at 115200 baud, so 0.1 s only expires when
the sender stopped mid-frame (a truncated frame or an unplugged device).
"""


class FrameType(IntEnum):
    """The frame types of protocol version 1 (see ``PROTOCOL.md``)."""

    IDENT_REQUEST = 0x01  # host asks the device who it is
    IDENT = 0x02  # device kind, boot id and serial number
    HEARTBEAT = 0x03  # the idle device is still there
    ACK = 0x04  # host accepted the data frame whose SEQ this frame carries
    START_SIGNAL = 0x10
    GATE_TIME = 0x11
    LAP_READ = 0x20
    ROPE_COUNT = 0x30
    VITAL_CAPACITY = 0x40
    SIT_AND_REACH = 0x50
    HEIGHT = 0x60
    WEIGHT = 0x61

    @property
    def is_data(self) -> bool:
        """True for the frame types that carry a reading."""
        return self >= FrameType.START_SIGNAL


@dataclass(frozen=True)
class Frame:
    """One frame that passed the CRC check.

    ``frame_type`` is the raw type byte: a CRC-valid frame may still carry a
    type this protocol version does not know, which the caller rejects.
    """

    frame_type: int
    seq: int
    payload: bytes


def crc16_ccitt(data: bytes, *, crc: int = CRC_INIT) -> int:
    """CRC-16/CCITT-FALSE of ``data``.

    Parameters
    ----------
    data : bytes
        The bytes covered (LEN, TYPE, SEQ and PAYLOAD of a frame).
    crc : int
        The register to start from, ``0xFFFF`` for a whole frame.

    Returns
    -------
    int
        The 16-bit CRC: polynomial ``0x1021``, no reflection, no final XOR;
        ``crc16_ccitt(b"123456789") == 0x29B1``.
    """
    return binascii.crc_hqx(data, crc)


def encode_frame(frame_type: int, seq: int, payload: bytes = b"") -> bytes:
    """The bytes of one frame, ready to write to the line.

    Raises
    ------
    FrameError
        When the payload is longer than :data:`MAX_PAYLOAD`, or the type or
        sequence number does not fit its field.
    """
    if len(payload) > MAX_PAYLOAD:
        raise FrameError(
            f"payload of {len(payload)} bytes for frame type {frame_type:#04x} "
            f"exceeds the protocol limit of {MAX_PAYLOAD} bytes; split the data"
        )
    if not 0 <= frame_type <= 0xFF:
        raise FrameError(f"frame type {frame_type} does not fit one byte (0-255)")
    if not 0 <= seq < SEQ_MODULUS:
        raise FrameError(
            f"sequence number {seq} is outside 0-{SEQ_MODULUS - 1}; "
            "reduce it modulo 65536"
        )
    body = bytes((len(payload), frame_type)) + seq.to_bytes(2, "big") + payload
    return bytes((SOF,)) + body + crc16_ccitt(body).to_bytes(2, "big")


@dataclass
class DecoderStats:
    """What a :class:`FrameDecoder` accepted and threw away."""

    frames: int = 0  # frames that passed the CRC
    garbage_bytes: int = 0  # bytes skipped while looking for a start byte
    bad_lengths: int = 0  # start bytes followed by a LEN above the limit
    crc_failures: int = 0  # candidate frames whose CRC did not match
    timeouts: int = 0  # candidate frames abandoned for lack of bytes


@dataclass
class FrameDecoder:
    """Cut a byte stream into CRC-checked frames, resynchronising after garbage.

    Feed it bytes as they arrive with :meth:`feed`; it returns the frames
    completed by those bytes. The rule (``PROTOCOL.md``, resynchronisation)
    drops one byte at a time after a failed candidate, so a frame hidden
    inside garbage or inside a rejected candidate is still found.
    """

    frame_timeout_s: float = DEFAULT_FRAME_TIMEOUT_S
    stats: DecoderStats = field(default_factory=DecoderStats)
    _buffer: bytearray = field(default_factory=bytearray, repr=False)
    _waiting_since_s: float | None = field(default=None, repr=False)

    def feed(self, data: bytes, *, now_s: float) -> list[Frame]:
        """Add received bytes and return every frame they complete.

        Parameters
        ----------
        data : bytes
            The bytes just read; may be empty (then only the frame timeout
            is checked).
        now_s : float
            Monotonic time of the read, seconds; used for the frame timeout.
        """
        if data:
            self._buffer += data
            self._waiting_since_s = now_s
        elif self._partial_expired(now_s):
            self._reject_start(reason="timeout")
            self._waiting_since_s = now_s
        return self._extract()

    def reset(self) -> None:
        """Forget buffered bytes (the link was closed); counters are kept."""
        self.stats.garbage_bytes += len(self._buffer)
        self._buffer.clear()
        self._waiting_since_s = None

    @property
    def buffered(self) -> int:
        """Bytes held while waiting for the rest of a frame."""
        return len(self._buffer)

    def _partial_expired(self, now_s: float) -> bool:
        if not self._buffer or self._waiting_since_s is None:
            return False
        return now_s - self._waiting_since_s > self.frame_timeout_s

    def _reject_start(self, *, reason: str) -> None:
        """Drop the start byte of a failed candidate and count why."""
        if reason == "timeout":
            self.stats.timeouts += 1
        elif reason == "length":
            self.stats.bad_lengths += 1
        else:
            self.stats.crc_failures += 1
        del self._buffer[:1]

    def _extract(self) -> list[Frame]:
        frames: list[Frame] = []
        buf = self._buffer
        while buf:
            # Skip to the next start byte.
            start = buf.find(SOF)
            if start < 0:
                self.stats.garbage_bytes += len(buf)
                buf.clear()
                break
            if start:
                self.stats.garbage_bytes += start
                del buf[:start]

            # Check the length field, then wait for the whole candidate.
            if len(buf) < 2:
                break
            length = buf[1]
            if length > MAX_PAYLOAD:
                self._reject_start(reason="length")
                continue
            total = HEADER_LEN + length + CRC_LEN
            if len(buf) < total:
                break

            # Accept on a matching CRC, else resume one byte further on.
            body = bytes(buf[1 : HEADER_LEN + length])
            received = int.from_bytes(buf[total - CRC_LEN : total], "big")
            if crc16_ccitt(body) != received:
                self._reject_start(reason="crc")
                continue
            frames.append(
                Frame(
                    frame_type=body[1],
                    seq=int.from_bytes(body[2:4], "big"),
                    payload=body[4:],
                )
            )
            self.stats.frames += 1
            del buf[:total]
        return frames
