"""What every event judge returns: repetitions, counted or refused with a rule.

A judge is a pure function of a landmark sequence. It walks the frames in
order as an explicit state machine (so it can run live, frame by frame) and
returns every repetition it saw, counted or refused. A refused repetition
names the rule broken, in words a candidate and an arbiter can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from pe_sensors.pose.landmarks import FloatArray


class Refusal(StrEnum):
    """Why a repetition does not count (national fitness standard test rules)."""

    # pull-up
    NO_STRAIGHT_HANG_BEFORE = "no_straight_hang_before"
    CHIN_BELOW_BAR = "chin_below_bar"
    NO_STRAIGHT_HANG_AFTER = "no_straight_hang_after"
    SWINGING = "swinging"
    KICKING = "kicking"
    # sit-up
    NO_START_ON_MAT = "no_start_on_mat"
    ELBOWS_SHORT_OF_KNEES = "elbows_short_of_knees"
    SHOULDERS_NOT_ON_MAT = "shoulders_not_on_mat"
    HANDS_OFF_HEAD = "hands_off_head"
    HIPS_BOUNCED = "hips_bounced"
    AFTER_TIME_LIMIT = "after_time_limit"
    # rope skipping
    NO_ROPE_PASSED = "no_rope_passed"
    NOT_A_SKIP = "not_a_skip"


REFUSAL_TEXT: dict[Refusal, tuple[str, str]] = {
    Refusal.NO_STRAIGHT_HANG_BEFORE: (
        "did not start from a still straight-arm hang",
        "未从直臂悬垂静止开始",
    ),
    Refusal.CHIN_BELOW_BAR: ("chin did not rise above the bar", "下颌未超过横杠"),
    Refusal.NO_STRAIGHT_HANG_AFTER: (
        "pulled again before returning to a straight-arm hang",
        "未还原成直臂悬垂即再次上拉",
    ),
    Refusal.SWINGING: ("body swung (kipping)", "身体摆动借力"),
    Refusal.KICKING: ("legs kicked or bent to help", "蹬腿或屈腿借力"),
    Refusal.NO_START_ON_MAT: (
        "did not start lying with the shoulder blades on the mat",
        "起坐前肩胛未触垫",
    ),
    Refusal.ELBOWS_SHORT_OF_KNEES: (
        "elbows did not reach the knees",
        "双肘未触及或超过双膝",
    ),
    Refusal.SHOULDERS_NOT_ON_MAT: (
        "shoulder blades did not touch the mat before this repetition",
        "两肩胛未触垫即起坐",
    ),
    Refusal.HANDS_OFF_HEAD: ("hands left the head", "双手离开头部"),
    Refusal.HIPS_BOUNCED: ("hips lifted off the mat", "臀部离垫借力"),
    Refusal.AFTER_TIME_LIMIT: (
        "not finished inside the time limit",
        "时间到时动作未完成",
    ),
    Refusal.NO_ROPE_PASSED: (
        "no rope passed under the feet (a miss or an empty jump)",
        "绳未从脚下通过（失误或空跳）",
    ),
    Refusal.NOT_A_SKIP: (
        "off the ground too long for one skip (walking, or feet out of view)",
        "离地时间过长，不是一次跳绳",
    ),
}


def describe(reason: Refusal) -> str:
    """The reason in English and Chinese, for screens and printed results."""
    english, chinese = REFUSAL_TEXT[reason]
    return f"{english} / {chinese}"


@dataclass(frozen=True)
class Repetition:
    """One attempt at a repetition.

    ``start_s`` and ``end_s`` are video times in seconds; ``end_s`` is when
    the judge decided. ``reason`` is None for a counted repetition.
    """

    start_s: float
    end_s: float
    counted: bool
    reason: Refusal | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain data for the ``--json`` output."""
        return {
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "counted": self.counted,
            "reason": None if self.reason is None else str(self.reason),
        }


@dataclass
class JudgeResult:
    """Every repetition of one attempt, in time order."""

    event: str
    repetitions: list[Repetition] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Number of counted repetitions."""
        return sum(1 for r in self.repetitions if r.counted)

    def counted(self, start_s: float | None = None, end_s: float | None = None) -> int:
        """Counted repetitions whose end falls in [start_s, end_s]."""
        lo = -np.inf if start_s is None else start_s
        hi = np.inf if end_s is None else end_s
        return sum(1 for r in self.repetitions if r.counted and lo <= r.end_s <= hi)


class Hysteresis:
    """A two-threshold switch (Schmitt trigger) over a scalar signal.

    It turns on when the value reaches ``on`` and off when it falls to
    ``off``; in between it keeps its state, so jitter near one threshold
    cannot toggle it. With ``on < off`` the sense is reversed (on when low).
    """

    def __init__(self, *, on: float, off: float, state: bool = False) -> None:
        self.on = on
        self.off = off
        self.state = state

    def update(self, value: float) -> bool:
        """Feed one value (NaN keeps the state) and return the new state."""
        if not np.isfinite(value):
            return self.state
        rising = self.on > self.off
        if not self.state and (value >= self.on if rising else value <= self.on):
            self.state = True
        elif self.state and (value <= self.off if rising else value >= self.off):
            self.state = False
        return self.state


def finite(values: FloatArray) -> bool:
    """True when every value of a small array is a finite number."""
    return bool(np.all(np.isfinite(values)))
