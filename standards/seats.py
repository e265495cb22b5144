"""Exam-room seat standards.

A standardised oral-exam room has 30 seats and keeps at least 10 % of its
seats as spares, so a candidate whose machine fails can move at once.
Seats are named by a row letter and a two-digit number (``A01``); spares
use the letter ``S`` (``S01``).
"""

import math

from standards.errors import StandardsError

SEATS_PER_ROOM = 30
"""Seats in a standardised oral-exam room (provincial site standards)."""

MIN_SPARE_FRACTION = 0.10
"""Spare seats a room keeps, as a fraction of its exam seats."""

EXAM_SEAT_LETTER = "A"
SPARE_SEAT_LETTER = "S"


def spare_seats_needed(n_seats: int) -> int:
    """Return the fewest spare seats a room of ``n_seats`` seats must keep."""
    if n_seats < 1:
        raise StandardsError(f"a room needs at least one seat, got {n_seats}")
    return math.ceil(n_seats * MIN_SPARE_FRACTION)


def seat_codes(n_seats: int, *, spare: bool = False) -> list[str]:
    """Return the codes of ``n_seats`` exam seats, or of spares.

    Examples
    --------
    >>> seat_codes(3)
    ['A01', 'A02', 'A03']
    >>> seat_codes(2, spare=True)
    ['S01', 'S02']
    """
    if not 1 <= n_seats <= 99:
        raise StandardsError(
            f"a room holds 1 to 99 seats of a kind, got {n_seats}; "
            "split the candidates over more rooms"
        )
    letter = SPARE_SEAT_LETTER if spare else EXAM_SEAT_LETTER
    return [f"{letter}{number:02d}" for number in range(1, n_seats + 1)]
