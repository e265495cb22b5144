"""The live judge: landmarks in, frame by frame; a running count out.

The judges of :mod:`pe_sensors.judges` are functions of a whole landmark
sequence: their state machines walk the frames in order, but each call also
takes a body scale (the torso's median length) and, for sit-ups, the hips'
resting row from every frame it is given, and the One Euro smoothing is a
function rather than a filter object. So the live judge keeps the growing
sequence and runs the event's judge on all of it again every
``rejudge_every`` frames. The running count shown on screen is the latest
such run; the result sent to the server is one last run on the complete
sequence, the very call the offline command line makes on the same frames.

Cost, measured on 1800 frames (one minute at 30 frames a second) on one
core: 35 ms for pull-ups and sit-ups, 60 ms for rope skipping, of which the
smoothing is about 27 ms. Re-judging every 4 frames at 30 frames a second
keeps a new repetition on screen within 133 ms of frame time plus one run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from exam_client.errors import ClientError
from pe_sensors.errors import PeSensorsError
from pe_sensors.judges import Event, JudgeResult, Repetition, judge_event
from pe_sensors.pose.landmarks import N_LANDMARKS, FloatArray, PoseSequence

logger = logging.getLogger(__name__)

# Frames between two runs of the judge on the growing sequence.
REJUDGE_EVERY = 4
# Frames needed before the first run (the judges need a body scale).
MIN_FRAMES = 3


class LiveJudgeError(ClientError):
    """The live judge was fed frames it cannot use."""


@dataclass(frozen=True)
class LiveCount:
    """What the screen shows for one lane after a run of the judge."""

    count: int
    repetitions: list[Repetition]
    frame_time_s: float  # the time of the last frame judged
    latest_refusal: Repetition | None  # the last refused repetition, if any


class LiveJudge:
    """One lane's judge on a live stream of landmarks.

    Parameters
    ----------
    event : Event
        The item judged.
    frame_size : tuple of int
        Width and height of the full camera image, pixels.
    rejudge_every : int
        Frames between two runs of the judge.
    """

    def __init__(
        self,
        event: Event,
        *,
        frame_size: tuple[int, int],
        rejudge_every: int = REJUDGE_EVERY,
    ) -> None:
        if rejudge_every < 1:
            raise LiveJudgeError(
                f"rejudge_every is {rejudge_every}; give 1 or more frames"
            )
        self.event = event
        self.frame_size = frame_size
        self.rejudge_every = rejudge_every
        self._times: list[float] = []
        self._xy: list[FloatArray] = []
        self._visibility: list[FloatArray] = []
        self._rope: list[float] = []
        self._since_run = 0
        self._latest: LiveCount | None = None

    @property
    def n_frames(self) -> int:
        return len(self._times)

    @property
    def latest(self) -> LiveCount:
        """The latest running count (zero before the first run)."""
        if self._latest is None:
            return LiveCount(0, [], float("nan"), None)
        return self._latest

    def add_frame(
        self,
        *,
        time_s: float,
        xy: FloatArray,
        visibility: FloatArray,
        rope_evidence: float = float("nan"),
    ) -> LiveCount | None:
        """Take one frame's landmarks; return a new count when the judge ran.

        Parameters
        ----------
        time_s : float
            Frame time from the start signal, seconds, increasing.
        xy : np.ndarray, shape (33, 2)
            Landmarks in full-frame pixels; NaN when nobody was found.
        visibility : np.ndarray, shape (33,)
        rope_evidence : float
            See :func:`pe_sensors.pose.rope.rope_evidence`; rope skipping only.

        Raises
        ------
        LiveJudgeError
            If the frame time does not increase or the arrays have the
            wrong shape.
        """
        if self._times and not time_s > self._times[-1]:
            raise LiveJudgeError(
                f"frame time {time_s:.3f} s does not follow {self._times[-1]:.3f} s; "
                "frames must reach the live judge in time order"
            )
        if xy.shape != (N_LANDMARKS, 2) or visibility.shape != (N_LANDMARKS,):
            raise LiveJudgeError(
                f"a frame's landmarks have shapes {xy.shape} and "
                f"{visibility.shape}; expected ({N_LANDMARKS}, 2) and "
                f"({N_LANDMARKS},)"
            )
        self._times.append(float(time_s))
        self._xy.append(np.asarray(xy, dtype=np.float64))
        self._visibility.append(np.asarray(visibility, dtype=np.float64))
        self._rope.append(float(rope_evidence))
        self._since_run += 1
        if self._since_run < self.rejudge_every or self.n_frames < MIN_FRAMES:
            return None
        return self.run()

    def run(self) -> LiveCount:
        """Judge every frame so far and keep the result as the running count."""
        self._since_run = 0
        result = self._judge()
        refused = [r for r in result.repetitions if not r.counted]
        self._latest = LiveCount(
            count=result.count,
            repetitions=list(result.repetitions),
            frame_time_s=self._times[-1] if self._times else float("nan"),
            latest_refusal=refused[-1] if refused else None,
        )
        return self._latest

    def final(self) -> JudgeResult:
        """The result of the whole attempt: one run on every frame.

        Raises
        ------
        LiveJudgeError
            If the candidate was never seen well enough to judge.
        """
        if not self._any_person():
            raise LiveJudgeError(
                f"no person was found in any of the {self.n_frames} frames of "
                "the attempt; check the camera's view of the lane, then test "
                "the candidate again"
            )
        rope = self.rope_evidence() if self.event is Event.ROPE_SKIP else None
        try:
            result = judge_event(self.event, self.poses(), rope_evidence=rope)
        except PeSensorsError as exc:
            raise LiveJudgeError(
                f"the {self.event.value} judge cannot judge this attempt ({exc})"
            ) from exc
        self.run()
        return result

    def poses(self) -> PoseSequence:
        """The raw landmarks received so far, as a sequence."""
        n = self.n_frames
        return PoseSequence(
            times_s=np.asarray(self._times, dtype=np.float64),
            xy=np.stack(self._xy) if n else np.zeros((0, N_LANDMARKS, 2)),
            visibility=np.stack(self._visibility) if n else np.zeros((0, N_LANDMARKS)),
            frame_size=self.frame_size,
        )

    def rope_evidence(self) -> FloatArray:
        return np.asarray(self._rope, dtype=np.float64)

    def _judge(self) -> JudgeResult:
        if self.n_frames < MIN_FRAMES or not self._any_person():
            return JudgeResult(event=self.event.value)
        rope = self.rope_evidence() if self.event is Event.ROPE_SKIP else None
        try:
            return judge_event(self.event, self.poses(), rope_evidence=rope)
        except PeSensorsError as exc:
            # A body part never seen so far (no scale yet): nothing to count.
            logger.debug("live judge has nothing to count yet: %s", exc)
            return JudgeResult(event=self.event.value)

    def _any_person(self) -> bool:
        return any(bool(np.isfinite(xy[0, 0])) for xy in self._xy)
