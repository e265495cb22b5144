"""Laps and finish times of the distance runs from RFID lap reads.

Geometry. The reader's antenna lies across the track on the finish line, and
the reader's clock starts at the start signal (``LapRead.t_s`` counts from
it). A run of ``distance_m`` on a track of ``lap_m`` passes the antenna
``n = ceil(distance_m / lap_m)`` times, the last time at the finish. The
start line lies ``first_leg_m = distance_m - (n - 1) * lap_m`` metres before
the finish line, so the passages are at ``first_leg_m``,
``first_leg_m + lap_m``, ... ``distance_m``:

* 800 m on 400 m: start on the finish line, passages at 400 and 800 m;
* 1000 m on 400 m (2.5 laps): start 200 m before the finish line (on the
  back straight), passages at 200, 600 and 1000 m.

Reads. A tag crossing the antenna is read many times for a second or two;
reads of one candidate's tags (a candidate may wear two) within
``debounce_s`` of the first read of a passage belong to that passage, whose
time is its first read. Reads earlier than the fastest plausible first leg
(the 800 m runners standing on the start line) and passages closer together
than ``min_lap_s`` (a runner lingering by the antenna) are ignored and
counted.

Missed reads. The number of laps a gap between two observed passages spans
is taken from ``expected_lap_s``: the observed passage is the expected one
whose distance lies nearest to where the expected pace puts the runner. The
passages skipped are bridged by interpolating in distance between the two
observed ones and marked ``bridged``; a missed finish is estimated from the
candidate's own mean pace so far. Every bridged time, and every gap that fits
no whole number of laps well, sets ``needs_review``: a person confirms it on
the finish gate or the video before it becomes a score. Nothing is bridged
silently.

``count_laps`` works on the reads of a closed race.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from pe_sensors.drivers.readings import LapRead
from pe_sensors.errors import LapCountError

logger = logging.getLogger(__name__)

AMBIGUITY_LAPS = 0.3
"""A bridged gap fitting no whole number of laps within this fraction of a
lap needs a person's review."""


@dataclass(frozen=True)
class RacePlan:
    """One distance run: its length, the track and the timing expectations.

    Parameters
    ----------
    distance_m : float
        Race distance, e.g. 800 or 1000.
    expected_lap_s : float
        Typical time for one lap at this event's pace; used only to count
        how many laps a gap between two reads spans.
    lap_m : float
        Length of one lap at the antenna's lane, normally 400.
    min_lap_s : float
        Fastest plausible lap; closer passages are the same passage.
    debounce_s : float
        Reads of a candidate within this time of a passage's first read
        belong to that passage.
    """

    distance_m: float
    expected_lap_s: float
    lap_m: float = 400.0
    min_lap_s: float = 45.0
    debounce_s: float = 10.0

    def __post_init__(self) -> None:
        if self.distance_m <= 0 or self.lap_m <= 0:
            raise LapCountError(
                f"race of {self.distance_m} m on a {self.lap_m} m lap: both must "
                "be positive; give the event's distance and track length"
            )
        if not 0 < self.debounce_s < self.min_lap_s < self.expected_lap_s:
            raise LapCountError(
                f"debounce_s={self.debounce_s}, min_lap_s={self.min_lap_s} and "
                f"expected_lap_s={self.expected_lap_s} must increase in that "
                "order from above 0; a tag is read for seconds, a lap takes a minute"
            )

    @property
    def n_passages(self) -> int:
        """Passages of the antenna from start to finish."""
        return math.ceil(self.distance_m / self.lap_m - 1e-9)

    @property
    def first_leg_m(self) -> float:
        """Distance from the start line to the first passage of the antenna."""
        return self.distance_m - (self.n_passages - 1) * self.lap_m

    @property
    def passage_distances_m(self) -> tuple[float, ...]:
        """Race distance at each passage, the last one the finish."""
        return tuple(self.first_leg_m + k * self.lap_m for k in range(self.n_passages))


class RunStatus(Enum):
    """How a candidate's run ended, as far as the reads tell."""

    FINISHED = "finished"  # the finish passage was read
    FINISH_BRIDGED = "finish_bridged"  # finish not read; estimated, to confirm
    NOT_FINISHED = "not_finished"  # too few passages to place the finish


@dataclass(frozen=True)
class Passage:
    """One passage of the antenna by one candidate."""

    index: int  # 1 for the first passage, n for the finish
    distance_m: float
    t_s: float  # seconds since the start signal
    bridged: bool  # not read: interpolated or estimated
    reads: int  # tag reads merged into this passage (0 when bridged)


@dataclass(frozen=True)
class RunResult:
    """A candidate's passages, finish time and everything that needs a look."""

    candidate: str
    passages: tuple[Passage, ...]
    status: RunStatus
    finish_s: float | None
    needs_review: bool
    ignored_reads: int  # start-area reads, lingering and post-finish reads

    @property
    def distance_done_m(self) -> float:
        """Race distance at the last passage, read or bridged."""
        return self.passages[-1].distance_m if self.passages else 0.0

    @property
    def bridged(self) -> tuple[int, ...]:
        """Indices of the passages that were not read."""
        return tuple(p.index for p in self.passages if p.bridged)


@dataclass(frozen=True)
class LapCount:
    """Results of every candidate, and reads of tags nobody wears."""

    results: dict[str, RunResult]
    unknown_tags: dict[str, int]


def count_laps(
    reads: Iterable[LapRead], *, plan: RacePlan, tags: Mapping[str, str]
) -> LapCount:
    """Passages and finish times of every candidate of a closed race.

    Parameters
    ----------
    reads : iterable of LapRead
        All reads of the race, in any order; ``t_s`` since the start signal.
    plan : RacePlan
        Distance, track and timing expectations.
    tags : mapping
        Tag id (24 hex digits) to candidate (ticket number); a candidate
        may wear several tags.

    Returns
    -------
    LapCount
        One :class:`RunResult` per candidate named in ``tags``.
    """
    owner = {tag.upper(): candidate for tag, candidate in tags.items()}
    by_candidate: dict[str, list[float]] = defaultdict(list)
    unknown: Counter[str] = Counter()
    for read in reads:
        candidate = owner.get(read.tag_id.upper())
        if candidate is None:
            unknown[read.tag_id] += 1
        else:
            by_candidate[candidate].append(read.t_s)
    if unknown:
        logger.warning("reads of %s tags assigned to nobody", len(unknown))
    results = {
        candidate: _run_result(candidate, sorted(by_candidate[candidate]), plan)
        for candidate in sorted(set(tags.values()))
    }
    return LapCount(results=results, unknown_tags=dict(unknown))


def _run_result(candidate: str, times_s: list[float], plan: RacePlan) -> RunResult:
    # Drop reads before the fastest plausible first leg, then debounce.
    earliest_s = plan.min_lap_s * plan.first_leg_m / plan.lap_m
    kept = [t for t in times_s if t >= earliest_s]
    ignored = len(times_s) - len(kept)
    observed, lingering = _passages_from_reads(kept, plan=plan)
    ignored += lingering

    # Place each observed passage, bridging the ones skipped.
    passages, review, extra = _place_passages(observed, plan=plan)
    ignored += extra

    # Close the run: finished, finish bridged or not finished.
    status, passages = _close_run(passages, plan=plan)
    bridged = any(passage.bridged for passage in passages)
    review = review or bridged or status is not RunStatus.FINISHED
    for passage in passages:
        if passage.bridged:
            logger.warning(
                "candidate %s: passage %s at %.0f m not read; bridged to %.2f s",
                candidate,
                passage.index,
                passage.distance_m,
                passage.t_s,
            )
    finish = passages[-1].t_s if status is not RunStatus.NOT_FINISHED else None
    return RunResult(
        candidate=candidate,
        passages=tuple(passages),
        status=status,
        finish_s=finish,
        needs_review=review,
        ignored_reads=ignored,
    )


def _passages_from_reads(
    times_s: list[float], *, plan: RacePlan
) -> tuple[list[tuple[float, int]], int]:
    """Group sorted read times into passages (first read time, read count).

    Returns the passages and the number of reads dropped for lingering.
    """
    passages: list[tuple[float, int]] = []
    lingering = 0
    for t in times_s:
        if passages and t - passages[-1][0] <= plan.debounce_s:
            first, count = passages[-1]
            passages[-1] = (first, count + 1)
        elif passages and t - passages[-1][0] < plan.min_lap_s:
            lingering += 1
        else:
            passages.append((t, 1))
    return passages, lingering


def _place_passages(
    observed: list[tuple[float, int]], *, plan: RacePlan
) -> tuple[list[Passage], bool, int]:
    """Give observed passages their index; interpolate the skipped ones.

    Returns the passages, whether a gap fitted no whole lap count well, and
    the reads of passages after the finish (ignored).
    """
    distances = plan.passage_distances_m
    placed: list[Passage] = []
    review = False
    extra = 0
    prev_index, prev_m, prev_s = 0, 0.0, 0.0
    for t_s, reads in observed:
        if prev_index == len(distances):
            extra += reads
            continue
        # Where the expected pace puts the runner, and the nearest passage.
        at_m = prev_m + (t_s - prev_s) / plan.expected_lap_s * plan.lap_m
        index = min(
            range(prev_index + 1, len(distances) + 1),
            key=lambda k: abs(distances[k - 1] - at_m),
        )
        skipped = range(prev_index + 1, index)
        if skipped and abs(distances[index - 1] - at_m) > AMBIGUITY_LAPS * plan.lap_m:
            review = True
        for k in skipped:
            share = (distances[k - 1] - prev_m) / (distances[index - 1] - prev_m)
            placed.append(
                Passage(k, distances[k - 1], prev_s + share * (t_s - prev_s), True, 0)
            )
        placed.append(Passage(index, distances[index - 1], t_s, False, reads))
        prev_index, prev_m, prev_s = index, distances[index - 1], t_s
    return placed, review, extra


def _close_run(
    passages: list[Passage], *, plan: RacePlan
) -> tuple[RunStatus, list[Passage]]:
    """The run's status, with an estimated finish when only it was missed."""
    n = plan.n_passages
    if passages and passages[-1].index == n:
        return RunStatus.FINISHED, passages
    if not passages or passages[-1].index < n - 1:
        return RunStatus.NOT_FINISHED, passages
    last = passages[-1]
    pace_s_per_m = last.t_s / last.distance_m
    finish_s = last.t_s + (plan.distance_m - last.distance_m) * pace_s_per_m
    bridged = Passage(n, plan.distance_m, finish_s, True, 0)
    return RunStatus.FINISH_BRIDGED, [*passages, bridged]
