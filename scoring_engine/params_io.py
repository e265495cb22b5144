"""Reading the calibrated parameters shipped with the package."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from scoring_engine.errors import ScoringError


@functools.lru_cache(maxsize=4)
def load_params(name: str) -> dict[str, Any]:
    """The JSON parameters ``scoring_engine/params/<name>.json``."""
    try:
        text = resources.files("scoring_engine.params").joinpath(f"{name}.json")
        return dict(json.loads(text.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise ScoringError(
            f"scorer parameters {name}.json cannot be read: {exc}; reinstall "
            "the package or rerun python -m scoring_engine.calibrate"
        ) from exc
