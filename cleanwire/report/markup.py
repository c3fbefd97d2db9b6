"""Writing untrusted values into the page: the one escaping every part of the report uses.

Scraped data and file names reach the page as they were: markup characters, control
characters (a damaged record's bytes quoted by an error message), Unicode bidirectional
controls and lone surrogates (a file name that is not valid UTF-8, decoded with
``surrogateescape``).  Markup is escaped; the rest is written as visible escapes, since a
control is invisible or breaks the page, a bidi override makes a name read backwards and
reverses whatever follows it, and a surrogate cannot be encoded as UTF-8 at all.
"""

from __future__ import annotations

import re
from html import escape as _html_escape

from cleanwire.text.normalize import printable

__all__ = ["escape", "visible"]

# The explicit bidi formatting characters (embeddings, overrides, isolates, marks) and the
# UTF-16 surrogate range, which a valid string never holds.
_HIDDEN = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def visible(text: str) -> str:
    """``text`` with control characters (other than tab and newline, as ``printable``),
    bidi controls and lone surrogates written as ``\\xNN`` / ``\\uNNNN`` escapes."""
    return _HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", printable(text))


def escape(text: str) -> str:
    """``text`` for HTML text or a quoted attribute: ``visible``, markup escaped."""
    return _html_escape(visible(text))
