"""``python -m exam_client pe``: build the station and run its window.

The exit code is 0 when the window closes normally (or the autopilot saw
every result, clip and decision received), 1 when the autopilot saw a
refusal, 2 when a step failed.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from exam_client.cli_common import QtRun, configure_logging, data_dir_from_env
from exam_client.pe_station.qtenv import import_vision
from pe_sensors.errors import RegionError
from pe_sensors.pose.regions import Region

logger = logging.getLogger("exam_client.pe_station")


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Add the ``pe`` subcommand to the client's command line."""
    pe = commands.add_parser("pe", help="run a PE station (体育中考测试点)")
    pe.add_argument("--server", required=True, help="the exam server, http://host:port")
    pe.add_argument("--station", required=True, help="station code, e.g. pull_up-1")
    pe.add_argument("--key", required=True, help="the station key from the exam office")
    pe.add_argument("--event", required=True, choices=("pullup", "situp", "rope_skip"))
    source = pe.add_mutually_exclusive_group()
    source.add_argument("--camera", type=int, default=0, help="camera index")
    source.add_argument(
        "--video", type=Path, help="a video file standing in for the camera"
    )
    pe.add_argument("--lanes", type=int, default=1, help="candidates side by side")
    pe.add_argument(
        "--region",
        action="append",
        type=_region,
        default=[],
        metavar="LEFT,TOP,RIGHT,BOTTOM",
        help="the box around one candidate's mat as fractions of the image "
        "(0,0 top left; 1,1 bottom right); once per lane, in lane order. The "
        "tracker sees only that box, so a partner or bystander outside it "
        "cannot take it over",
    )
    pe.add_argument(
        "--autopilot",
        type=Path,
        help='a JSON plan {"ticket_number": ..., "decision": "confirm"} that '
        "drives the window without a person",
    )
    pe.add_argument(
        "--data-dir",
        type=Path,
        help="the station's journal and clips (default: $EXAM_PE_DATA_DIR or "
        "~/.exam_pe/<station>)",
    )
    pe.add_argument("--countdown-s", type=float, default=3.0)
    pe.add_argument(
        "--no-pacing",
        action="store_true",
        help="read --video as fast as the pose model allows (tests, demos)",
    )
    pe.add_argument("--timeout-s", type=float, default=10.0, help="HTTP timeout")


def _region(text: str) -> Region:
    """``--region``'s value, or the reason it is refused."""
    try:
        return Region.parse(text)
    except RegionError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def default_data_dir(station_code: str) -> Path:
    """``EXAM_PE_DATA_DIR``, else ``~/.exam_pe/<station>``."""
    home = Path.home() / ".exam_pe" / station_code
    return data_dir_from_env("EXAM_PE_DATA_DIR", home)


def run_pe(args: argparse.Namespace) -> int:
    """Build the stream, the session, the worker thread and the window."""
    import_vision()  # OpenCV first, with Qt's variables kept as they were
    from exam_client.pe_station.autopilot import StationAutopilot, StationPlan
    from exam_client.pe_station.capture import VisionStream
    from exam_client.pe_station.session import StationConfig, StationSession
    from exam_client.pe_station.window import StationWindow
    from exam_client.pe_station.worker import (
        SignalListener,
        StationSignals,
        StationWorker,
    )
    from pe_sensors.judges import Event

    data_dir = args.data_dir or default_data_dir(args.station)
    configure_logging(data_dir)
    plan = StationPlan.load(args.autopilot) if args.autopilot else None
    event = Event(args.event)
    source: str | int = str(args.video) if args.video else args.camera
    stream = VisionStream(
        source,
        lanes=args.lanes,
        regions=args.region or None,
        look_for_rope=event is Event.ROPE_SKIP,
        paced=not args.no_pacing,
    )
    logger.info(
        "PE station %s (%s) starting: server %s, source %s, data in %s",
        args.station,
        event.value,
        args.server,
        source,
        data_dir,
    )
    run = QtRun()
    signals = StationSignals()
    config = StationConfig(
        server_url=args.server,
        station_key=args.key,
        station_code=args.station,
        event=event,
        data_dir=data_dir,
        lanes=len(stream.lane_boxes),
        countdown_s=args.countdown_s,
        timeout_s=args.timeout_s,
        device=f"video {args.video.name}" if args.video else f"camera {args.camera}",
    )
    session = StationSession(config, stream=stream, listener=SignalListener(signals))
    worker = StationWorker(session)
    run.start_worker(worker, thread_name="pe-station")
    window = StationWindow(session, worker, signals)
    window.show()
    if plan is not None:
        StationAutopilot(window, plan, run.finish).start()
    else:
        window.identify_requested.emit()
    return run.exec(stop=session.stop, close=session.close, autopilot=plan is not None)
