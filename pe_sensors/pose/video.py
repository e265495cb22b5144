"""Landmarks from a video file or a camera, with mediapipe's BlazePose.

One camera may watch several candidates side by side: the frame is then cut
into equal vertical lanes, and each lane is given to its own pose tracker
(BlazePose follows one person per image). A station that knows where its mats
are gives one region per candidate instead (:mod:`pe_sensors.pose.regions`):
each tracker then sees only its region, so a partner or a bystander outside
it cannot take the tracker over.

OpenCV and mediapipe are imported here and nowhere outside ``pe_sensors``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from pe_sensors.errors import PoseModelError, VideoError
from pe_sensors.pose.landmarks import N_LANDMARKS, FloatArray, Landmark, PoseSequence
from pe_sensors.pose.regions import Box, Region, equal_lanes, lane_boxes
from pe_sensors.pose.rope import overhead_rope_evidence, rope_evidence

logger = logging.getLogger(__name__)

# BlazePose "full" model, shipped inside the mediapipe wheel (no download).
MODEL_COMPLEXITY = 1
# Frame rate assumed when a container or camera reports none.
FALLBACK_FPS = 30.0
FEET = (
    Landmark.LEFT_ANKLE,
    Landmark.RIGHT_ANKLE,
    Landmark.LEFT_HEEL,
    Landmark.RIGHT_HEEL,
    Landmark.LEFT_FOOT_INDEX,
    Landmark.RIGHT_FOOT_INDEX,
)

Frame = NDArray[np.uint8]
# The person's mask is kept this far around the feet landmarks, pixels: a
# shoe is about 40 px long on a 640x480 view of a long jump mat.
FEET_MASK_MARGIN_PX = 60
# A mask pixel belongs to the person at this segmentation score or above (the
# middle of the model's 0-1 output).
MASK_THRESHOLD = 0.5


@dataclass(frozen=True)
class FeetMask:
    """The person's segmentation mask around the feet of one frame.

    ``inside[r, c]`` is True where the pixel (x0 + c, y0 + r) of the full
    frame belongs to the person.
    """

    x0: int
    y0: int
    inside: NDArray[np.bool_]

    def points_px(self) -> FloatArray:
        """Full-frame pixel centres (n, 2) of the person's pixels."""
        rows, cols = np.nonzero(self.inside)
        return np.column_stack([cols + self.x0, rows + self.y0]).astype(np.float64)


@dataclass
class LaneTrack:
    """What one lane's analysis produced."""

    poses: PoseSequence
    # Shape (n_frames, 2): per analysed frame, the rope evidence around the
    # feet (:func:`pe_sensors.pose.rope.rope_evidence`) and above the head
    # (:func:`pe_sensors.pose.rope.overhead_rope_evidence`); None when the
    # rope was not looked for.
    rope_evidence: FloatArray | None
    # Horizontal pixel offset of the lane in the full frame.
    x_offset: int
    # Per analysed frame, the person's mask around the feet in full-frame
    # pixels (None where no person was found); None when not asked for.
    feet_masks: list[FeetMask | None] | None = None
    # The part of the frame the lane's tracker saw; None means the full
    # height from ``x_offset``.
    box: Box | None = None

    @property
    def frames_without_person(self) -> list[int]:
        """Indices (into the analysed frames) where no person was found."""
        return [int(i) for i in np.flatnonzero(~self.poses.present)]


@dataclass
class VideoAnalysis:
    """Landmarks of every lane of a video, and where they came from."""

    source: str
    fps: float
    stride: int
    frame_indices: list[int]
    lanes: list[LaneTrack] = field(default_factory=list)


def open_capture(source: str | int) -> cv2.VideoCapture:
    """Open a video file, or a camera given by its index.

    Raises
    ------
    VideoError
        If the file is missing or OpenCV cannot open it.
    """
    if isinstance(source, str) and not source.isdigit():
        if not Path(source).is_file():
            raise VideoError(
                f"video file {source!r} does not exist; give the path of a "
                "recorded attempt or a camera index such as 0"
            )
        capture = cv2.VideoCapture(source)
    else:
        capture = cv2.VideoCapture(int(source))
    if not capture.isOpened():
        raise VideoError(
            f"OpenCV cannot open video source {source!r}; check the file's "
            "format (H.264 MP4 works) or that the camera is connected"
        )
    return capture


def iter_frames(
    source: str | int, *, stride: int = 1, max_frames: int | None = None
) -> Iterator[tuple[int, float, Frame]]:
    """Yield (frame index, time in seconds, BGR image) of every ``stride``-th frame.

    Time is ``index / fps`` from the container's frame rate, so that the
    timestamps of a file do not depend on how fast it is decoded.
    """
    if stride < 1:
        raise VideoError(f"stride {stride} is below 1; use 1 to analyse every frame")
    capture = open_capture(source)
    fps = capture.get(cv2.CAP_PROP_FPS) or FALLBACK_FPS
    index = 0
    try:
        while max_frames is None or index < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            if index % stride == 0:
                yield index, index / fps, np.asarray(frame, dtype=np.uint8)
            index += 1
    finally:
        capture.release()


def source_fps(source: str | int) -> float:
    """Frame rate the container (or camera) reports, or the fallback."""
    capture = open_capture(source)
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS))
    finally:
        capture.release()
    return fps if fps > 0 else FALLBACK_FPS


class PoseTracker:
    """A BlazePose tracker for one lane (one person), landmarks in pixels."""

    def __init__(self, *, segment: bool = False) -> None:
        try:
            import mediapipe as mp

            self._pose: Any = mp.solutions.pose.Pose(
                model_complexity=MODEL_COMPLEXITY,
                static_image_mode=False,
                smooth_landmarks=False,
                enable_segmentation=segment,
            )
        except (RuntimeError, OSError, ImportError) as exc:
            raise PoseModelError(
                f"the BlazePose model did not load ({exc}); reinstall "
                "mediapipe==0.10.21, whose wheel ships the model"
            ) from exc

    def process(self, bgr: Frame) -> tuple[FloatArray, FloatArray]:
        """Landmarks (33, 2) in pixels and visibility (33,) of one image.

        Both are NaN / zero when no person is found.
        """
        xy, visibility, _ = self.process_segmented(bgr)
        return xy, visibility

    def process_segmented(
        self, bgr: Frame
    ) -> tuple[FloatArray, FloatArray, NDArray[np.float32] | None]:
        """Landmarks, visibility and the person's mask (h, w) scored 0-1.

        The mask is None unless the tracker was made with ``segment=True``
        and a person is found.
        """
        height, width = bgr.shape[:2]
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        try:
            result = self._pose.process(rgb)
        except (RuntimeError, ValueError) as exc:
            raise PoseModelError(
                f"BlazePose failed on a {width}x{height} frame ({exc}); check "
                "that frames are 8-bit colour images"
            ) from exc
        xy = np.full((N_LANDMARKS, 2), np.nan)
        visibility = np.zeros(N_LANDMARKS)
        if result.pose_landmarks is not None:
            for i, point in enumerate(result.pose_landmarks.landmark):
                xy[i] = (point.x * width, point.y * height)
                visibility[i] = point.visibility
        mask = getattr(result, "segmentation_mask", None)
        return xy, visibility, None if mask is None else np.asarray(mask)

    def close(self) -> None:
        """Release the model's graph."""
        self._pose.close()


def lane_bounds(width: int, *, lanes: int) -> list[tuple[int, int]]:
    """Column ranges [x0, x1) of ``lanes`` equal vertical lanes, left to right."""
    return [(b.x0, b.x1) for b in equal_lanes(width=width, height=1, lanes=lanes)]


def _torso_px(xy: FloatArray) -> float:
    """Shoulder-midpoint to hip-midpoint distance of one frame, pixels."""
    shoulders = (xy[Landmark.LEFT_SHOULDER] + xy[Landmark.RIGHT_SHOULDER]) / 2
    hips = (xy[Landmark.LEFT_HIP] + xy[Landmark.RIGHT_HIP]) / 2
    return float(np.linalg.norm(shoulders - hips))


def feet_mask(
    mask: NDArray[np.float32] | None, *, xy: FloatArray, x0: int, y0: int = 0
) -> FeetMask | None:
    """Crop a lane's person mask around its feet landmarks.

    ``xy`` are the lane's landmarks in lane pixels; ``x0``, ``y0`` is the
    lane's top-left corner in the full frame. None when there is no mask or
    no feet.
    """
    feet = np.stack([xy[f] for f in FEET])
    if mask is None or not np.all(np.isfinite(feet)):
        return None
    height, width = mask.shape
    lo = np.floor(feet.min(axis=0)).astype(int) - FEET_MASK_MARGIN_PX
    hi = np.ceil(feet.max(axis=0)).astype(int) + FEET_MASK_MARGIN_PX
    c0, r0 = max(int(lo[0]), 0), max(int(lo[1]), 0)
    c1, r1 = min(int(hi[0]), width), min(int(hi[1]), height)
    if c1 <= c0 or r1 <= r0:
        return None
    inside = mask[r0:r1, c0:c1] >= MASK_THRESHOLD
    return FeetMask(x0=c0 + x0, y0=r0 + y0, inside=np.ascontiguousarray(inside))


def analyse_video(
    source: str | int,
    *,
    lanes: int = 1,
    regions: list[Region] | None = None,
    stride: int = 1,
    look_for_rope: bool = False,
    segment_feet: bool = False,
    max_frames: int | None = None,
) -> VideoAnalysis:
    """Decode a video once and track the pose in each lane.

    Parameters
    ----------
    source : str or int
        A video file path, or a camera index.
    lanes : int
        Number of equal vertical lanes, each holding one candidate.
    regions : list of Region, optional
        One rectangle of the image per candidate (the mat's box), in lane
        order; each lane's tracker sees only its region. Replaces the equal
        lanes (``lanes`` must then be 1 or the number of regions).
    stride : int
        Analyse every ``stride``-th frame (1 = all).
    look_for_rope : bool
        Also measure rope evidence around the feet and above the head.
    segment_feet : bool
        Also keep BlazePose's person mask around the feet of every frame
        (:class:`FeetMask`), for measurements that need the shoes' outline.
    max_frames : int, optional
        Stop after this many decoded frames (a camera never ends by itself).

    Returns
    -------
    VideoAnalysis
        One :class:`LaneTrack` per lane, landmarks in full-frame pixels.
    """
    fps = source_fps(source)
    trackers: list[PoseTracker] = []
    times: list[float] = []
    indices: list[int] = []
    rows: list[list[tuple[FloatArray, FloatArray]]] = []
    evidence: list[list[tuple[float, float]]] = []
    masks: list[list[FeetMask | None]] = []
    bounds: list[Box] = []
    previous_gray: Frame | None = None
    size = (0, 0)
    try:
        for index, time_s, frame in iter_frames(
            source, stride=stride, max_frames=max_frames
        ):
            if not trackers:
                size = (frame.shape[1], frame.shape[0])
                bounds = lane_boxes(
                    width=size[0], height=size[1], lanes=lanes, regions=regions
                )
                trackers = [PoseTracker(segment=segment_feet) for _ in bounds]
                rows = [[] for _ in bounds]
                evidence = [[] for _ in bounds]
                masks = [[] for _ in bounds]
            gray: Frame | None = None
            if look_for_rope:
                gray = np.asarray(
                    cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8
                )
            for lane, box in enumerate(bounds):
                xy, visibility, mask = trackers[lane].process_segmented(box.crop(frame))
                rows[lane].append((xy, visibility))
                if segment_feet:
                    masks[lane].append(feet_mask(mask, xy=xy, x0=box.x0, y0=box.y0))
                if gray is not None:
                    evidence[lane].append(
                        _lane_rope_evidence(previous_gray, gray, xy=xy, box=box)
                    )
            previous_gray = gray
            times.append(time_s)
            indices.append(index)
    finally:
        for tracker in trackers:
            tracker.close()
    if not times:
        raise VideoError(f"video source {source!r} gave no frames; is it empty?")
    analysis = VideoAnalysis(
        source=str(source), fps=fps, stride=stride, frame_indices=indices
    )
    for lane, box in enumerate(bounds):
        poses = PoseSequence(
            times_s=np.asarray(times),
            xy=box.to_frame(np.stack([r[0] for r in rows[lane]])),
            visibility=np.stack([r[1] for r in rows[lane]]),
            frame_size=size,
        )
        rope = np.asarray(evidence[lane]).reshape(-1, 2) if look_for_rope else None
        analysis.lanes.append(
            LaneTrack(
                poses=poses,
                rope_evidence=rope,
                x_offset=box.x0,
                feet_masks=masks[lane] if segment_feet else None,
                box=box,
            )
        )
        logger.info(
            "lane %s of %s (box %s): %s frames, %s without a person",
            lane + 1,
            source,
            box,
            poses.n_frames,
            int((~poses.present).sum()),
        )
    return analysis


def lane_feet_rope_evidence(
    previous_gray: Frame | None,
    gray: Frame,
    *,
    xy: FloatArray,
    box: Box,
) -> float:
    """Rope evidence around the feet (:func:`rope_evidence`) in a lane's box.

    ``xy`` are the lane's landmarks in box pixels. NaN on the first frame or
    when no person is found.
    """
    if previous_gray is None or not np.isfinite(xy[0, 0]):
        return float("nan")
    return rope_evidence(
        box.crop(previous_gray),
        box.crop(gray),
        feet=np.stack([xy[f] for f in FEET]),
        torso_px=_torso_px(xy),
    )


def _lane_rope_evidence(
    previous_gray: Frame | None,
    gray: Frame,
    *,
    xy: FloatArray,
    box: Box,
) -> tuple[float, float]:
    """Rope evidence (feet, overhead) inside one lane's box.

    ``xy`` are the lane's landmarks in box pixels. Both are NaN on the first
    frame or when no person is found.
    """
    if previous_gray is None or not np.isfinite(xy[0, 0]):
        return float("nan"), float("nan")
    return (
        lane_feet_rope_evidence(previous_gray, gray, xy=xy, box=box),
        overhead_rope_evidence(
            box.crop(previous_gray),
            box.crop(gray),
            nose=xy[Landmark.NOSE],
            torso_px=_torso_px(xy),
        ),
    )
