"""A device simulator on a pseudo-terminal, for tests and benchmarks.

The simulator plays the device side of ``PROTOCOL.md`` on the master side of
a pty (``os.openpty``). The driver opens the slave side by path with pyserial,
exactly as it opens ``/dev/ttyUSB0``, so tests run the production driver.
The slave is reached through a symbolic link that the simulator moves on
every re-plug, the way udev keeps ``/dev/serial/by-id/...`` stable.

The simulator answers IDENT_REQUEST with IDENT followed by every data frame
it wrote that was not acknowledged (the host has just (re)connected and may
have lost them), records ACKs and sends heartbeats while idle. Tests queue
intact readings (:meth:`PtySimulator.send`), raw bytes (noise, damaged
frames: :meth:`PtySimulator.send_raw`) and unplug events
(:meth:`PtySimulator.unplug`); a background thread writes them in order.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import random
import select
import threading
import time
import tty
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

from pe_sensors.drivers.frames import (
    CRC_LEN,
    HEADER_LEN,
    MAX_PAYLOAD,
    SEQ_MODULUS,
    SOF,
    FrameDecoder,
    FrameType,
    encode_frame,
)
from pe_sensors.drivers.readings import (
    DeviceIdentity,
    Measurement,
    encode_ident,
    encode_measurement,
)

logger = logging.getLogger(__name__)

WRITE_CHUNK = 4096
SELECT_SLICE_S = 0.02


@dataclass(frozen=True)
class _Data:
    """An intact data frame; resent after a re-plug unless acknowledged."""

    seq: int
    frame: bytes


@dataclass(frozen=True)
class _Raw:
    """Bytes written as they are: noise, damaged or repeated frames."""

    data: bytes


@dataclass(frozen=True)
class _Unplug:
    """Close the pty, wait, and plug a fresh one in (rebooted when given)."""

    pause_s: float
    rebooted_as: DeviceIdentity | None = None


_Item = _Data | _Raw | _Unplug


class PtySimulator:
    """One simulated device behind a pseudo-terminal.

    Parameters
    ----------
    identity : DeviceIdentity
        What the device reports in IDENT.
    link_dir : Path
        Folder for the stable link to the current pty slave.
    first_seq : int
        Sequence number of the first data frame (to test wrap-around).
    heartbeat_s : float
        Idle time after which a HEARTBEAT is sent.
    answer_ident : bool
        False makes a mute device that never answers IDENT_REQUEST.
    hear_acks : bool
        False makes a device deaf to ACK, which therefore sends every frame
        again after each IDENT (a broken host-to-device wire).
    """

    def __init__(
        self,
        identity: DeviceIdentity,
        *,
        link_dir: Path,
        first_seq: int = 0,
        heartbeat_s: float = 1.0,
        answer_ident: bool = True,
        hear_acks: bool = True,
    ) -> None:
        self.identity = identity
        self.port_path = str(
            link_dir / f"{identity.kind.name.lower()}-{identity.serial_number}"
        )
        self.heartbeat_s = heartbeat_s
        self.answer_ident = answer_ident
        self.hear_acks = hear_acks
        self.acked: set[int] = set()
        self.ident_requests = 0
        self.resent = 0
        self.plug_count = 0
        self._next_seq = first_seq % SEQ_MODULUS
        self._last_seq = (first_seq - 1) % SEQ_MODULUS
        self._queue: queue.Queue[_Item] = queue.Queue()
        self._urgent: deque[bytes] = deque()
        self._written: dict[int, bytes] = {}
        self._out = b""
        self._out_item: _Data | _Raw | None = None
        self._unfinished = 0
        self._unfinished_lock = threading.Lock()
        self._last_write_s = time.monotonic()
        self._requests = FrameDecoder()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._master = -1
        self._slave = -1
        self._thread = threading.Thread(
            target=self._run, name=f"sim-{identity.serial_number}", daemon=True
        )

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> PtySimulator:
        """Plug the device in and start writing queued items."""
        self._plug()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the writer thread and unplug for good."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5.0)
        self._unplug_now()

    def __enter__(self) -> PtySimulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what the device sends -----------------------------------------------

    def next_frame(self, measurement: Measurement) -> tuple[int, bytes]:
        """Give ``measurement`` the next sequence number; return it and its frame.

        The frame is not queued: tests damage, repeat or reorder it and queue
        the result with :meth:`send_raw`.
        """
        frame_type, payload = encode_measurement(measurement)
        seq = self._next_seq
        self._next_seq = (seq + 1) % SEQ_MODULUS
        self._last_seq = seq
        return seq, encode_frame(frame_type, seq, payload)

    def send(self, measurement: Measurement) -> int:
        """Queue ``measurement`` as an intact frame; return its sequence number."""
        seq, frame = self.next_frame(measurement)
        self._enqueue(_Data(seq, frame))
        return seq

    def send_raw(self, data: bytes) -> None:
        """Queue bytes to be written as they are."""
        self._enqueue(_Raw(data))

    def unplug(self, *, pause_s: float = 0.3) -> None:
        """Queue an unplug: the pty closes, and a new one opens ``pause_s`` later."""
        self._enqueue(_Unplug(pause_s))

    def power_cycle(self, *, boot_id: int, pause_s: float = 0.3) -> None:
        """Queue a power cycle: unplug, forget unsent frames, reboot with ``boot_id``.

        Sequence numbers of readings queued after this call start again at 0.
        """
        rebooted = replace(self.identity, boot_id=boot_id)
        self._next_seq = 0
        self._enqueue(_Unplug(pause_s, rebooted_as=rebooted))

    def wait_written(self, *, timeout_s: float) -> bool:
        """Wait until everything queued has been written; False on timeout."""
        return self._idle.wait(timeout_s)

    def _enqueue(self, item: _Item) -> None:
        with self._unfinished_lock:
            self._unfinished += 1
            self._idle.clear()
        self._queue.put(item)

    # -- the writer thread ---------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._out and not self._take_next():
                continue
            try:
                readable, writable, _ = select.select(
                    [self._master],
                    [self._master] if self._out else [],
                    [],
                    SELECT_SLICE_S,
                )
                if readable:
                    self._read_requests()
                if writable:
                    self._write_some()
            except OSError as exc:
                logger.debug("simulator pty error: %s", exc)
                time.sleep(SELECT_SLICE_S)

    def _take_next(self) -> bool:
        """Load the next bytes to write into ``_out``; False when idle."""
        if self._urgent:
            self._out, self._out_item = self._urgent.popleft(), None
            return True
        try:
            item = self._queue.get_nowait()
        except queue.Empty:
            self._idle_tick()
            return False
        if isinstance(item, _Unplug):
            if item.rebooted_as is not None:
                self.identity = item.rebooted_as
                self._written.clear()
            self._replug(item.pause_s)
            self._finish_item()
            return False
        self._out_item = item
        self._out = item.frame if isinstance(item, _Data) else item.data
        return True

    def _finish_item(self) -> None:
        with self._unfinished_lock:
            self._unfinished -= 1
            if self._unfinished == 0:
                self._idle.set()

    def _idle_tick(self) -> None:
        """Nothing queued: serve requests, send a heartbeat when due."""
        with contextlib.suppress(OSError):
            readable, _, _ = select.select([self._master], [], [], SELECT_SLICE_S)
            if readable:
                self._read_requests()
        if (
            not self._urgent
            and time.monotonic() - self._last_write_s > self.heartbeat_s
        ):
            self._urgent.append(encode_frame(FrameType.HEARTBEAT, self._last_seq))

    def _write_some(self) -> None:
        written = os.write(self._master, self._out[:WRITE_CHUNK])
        self._out = self._out[written:]
        self._last_write_s = time.monotonic()
        if self._out:
            return
        if self._out_item is not None:
            if isinstance(self._out_item, _Data):
                self._written[self._out_item.seq] = self._out_item.frame
            self._finish_item()
        self._out_item = None

    def _read_requests(self) -> None:
        data = os.read(self._master, WRITE_CHUNK)
        for frame in self._requests.feed(data, now_s=time.monotonic()):
            if frame.frame_type == FrameType.IDENT_REQUEST:
                self.ident_requests += 1
                if self.answer_ident:
                    self._answer_ident()
            elif frame.frame_type == FrameType.ACK and self.hear_acks:
                self.acked.add(frame.seq)
                self._written.pop(frame.seq, None)

    def _answer_ident(self) -> None:
        """Send IDENT, then every written data frame not yet acknowledged."""
        # A frame caught half-written is abandoned and sent whole again.
        if isinstance(self._out_item, _Data):
            self._written[self._out_item.seq] = self._out_item.frame
            self._out = b""
            self._out_item = None
            self._finish_item()
        ident = encode_ident(self.identity)
        self._urgent.append(encode_frame(FrameType.IDENT, self._last_seq, ident))
        oldest_first = sorted(
            self._written, key=lambda seq: (seq - self._next_seq) % SEQ_MODULUS
        )
        self._urgent.extend(self._written[seq] for seq in oldest_first)
        self.resent += len(oldest_first)

    # -- plugging ------------------------------------------------------------

    def _plug(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        link = Path(self.port_path)
        link.unlink(missing_ok=True)
        link.symlink_to(os.ttyname(self._slave))
        self.plug_count += 1
        self._requests = FrameDecoder()

    def _unplug_now(self) -> None:
        Path(self.port_path).unlink(missing_ok=True)
        for fd in (self._master, self._slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = -1

    def _replug(self, pause_s: float) -> None:
        """Unplug, wait and plug a new pty in."""
        self._unplug_now()
        if self._stop.wait(pause_s):
            return
        self._plug()


@dataclass(frozen=True)
class NoiseRates:
    """Per-frame probabilities of each kind of damage in a noisy stream."""

    garbage: float = 0.2  # random bytes (a quarter of them start bytes) before
    bit_flip: float = 0.05  # 1 to 3 bits flipped anywhere in the frame
    truncate: float = 0.03  # frame cut short at a random byte
    duplicate: float = 0.03  # an intact copy sent again 1 to 5 frames later
    reorder: float = 0.03  # swapped with the frame after it
    max_garbage: int = 32


@dataclass
class NoisyStream:
    """A damaged transmission and what a correct receiver must make of it."""

    chunks: list[bytes]
    sent: dict[int, Measurement]  # every transmitted reading by sequence number
    intact: set[int]  # sequence numbers that arrive undamaged at least once
    corrupted: int  # frames damaged by a bit flip or a cut
    duplicates: int  # extra intact copies (each must be dropped)
    late: int  # intact frames that arrive after a newer one
    garbage_bytes: int


def build_noisy_stream(
    simulator: PtySimulator,
    measurements: list[Measurement],
    *,
    rng: random.Random,
    rates: NoiseRates | None = None,
) -> NoisyStream:
    """Frame ``measurements`` as ``simulator``'s device would, then damage them.

    Sequence numbers come from the simulator, so the result can be queued
    with :meth:`PtySimulator.send_raw` one chunk at a time.
    """
    rates = rates or NoiseRates()
    sent: dict[int, Measurement] = {}
    corrupted = 0

    # Frame every reading; damage some of them.
    items: list[tuple[int, int, bytes, bool]] = []  # order, seq, bytes, intact
    for order, measurement in enumerate(measurements):
        seq, frame = simulator.next_frame(measurement)
        sent[seq] = measurement
        roll = rng.random()
        if roll < rates.bit_flip:
            frame, intact = _flip_bits(frame, rng=rng), False
        elif roll < rates.bit_flip + rates.truncate:
            frame, intact = frame[: rng.randrange(1, len(frame))], False
        else:
            intact = True
        corrupted += not intact
        items.append((order, seq, frame, intact))

    # Swap some neighbours, then repeat some intact frames a little later.
    index = 0
    while index < len(items) - 1:
        if rng.random() < rates.reorder:
            items[index], items[index + 1] = items[index + 1], items[index]
            index += 1
        index += 1
    for index in range(len(items) - 1, -1, -1):
        if items[index][3] and rng.random() < rates.duplicate:
            items.insert(index + rng.randint(1, 5), items[index])

    # Put garbage between frames and work out the expected verdicts.
    chunks: list[bytes] = []
    garbage_bytes = 0
    delivered: set[int] = set()
    newest_order = -1
    late = duplicates = 0
    for order, seq, frame, intact in items:
        if rng.random() < rates.garbage:
            noise = _garbage(rng=rng, max_len=rates.max_garbage)
            garbage_bytes += len(noise)
            chunks.append(noise)
        chunks.append(frame)
        if not intact:
            continue
        if seq in delivered:
            duplicates += 1
            continue
        delivered.add(seq)
        late += order < newest_order
        newest_order = max(newest_order, order)
    # Zeros at the end complete any false start still waiting for bytes, so
    # the last frames come out without waiting for the frame timeout.
    chunks.append(bytes(HEADER_LEN + MAX_PAYLOAD + CRC_LEN))
    return NoisyStream(
        chunks=chunks,
        sent=sent,
        intact=delivered,
        corrupted=corrupted,
        duplicates=duplicates,
        late=late,
        garbage_bytes=garbage_bytes,
    )


def _flip_bits(frame: bytes, *, rng: random.Random) -> bytes:
    damaged = bytearray(frame)
    for bit in rng.sample(range(8 * len(frame)), rng.randint(1, 3)):
        damaged[bit // 8] ^= 1 << (bit % 8)
    return bytes(damaged)


def _garbage(*, rng: random.Random, max_len: int) -> bytes:
    return bytes(
        SOF if rng.random() < 0.25 else rng.randrange(256)
        for _ in range(rng.randint(1, max_len))
    )
