"""A Beam ``assert_that`` matcher from plain assertions."""

from __future__ import annotations

from apache_beam.testing.util import BeamAssertException


def matches(check):
    """A matcher that runs ``check(list(actual))`` and reports its assertion failures to Beam."""
    def _matcher(actual):
        try:
            check(list(actual))
        except AssertionError as exc:
            raise BeamAssertException(str(exc)) from exc
    return _matcher
