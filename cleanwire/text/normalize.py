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
    "printable",
]

# Zero-width and BOM characters survive NFKC; they split words invisibly.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_LINE_BREAKS = ("\r\n", "\r", "\u2028", "\u2029", "\x0b", "\x0c", "\x85")
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x20)) + b"\x7f"
_CONTROL_TO_SPACE = bytes.maketrans(_CONTROL_BYTES, b" " * len(_CONTROL_BYTES))
# C1 controls (U+0085, NEL, is a line break above); a Windows-1252 reading of bytes it
# leaves undefined gives five of them.  UTF-8 encodes them all after a 0xC2 byte.
_C1_CONTROLS = re.compile("[\u0080-\u0084\u0086-\u009f]")
# After NFKC and the control characters, the only horizontal whitespace left besides
# the space is the tab and U+1680 (NFKC maps every other space character to U+0020).
_OTHER_SPACES = ("\t", "\u1680")
_SPACE_RUNS = re.compile(" {2,}")

QUOTE_FOLD = str.maketrans(
    {
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2039": "'", "\u203a": "'",
        "\u2032": "'", "\u2033": '"',
    }
)



_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with its control characters (other than tab and newline) written as
    ``\\xNN`` escapes: for messages that quote raw input, such as a damaged record's
    bytes, so that they stay readable and valid in HTML and terminals."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def normalize_text(text: str) -> str:
    """Return ``text`` in cleanwire's stored form.

    NFKC-normalises, turns every newline convention into ``\\n``, removes invisible
    and control characters, collapses runs of horizontal whitespace to one space and
    strips each line.  Line structure (including blank lines) is preserved, so the
    result can still be split into blocks.  Idempotent.
    """
    # str.replace and bytes.translate scan at memory speed; a regex or str.translate
    # with a dict costs milliseconds per page, which the clean stage cannot afford.
    # Invisible characters go before NFKC: removed after it, they could leave a letter
    # beside a combining mark that NFKC would have composed (not idempotent).
    for char in _INVISIBLE:
        if char in text:
            text = text.replace(char, "")
    if not unicodedata.is_normalized("NFKC", text):
        # NFKC never acts across a newline, and a page usually has a few lines that need
        # it ("…"): normalising just those is several times cheaper than the whole text.
        text = "\n".join(
            line if unicodedata.is_normalized("NFKC", line) else unicodedata.normalize("NFKC", line)
            for line in text.split("\n")
        )
    for chars in _LINE_BREAKS:
        if chars in text:
            text = text.replace(chars, "\n")
    encoded = text.encode("utf-8", "surrogatepass")
    cleaned = encoded.translate(_CONTROL_TO_SPACE)
    if cleaned != encoded:
        text = cleaned.decode("utf-8", "surrogatepass")
    if b"\xc2" in cleaned and _C1_CONTROLS.search(text):
        text = _C1_CONTROLS.sub(" ", text)
    for char in _OTHER_SPACES:
        if char in text:
            text = text.replace(char, " ")
    if "  " in text:
        text = _SPACE_RUNS.sub(" ", text)
    return text.replace(" \n", "\n").replace("\n ", "\n").strip(" ")


def normalize_line(line: str) -> str:
    """Return one line in stored form (``normalize_text`` without newlines)."""
    return " ".join(normalize_text(line).split())


def fold_quotes(text: str) -> str:
    """Replace curly and typographic quotes and apostrophes by ``"`` and ``'``."""
    return text.translate(QUOTE_FOLD)
