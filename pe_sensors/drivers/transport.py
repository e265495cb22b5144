"""The serial port under a driver: pyserial, with its errors translated.

The same class opens ``/dev/ttyUSB0`` on a station PC and the slave side of
a pseudo-terminal in the tests, so the code the tests run is the production
code. Every pyserial or OS failure becomes a :class:`DeviceConnectionError`,
which the driver treats as "device unplugged".
"""

from __future__ import annotations

import logging

import serial

from pe_sensors.errors import DeviceConnectionError

logger = logging.getLogger(__name__)

DEFAULT_BAUDRATE = 115_200
WRITE_TIMEOUT_S = 0.5
MAX_READ = 4096
"""The most bytes taken from the port in one read."""


class SerialLink:
    """One serial port, opened and reopened on demand.

    Parameters
    ----------
    port : str
        Path of the port, e.g. ``/dev/ttyUSB0`` or a stable
        ``/dev/serial/by-id/...`` link that survives re-plugging.
    baudrate : int
        Line speed; the protocol uses 115200 8N1.
    """

    def __init__(self, port: str, *, baudrate: int = DEFAULT_BAUDRATE) -> None:
        self.port = port
        self.baudrate = baudrate
        self._serial: serial.Serial | None = None

    @property
    def is_open(self) -> bool:
        """True while the port is open."""
        return self._serial is not None

    def open(self) -> None:
        """Open the port (8N1, no flow control).

        Raises
        ------
        DeviceConnectionError
            When the port does not exist or cannot be opened.
        """
        if self._serial is not None:
            return
        try:
            self._serial = serial.Serial(
                self.port,
                baudrate=self.baudrate,
                bytesize=serial.EIGHTBITS,
                parity=serial.PARITY_NONE,
                stopbits=serial.STOPBITS_ONE,
                timeout=0,
                write_timeout=WRITE_TIMEOUT_S,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceConnectionError(
                f"cannot open serial port {self.port}: {exc}; check that the "
                "device is plugged in and that this user may use the port"
            ) from exc
        logger.debug("opened %s at %s baud", self.port, self.baudrate)

    def close(self) -> None:
        """Close the port; closing a closed port does nothing."""
        port, self._serial = self._serial, None
        if port is None:
            return
        try:
            port.close()
        except (serial.SerialException, OSError) as exc:
            logger.debug("closing %s failed (%s); it is gone anyway", self.port, exc)

    def read(self, *, timeout_s: float) -> bytes:
        """The bytes available now, waiting up to ``timeout_s`` for the first.

        Returns an empty string when nothing arrived in time.

        Raises
        ------
        DeviceConnectionError
            When the port is closed or failed (the device was unplugged).
        """
        port = self._require_open()
        try:
            port.timeout = max(timeout_s, 0.0)
            data = port.read(1)
            if data and port.in_waiting:
                data += port.read(min(port.in_waiting, MAX_READ))
        except (serial.SerialException, OSError) as exc:
            raise DeviceConnectionError(
                f"reading {self.port} failed: {exc}; the device was probably unplugged"
            ) from exc
        return bytes(data)

    def write(self, data: bytes) -> None:
        """Send ``data`` to the device.

        Raises
        ------
        DeviceConnectionError
            When the port is closed, failed or stayed blocked for longer
            than the write timeout.
        """
        port = self._require_open()
        try:
            port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise DeviceConnectionError(
                f"writing {len(data)} bytes to {self.port} failed: {exc}; the "
                "device was probably unplugged"
            ) from exc

    def _require_open(self) -> serial.Serial:
        if self._serial is None:
            raise DeviceConnectionError(
                f"serial port {self.port} is not open; call open() first"
            )
        return self._serial
