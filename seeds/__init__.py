"""The seed articles: two outlets' reports of the same event, the default input."""

from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent
"""Directory holding the seed ``.txt`` files."""
