"""Command line of the seat program.

``python -m exam_client seat --server URL --room R01 --seat A01
[--audio-input FILE_OR_FOLDER] [--data-dir DIR] [--autopilot PLAN.json]``

``python -m exam_client pe --server URL --station CODE --key KEY
--event pullup|situp|rope_skip [--camera 0 | --video FILE] [--lanes N]
[--autopilot PLAN.json]`` runs a PE station (see
:mod:`exam_client.pe_station`).

The exit code is 0 when every answer is confirmed by the server, 1 when the
exam ended with answers unconfirmed, 2 when a step failed (a refused login,
a broken device), 3 when an autopilot plan says the sound is not clear.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path

from exam_client.cli_common import QtRun, data_dir_from_env
from exam_client.cli_common import configure_logging as configure_logging
from exam_client.errors import ClientError

logger = logging.getLogger("exam_client")


def default_data_dir(room_code: str, seat_code: str) -> Path:
    """``EXAM_SEAT_DATA_DIR``, else ``~/.exam_seat/<room>-<seat>``."""
    home = Path.home() / ".exam_seat" / f"{room_code}-{seat_code}"
    return data_dir_from_env("EXAM_SEAT_DATA_DIR", home)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m exam_client")
    commands = parser.add_subparsers(dest="command", required=True)
    seat = commands.add_parser("seat", help="run the seat program of an exam room")
    seat.add_argument(
        "--server", required=True, help="the room server, http://host:port"
    )
    seat.add_argument("--room", required=True, help="room code, e.g. R01")
    seat.add_argument("--seat", required=True, help="seat code, e.g. A01")
    seat.add_argument(
        "--audio-input",
        type=Path,
        help="a WAV file, or a folder of check.wav, item1.wav, ... used instead "
        "of the microphone",
    )
    seat.add_argument(
        "--audio-output",
        choices=("device", "null"),
        help="play prompts on the sound device, or only wait their length "
        "(default: null with --audio-input, else device)",
    )
    seat.add_argument(
        "--data-dir",
        type=Path,
        help="the seat's journal and recordings (default: $EXAM_SEAT_DATA_DIR or "
        "~/.exam_seat/<room>-<seat>)",
    )
    seat.add_argument(
        "--autopilot",
        type=Path,
        help='a JSON plan {"ticket_number": ..., "device_check": "clear", '
        '"choices": {"1": "B"}} that drives the window without a person',
    )
    seat.add_argument("--timeout-s", type=float, default=10.0, help="HTTP timeout")
    seat.add_argument("--poll-s", type=float, default=1.0, help="status poll interval")
    from exam_client.pe_station.app import add_parser as add_pe_parser

    add_pe_parser(commands)
    return parser


def run_seat(args: argparse.Namespace) -> int:
    """Build the session, the worker thread and the window; run until closed."""
    from exam_client.audio import (
        AudioInput,
        AudioOutput,
        FileInput,
        NullOutput,
        SoundDeviceInput,
        SoundDeviceOutput,
    )
    from exam_client.session import SeatConfig, SeatSession
    from exam_client.ui.autopilot import Autopilot, AutopilotPlan
    from exam_client.ui.window import SeatWindow
    from exam_client.ui.worker import SessionSignals, SessionWorker, SignalListener

    data_dir = args.data_dir or default_data_dir(args.room, args.seat)
    configure_logging(data_dir)
    plan = AutopilotPlan.load(args.autopilot) if args.autopilot else None
    audio_input: AudioInput = (
        FileInput(args.audio_input) if args.audio_input else SoundDeviceInput()
    )
    output_kind = args.audio_output or ("null" if args.audio_input else "device")
    audio_output: AudioOutput = (
        NullOutput() if output_kind == "null" else SoundDeviceOutput()
    )
    logger.info(
        "seat %s-%s starting: server %s, data in %s",
        args.room,
        args.seat,
        args.server,
        data_dir,
    )

    run = QtRun()
    signals = SessionSignals()
    config = SeatConfig(
        server_url=args.server,
        room_code=args.room,
        seat_code=args.seat,
        data_dir=data_dir,
        timeout_s=args.timeout_s,
        poll_s=args.poll_s,
    )
    session = SeatSession(
        config,
        audio_input=audio_input,
        audio_output=audio_output,
        listener=SignalListener(signals),
    )
    stop = threading.Event()
    worker = SessionWorker(session, stop)
    run.start_worker(worker, thread_name="seat-session")
    window = SeatWindow(session, worker, signals)
    window.show()
    if plan is not None:
        autopilot = Autopilot(window, plan, run.finish)
        autopilot.start()
    # 1. stop the exam loop, 2. let the worker thread end, 3. close files
    return run.exec(stop=stop.set, close=session.close, autopilot=plan is not None)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "pe":
            from exam_client.pe_station.app import run_pe

            return run_pe(args)
        return run_seat(args)
    except ClientError as exc:
        print(f"{args.command} program: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
