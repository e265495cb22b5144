"""Command line of the standards package.

``python -m standards points --item run_50m --grade 8 --sex male --value 7.41``
prints the points of one result; ``--json`` prints an object with
``points``, ``bonus``, ``band`` and ``provisional`` (and the details). A bad
input exits with status 2 and a one-line error on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn

from standards import fitness
from standards.errors import StandardsError
from standards.glossary import zh

logger = logging.getLogger(__name__)

EXIT_BAD_INPUT = 2


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message}; see {self.prog} --help\n")


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="python -m standards",
        description="Look results up in the 2014 national fitness standard.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    points = commands.add_parser("points", help="points of one result")
    points.add_argument(
        "--item",
        required=True,
        help=f"one of {', '.join(item.value for item in fitness.Item)}",
    )
    points.add_argument("--grade", required=True, help="7, 8 or 9 (or 初一..初三)")
    points.add_argument("--sex", required=True, help="male or female")
    points.add_argument(
        "--value",
        help="the result in the table's unit (runs also as m'ss\", e.g. 3'45\")",
    )
    points.add_argument("--height-cm", type=float, help="for bmi: height in cm")
    points.add_argument("--weight-kg", type=float, help="for bmi: weight in kg")
    points.add_argument("--json", action="store_true", help="print a JSON object")
    return parser


def _as_json(score: fitness.ItemScore) -> str:
    return json.dumps(
        {
            "item": score.item.value,
            "grade": score.grade,
            "sex": score.sex.value,
            "result": score.result,
            "unit": score.unit,
            "points": score.points,
            "bonus": score.bonus,
            "band": score.band.value,
            "band_zh": zh(score.band),
            "provisional": score.provisional,
            "provisional_reason": score.provisional_reason,
            "rows_used": [row.describe() for row in score.rows_used],
            "rounding": score.rounding,
        },
        ensure_ascii=False,
    )


def _as_text(score: fitness.ItemScore) -> str:
    line = (
        f"{score.points} points, bonus {score.bonus}, "
        f"band {zh(score.band)} ({score.band}); result {score.result} {score.unit}"
    )
    if score.provisional:
        line += f"\nprovisional: {score.provisional_reason}"
    return line


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        score = fitness.points(
            args.item,
            grade=int(args.grade) if args.grade.isdigit() else args.grade,
            sex=args.sex,
            value=args.value,
            height_cm=args.height_cm,
            weight_kg=args.weight_kg,
        )
    except StandardsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(_as_json(score) if args.json else _as_text(score))
    return 0


if __name__ == "__main__":
    sys.exit(main())
