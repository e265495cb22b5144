"""Throughput and robustness figures of the PE device drivers.

Run from the repository root::

    .venv/bin/python bench/drivers_bench.py [--frames 50000] [--seed 7]

Prints, as JSON lines:

* ``decoder``: frames per second cut and CRC-checked from an in-memory
  stream (the framing code alone);
* ``driver_clean``: readings per second through a pseudo-terminal with the
  production driver (pyserial, sequence judging, acknowledgements);
* ``driver_noisy``: the same under garbage, bit flips, cuts, repeats and
  reordering, with the robustness figures: wrong readings (must be 0),
  undamaged frames lost, damaged frames refused.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pe_sensors.drivers import (  # noqa: E402
    DeviceIdentity,
    DeviceKind,
    LapRead,
    LapReaderDriver,
    Measurement,
    Reading,
)
from pe_sensors.drivers.frames import FrameDecoder  # noqa: E402
from pe_sensors.drivers.simulator import (  # noqa: E402
    NoiseRates,
    PtySimulator,
    build_noisy_stream,
)

PATIENCE_S = 120.0


def lap_reads(rng: random.Random, count: int) -> list[Measurement]:
    return [
        LapRead(
            tag_id=f"E280117000000200{rng.randrange(64):08X}",
            t_s=rng.randrange(3_600_000) / 1000,
            antenna=rng.randint(1, 8),
        )
        for _ in range(count)
    ]


def bench_decoder(frames: int, seed: int, link_dir: Path) -> dict[str, object]:
    """Frames per second through the framing code alone, no noise."""
    identity = DeviceIdentity(DeviceKind.RFID_LAP, "BENCH-1", boot_id=1)
    simulator = PtySimulator(identity, link_dir=link_dir)  # only frames, no pty
    rng = random.Random(seed)
    stream = b"".join(simulator.next_frame(m)[1] for m in lap_reads(rng, frames))
    decoder = FrameDecoder()
    start = time.perf_counter()
    decoded = 0
    for offset in range(0, len(stream), 4096):
        decoded += len(decoder.feed(stream[offset : offset + 4096], now_s=0.0))
    elapsed = time.perf_counter() - start
    return {
        "bench": "decoder",
        "frames": decoded,
        "bytes": len(stream),
        "seconds": round(elapsed, 3),
        "frames_per_s": round(decoded / elapsed),
    }


def _device_process(
    conn: Connection, frames: int, seed: int, link_dir: Path, noisy: bool
) -> None:
    """The simulated device, in its own process as a real device would be."""
    rng = random.Random(seed)
    identity = DeviceIdentity(DeviceKind.RFID_LAP, f"BENCH-{int(noisy) + 2}", 1)
    rates = NoiseRates() if noisy else NoiseRates(0, 0, 0, 0, 0)
    with PtySimulator(identity, link_dir=link_dir, first_seq=60_000) as simulator:
        stream = build_noisy_stream(
            simulator, lap_reads(rng, frames), rng=rng, rates=rates
        )
        chunks, stream.chunks = stream.chunks, []
        conn.send((simulator.port_path, stream))
        conn.recv()  # the driver is open: go
        simulator.send_raw(b"".join(chunks))
        conn.recv()  # the driver has finished: stop


def bench_driver(
    frames: int, seed: int, link_dir: Path, *, noisy: bool
) -> dict[str, object]:
    """Readings per second through a pty and the production driver."""
    conn, child_conn = multiprocessing.get_context("fork").Pipe()
    device = multiprocessing.get_context("fork").Process(
        target=_device_process, args=(child_conn, frames, seed, link_dir, noisy)
    )
    device.start()
    port_path, stream = conn.recv()
    driver = LapReaderDriver(port_path, silence_timeout_s=60.0, frame_timeout_s=30.0)
    driver.open()
    start = time.perf_counter()
    conn.send("go")
    readings: list[Reading] = []
    deadline = time.monotonic() + PATIENCE_S
    while len(readings) < len(stream.intact) and time.monotonic() < deadline:
        readings += driver.poll(timeout_s=0.5)
    elapsed = time.perf_counter() - start
    driver.close()
    conn.send("stop")
    device.join()

    wrong = sum(r.measurement != stream.sent[r.seq] for r in readings)
    stats = driver.stats
    refused = stats.decoder.crc_failures + stats.decoder.bad_lengths + stats.rejected
    return {
        "bench": "driver_noisy" if noisy else "driver_clean",
        "frames_sent": frames,
        "readings": len(readings),
        "seconds": round(elapsed, 3),
        "readings_per_s": round(len(readings) / elapsed),
        "wrong_readings": wrong,
        "intact_frames": len(stream.intact),
        "intact_lost": len(stream.intact - {r.seq for r in readings}),
        "damaged_frames": stream.corrupted,
        "candidates_refused": refused,
        "duplicates_dropped": stats.duplicates,
        "duplicates_expected": stream.duplicates,
        "late_kept": stats.late,
        "garbage_bytes_skipped": stats.decoder.garbage_bytes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        link_dir = Path(folder)
        figures = [
            bench_decoder(args.frames, args.seed, link_dir),
            bench_driver(args.frames, args.seed, link_dir, noisy=False),
            bench_driver(args.frames, args.seed, link_dir, noisy=True),
        ]
    for figure in figures:
        print(json.dumps(figure))
    return 0 if all(f.get("wrong_readings", 0) == 0 for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
