"""Frames and landmarks for the station: camera, video file or replay.

A :class:`PoseStream` yields :class:`PoseFrame` objects: the camera image
and, per lane, the landmarks of the candidate in it. :class:`VisionStream`
reads a camera (or a video file standing in for one, paced in real time)
and runs one BlazePose tracker per lane, as
:func:`pe_sensors.pose.video.analyse_video` does offline. :class:`ReplayStream`
plays landmark sequences computed beforehand (a demo, a test) through the
same path, drawing a stick figure as the image.

Frame times are ``index / fps`` from the start of the attempt, as the
offline pipeline and the evidence writer count them. For a camera that does
not keep its stated frame rate this clock drifts from the wall clock; the
station logs a warning when the two part by more than
:data:`CLOCK_DRIFT_WARN`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from exam_client.errors import ClientError
from exam_client.pe_station.qtenv import keep_qt_env

with keep_qt_env():
    import cv2

    from pe_sensors.errors import PeSensorsError
    from pe_sensors.judges import JudgeResult
    from pe_sensors.pose.annotate import write_annotated
    from pe_sensors.pose.landmarks import (
        N_LANDMARKS,
        SKELETON,
        FloatArray,
        Landmark,
        PoseSequence,
    )
    from pe_sensors.pose.regions import Box, Region, equal_lanes, lane_boxes
    from pe_sensors.pose.video import (
        Frame,
        LaneTrack,
        PoseTracker,
        VideoAnalysis,
        lane_feet_rope_evidence,
        open_capture,
    )

logger = logging.getLogger(__name__)

FALLBACK_FPS = 30.0
# Relative gap between the frame clock and the wall clock worth a warning.
CLOCK_DRIFT_WARN = 0.02
# Image of a replay: dark grey, skeleton in white.
REPLAY_BACKGROUND = 40
BONE_COLOUR = (255, 255, 255)
LANE_LINE_COLOUR = (0, 200, 255)


class CaptureError(ClientError):
    """The camera, the video file or the evidence clip cannot be used."""


@dataclass(frozen=True)
class LaneLandmarks:
    """One lane's candidate in one frame."""

    xy: FloatArray  # shape (33, 2), full-frame pixels; NaN: nobody found
    visibility: FloatArray  # shape (33,)
    rope_evidence: float  # NaN unless looked for (rope skipping)


@dataclass(frozen=True)
class PoseFrame:
    """One camera frame with its landmarks per lane."""

    index: int  # frames since the start of the attempt, from 0
    time_s: float  # index / fps
    image: Frame  # BGR, shape (height, width, 3)
    lanes: list[LaneLandmarks]


class PoseStream(Protocol):
    """A source of frames with landmarks, opened once per attempt."""

    fps: float
    frame_size: tuple[int, int]  # width, height
    lane_boxes: list[Box]  # the part of the frame each lane's tracker sees

    def frames(self, stop: threading.Event) -> Iterator[PoseFrame]:
        """Yield frames from the start until ``stop`` is set or the source ends."""
        ...


def draw_skeletons(image: Frame, lanes: list[LaneLandmarks], boxes: list[Box]) -> Frame:
    """A copy of ``image`` with each lane's skeleton and the box it watches."""
    out = image.copy()
    for box in boxes:
        cv2.rectangle(
            out, (box.x0, box.y0), (box.x1 - 1, box.y1 - 1), LANE_LINE_COLOUR, 2
        )
    for lane in lanes:
        _draw_bones(out, lane.xy)
    return out


def _draw_bones(image: Frame, xy: FloatArray) -> None:
    if not np.isfinite(xy[Landmark.NOSE, 0]):
        return
    for a, b in SKELETON:
        if np.all(np.isfinite(xy[[a, b]])):
            pa = (int(xy[a, 0]), int(xy[a, 1]))
            pb = (int(xy[b, 0]), int(xy[b, 1]))
            cv2.line(image, pa, pb, BONE_COLOUR, 2, cv2.LINE_AA)


class VisionStream:
    """A camera or a video file, with one BlazePose tracker per lane.

    Parameters
    ----------
    source : str or int
        A camera index, or the path of a video file standing in for it.
    lanes : int
        Equal vertical lanes, one candidate each, when no regions are given.
    regions : list of Region, optional
        The box around each candidate's mat, one lane each: the tracker sees
        only that box, so a partner holding the feet or a bystander outside
        it cannot take the tracker over.
    look_for_rope : bool
        Measure rope evidence around the feet (rope skipping).
    paced : bool
        Deliver a file's frames no faster than its frame rate, as a camera
        would (a camera is always paced by itself).
    """

    def __init__(
        self,
        source: str | int,
        *,
        lanes: int = 1,
        regions: list[Region] | None = None,
        look_for_rope: bool = False,
        paced: bool = True,
    ) -> None:
        self.source = source
        self.look_for_rope = look_for_rope
        self.paced = paced and isinstance(source, str)
        capture = self._open()
        try:
            ok, frame = capture.read()
            fps = float(capture.get(cv2.CAP_PROP_FPS))
        finally:
            capture.release()
        if not ok:
            raise CaptureError(
                f"the video source {source!r} gave no image; check the camera "
                "cable or the file"
            )
        self.fps = fps if fps > 0 else FALLBACK_FPS
        self.frame_size = (int(frame.shape[1]), int(frame.shape[0]))
        self.first_image: Frame = np.asarray(frame, dtype=np.uint8)
        try:
            self.lane_boxes = lane_boxes(
                width=self.frame_size[0],
                height=self.frame_size[1],
                lanes=lanes,
                regions=regions,
            )
        except PeSensorsError as exc:
            raise CaptureError(str(exc)) from exc

    def _open(self) -> cv2.VideoCapture:
        try:
            return open_capture(self.source)
        except PeSensorsError as exc:
            raise CaptureError(str(exc)) from exc

    def frames(self, stop: threading.Event) -> Iterator[PoseFrame]:
        capture = self._open()
        trackers: list[PoseTracker] = []
        try:
            trackers = [PoseTracker() for _ in self.lane_boxes]
            yield from self._read(capture, trackers, stop)
        except PeSensorsError as exc:
            raise CaptureError(str(exc)) from exc
        finally:
            capture.release()
            for tracker in trackers:
                tracker.close()

    def _read(
        self,
        capture: cv2.VideoCapture,
        trackers: list[PoseTracker],
        stop: threading.Event,
    ) -> Iterator[PoseFrame]:
        started = time.monotonic()
        previous_gray: Frame | None = None
        index = 0
        while not stop.is_set():
            ok, raw = capture.read()
            if not ok:
                break
            image = np.asarray(raw, dtype=np.uint8)
            time_s = index / self.fps
            if self.paced:
                ahead_s = started + time_s - time.monotonic()
                if ahead_s > 0:
                    time.sleep(ahead_s)
            gray: Frame | None = None
            if self.look_for_rope:
                gray = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)
            lanes = []
            for tracker, box in zip(trackers, self.lane_boxes, strict=True):
                xy, visibility = tracker.process(box.crop(image))
                evidence = (
                    float("nan")
                    if gray is None
                    else lane_feet_rope_evidence(previous_gray, gray, xy=xy, box=box)
                )
                lanes.append(LaneLandmarks(box.to_frame(xy), visibility, evidence))
            previous_gray = gray
            yield PoseFrame(index, time_s, image, lanes)
            index += 1
        _warn_on_drift(index, fps=self.fps, started=started)


def _warn_on_drift(n_frames: int, *, fps: float, started: float) -> None:
    wall_s = time.monotonic() - started
    frame_s = n_frames / fps
    if frame_s > 1.0 and abs(wall_s - frame_s) > CLOCK_DRIFT_WARN * frame_s:
        logger.warning(
            "the frame clock (%.2f s at %.1f fps) and the wall clock (%.2f s) "
            "parted during the attempt; a camera that does not keep its frame "
            "rate makes timed events unfair: check its settings",
            frame_s,
            fps,
            wall_s,
        )


class ReplayStream:
    """Landmark sequences played as a live stream, with a stick-figure image.

    Parameters
    ----------
    sequences : list of PoseSequence
        One per lane, in full-frame pixels, all with the same frame times.
    rope : list of np.ndarray or None
        Rope evidence per lane and frame, shape (n_frames,) each.
    paced : bool
        Deliver frames no faster than their times.
    """

    def __init__(
        self,
        sequences: list[PoseSequence],
        *,
        rope: list[FloatArray] | None = None,
        paced: bool = False,
    ) -> None:
        if not sequences:
            raise CaptureError("a replay needs at least one landmark sequence")
        first = sequences[0]
        if any(s.n_frames != first.n_frames for s in sequences):
            raise CaptureError("every lane of a replay needs the same frame count")
        self.sequences = sequences
        self.rope = rope
        self.paced = paced
        times = first.times_s
        step = float(np.median(np.diff(times))) if first.n_frames > 1 else 1.0
        self.fps = 1.0 / step
        self.frame_size = first.frame_size
        width, height = self.frame_size
        self.lane_boxes = equal_lanes(width=width, height=height, lanes=len(sequences))
        self.first_image = self._image(0)

    def _image(self, row: int) -> Frame:
        width, height = self.frame_size
        image = np.full((height, width, 3), REPLAY_BACKGROUND, dtype=np.uint8)
        for sequence in self.sequences:
            _draw_bones(image, sequence.xy[row])
        return image

    def frames(self, stop: threading.Event) -> Iterator[PoseFrame]:
        started = time.monotonic()
        for row in range(self.sequences[0].n_frames):
            if stop.is_set():
                return
            time_s = row / self.fps
            if self.paced:
                ahead_s = started + time_s - time.monotonic()
                if ahead_s > 0:
                    time.sleep(ahead_s)
            lanes = [
                LaneLandmarks(
                    s.xy[row].copy(),
                    s.visibility[row].copy(),
                    float(self.rope[k][row]) if self.rope else float("nan"),
                )
                for k, s in enumerate(self.sequences)
            ]
            yield PoseFrame(row, time_s, self._image(row), lanes)


class ClipWriter:
    """The attempt's raw frames, written as they arrive (MP4, mp4v)."""

    def __init__(self, path: Path, *, fps: float, frame_size: tuple[int, int]) -> None:
        self.path = path
        self.n_frames = 0
        self._writer = cv2.VideoWriter(
            str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, frame_size
        )
        if not self._writer.isOpened():
            raise CaptureError(
                f"the attempt's video {path} cannot be written; check that the "
                "station's data folder exists, is writable and has space"
            )

    def write(self, image: Frame) -> None:
        self._writer.write(image)
        self.n_frames += 1

    def close(self) -> None:
        self._writer.release()


def write_evidence(
    raw_clip: Path,
    *,
    fps: float,
    lanes: list[tuple[PoseSequence, FloatArray | None, Box]],
    results: list[JudgeResult],
    out_path: Path,
) -> None:
    """Draw skeletons, counts and refusals over the raw clip (the evidence).

    Parameters
    ----------
    raw_clip : Path
        The attempt's frames, as :class:`ClipWriter` wrote them.
    fps : float
        Their frame rate.
    lanes : list of (PoseSequence, rope evidence or None, Box)
        Every lane's raw landmarks, one row per frame of the clip, and the
        box its tracker saw.
    results : list of JudgeResult
        Every lane's result, in the same order.
    out_path : Path
        Where the annotated clip goes.
    """
    n_frames = lanes[0][0].n_frames
    analysis = VideoAnalysis(
        source=str(raw_clip),
        fps=fps,
        stride=1,
        frame_indices=list(range(n_frames)),
        lanes=[LaneTrack(poses, rope, box.x0, box=box) for poses, rope, box in lanes],
    )
    try:
        write_annotated(analysis, results, out_path)
    except PeSensorsError as exc:
        raise CaptureError(str(exc)) from exc
    if not out_path.is_file() or out_path.stat().st_size == 0:
        raise CaptureError(
            f"the evidence clip {out_path} was not written (the raw clip "
            f"{raw_clip} may be empty); test the candidate again"
        )


def empty_landmarks() -> LaneLandmarks:
    """A lane where nobody was found."""
    return LaneLandmarks(
        np.full((N_LANDMARKS, 2), np.nan), np.zeros(N_LANDMARKS), float("nan")
    )
