"""Command line of the scoring engine.

``python -m scoring_engine score AUDIO --text "..." [--json]`` scores one
read-aloud recording. ``python -m scoring_engine batch MANIFEST.jsonl -o
RESULTS.jsonl [--workers N]`` scores a manifest whose lines are
``{"id", "audio", "text", "task": "read_aloud"}`` (audio paths absolute or
relative to the manifest); each result line is ``{"id", "scores", "words",
"flags", "scorer", "audio_s", "processing_s"}``, or ``{"id", "error"}`` for
a line that cannot be scored, and the batch goes on.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

from scoring_engine.audio import SR, load_audio
from scoring_engine.errors import ScoringError
from scoring_engine.read_aloud import score_read_aloud

logger = logging.getLogger(__name__)

TASKS = ("read_aloud",)


def score_line(line: str, base: Path) -> dict[str, Any]:
    """Score one manifest line; unscorable input gives ``{"id", "error"}``."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"id": None, "error": f"manifest line is not JSON: {exc}"}
    item_id = item.get("id") if isinstance(item, dict) else None
    try:
        if not isinstance(item, dict):
            raise ScoringError("manifest line must be a JSON object")
        task = item.get("task", "read_aloud")
        if task not in TASKS:
            raise ScoringError(f"task {task!r} is not one of {TASKS}")
        for key in ("id", "audio", "text"):
            if not isinstance(item.get(key), str) or not item[key]:
                raise ScoringError(f"manifest line lacks a non-empty {key!r}")
        start = time.perf_counter()
        y, sr = load_audio(base / item["audio"])
        result = score_read_aloud(y, sr=sr, text=item["text"])
    except ScoringError as exc:
        return {"id": item_id, "error": str(exc)}
    out = result.to_dict()
    return {
        "id": item_id,
        "scores": out["scores"],
        "words": out["words"],
        "flags": out["flags"],
        "scorer": out["scorer"],
        "audio_s": round(y.size / SR, 3),
        "processing_s": round(time.perf_counter() - start, 3),
    }


def _score_star(args: tuple[str, Path]) -> dict[str, Any]:
    return score_line(*args)


def batch(manifest: Path, output: Path, *, workers: int) -> tuple[int, int]:
    """Score every line of ``manifest`` into ``output``; (scored, failed)."""
    lines = [ln for ln in manifest.read_text().splitlines() if ln.strip()]
    jobs = [(line, manifest.parent) for line in lines]
    scored = failed = 0
    with output.open("w") as sink:
        if workers > 1:
            with multiprocessing.Pool(workers) as pool:
                results = list(pool.imap(_score_star, jobs))
        else:
            results = [_score_star(job) for job in jobs]
        for result in results:
            sink.write(json.dumps(result) + "\n")
            failed += "error" in result
            scored += "error" not in result
    return scored, failed


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m scoring_engine")
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("score", help="score one read-aloud recording")
    one.add_argument("audio", type=Path)
    one.add_argument("--text", required=True, help="the text that was read")
    one.add_argument("--json", action="store_true", help="print the full JSON")
    many = commands.add_parser("batch", help="score a JSONL manifest")
    many.add_argument("manifest", type=Path)
    many.add_argument("-o", "--output", type=Path, required=True)
    many.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    if args.command == "batch":
        scored, failed = batch(args.manifest, args.output, workers=args.workers)
        print(f"{scored} scored, {failed} failed -> {args.output}")
        return 0
    try:
        y, sr = load_audio(args.audio)
        result = score_read_aloud(y, sr=sr, text=args.text)
    except ScoringError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_dict(), indent=1))
    else:
        for key, value in result.scores.items():
            print(f"{key:>12}: {value:5.1f}")
        print(f"{'flags':>12}: {', '.join(result.flags) or '-'}")
        print(f"{'scorer':>12}: {result.scorer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
