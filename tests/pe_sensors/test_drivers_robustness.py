"""The drivers under a hostile line: noise, damage, repeats and unplugging.

The claim under test: not one wrong reading. Every reading a driver delivers
equals one the device transmitted, every damaged frame is dropped and
counted, and an unplugged device is found again without losing readings.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from pe_sensors.drivers import (
    DeviceIdentity,
    DeviceKind,
    LapRead,
    LapReaderDriver,
    Measurement,
    Reading,
    RopeCount,
    RopeCounterDriver,
)
from pe_sensors.drivers.simulator import PtySimulator, build_noisy_stream

SEED = 20_240_611
FRAMES = 10_000
PATIENCE_S = 40.0
"""Upper bound on waiting for readings; a passing run needs a few seconds."""


def random_lap_reads(rng: random.Random, count: int) -> list[Measurement]:
    tags = [f"E280117000000200{n:08X}" for n in range(40)]
    return [
        LapRead(
            tag_id=rng.choice(tags),
            t_s=rng.randrange(3_600_000) / 1000,
            antenna=rng.randint(1, 8),
        )
        for _ in range(count)
    ]


def collect_until(
    driver: LapReaderDriver | RopeCounterDriver, count: int
) -> list[Reading]:
    readings: list[Reading] = []
    deadline = time.monotonic() + PATIENCE_S
    while len(readings) < count and time.monotonic() < deadline:
        readings += driver.poll(timeout_s=0.2)
    return readings


def test_ten_thousand_noisy_frames_give_no_wrong_reading(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    identity = DeviceIdentity(DeviceKind.RFID_LAP, "LR-0001", boot_id=9)
    with PtySimulator(identity, link_dir=tmp_path, first_seq=60_000) as simulator:
        stream = build_noisy_stream(simulator, random_lap_reads(rng, FRAMES), rng=rng)
        # Long timeouts: a stalled test machine must not look like damage.
        driver = LapReaderDriver(
            simulator.port_path, silence_timeout_s=60.0, frame_timeout_s=30.0
        )
        driver.open()
        for chunk in stream.chunks:
            simulator.send_raw(chunk)
        readings = collect_until(driver, len(stream.intact))
        driver.close()

    # Not one wrong reading, and each one delivered once.
    assert all(r.measurement == stream.sent[r.seq] for r in readings)
    assert all(r.device == identity for r in readings)
    seqs = [r.seq for r in readings]
    assert len(seqs) == len(set(seqs))

    # Every undamaged frame got through; every damaged one was refused.
    assert set(seqs) == stream.intact
    stats = driver.stats
    assert stream.corrupted > 400  # the noise really was there
    refused = stats.decoder.crc_failures + stats.decoder.bad_lengths + stats.rejected
    assert refused >= stream.corrupted
    assert stats.duplicates == stream.duplicates > 0
    assert stats.late == stream.late > 0
    assert sum(r.late for r in readings) == stream.late
    assert stats.decoder.garbage_bytes >= stream.garbage_bytes // 2


def test_unplugged_device_is_found_again_and_nothing_is_lost(tmp_path: Path) -> None:
    identity = DeviceIdentity(DeviceKind.ROPE_COUNTER, "RC-0042", boot_id=4)
    sent: dict[int, Measurement] = {}
    readings: list[Reading] = []
    with PtySimulator(identity, link_dir=tmp_path) as simulator:
        driver = RopeCounterDriver(simulator.port_path)
        driver.open()
        for phase in range(3):
            if phase:
                # The cable comes out halfway through a frame.
                _, frame = simulator.next_frame(RopeCount(count=999, t_s=0.0))
                simulator.send_raw(frame[: len(frame) // 2])
                simulator.unplug(pause_s=0.3)
            for count in range(100 * phase, 100 * phase + 100):
                measurement = RopeCount(count=count, t_s=count * 200 / 1000)
                sent[simulator.send(measurement)] = measurement
            readings += collect_until(driver, 100)
        driver.close()

    assert {r.seq: r.measurement for r in readings} == sent
    assert len(readings) == len(sent)
    assert driver.stats.reconnects == 2
    assert simulator.plug_count == 3
    # The two half frames never became readings.
    assert all(r.measurement.count != 999 for r in readings)  # type: ignore[union-attr]


def test_frames_resent_after_a_reconnect_are_recognised_as_duplicates(
    tmp_path: Path,
) -> None:
    identity = DeviceIdentity(DeviceKind.RFID_LAP, "LR-0002", boot_id=1)
    rng = random.Random(SEED + 1)
    first = random_lap_reads(rng, 50)
    second = random_lap_reads(rng, 50)
    # A device that never hears ACK sends all it has again after each IDENT.
    with PtySimulator(identity, link_dir=tmp_path, hear_acks=False) as simulator:
        driver = LapReaderDriver(simulator.port_path)
        driver.open()
        for measurement in first:
            simulator.send(measurement)
        readings = collect_until(driver, 50)
        simulator.unplug(pause_s=0.2)
        for measurement in second:
            simulator.send(measurement)
        readings += collect_until(driver, 50)
        driver.close()
    assert [r.measurement for r in readings] == first + second
    assert driver.stats.reconnects == 1
    assert driver.stats.duplicates >= 50
