"""Device drivers: the host side of the conversation in ``PROTOCOL.md``.

:class:`DeviceDriver` holds everything the device kinds share: opening the
port, asking the device who it is, decoding and checking frames, judging
sequence numbers, acknowledging, stamping readings on arrival and
reconnecting after the device is unplugged or falls silent. One small
subclass per device kind fixes which device it accepts.

A driver is used from one thread::

    with LapReaderDriver("/dev/serial/by-id/usb-lap-reader") as reader:
        while racing:
            for reading in reader.poll(timeout_s=0.5):
                handle(reading)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from types import TracebackType
from typing import ClassVar

from pe_sensors.drivers.frames import (
    DEFAULT_FRAME_TIMEOUT_S,
    DecoderStats,
    Frame,
    FrameDecoder,
    FrameType,
    encode_frame,
)
from pe_sensors.drivers.readings import (
    KIND_FRAME_TYPES,
    DeviceIdentity,
    DeviceKind,
    Reading,
    decode_ident,
    decode_measurement,
)
from pe_sensors.drivers.sequence import SequenceTracker, SeqVerdict
from pe_sensors.drivers.transport import DEFAULT_BAUDRATE, SerialLink
from pe_sensors.errors import (
    DeviceConnectionError,
    DeviceIdentityError,
    DeviceTimeoutError,
    FrameError,
)

logger = logging.getLogger(__name__)

SILENCE_TIMEOUT_S = 3.0
"""Three missed heartbeats (devices send one every second when idle)."""

IDENT_RETRY_S = 0.5
RECONNECT_INTERVAL_S = 0.2
READ_SLICE_S = 0.05
"""Longest single wait on the port, so timeouts are checked this often."""

MAX_PENDING = 1024
"""Data frames held while waiting for IDENT; older ones are dropped beyond it."""

OPEN_TIMEOUT_S = 5.0


class LinkState(Enum):
    """Where a driver stands with its device."""

    CLOSED = "closed"  # never opened, or closed by the caller
    IDENTIFYING = "identifying"  # port open, IDENT requested, not yet answered
    STREAMING = "streaming"  # device identified, readings accepted
    RECONNECTING = "reconnecting"  # link lost; reopening the port periodically


@dataclass
class DriverStats:
    """Counters of what a driver accepted, dropped and survived."""

    readings: int = 0  # readings delivered (including late ones)
    late: int = 0  # readings delivered that arrived after a newer one
    duplicates: int = 0  # data frames dropped: sequence number seen before
    stale: int = 0  # data frames dropped: too far behind to judge
    rejected: int = 0  # CRC-valid frames refused: type, kind, length or range
    unidentified: int = 0  # data frames dropped because IDENT never came
    reconnects: int = 0  # times the port was reopened after a loss
    decoder: DecoderStats = field(default_factory=DecoderStats)

    @property
    def dropped_frames(self) -> int:
        """Every candidate frame thrown away, whatever the reason."""
        d = self.decoder
        return (
            d.crc_failures
            + d.bad_lengths
            + d.timeouts
            + self.duplicates
            + self.stale
            + self.rejected
            + self.unidentified
        )


class DeviceDriver:
    """The host side of one device on one serial port.

    Parameters
    ----------
    port : str
        The serial port's path (a stable ``/dev/serial/by-id`` link is best:
        it comes back under the same name when the device is re-plugged).
    baudrate : int
        Line speed, 115200 for protocol version 1.
    silence_timeout_s : float
        A line with no valid frame for this long counts as lost.
    reconnect_interval_s : float
        Pause between attempts to reopen a lost port.
    frame_timeout_s : float
        How long a started frame may wait for its remaining bytes.
    clock : callable
        Monotonic clock in seconds, used to stamp readings on arrival.
    """

    kind: ClassVar[DeviceKind]

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = DEFAULT_BAUDRATE,
        silence_timeout_s: float = SILENCE_TIMEOUT_S,
        reconnect_interval_s: float = RECONNECT_INTERVAL_S,
        frame_timeout_s: float = DEFAULT_FRAME_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not hasattr(type(self), "kind"):
            raise TypeError(
                "DeviceDriver is the shared base; use the subclass of the device "
                "kind, e.g. LapReaderDriver"
            )
        self.port = port
        self.silence_timeout_s = silence_timeout_s
        self.reconnect_interval_s = reconnect_interval_s
        self.clock = clock
        self.state = LinkState.CLOSED
        self.identity: DeviceIdentity | None = None
        self.stats = DriverStats()
        self._link = SerialLink(port, baudrate=baudrate)
        self._decoder = FrameDecoder(
            frame_timeout_s=frame_timeout_s, stats=self.stats.decoder
        )
        self._sequence = SequenceTracker()
        self._pending: list[tuple[Frame, float]] = []
        self._ready: list[Reading] = []
        self._acks: list[bytes] = []
        self._last_frame_s = 0.0
        self._last_request_s = 0.0
        self._last_attempt_s = 0.0

    # -- lifecycle -----------------------------------------------------------

    def open(self, *, timeout_s: float = OPEN_TIMEOUT_S) -> DeviceIdentity:
        """Open the port and wait for the device to identify itself.

        Raises
        ------
        DeviceConnectionError
            When the port cannot be opened.
        DeviceTimeoutError
            When no IDENT arrives within ``timeout_s``.
        DeviceIdentityError
            When the device is of another kind than this driver's.
        """
        self._link.open()
        self._start_identifying(self.clock())
        deadline = self.clock() + timeout_s
        while self.state is not LinkState.STREAMING:
            remaining = deadline - self.clock()
            if remaining <= 0:
                self.close()
                raise DeviceTimeoutError(
                    f"no IDENT from {self.port} within {timeout_s:.1f} s; check "
                    f"that a {self.kind.name} device is connected and powered"
                )
            if self.state is LinkState.RECONNECTING:
                self._try_reopen()
                time.sleep(min(remaining, self.reconnect_interval_s))
            else:
                self._ready += self._exchange(wait_s=min(remaining, READ_SLICE_S))
        return self._known_identity()

    def close(self) -> None:
        """Close the port; readings not yet polled are discarded."""
        self._link.close()
        self._decoder.reset()
        self.state = LinkState.CLOSED

    def __enter__(self) -> DeviceDriver:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- reading -------------------------------------------------------------

    def poll(self, *, timeout_s: float) -> list[Reading]:
        """The readings that arrived, waiting up to ``timeout_s`` for the first.

        Returns as soon as at least one reading is ready; reconnects on its
        own while the device is unplugged (then returns an empty list after
        ``timeout_s``).

        Raises
        ------
        DeviceConnectionError
            When the driver was never opened or has been closed.
        DeviceIdentityError
            When a device of another kind answers on the port.
        """
        if self.state is LinkState.CLOSED:
            raise DeviceConnectionError(
                f"driver for {self.port} is closed; call open() before poll()"
            )
        deadline = self.clock() + timeout_s
        readings, self._ready = self._ready, []
        while not readings:
            remaining = deadline - self.clock()
            if remaining <= 0:
                break
            if self.state is LinkState.RECONNECTING:
                self._try_reopen()
                if self.state is LinkState.RECONNECTING:
                    time.sleep(min(remaining, self.reconnect_interval_s))
                continue
            readings += self._exchange(wait_s=min(remaining, READ_SLICE_S))
        return readings

    def _exchange(self, *, wait_s: float) -> list[Reading]:
        """Read once, handle the frames, send acknowledgements and requests."""
        try:
            data = self._link.read(timeout_s=wait_s)
        except DeviceConnectionError as exc:
            self._lose_link(reason=str(exc))
            return []
        now = self.clock()
        readings: list[Reading] = []
        for frame in self._decoder.feed(data, now_s=now):
            self._last_frame_s = now
            readings += self._handle(frame, arrived_s=now)
        self._send_pending_writes(now)
        if now - self._last_frame_s > self.silence_timeout_s:
            self._lose_link(reason=f"no valid frame for {self.silence_timeout_s:.1f} s")
        return readings

    # -- frames --------------------------------------------------------------

    def _handle(self, frame: Frame, *, arrived_s: float) -> list[Reading]:
        if frame.frame_type == FrameType.IDENT:
            return self._handle_ident(frame, arrived_s=arrived_s)
        if frame.frame_type == FrameType.HEARTBEAT:
            return []
        if frame.frame_type < FrameType.START_SIGNAL:
            self._reject(frame, reason="a host-to-device or unknown control type")
            return []
        if self.state is not LinkState.STREAMING:
            self._hold(frame, arrived_s=arrived_s)
            return []
        reading = self._accept_data(frame, arrived_s=arrived_s)
        return [] if reading is None else [reading]

    def _handle_ident(self, frame: Frame, *, arrived_s: float) -> list[Reading]:
        try:
            identity = decode_ident(frame.payload)
        except FrameError as exc:
            self._reject(frame, reason=str(exc))
            return []
        if identity.kind is not self.kind:
            self.close()
            raise DeviceIdentityError(
                f"the device on {self.port} is a {identity.kind.name} "
                f"(serial {identity.serial_number}); this driver reads "
                f"{self.kind.name} devices; connect the right device or driver"
            )
        if identity != self.identity:
            if self.identity is not None:
                logger.info(
                    "device on %s changed from %s to %s; sequence history reset",
                    self.port,
                    self.identity,
                    identity,
                )
            self._sequence = SequenceTracker()
        if self.state is not LinkState.STREAMING:
            logger.info(
                "%s serial %s (boot %s) identified on %s",
                identity.kind.name,
                identity.serial_number,
                identity.boot_id,
                self.port,
            )
        self.identity = identity
        self.state = LinkState.STREAMING
        return self._release_held()

    def _hold(self, frame: Frame, *, arrived_s: float) -> None:
        """Keep a data frame that came before IDENT, within a bound."""
        self._pending.append((frame, arrived_s))
        if len(self._pending) > MAX_PENDING:
            self._pending.pop(0)
            self.stats.unidentified += 1

    def _release_held(self) -> list[Reading]:
        held, self._pending = self._pending, []
        readings = []
        for frame, arrived_s in held:
            reading = self._accept_data(frame, arrived_s=arrived_s)
            if reading is not None:
                readings.append(reading)
        return readings

    def _accept_data(self, frame: Frame, *, arrived_s: float) -> Reading | None:
        """The reading in a data frame, or None when it must be dropped."""
        identity = self._known_identity()
        if frame.frame_type not in KIND_FRAME_TYPES[identity.kind]:
            self._reject(frame, reason=f"not a type a {identity.kind.name} sends")
            return None
        try:
            measurement = decode_measurement(frame.frame_type, frame.payload)
        except FrameError as exc:
            self._reject(frame, reason=str(exc))
            return None

        # Judge the sequence number only once the frame is known good.
        verdict = self._sequence.judge(frame.seq)
        if verdict is SeqVerdict.STALE:
            self.stats.stale += 1
            logger.debug("dropped stale frame seq %s", frame.seq)
            return None
        self._acks.append(encode_frame(FrameType.ACK, frame.seq))
        if verdict is SeqVerdict.DUPLICATE:
            self.stats.duplicates += 1
            return None
        self._sequence.record(frame.seq, verdict)
        late = verdict is SeqVerdict.LATE
        self.stats.readings += 1
        self.stats.late += late
        return Reading(
            measurement=measurement,
            device=identity,
            seq=frame.seq,
            arrived_s=arrived_s,
            late=late,
        )

    def _known_identity(self) -> DeviceIdentity:
        if self.identity is None:
            raise DeviceIdentityError(
                f"the device on {self.port} has not identified itself yet; "
                "call open() and wait for it"
            )
        return self.identity

    def _reject(self, frame: Frame, *, reason: str) -> None:
        self.stats.rejected += 1
        logger.warning(
            "dropped frame type %#04x seq %s from %s: %s",
            frame.frame_type,
            frame.seq,
            self.port,
            reason,
        )

    # -- link ----------------------------------------------------------------

    def _send_pending_writes(self, now: float) -> None:
        """Send queued acknowledgements and, while identifying, IDENT requests."""
        out = b"".join(self._acks)
        self._acks.clear()
        identifying = self.state is LinkState.IDENTIFYING
        if identifying and now - self._last_request_s >= IDENT_RETRY_S:
            out += encode_frame(FrameType.IDENT_REQUEST, 0)
            self._last_request_s = now
        if not out:
            return
        try:
            self._link.write(out)
        except DeviceConnectionError as exc:
            self._lose_link(reason=str(exc))

    def _start_identifying(self, now: float) -> None:
        self.state = LinkState.IDENTIFYING
        self._last_frame_s = now
        self._last_request_s = float("-inf")
        self._send_pending_writes(now)

    def _lose_link(self, *, reason: str) -> None:
        if self.state is LinkState.CLOSED:
            return
        logger.warning("link to %s lost (%s); reconnecting", self.port, reason)
        self._link.close()
        self._decoder.reset()
        self._acks.clear()
        self.state = LinkState.RECONNECTING
        self._last_attempt_s = self.clock()

    def _try_reopen(self) -> None:
        now = self.clock()
        if now - self._last_attempt_s < self.reconnect_interval_s:
            return
        self._last_attempt_s = now
        try:
            self._link.open()
        except DeviceConnectionError as exc:
            logger.debug("reopening %s failed: %s", self.port, exc)
            return
        self.stats.reconnects += 1
        logger.info("reopened %s; asking the device to identify", self.port)
        self._start_identifying(now)


class StartGateDriver(DeviceDriver):
    """Start signal and timing gates: StartSignal and GateTime readings."""

    kind = DeviceKind.START_GATES


class FinishGateDriver(DeviceDriver):
    """Photoelectric finish gate: StartSignal and GateTime readings."""

    kind = DeviceKind.FINISH_GATE


class LapReaderDriver(DeviceDriver):
    """RFID lap reader of the distance runs: LapRead readings."""

    kind = DeviceKind.RFID_LAP


class RopeCounterDriver(DeviceDriver):
    """Electronic rope counter: RopeCount readings."""

    kind = DeviceKind.ROPE_COUNTER


class SpirometerDriver(DeviceDriver):
    """Spirometer: VitalCapacity readings."""

    kind = DeviceKind.SPIROMETER


class SitAndReachDriver(DeviceDriver):
    """Sit-and-reach box: SitAndReach readings."""

    kind = DeviceKind.SIT_AND_REACH


class ScaleDriver(DeviceDriver):
    """Height and weight scale: Height and Weight readings."""

    kind = DeviceKind.SCALE


DRIVERS: dict[DeviceKind, type[DeviceDriver]] = {
    driver.kind: driver
    for driver in (
        StartGateDriver,
        FinishGateDriver,
        LapReaderDriver,
        RopeCounterDriver,
        SpirometerDriver,
        SitAndReachDriver,
        ScaleDriver,
    )
}
"""The driver class of each device kind."""
