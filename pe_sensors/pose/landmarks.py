"""Body landmarks by anatomical name, and sequences of them over a video.

The 33 landmarks are those of BlazePose (the model behind mediapipe's pose
solution). Code names them through :class:`Landmark`; a bare index never
appears outside this module.

Coordinates are image pixels, x to the right and y downwards, so "higher on
the body in the picture" means "smaller y".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from pe_sensors.errors import JudgeInputError

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# A landmark whose visibility score is below this is treated as unseen. The
# score is the model's own estimate that the point is in view and not
# occluded; 0.5 is the threshold mediapipe's drawing utilities use.
MIN_VISIBILITY = 0.5


class Landmark(IntEnum):
    """The BlazePose landmarks; the value is the model's output index."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


N_LANDMARKS = len(Landmark)

# Bones drawn on annotated videos, as pairs of landmarks.
SKELETON: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL),
    (Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL),
    (Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
)


@dataclass(frozen=True)
class PoseSequence:
    """The landmarks of one person over a video, one row per analysed frame.

    Attributes
    ----------
    times_s : np.ndarray, shape (n_frames,)
        Time of each frame from the start of the video, seconds, increasing.
    xy : np.ndarray, shape (n_frames, 33, 2)
        Landmark positions in pixels (x right, y down); NaN in frames where no
        person was found.
    visibility : np.ndarray, shape (n_frames, 33)
        The model's visibility score in [0, 1]; 0 where no person was found.
    frame_size : tuple of int
        Width and height of the analysed image, pixels.
    """

    times_s: FloatArray
    xy: FloatArray
    visibility: FloatArray
    frame_size: tuple[int, int]
    present: BoolArray = field(init=False)

    def __post_init__(self) -> None:
        n_frames = self.times_s.shape[0]
        if self.xy.shape != (n_frames, N_LANDMARKS, 2):
            raise JudgeInputError(
                f"landmark array has shape {self.xy.shape}; expected "
                f"({n_frames}, {N_LANDMARKS}, 2) for {n_frames} frame times: "
                "build the sequence from one frame time per landmark row"
            )
        if self.visibility.shape != (n_frames, N_LANDMARKS):
            raise JudgeInputError(
                f"visibility array has shape {self.visibility.shape}; expected "
                f"({n_frames}, {N_LANDMARKS})"
            )
        if n_frames > 1 and not np.all(np.diff(self.times_s) > 0):
            raise JudgeInputError(
                "frame times must increase strictly; sort the frames by time"
            )
        present = np.all(np.isfinite(self.xy[:, :, 0]), axis=1)
        object.__setattr__(self, "present", present)

    @property
    def n_frames(self) -> int:
        """Number of analysed frames."""
        return int(self.times_s.shape[0])

    def point(
        self, landmark: Landmark, *, min_visibility: float = MIN_VISIBILITY
    ) -> FloatArray:
        """Positions of one landmark, shape (n_frames, 2); NaN where unseen."""
        xy = self.xy[:, landmark, :].copy()
        xy[self.visibility[:, landmark] < min_visibility] = np.nan
        return xy

    def pair_midpoint(
        self,
        left: Landmark,
        right: Landmark,
        *,
        min_visibility: float = MIN_VISIBILITY,
    ) -> FloatArray:
        """Midpoint of a left/right pair, or the one side seen, shape (n, 2).

        From a side view only the near limb is visible; this then returns the
        near limb's point rather than nothing.
        """
        a = self.point(left, min_visibility=min_visibility)
        b = self.point(right, min_visibility=min_visibility)
        both = np.stack([a, b])
        out = np.full_like(a, np.nan)
        seen = np.isfinite(both[:, :, 0])
        count = seen.sum(axis=0)
        total = np.where(seen[:, :, None], both, 0.0).sum(axis=0)
        has = count > 0
        out[has] = total[has] / count[has, None]
        return out

    def lane_offset(self, *, dx: float) -> PoseSequence:
        """The same sequence shifted right by ``dx`` pixels (lane crop to frame)."""
        shifted = self.xy.copy()
        shifted[:, :, 0] += dx
        return PoseSequence(
            times_s=self.times_s,
            xy=shifted,
            visibility=self.visibility,
            frame_size=self.frame_size,
        )


def joint_angle_deg(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    """Angle at ``b`` between the segments b-a and b-c, degrees.

    Parameters
    ----------
    a, b, c : np.ndarray, shape (n, 2)
        Points in pixels; the angle is taken at ``b``.

    Returns
    -------
    np.ndarray, shape (n,)
        ``arccos(u . v / (|u| |v|))`` with ``u = a - b`` and ``v = c - b``, in
        [0, 180] degrees; NaN where a point is missing or a segment is empty.
    """
    u = a - b
    v = c - b
    norms = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = np.sum(u * v, axis=1) / norms
    cosine = np.where(norms > 0, cosine, np.nan)
    return np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))


def distance(a: FloatArray, b: FloatArray) -> FloatArray:
    """Euclidean distance between matching rows of two point arrays, pixels."""
    return np.asarray(np.linalg.norm(a - b, axis=1), dtype=np.float64)


def typical_length(values: FloatArray) -> float:
    """Median of the finite values, used as a body scale in pixels.

    Raises
    ------
    JudgeInputError
        If no value is finite (the body part was never seen).
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        raise JudgeInputError(
            "no frame shows the body segment used as a scale; check that the "
            "candidate is in view and the right event was chosen"
        )
    return float(np.median(finite))
