"""Command line: judge a PE event on a video, or measure a long jump.

    python -m pe_sensors judge --event pullup|situp|rope_skip VIDEO
        [--json] [--annotate OUT.mp4] [--lanes N] [--stride K]
        [--region LEFT,TOP,RIGHT,BOTTOM ...]
    python -m pe_sensors jump VIDEO --mat CALIBRATION.json [--json]

VIDEO is a file path or a camera index (0, 1, ...). --region, given once per
candidate, is the box of the candidate's mat as fractions of the frame's width
and height; the pose is looked for only inside it.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from pe_sensors.errors import PeSensorsError
from pe_sensors.judges import Event, JudgeResult, describe, judge_event
from pe_sensors.judges.common import Refusal
from pe_sensors.pose.regions import Region
from pe_sensors.pose.smoothing import smooth_sequence
from pe_sensors.pose.video import VideoAnalysis, analyse_video

logger = logging.getLogger(__name__)
# A camera never ends; a live attempt is cut after this many frames.
CAMERA_MAX_FRAMES = 30 * 90


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pe_sensors", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log INFO lines")
    sub = parser.add_subparsers(dest="command", required=True)

    judge = sub.add_parser("judge", help="count repetitions of an event")
    judge.add_argument("--event", required=True, choices=[e.value for e in Event])
    judge.add_argument("video", help="video file, or camera index")
    judge.add_argument("--json", action="store_true", help="print one JSON object")
    judge.add_argument("--annotate", type=Path, help="write an evidence video here")
    judge.add_argument("--lanes", type=int, default=1, help="candidates side by side")
    judge.add_argument("--stride", type=int, default=1, help="analyse every k-th frame")
    judge.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="LEFT,TOP,RIGHT,BOTTOM",
        help="a candidate's mat as fractions of the frame; once per lane",
    )

    jump = sub.add_parser("jump", help="measure a standing long jump")
    jump.add_argument("video", help="video file, or camera index")
    jump.add_argument(
        "--mat",
        required=True,
        type=Path,
        help=(
            "mat calibration JSON: points_px and points_cm, the same points in "
            "the image and on the mat (at least 4; the four mat corners and "
            "both ends of the take-off line measure best), and line_y_cm, the "
            "take-off line's rear edge on the mat's forward axis"
        ),
    )
    jump.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _max_frames(video: str) -> int | None:
    return CAMERA_MAX_FRAMES if video.isdigit() else None


def lane_json(
    analysis: VideoAnalysis, lane: int, result: JudgeResult
) -> dict[str, Any]:
    """The ``--json`` object of one lane."""
    track = analysis.lanes[lane]
    box = track.box
    return {
        "count": result.count,
        "box_px": None if box is None else [box.x0, box.y0, box.x1, box.y1],
        "repetitions": [r.to_json() for r in result.repetitions],
        "frames": track.poses.n_frames,
        "frames_without_person": len(track.frames_without_person),
        "frames_without_person_list": [
            analysis.frame_indices[i] for i in track.frames_without_person
        ],
    }


def _judge(args: argparse.Namespace) -> int:
    event = Event(args.event)
    analysis = analyse_video(
        args.video,
        lanes=args.lanes,
        regions=[Region.parse(text) for text in args.region],
        stride=args.stride,
        look_for_rope=event is Event.ROPE_SKIP,
        max_frames=_max_frames(args.video),
    )
    results = [
        judge_event(event, lane.poses, rope_evidence=lane.rope_evidence)
        for lane in analysis.lanes
    ]
    if args.annotate is not None:
        from pe_sensors.pose.annotate import write_annotated

        write_annotated(analysis, results, args.annotate)
    outputs = [lane_json(analysis, i, r) for i, r in enumerate(results)]
    if args.json:
        print(json.dumps(outputs[0] if len(outputs) == 1 else {"lanes": outputs}))
        return 0
    for i, (out, result) in enumerate(zip(outputs, results, strict=True)):
        prefix = f"lane {i + 1}: " if len(outputs) > 1 else ""
        print(f"{prefix}{event.value}: {out['count']} counted")
        for n, rep in enumerate(result.repetitions, start=1):
            verdict = "counted" if rep.counted else "REFUSED"
            why = "" if rep.reason is None else f"  {describe(Refusal(rep.reason))}"
            print(f"  {n:3d}  {rep.start_s:7.2f}-{rep.end_s:7.2f} s  {verdict}{why}")
        print(
            f"  frames analysed {out['frames']}, "
            f"without a person {out['frames_without_person']}"
        )
    return 0


def _jump(args: argparse.Namespace) -> int:
    from pe_sensors.jump import JUMP_SMOOTHING, load_calibration, measure_jump

    calibration = load_calibration(args.mat)
    analysis = analyse_video(
        args.video, segment_feet=True, max_frames=_max_frames(args.video)
    )
    lane = analysis.lanes[0]
    poses = smooth_sequence(lane.poses, settings=JUMP_SMOOTHING)
    result = measure_jump(poses, calibration, feet_masks=lane.feet_masks)
    if args.json:
        print(json.dumps(result.__dict__))
        return 0
    verdict = f"FOUL ({result.foul_reason})" if result.foul else "valid"
    print(
        f"standing long jump: {result.distance_cm:.1f} +/- "
        f"{result.uncertainty_cm:.1f} cm, {verdict}; take-off "
        f"{result.takeoff_s:.2f} s, landing {result.landing_s:.2f} s"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return _judge(args) if args.command == "judge" else _jump(args)
    except PeSensorsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
