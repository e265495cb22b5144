"""Sequence-number bookkeeping: duplicates, late frames and gaps.

Sequence numbers are 16-bit and wrap, so "ahead" and "behind" follow
serial-number arithmetic (RFC 1982): ``b`` is ahead of ``a`` when
``(b - a) mod 65536`` lies in 1..32767.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from pe_sensors.drivers.frames import SEQ_MODULUS

HALF_RANGE = SEQ_MODULUS // 2

DEFAULT_WINDOW = 1024
"""How many recent sequence numbers are remembered for duplicate checks."""


class SeqVerdict(Enum):
    """What a data frame's sequence number says about it."""

    NEW = "new"  # ahead of everything seen: keep
    LATE = "late"  # behind the newest, unseen, inside the window: keep, marked
    DUPLICATE = "duplicate"  # seen before: drop
    STALE = "stale"  # too far behind to tell: drop


@dataclass
class SequenceTracker:
    """Judge each data frame's sequence number against those already accepted.

    Only frames whose reading was accepted should be recorded, so a frame
    refused for another reason does not hide a later good copy. The numbers
    remembered are exactly those accepted within ``window`` behind the
    newest, so a duplicate inside the window is always recognised.
    """

    window: int = DEFAULT_WINDOW
    newest: int | None = None
    missing: int = 0  # sequence numbers skipped and not (yet) filled by late frames
    _seen: set[int] = field(default_factory=set, repr=False)
    _advance: int = field(default=0, repr=False)

    def judge(self, seq: int) -> SeqVerdict:
        """The verdict on ``seq``, without recording it."""
        if self.newest is None:
            return SeqVerdict.NEW
        ahead = (seq - self.newest) % SEQ_MODULUS
        if ahead == 0:
            return SeqVerdict.DUPLICATE
        if ahead < HALF_RANGE:
            return SeqVerdict.NEW
        if SEQ_MODULUS - ahead >= self.window:
            return SeqVerdict.STALE
        return SeqVerdict.DUPLICATE if seq in self._seen else SeqVerdict.LATE

    def record(self, seq: int, verdict: SeqVerdict) -> None:
        """Remember an accepted frame's ``seq`` (verdict NEW or LATE)."""
        if verdict is SeqVerdict.NEW:
            if self.newest is not None:
                ahead = (seq - self.newest) % SEQ_MODULUS
                self.missing += ahead - 1
                self._advance += ahead
            self.newest = seq
        elif verdict is SeqVerdict.LATE:
            self.missing = max(self.missing - 1, 0)
        else:
            return
        self._seen.add(seq)
        if self._advance >= self.window or len(self._seen) > 2 * self.window:
            self._forget_old()

    def _forget_old(self) -> None:
        """Drop remembered numbers that fell out of the window behind the newest."""
        newest = self.newest if self.newest is not None else 0
        self._seen = {s for s in self._seen if (newest - s) % SEQ_MODULUS < self.window}
        self._advance = 0
