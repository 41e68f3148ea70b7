"""Shared fixtures: the real published list files beside the project, and store URLs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("EMBARGO_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` with the real list files; tests using it skip cleanly without it."""
    if not (SHARED / "official").is_dir():
        pytest.skip(f"real list files not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def official(shared_data: Path) -> Path:
    return shared_data / "official"
