"""The standards package imports none of the platform's other packages."""

from __future__ import annotations

import ast
from pathlib import Path

import standards

OTHERS = {"exam_server", "exam_client", "scoring_engine", "pe_sensors"}


def test_standards_imports_no_other_platform_package() -> None:
    root = Path(standards.__file__).parent
    sources = sorted(root.rglob("*.py"))
    assert len(sources) >= 6
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in OTHERS, f"{path.name}: {name}"
