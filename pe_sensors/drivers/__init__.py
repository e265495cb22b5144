"""Drivers of the PE measuring devices: gates, lap reader, counters, scales.

Timed events (50 m, 800 m, 1000 m) and measured ones (vital capacity,
sit-and-reach, height and weight) come from devices over serial lines. The
frame protocol is specified in ``PROTOCOL.md`` beside this file: start byte
``0xA5``, length, type, 16-bit sequence number, payload and a
CRC-16/CCITT-FALSE, resynchronised by length after garbage. The drivers
never deliver a reading from a frame that failed a check; they drop it and
count it (:class:`DriverStats`).

Modules: ``frames`` (framing and CRC), ``readings`` (typed readings and
payloads), ``sequence`` (duplicates and late frames), ``transport`` (the
pyserial port), ``device`` (the drivers), ``simulator`` (a device on a
pseudo-terminal for tests) and ``laps`` (laps and finish times from RFID
reads).
"""

from pe_sensors.drivers.device import (
    DRIVERS,
    DeviceDriver,
    DriverStats,
    FinishGateDriver,
    LapReaderDriver,
    LinkState,
    RopeCounterDriver,
    ScaleDriver,
    SitAndReachDriver,
    SpirometerDriver,
    StartGateDriver,
)
from pe_sensors.drivers.readings import (
    DeviceIdentity,
    DeviceKind,
    GateTime,
    Height,
    LapRead,
    Measurement,
    Reading,
    RopeCount,
    SitAndReach,
    StartSignal,
    VitalCapacity,
    Weight,
)

__all__ = [
    "DRIVERS",
    "DeviceDriver",
    "DeviceIdentity",
    "DeviceKind",
    "DriverStats",
    "FinishGateDriver",
    "GateTime",
    "Height",
    "LapRead",
    "LapReaderDriver",
    "LinkState",
    "Measurement",
    "Reading",
    "RopeCount",
    "RopeCounterDriver",
    "ScaleDriver",
    "SitAndReach",
    "SitAndReachDriver",
    "SpirometerDriver",
    "StartGateDriver",
    "StartSignal",
    "VitalCapacity",
    "Weight",
]
