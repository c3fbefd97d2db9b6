"""Shared fixtures: the seed articles and their expectations, copied into the repo."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipelines.clean_dedup import SEEDS_DIR

DATA = Path(__file__).resolve().parent / "data"

logging.getLogger("apache_beam").setLevel(logging.WARNING)


@pytest.fixture(scope="session")
def seed_expectations() -> dict:
    return json.loads((DATA / "seeds_expected.json").read_text())


@pytest.fixture(scope="session")
def seed_paths() -> list[Path]:
    return sorted(SEEDS_DIR.glob("*.txt"))
