"""Evidence videos: the frames with skeleton, count and refused repetitions."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from pe_sensors.errors import VideoError
from pe_sensors.judges.common import JudgeResult
from pe_sensors.pose.landmarks import SKELETON
from pe_sensors.pose.video import LaneTrack, VideoAnalysis, iter_frames

logger = logging.getLogger(__name__)

GREEN = (60, 200, 60)
RED = (40, 40, 230)
WHITE = (255, 255, 255)
# How long a refusal stays written on the video after it is decided, seconds.
REFUSAL_SHOWN_S = 1.5


def write_annotated(
    analysis: VideoAnalysis,
    results: list[JudgeResult],
    out_path: Path,
) -> None:
    """Write the analysed frames with each lane's skeleton, count and refusals.

    Raises
    ------
    VideoError
        If the output file cannot be written.
    """
    writer: cv2.VideoWriter | None = None
    fps = analysis.fps / analysis.stride
    row = 0
    try:
        for index, time_s, frame in iter_frames(
            analysis.source, stride=analysis.stride
        ):
            if (
                row >= len(analysis.frame_indices)
                or analysis.frame_indices[row] != index
            ):
                continue
            if writer is None:
                size = (frame.shape[1], frame.shape[0])
                writer = cv2.VideoWriter(
                    str(out_path), cv2.VideoWriter.fourcc(*"mp4v"), fps, size
                )
                if not writer.isOpened():
                    raise VideoError(
                        f"cannot write annotated video {out_path}; check that "
                        "the folder exists and is writable"
                    )
            for lane, result in zip(analysis.lanes, results, strict=True):
                _draw_lane(frame, lane, row, result, time_s=time_s)
            writer.write(frame)
            row += 1
    finally:
        if writer is not None:
            writer.release()
    logger.info("annotated video written to %s (%s frames)", out_path, row)


def _draw_lane(
    frame: np.ndarray,
    lane: LaneTrack,
    row: int,
    result: JudgeResult,
    *,
    time_s: float,
) -> None:
    """Draw one lane's box, skeleton, running count and latest refusal."""
    x0, y0 = lane.x_offset, 0
    if lane.box is not None:
        box = lane.box
        x0, y0 = box.x0, box.y0
        cv2.rectangle(frame, (box.x0, box.y0), (box.x1 - 1, box.y1 - 1), GREEN, 1)
    xy = lane.poses.xy[row]
    if np.isfinite(xy[0, 0]):
        for a, b in SKELETON:
            pa = (int(xy[a, 0]), int(xy[a, 1]))
            pb = (int(xy[b, 0]), int(xy[b, 1]))
            cv2.line(frame, pa, pb, WHITE, 2, cv2.LINE_AA)
    count = result.counted(end_s=time_s)
    cv2.putText(
        frame, f"{count}", (x0 + 10, y0 + 40), cv2.FONT_HERSHEY_SIMPLEX, 1.2, GREEN, 3
    )
    for rep in result.repetitions:
        if not rep.counted and rep.end_s <= time_s <= rep.end_s + REFUSAL_SHOWN_S:
            cv2.putText(
                frame,
                f"X {rep.reason}",
                (x0 + 10, y0 + 75),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.6,
                RED,
                2,
            )
