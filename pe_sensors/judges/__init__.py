"""Event judges: pure functions from landmark sequences to repetitions."""

from __future__ import annotations

from enum import StrEnum

from pe_sensors.errors import JudgeInputError
from pe_sensors.judges.common import JudgeResult, Refusal, Repetition, describe
from pe_sensors.judges.pullup import judge_pullups
from pe_sensors.judges.rope_skip import judge_rope_skips
from pe_sensors.judges.situp import judge_situps
from pe_sensors.pose.landmarks import FloatArray, PoseSequence
from pe_sensors.pose.smoothing import OneEuroSettings, smooth_sequence


class Event(StrEnum):
    """The events judged from video."""

    PULLUP = "pullup"
    SITUP = "situp"
    ROPE_SKIP = "rope_skip"


# One Euro settings per event. Pull-ups and sit-ups are slow (a repetition
# takes 1.5-4 s) and bear hard smoothing; rope skipping has up to seven foot
# lifts a second, so its cutoff stays high to keep each lift's height.
SMOOTHING: dict[Event, OneEuroSettings] = {
    Event.PULLUP: OneEuroSettings(min_cutoff_hz=1.5, beta=4.0),
    Event.SITUP: OneEuroSettings(min_cutoff_hz=1.0, beta=4.0),
    Event.ROPE_SKIP: OneEuroSettings(min_cutoff_hz=6.0, beta=10.0),
}


def judge_event(
    event: Event,
    poses: PoseSequence,
    *,
    rope_evidence: FloatArray | None = None,
    smooth: bool = True,
) -> JudgeResult:
    """Smooth the raw landmarks as the event needs, then run its judge.

    Raises
    ------
    JudgeInputError
        For rope skipping without rope evidence.
    """
    if smooth:
        poses = smooth_sequence(poses, settings=SMOOTHING[event])
    if event is Event.PULLUP:
        return judge_pullups(poses)
    if event is Event.SITUP:
        return judge_situps(poses)
    if rope_evidence is None:
        raise JudgeInputError(
            "rope skipping needs rope evidence from the frames; analyse the "
            "video with look_for_rope=True"
        )
    return judge_rope_skips(poses, rope_evidence)


__all__ = [
    "Event",
    "JudgeResult",
    "Refusal",
    "Repetition",
    "SMOOTHING",
    "describe",
    "judge_event",
    "judge_pullups",
    "judge_rope_skips",
    "judge_situps",
]
