"""Errors of the scoring engine."""

from __future__ import annotations

from standards.errors import PlatformError


class ScoringError(PlatformError):
    """An input that cannot be scored, or a recogniser that cannot run.

    The message names the input, the bad value, the limit and what to do.
    """
