"""What cleanwire's commands share on the command line: one-line usage errors and the
argument types that explain a bad value."""

from __future__ import annotations

import argparse
from datetime import date

__all__ = ["OneLineErrors", "iso_date", "positive_int"]


class OneLineErrors(argparse.ArgumentParser):
    """An argument parser whose bad usage is one line on stderr (the problem and where
    to look, for a scheduler's log or a person) and exit status 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (options: {self.prog} --help)\n")


def iso_date(value: str) -> str:
    """An argparse type: a calendar date as ``YYYY-MM-DD``, returned in that form."""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date such as 2026-11-22, got {value!r}") from None


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number
