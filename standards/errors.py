"""The root of the platform's exceptions.

Every package raises subclasses of :class:`PlatformError`, so a caller (the
server, a CLI) can tell the platform's own, explained failures from bugs.
Messages name the input, the bad value, the limit and what to do.
"""


class PlatformError(Exception):
    """An input or a state the platform refuses, with a reason for a person."""


class StandardsError(PlatformError):
    """A standards table or a lookup in one is invalid."""


class UnknownItemError(StandardsError):
    """An item name that no standards table knows."""


class ItemNotApplicableError(StandardsError):
    """An item that the standard does not test for this sex (or grade)."""


class GradeError(StandardsError):
    """A grade (or sex) outside what the standards tables cover."""


class ResultOutOfRangeError(StandardsError):
    """A measured result no table can score: negative, absurd or malformed."""


class TableError(StandardsError):
    """A standards table or exam configuration that is inconsistent."""
