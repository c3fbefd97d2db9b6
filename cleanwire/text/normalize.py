"""Unicode and whitespace normalisation, and the word tokens used for matching.

Two forms of a text exist in cleanwire:

* the *stored* form (``normalize_text``): NFKC, one kind of newline, no invisible
  characters, runs of spaces collapsed.  Curly quotes and apostrophes are kept, so the
  text stays readable.
* the *matching* form (``cleanwire.text.tokens``): lower-cased word tokens.  Quote
  marks and apostrophes are never part of a token, so ``Syria’s`` and ``Syria's`` give
  the same tokens; this is where straight and curly quotes are unified for matching.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "QUOTE_FOLD",
    "fold_quotes",
    "normalize_line",
    "normalize_text",
]

# Zero-width and BOM characters survive NFKC; they split words invisibly.  (A regex,
# not str.translate: translate with a table costs ~100 ns per character.)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_SPACES = re.compile(r"[^\S\n]+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

QUOTE_FOLD = str.maketrans(
    {
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2039": "'", "\u203a": "'",
        "\u2032": "'", "\u2033": '"',
    }
)



def normalize_text(text: str) -> str:
    """Return ``text`` in cleanwire's stored form.

    NFKC-normalises, turns every newline convention into ``\\n``, removes invisible
    and control characters, collapses runs of horizontal whitespace to one space and
    strips each line.  Line structure (including blank lines) is preserved, so the
    result can still be split into blocks.  Idempotent.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", _NEWLINES.sub("\n", text))
    text = _CONTROL.sub(" ", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


def normalize_line(line: str) -> str:
    """Return one line in stored form (``normalize_text`` without newlines)."""
    return " ".join(normalize_text(line).split())


def fold_quotes(text: str) -> str:
    """Replace curly and typographic quotes and apostrophes by ``"`` and ``'``."""
    return text.translate(QUOTE_FOLD)
