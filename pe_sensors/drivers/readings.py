"""Typed readings of the PE devices and their payload encoding.

Each measurement is a frozen dataclass whose field names carry the unit.
On the wire every value is an integer in a fixed unit (milliseconds,
millimetres, tenths of a centimetre, tens of grams; see ``PROTOCOL.md``), so
a reading decodes to exactly one value and encodes back to the same bytes.
Every raw value has a plausible range; a payload outside it is refused,
never clipped.
"""

from __future__ import annotations

import string
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from pe_sensors.drivers.frames import FrameType
from pe_sensors.errors import FrameError

PROTOCOL_VERSION = 1

MAX_SERIAL_LEN = 32
TAG_ID_BYTES = 12
"""RFID tag identifiers are EPC-96 codes, shown as 24 upper-case hex digits."""

_PRINTABLE = frozenset(
    (string.ascii_letters + string.digits + string.punctuation).encode()
)


class DeviceKind(IntEnum):
    """The device kinds, numbered as in the IDENT frame's kind byte."""

    START_GATES = 1  # start signal and timing gates
    FINISH_GATE = 2  # photoelectric finish gate
    RFID_LAP = 3  # RFID lap reader for the 800 m and 1000 m runs
    ROPE_COUNTER = 4  # electronic rope-skipping counter
    SPIROMETER = 5  # vital capacity
    SIT_AND_REACH = 6  # sit-and-reach box
    SCALE = 7  # height and weight scale


@dataclass(frozen=True)
class DeviceIdentity:
    """Who sent a reading, from the device's IDENT frame."""

    kind: DeviceKind
    serial_number: str
    boot_id: int  # changes at every power-up of the device
    protocol_version: int = PROTOCOL_VERSION


@dataclass(frozen=True)
class StartSignal:
    """The start signal, on the device's clock."""

    t_s: float


@dataclass(frozen=True)
class GateTime:
    """A lane's gate was broken ``elapsed_s`` after the start signal."""

    lane: int
    elapsed_s: float


@dataclass(frozen=True)
class LapRead:
    """One read of an RFID tag, ``t_s`` after the start signal."""

    tag_id: str
    t_s: float
    antenna: int


@dataclass(frozen=True)
class RopeCount:
    """The rope counter's running count, ``t_s`` into the timed period."""

    count: int
    t_s: float


@dataclass(frozen=True)
class VitalCapacity:
    """One spirometer trial, in millilitres."""

    ml: int
    trial: int


@dataclass(frozen=True)
class SitAndReach:
    """One sit-and-reach trial; negative when the fingertips stop short."""

    cm: float
    trial: int


@dataclass(frozen=True)
class Height:
    """Standing height in centimetres (resolution 0.1 cm)."""

    cm: float


@dataclass(frozen=True)
class Weight:
    """Body weight in kilograms (resolution 0.01 kg)."""

    kg: float


Measurement = (
    StartSignal
    | GateTime
    | LapRead
    | RopeCount
    | VitalCapacity
    | SitAndReach
    | Height
    | Weight
)


@dataclass(frozen=True)
class Reading:
    """A measurement as the driver delivers it, with where and when it came from.

    ``arrived_s`` is the host's monotonic clock when the frame was read;
    ``late`` marks a frame that arrived after a newer one (its value is
    still the one the device sent).
    """

    measurement: Measurement
    device: DeviceIdentity
    seq: int
    arrived_s: float
    late: bool = False


KIND_FRAME_TYPES: dict[DeviceKind, frozenset[FrameType]] = {
    DeviceKind.START_GATES: frozenset({FrameType.START_SIGNAL, FrameType.GATE_TIME}),
    DeviceKind.FINISH_GATE: frozenset({FrameType.START_SIGNAL, FrameType.GATE_TIME}),
    DeviceKind.RFID_LAP: frozenset({FrameType.LAP_READ}),
    DeviceKind.ROPE_COUNTER: frozenset({FrameType.ROPE_COUNT}),
    DeviceKind.SPIROMETER: frozenset({FrameType.VITAL_CAPACITY}),
    DeviceKind.SIT_AND_REACH: frozenset({FrameType.SIT_AND_REACH}),
    DeviceKind.SCALE: frozenset({FrameType.HEIGHT, FrameType.WEIGHT}),
}
"""The data frame types each device kind may send."""


@dataclass(frozen=True)
class _Codec:
    """How one data frame type maps to its measurement.

    ``limits`` holds an inclusive (low, high) range per integer field of the
    packed payload, or ``None`` for a field that is not a number.
    """

    packer: struct.Struct
    limits: tuple[tuple[int, int] | None, ...]
    decode: Callable[[tuple[Any, ...]], Measurement]
    measurement_type: type


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


ONE_HOUR_MS = 3_600_000
TEN_MINUTES_MS = 600_000

_CODECS: dict[FrameType, _Codec] = {
    FrameType.START_SIGNAL: _Codec(
        struct.Struct(">I"),
        ((0, 0xFFFF_FFFF),),
        lambda raw: StartSignal(t_s=raw[0] / 1000),
        StartSignal,
    ),
    FrameType.GATE_TIME: _Codec(
        struct.Struct(">BI"),
        ((1, 16), (0, ONE_HOUR_MS)),
        lambda raw: GateTime(lane=raw[0], elapsed_s=raw[1] / 1000),
        GateTime,
    ),
    FrameType.LAP_READ: _Codec(
        struct.Struct(f">{TAG_ID_BYTES}sIB"),
        (None, (0, ONE_HOUR_MS), (1, 8)),
        lambda raw: LapRead(
            tag_id=raw[0].hex().upper(), t_s=raw[1] / 1000, antenna=raw[2]
        ),
        LapRead,
    ),
    FrameType.ROPE_COUNT: _Codec(
        struct.Struct(">HI"),
        ((0, 999), (0, TEN_MINUTES_MS)),
        lambda raw: RopeCount(count=raw[0], t_s=raw[1] / 1000),
        RopeCount,
    ),
    FrameType.VITAL_CAPACITY: _Codec(
        struct.Struct(">HB"),
        ((0, 9999), (1, 3)),
        lambda raw: VitalCapacity(ml=raw[0], trial=raw[1]),
        VitalCapacity,
    ),
    FrameType.SIT_AND_REACH: _Codec(
        struct.Struct(">hB"),
        ((-300, 400), (1, 3)),
        lambda raw: SitAndReach(cm=raw[0] / 10, trial=raw[1]),
        SitAndReach,
    ),
    FrameType.HEIGHT: _Codec(
        struct.Struct(">H"),
        ((500, 2500),),
        lambda raw: Height(cm=raw[0] / 10),
        Height,
    ),
    FrameType.WEIGHT: _Codec(
        struct.Struct(">H"),
        ((500, 25_000),),
        lambda raw: Weight(kg=raw[0] / 100),
        Weight,
    ),
}

_TYPE_OF_MEASUREMENT: dict[type, FrameType] = {
    codec.measurement_type: frame_type for frame_type, codec in _CODECS.items()
}

_IDENT_HEAD = struct.Struct(">BBH")


def _tag_bytes(tag_id: str) -> bytes:
    try:
        raw = bytes.fromhex(tag_id)
    except ValueError as exc:
        raise FrameError(
            f"tag id {tag_id!r} is not hexadecimal; give the EPC as "
            f"{2 * TAG_ID_BYTES} hex digits"
        ) from exc
    if len(raw) != TAG_ID_BYTES:
        raise FrameError(
            f"tag id {tag_id!r} has {len(raw)} bytes; an EPC-96 has {TAG_ID_BYTES}"
        )
    return raw


def _check_limits(frame_type: FrameType, codec: _Codec, raw: tuple[Any, ...]) -> None:
    for index, (value, limit) in enumerate(zip(raw, codec.limits, strict=True)):
        if limit is not None and not limit[0] <= value <= limit[1]:
            raise FrameError(
                f"{frame_type.name} field {index} is {value}, outside the "
                f"plausible range {limit[0]}..{limit[1]}; the device is faulty "
                "or misconfigured"
            )


def _raw_values(measurement: Measurement) -> tuple[Any, ...]:
    """The integer (and tag) fields that carry ``measurement`` on the wire."""
    match measurement:
        case StartSignal(t_s=t_s):
            return (_ms(t_s),)
        case GateTime(lane=lane, elapsed_s=elapsed_s):
            return (lane, _ms(elapsed_s))
        case LapRead(tag_id=tag_id, t_s=t_s, antenna=antenna):
            return (_tag_bytes(tag_id), _ms(t_s), antenna)
        case RopeCount(count=count, t_s=t_s):
            return (count, _ms(t_s))
        case VitalCapacity(ml=ml, trial=trial):
            return (ml, trial)
        case SitAndReach(cm=cm, trial=trial):
            return (round(cm * 10), trial)
        case Height(cm=cm):
            return (round(cm * 10),)
        case Weight(kg=kg):
            return (round(kg * 100),)
    raise FrameError(f"{measurement!r} is not a measurement of this protocol")


def frame_type_of(measurement: Measurement) -> FrameType:
    """The data frame type that carries ``measurement``."""
    return _TYPE_OF_MEASUREMENT[type(measurement)]


def encode_measurement(measurement: Measurement) -> tuple[FrameType, bytes]:
    """The frame type and payload that carry ``measurement``.

    Raises
    ------
    FrameError
        When a value falls outside its plausible range (the same ranges the
        decoder enforces) or does not fit its field.
    """
    frame_type = frame_type_of(measurement)
    codec = _CODECS[frame_type]
    raw = _raw_values(measurement)
    _check_limits(frame_type, codec, raw)
    return frame_type, codec.packer.pack(*raw)


def decode_measurement(frame_type: int, payload: bytes) -> Measurement:
    """The measurement in a data frame's payload.

    Raises
    ------
    FrameError
        When the type is not a data type, the payload length is not the
        type's exact length, or a value is outside its plausible range.
    """
    try:
        known = FrameType(frame_type)
        codec = _CODECS[known]
    except (ValueError, KeyError) as exc:
        raise FrameError(
            f"frame type {frame_type:#04x} carries no measurement in protocol "
            f"version {PROTOCOL_VERSION}; update the driver or the device firmware"
        ) from exc
    if len(payload) != codec.packer.size:
        raise FrameError(
            f"{known.name} payload has {len(payload)} bytes; the protocol "
            f"prescribes exactly {codec.packer.size}"
        )
    raw = codec.packer.unpack(payload)
    _check_limits(known, codec, raw)
    return codec.decode(raw)


def encode_ident(identity: DeviceIdentity) -> bytes:
    """The IDENT payload announcing ``identity``."""
    serial = identity.serial_number.encode("ascii", errors="replace")
    if not 1 <= len(serial) <= MAX_SERIAL_LEN or not set(serial) <= _PRINTABLE:
        raise FrameError(
            f"serial number {identity.serial_number!r} must be 1 to "
            f"{MAX_SERIAL_LEN} printable ASCII characters without spaces"
        )
    head = _IDENT_HEAD.pack(
        int(identity.kind), identity.protocol_version, identity.boot_id
    )
    return head + serial


def decode_ident(payload: bytes) -> DeviceIdentity:
    """The device identity in an IDENT payload.

    Raises
    ------
    FrameError
        When the kind or protocol version is unknown or the serial number is
        empty, too long or not printable ASCII.
    """
    if len(payload) <= _IDENT_HEAD.size:
        raise FrameError(
            f"IDENT payload has {len(payload)} bytes; it needs "
            f"{_IDENT_HEAD.size} plus a serial number"
        )
    kind_byte, version, boot_id = _IDENT_HEAD.unpack_from(payload)
    serial = payload[_IDENT_HEAD.size :]
    if version != PROTOCOL_VERSION:
        raise FrameError(
            f"device speaks protocol version {version}; this driver speaks "
            f"{PROTOCOL_VERSION}; update the driver or the device firmware"
        )
    try:
        kind = DeviceKind(kind_byte)
    except ValueError as exc:
        raise FrameError(
            f"IDENT names device kind {kind_byte}, which protocol version "
            f"{PROTOCOL_VERSION} does not define (1-{len(DeviceKind)})"
        ) from exc
    if len(serial) > MAX_SERIAL_LEN or not set(serial) <= _PRINTABLE:
        raise FrameError(
            f"IDENT serial number {serial!r} is not 1 to {MAX_SERIAL_LEN} "
            "printable ASCII characters"
        )
    return DeviceIdentity(
        kind=kind,
        serial_number=serial.decode("ascii"),
        boot_id=boot_id,
        protocol_version=version,
    )
