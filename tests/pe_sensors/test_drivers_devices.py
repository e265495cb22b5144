"""Each driver against its device simulated on a pseudo-terminal.

The driver opens the pty's slave by path with pyserial, as it would open
/dev/ttyUSB0, so these tests exercise the production code end to end.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pe_sensors.drivers import (
    DRIVERS,
    DeviceDriver,
    DeviceIdentity,
    DeviceKind,
    GateTime,
    Height,
    LapRead,
    LapReaderDriver,
    LinkState,
    Measurement,
    Reading,
    RopeCount,
    ScaleDriver,
    SitAndReach,
    SpirometerDriver,
    StartSignal,
    VitalCapacity,
    Weight,
)
from pe_sensors.drivers.frames import FrameType, encode_frame
from pe_sensors.drivers.simulator import PtySimulator
from pe_sensors.errors import (
    DeviceConnectionError,
    DeviceIdentityError,
    DeviceTimeoutError,
)

PATIENCE_S = 10.0
"""Upper bound on waiting for readings; a passing test never waits this long."""

READINGS_BY_KIND: dict[DeviceKind, list[Measurement]] = {
    DeviceKind.START_GATES: [
        StartSignal(t_s=1000.5),
        GateTime(lane=1, elapsed_s=7.912),
        GateTime(lane=2, elapsed_s=8.034),
    ],
    DeviceKind.FINISH_GATE: [
        StartSignal(t_s=3.25),
        GateTime(lane=4, elapsed_s=9.001),
    ],
    DeviceKind.RFID_LAP: [
        LapRead(tag_id="E2801170000002000000A001", t_s=41.2, antenna=1),
        LapRead(tag_id="E2801170000002000000A002", t_s=43.875, antenna=2),
    ],
    DeviceKind.ROPE_COUNTER: [
        RopeCount(count=1, t_s=0.41),
        RopeCount(count=172, t_s=60.0),
    ],
    DeviceKind.SPIROMETER: [
        VitalCapacity(ml=2890, trial=1),
        VitalCapacity(ml=3015, trial=2),
    ],
    DeviceKind.SIT_AND_REACH: [
        SitAndReach(cm=12.4, trial=1),
        SitAndReach(cm=-3.0, trial=2),
    ],
    DeviceKind.SCALE: [Height(cm=158.7), Weight(kg=47.85)],
}


def collect(driver: DeviceDriver, count: int) -> list[Reading]:
    """Poll until ``count`` readings arrived (or the patience ran out)."""
    readings: list[Reading] = []
    deadline = time.monotonic() + PATIENCE_S
    while len(readings) < count and time.monotonic() < deadline:
        readings += driver.poll(timeout_s=0.2)
    return readings


@pytest.fixture
def link_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def spirometer(link_dir: Path) -> Iterator[PtySimulator]:
    identity = DeviceIdentity(DeviceKind.SPIROMETER, "SP-100", boot_id=1)
    with PtySimulator(identity, link_dir=link_dir) as simulator:
        yield simulator


@pytest.mark.parametrize("kind", list(DeviceKind), ids=lambda k: k.name)
def test_each_driver_decodes_its_device_and_carries_identity(
    kind: DeviceKind, link_dir: Path
) -> None:
    identity = DeviceIdentity(kind, f"{kind.name[:2]}-42", boot_id=3)
    sent = READINGS_BY_KIND[kind]
    with PtySimulator(identity, link_dir=link_dir, first_seq=65534) as simulator:
        driver = DRIVERS[kind](simulator.port_path)
        assert driver.open() == identity
        seqs = [simulator.send(m) for m in sent]
        readings = collect(driver, len(sent))
        driver.close()
    assert [r.measurement for r in readings] == sent
    assert [r.seq for r in readings] == seqs == [65534, 65535, 0][: len(sent)]
    assert all(r.device == identity and not r.late for r in readings)
    arrivals = [r.arrived_s for r in readings]
    assert arrivals == sorted(arrivals)


def test_readings_are_stamped_on_arrival_with_the_driver_clock(
    spirometer: PtySimulator,
) -> None:
    def station_clock() -> float:
        return time.monotonic() + 1_000_000.0

    driver = SpirometerDriver(spirometer.port_path, clock=station_clock)
    driver.open()
    sent_at = station_clock()
    spirometer.send(VitalCapacity(ml=3100, trial=1))
    (reading,) = collect(driver, 1)
    polled_at = station_clock()
    driver.close()
    assert sent_at <= reading.arrived_s <= polled_at


def test_opening_a_missing_port_says_so(link_dir: Path) -> None:
    driver = ScaleDriver(str(link_dir / "no-such-port"))
    with pytest.raises(DeviceConnectionError, match="no-such-port"):
        driver.open()


def test_a_device_that_never_identifies_times_out(link_dir: Path) -> None:
    identity = DeviceIdentity(DeviceKind.SCALE, "SC-9", boot_id=1)
    with PtySimulator(identity, link_dir=link_dir, answer_ident=False) as mute:
        driver = ScaleDriver(mute.port_path)
        with pytest.raises(DeviceTimeoutError, match="no IDENT"):
            driver.open(timeout_s=1.2)
        assert mute.ident_requests >= 2  # the request was repeated
    assert driver.state is LinkState.CLOSED


def test_a_device_of_another_kind_is_refused(spirometer: PtySimulator) -> None:
    driver = LapReaderDriver(spirometer.port_path)
    with pytest.raises(DeviceIdentityError, match="SPIROMETER"):
        driver.open()


def test_crc_valid_but_implausible_or_foreign_frames_are_rejected(
    spirometer: PtySimulator,
) -> None:
    driver = SpirometerDriver(spirometer.port_path)
    driver.open()
    # A vital capacity of 12000 ml, and a height frame from a spirometer.
    spirometer.send_raw(encode_frame(FrameType.VITAL_CAPACITY, 900, b"\x2e\xe0\x01"))
    spirometer.send_raw(encode_frame(FrameType.HEIGHT, 901, b"\x06\x75"))
    good = spirometer.send(VitalCapacity(ml=3000, trial=1))
    readings = collect(driver, 1)
    driver.close()
    assert [(r.seq, r.measurement) for r in readings] == [
        (good, VitalCapacity(ml=3000, trial=1))
    ]
    assert driver.stats.rejected == 2


def test_acknowledged_frames_are_not_sent_again(spirometer: PtySimulator) -> None:
    driver = SpirometerDriver(spirometer.port_path)
    driver.open()
    seqs = [spirometer.send(VitalCapacity(ml=2000 + i, trial=1)) for i in range(5)]
    collect(driver, 5)
    deadline = time.monotonic() + PATIENCE_S
    while spirometer.acked != set(seqs) and time.monotonic() < deadline:
        driver.poll(timeout_s=0.05)
    driver.close()
    assert spirometer.acked == set(seqs)


def test_silent_line_is_reopened_and_readings_continue(link_dir: Path) -> None:
    identity = DeviceIdentity(DeviceKind.SPIROMETER, "SP-7", boot_id=1)
    # Heartbeats far apart: the line looks dead to a driver expecting 0.3 s.
    with PtySimulator(identity, link_dir=link_dir, heartbeat_s=60.0) as simulator:
        driver = SpirometerDriver(simulator.port_path, silence_timeout_s=0.3)
        driver.open()
        deadline = time.monotonic() + PATIENCE_S
        while driver.stats.reconnects == 0 and time.monotonic() < deadline:
            driver.poll(timeout_s=0.1)
        simulator.send(VitalCapacity(ml=3333, trial=2))
        readings = collect(driver, 1)
        driver.close()
    assert driver.stats.reconnects >= 1
    assert [r.measurement for r in readings] == [VitalCapacity(ml=3333, trial=2)]


def test_a_new_boot_of_the_device_starts_a_fresh_sequence_history(
    link_dir: Path,
) -> None:
    first = DeviceIdentity(DeviceKind.SCALE, "SC-1", boot_id=1)
    with PtySimulator(first, link_dir=link_dir) as simulator:
        driver = ScaleDriver(simulator.port_path)
        driver.open()
        simulator.send(Height(cm=150.0))
        before = collect(driver, 1)
        # Power-cycle: same serial number, new boot id, sequence from zero.
        simulator.power_cycle(boot_id=2, pause_s=0.2)
        simulator.send(Height(cm=151.0))
        after = collect(driver, 1)
        driver.close()
    assert [r.seq for r in before + after] == [0, 0]
    assert after[0].device.boot_id == 2
    assert driver.stats.duplicates == 0
