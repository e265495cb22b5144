"""Errors of the scoring engine."""

from __future__ import annotations

from standards.errors import PlatformError


class ScoringError(PlatformError):
    """An input that cannot be scored, or a recogniser that cannot run.

    The message names the input, the bad value, the limit and what to do.
    """


class AlignmentError(ScoringError):
    """The recording could not be aligned to the text at all.

    Usually another text was read, or far too little of it; the read-aloud
    scorer then scores what it can recognise and flags the answer.
    """
