"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared data folder beside the clone, or a skip when it is absent.

    The folder is never committed (licences and size); CI lays a copy of it
    beside every clone, so these tests run there every time.
    """
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is not beside this clone")
    return SHARED_DATA
