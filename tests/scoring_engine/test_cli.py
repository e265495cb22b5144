"""The command line: one recording, and a batch with a broken line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.scoring_engine.speech import SENTENCE

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scoring_engine", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def test_batch_scores_good_lines_and_reports_broken_ones(
    speech_dir: Path, tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.jsonl"
    lines = [
        {
            "id": "good",
            "audio": str(speech_dir / "sentence.wav"),
            "text": SENTENCE,
            "task": "read_aloud",
        },
        {
            "id": "broken",
            "audio": "missing.flac",
            "text": SENTENCE,
            "task": "read_aloud",
        },
    ]
    manifest.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    out = tmp_path / "results.jsonl"
    run = _run("batch", str(manifest), "-o", str(out), "--workers", "2")
    assert run.returncode == 0, run.stderr
    good, broken = [json.loads(line) for line in out.read_text().splitlines()]
    assert good["id"] == "good" and "error" not in good
    assert set(good) == {
        "id",
        "scores",
        "words",
        "flags",
        "scorer",
        "audio_s",
        "processing_s",
    }
    assert good["scores"]["overall"] > 50 and good["audio_s"] > 2
    assert broken["id"] == "broken" and "missing.flac" in broken["error"]


def test_score_prints_json(speech_dir: Path) -> None:
    run = _run("score", str(speech_dir / "sentence.wav"), "--text", SENTENCE, "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["scores"]["completeness"] == 100.0


def test_score_refuses_an_empty_text(speech_dir: Path) -> None:
    run = _run("score", str(speech_dir / "sentence.wav"), "--text", "")
    assert run.returncode == 2 and "no words" in run.stderr
