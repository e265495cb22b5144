"""PE video judging: count error, pipeline speed and count latency.

    python bench/pe_bench.py

1. Count error on every labelled clip of ../shared/data/pe/videos (exact
   count, range or window as labels.json gives), then on the folder's
   unlabelled clips as counted by eye from their frames
   (tests/pe_sensors/own_labels.json).
2. Frames per second of the whole pipeline (decode, BlazePose, rope
   evidence, smoothing, judge) on 640x480 frames: a labelled clip resized.
3. Latency from a repetition's end to its count: on synthetic pull-ups whose
   true return to a straight hang is known, the judge's decision time minus
   that instant (smoothing lag and hysteresis), plus one frame's processing
   time from step 2.
4. Standing long jump error on rendered jumps of known distance
   (:mod:`pe_sensors.jump_scene`): per jump the true distance, the measured
   one with the calibration from the known camera and from six clicked
   points, the stated uncertainty, and the heel landmark's reading for
   comparison.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pe_sensors import jump_scene as scene  # noqa: E402
from pe_sensors.judges import Event, judge_event  # noqa: E402
from pe_sensors.jump import (  # noqa: E402
    JUMP_SMOOTHING,
    load_calibration,
    measure_jump,
)
from pe_sensors.pose.regions import Region  # noqa: E402
from pe_sensors.pose.smoothing import smooth_sequence  # noqa: E402
from pe_sensors.pose.video import analyse_video  # noqa: E402

VIDEOS = REPO.parent / "shared" / "data" / "pe" / "videos"
OWN_LABELS = REPO / "tests" / "pe_sensors" / "own_labels.json"
STRIDE = {"jl_situp.mp4": 2}
# Labelled windows are widened by this many frames at each end, as in
# tests/pe_sensors/test_judge_videos.py (the labels mark the frame the feet
# land, the judge decides a frame earlier).
WINDOW_SLACK_FRAMES = 1.5


def count_errors(labels_path: Path) -> None:
    labels = json.loads(labels_path.read_text(encoding="utf-8"))
    print("clip                          event      label      counted  error")
    for clip in labels["videos"]:
        if "count" not in clip and "count_min" not in clip:
            continue
        event = Event(clip["event"])
        # A label's region is the box a station draws around the mat.
        region = clip.get("region")
        analysis = analyse_video(
            str(VIDEOS / clip["file"]),
            regions=[Region(*region)] if region else None,
            stride=STRIDE.get(clip["file"], 1),
            look_for_rope=event is Event.ROPE_SKIP,
        )
        lane = analysis.lanes[0]
        result = judge_event(event, lane.poses, rope_evidence=lane.rope_evidence)
        window = clip.get("window_s")
        slack = WINDOW_SLACK_FRAMES * analysis.stride / analysis.fps
        got = (
            result.counted(window[0] - slack, window[1] + slack)
            if window
            else result.count
        )
        lo = clip.get("count", clip.get("count_min"))
        hi = clip.get("count", clip.get("count_max"))
        error = 0 if lo <= got <= hi else (got - hi if got > hi else got - lo)
        label = str(lo) if lo == hi else f"{lo}-{hi}"
        print(f"{clip['file']:30s}{event.value:11s}{label:11s}{got:7d}{error:+7d}")


def pipeline_fps() -> float:
    source = VIDEOS / "sw_skipping.mp4"
    with tempfile.TemporaryDirectory() as tmp:
        resized = Path(tmp) / "vga.mp4"
        capture = cv2.VideoCapture(str(source))
        writer = cv2.VideoWriter(
            str(resized), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (640, 480)
        )
        n = 0
        while n < 300:
            ok, frame = capture.read()
            if not ok:
                break
            writer.write(cv2.resize(frame, (640, 480)))
            n += 1
        writer.release()
        capture.release()
        start = time.perf_counter()
        analysis = analyse_video(str(resized), look_for_rope=True)
        lane = analysis.lanes[0]
        judge_event(Event.ROPE_SKIP, lane.poses, rope_evidence=lane.rope_evidence)
        elapsed = time.perf_counter() - start
    fps = n / elapsed
    print(f"pipeline on {n} frames of 640x480: {fps:.1f} frames/s")
    return fps


def judge_latency_s() -> float:
    sys.path.insert(0, str(REPO / "tests" / "pe_sensors"))
    from test_judge_synthetic import good_reps, pullups  # type: ignore[import-not-found]

    keys = good_reps(5)
    true_ends = [t for t, d in keys[2:] if d == 60.0][::2]
    result = judge_event(Event.PULLUP, pullups(keys))
    lags = [r.end_s - e for r, e in zip(result.repetitions, true_ends, strict=True)]
    lag = float(np.mean(lags))
    print(
        f"judge decision after the true end (synthetic pull-ups): {lag * 1000:.0f} ms"
    )
    return lag


# Rendered attempts: 150-250 cm, both directions, three lanes across the
# mat, both standing sprites after landing, and one toe over the line.
JUMP_PLANS = (
    scene.JumpPlan("150", toe_start_cm=-3.0, land_heel_cm=150.0),
    scene.JumpPlan("175 mirrored", -6.0, 175.0, mirrored=True),
    scene.JumpPlan("200 far lane", -2.0, 200.0, lane_x_cm=-20.0),
    scene.JumpPlan(
        "212 near lane",
        -4.0,
        212.0,
        lane_x_cm=15.0,
        before=scene.STAND_ARMS_UP,
        after=scene.STAND_ARMS_FORWARD,
    ),
    scene.JumpPlan(
        "225 mirrored",
        -3.0,
        225.0,
        lane_x_cm=10.0,
        mirrored=True,
        before=scene.STAND_ARMS_UP,
        after=scene.STAND_ARMS_FORWARD,
    ),
    scene.JumpPlan("240 far lane", -5.0, 240.0, lane_x_cm=-10.0),
    scene.JumpPlan("250 mirrored", -2.0, 250.0, mirrored=True),
    scene.JumpPlan("190 toe on line", 4.0, 190.0),
)


def rendered_jumps() -> None:
    print(
        "rendered jump      true  measured  error  +/-   in  clicked  error"
        "  heel-landmark  foul(true)"
    )
    sprites = scene.SpriteCache(VIDEOS)
    exact_errors: list[float] = []
    clicked_errors: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed, plan in enumerate(JUMP_PLANS):
            video = Path(tmp) / "jump.mp4"
            truth = scene.render_jump(plan, video, sprites=sprites)
            exact, clicked = Path(tmp) / "exact.json", Path(tmp) / "clicked.json"
            scene.write_calibration(exact, mat_to_px=truth.mat_to_px)
            scene.write_calibration(
                clicked, mat_to_px=truth.mat_to_px, marked=True, seed=seed
            )
            lane = analyse_video(str(video), segment_feet=True).lanes[0]
            poses = smooth_sequence(lane.poses, settings=JUMP_SMOOTHING)
            masks = lane.feet_masks
            got = measure_jump(poses, load_calibration(exact), feet_masks=masks)
            got_clicked = measure_jump(
                poses, load_calibration(clicked), feet_masks=masks
            )
            landmark = measure_jump(poses, load_calibration(exact))
            error = got.distance_cm - truth.distance_cm
            error_clicked = got_clicked.distance_cm - truth.distance_cm
            exact_errors.append(error)
            clicked_errors.append(error_clicked)
            inside = "yes" if abs(error) <= got.uncertainty_cm else "no"
            fouls = f"{'FOUL' if got.foul else 'ok'}({'FOUL' if truth.foul else 'ok'})"
            print(
                f"{plan.name:17s}{truth.distance_cm:6.1f}{got.distance_cm:9.1f}"
                f"{error:+7.1f}{got.uncertainty_cm:5.1f}{inside:>5s}"
                f"{got_clicked.distance_cm:9.1f}{error_clicked:+7.1f}"
                f"{landmark.distance_cm - truth.distance_cm:+14.1f}  {fouls}"
            )
    for label, errors in (("known camera", exact_errors), ("clicked", clicked_errors)):
        e = np.abs(errors)
        print(
            f"long jump error, {label} calibration: mean |e| {e.mean():.1f} cm, "
            f"max {e.max():.1f} cm"
        )


def main() -> int:
    if not (VIDEOS / "labels.json").is_file():
        print(f"no labelled videos in {VIDEOS}; nothing to measure")
        return 0
    count_errors(VIDEOS / "labels.json")
    print("\nunlabelled clips, counted by eye from their frames:")
    count_errors(OWN_LABELS)
    fps = pipeline_fps()
    lag = judge_latency_s()
    print(
        f"latency from a repetition's end to its count: {(lag + 1 / fps) * 1000:.0f} ms"
    )
    rendered_jumps()
    return 0


if __name__ == "__main__":
    sys.exit(main())
