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
import select
import threading
import time
import tty
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pe_sensors.drivers.frames import SEQ_MODULUS, FrameDecoder, FrameType, encode_frame
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
    """Close the pty, wait, and plug a fresh one in."""

    pause_s: float


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
    """

    def __init__(
        self,
        identity: DeviceIdentity,
        *,
        link_dir: Path,
        first_seq: int = 0,
        heartbeat_s: float = 1.0,
        answer_ident: bool = True,
    ) -> None:
        self.identity = identity
        self.port_path = str(
            link_dir / f"{identity.kind.name.lower()}-{identity.serial_number}"
        )
        self.heartbeat_s = heartbeat_s
        self.answer_ident = answer_ident
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
            elif frame.frame_type == FrameType.ACK:
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
