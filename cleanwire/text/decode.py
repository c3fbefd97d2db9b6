"""Turn the bytes of an input into text, and say which encoding was used."""

from __future__ import annotations

import codecs
import re

import ftfy
from charset_normalizer import from_bytes
from ftfy.badness import is_bad

__all__ = ["DecodeError", "decode", "repair_mojibake"]

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
# Browsers read these labels as Windows-1252 (WHATWG Encoding Standard), and so do we:
# pages that say Latin-1 use the 0x80-0x9F quotes and dashes all the time.
_WESTERN = frozenset({"ascii", "latin_1", "iso8859_1", "cp1252", "iso8859_15", "mac_roman", "cp850", "cp437"})
_MULTIBYTE_UTF8 = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_NEWLINES = re.compile(r"\r\n?")
# UTF-8 read as Windows-1252 turns every multi-byte sequence into a lead character
# (U+00C2 to U+00F4) followed by a character of the bytes 0x80-0xBF: the cheap test
# that decides whether ftfy needs to look at all.
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)
_SAMPLE = 8192
# The legacy encodings web pages use (the WHATWG Encoding Standard's list): detection
# picks among these only, so English with a few curly quotes is not read as a DOS code
# page (cp775, cp852) that happens to score the same.
_WEB_LEGACY = [
    "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
    "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_5", "iso8859_6", "iso8859_7", "iso8859_8", "iso8859_10",
    "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "koi8_r", "koi8_u", "mac_roman", "mac_cyrillic",
    "cp866", "cp874", "gbk", "gb18030", "big5", "euc_jp", "iso2022_jp", "shift_jis", "cp932", "euc_kr",
]
_C1_OR_SYMBOL_IN_WORD = re.compile(
    # (not ´, which English texts use as an apostrophe: "don´t")
    "[\u0080-\u009f]|[^\W\d_][\u00a4\u00a6\u00a8\u00aa\u00ac\u00af\u00b1-\u00b3\u00b5-\u00b8\u00b9"
    "\u00ba\u00bc-\u00bf\u00d7\u00f7\u0192\u02c6\u02dc\u2020\u2021\u2030\u2039\u203a][^\W\d_]"
    # ł, ą and ż of Windows-1250 read as ³, ¹ and ¿ after a word's letters; units (m³) are shorter.
    "|[^\W\d_]{3}[\u00b9\u00b3\u00bf]"
)
_NON_ASCII = re.compile("[^\x00-\x7f]")
# Up to this share of accented letters, detection's choice among code pages is noise
# (English, German, Spanish: 0 to 3 %); above it, the language decides (Czech,
# Lithuanian, Estonian and Turkish read as 1252 are letters too, 5 to 10 % accented).
_MAX_ACCENTED_SHARE = 0.03


_BYTE_CHARS = [bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)]


def _cp1252_byte(error: UnicodeDecodeError) -> tuple[str, int]:
    """Codec error handler: read the offending bytes as Windows-1252 (Latin-1 for the
    five bytes it leaves undefined)."""
    return "".join(_BYTE_CHARS[byte] for byte in error.object[error.start:error.end]), error.end


codecs.register_error("cleanwire-cp1252", _cp1252_byte)


class DecodeError(ValueError):
    """The bytes are not text in any encoding cleanwire could identify."""


def _binary_reason(content: bytes) -> str | None:
    """Why ``content`` is not text, judged on its first 8 KB (None when it may be): a
    NUL byte, or more than 2 % control bytes that text never holds."""
    sample = content[:_SAMPLE]
    nul = sample.find(b"\0")
    if nul >= 0:
        return (f"the file holds a NUL byte (at byte {nul}), which text never does: it is binary data, text in "
                "UTF-16 or UTF-32 without a byte-order mark (convert it to UTF-8), or text damaged on the way "
                "(remove the NUL bytes to read it)")
    controls = len(_CONTROL_BYTES.findall(sample))
    if controls > 0.02 * len(sample):
        return f"the file is binary data, not text ({controls} control bytes in its first {len(sample)})"
    return None


def _python_name(label: str) -> str | None:
    """Python's name of the text encoding ``label`` names; None for an unknown label and
    for codecs that are not text encodings (rot13, base64, zlib, ...)."""
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in ("undefined", "punycode", "idna"):
        return None
    name = info.name
    return "cp1252" if name.replace("-", "_") in _WESTERN else name


def decode(content: bytes, is_html: bool = False, declared: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)`` for ``content``, with newlines as ``\\n``.

    Order: a byte-order mark; the ``declared`` charset (say, of an HTTP header) or, for
    HTML, one declared in a ``<meta>`` tag, when the bytes decode with it; UTF-8, where a
    byte that is not part of a valid UTF-8 sequence is read as Windows-1252 (pages that
    declare UTF-8 often hold a few stray Latin-1 bytes; ``encoding`` is then
    ``utf-8+cp1252``); bytes with no valid multi-byte UTF-8 sequence at all are a legacy
    single-byte encoding, detected by charset-normalizer (Western guesses are read as
    Windows-1252, as browsers do).  UTF-8 text that holds mojibake (UTF-8 read as a
    legacy encoding and saved again, as in ``Ã©``) is repaired by ftfy, which only
    changes text it is confident about; ``encoding`` then ends in
    ``+mojibake-repaired``.  Latin-1 and ASCII labels are reported as ``cp1252``.

    Raises ``DecodeError`` for data that looks binary (NUL or other control bytes
    without a UTF-16/32 byte-order mark).
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            try:
                text = content.decode(encoding)
            except UnicodeDecodeError as exc:
                raise DecodeError(f"the file starts with a {encoding} byte-order mark but is not {encoding}: {exc.reason}") from None
            return _NEWLINES.sub("\n", text), encoding.replace("-sig", "")
    reason = _binary_reason(content)
    if reason:
        raise DecodeError(reason)
    labels = [declared] if declared else []
    if is_html:
        found = _META_CHARSET.search(content[:_SAMPLE])
        if found:
            labels.append(found.group(1).decode("ascii", "replace"))
    text = encoding = None
    for label in labels:
        name = _python_name(label.strip().lower())
        if name is None:
            continue
        if name.replace("-", "") == "utf8" or _is_utf8(content):
            # A legacy label on bytes that are valid UTF-8 with multi-byte sequences (an
            # old server default of ISO-8859-1 on a UTF-8 page): legacy text is almost
            # never valid UTF-8 by chance, so the bytes win.
            if _is_utf8(content) or _utf8_share(content) >= _MIN_DECLARED_UTF8_SHARE:
                text, encoding = _utf8(content)
                break
            continue  # labelled UTF-8 but hardly any valid UTF-8 in it: try the next label, then detection
        try:
            text, encoding = content.decode(name), name
            break
        except (UnicodeError, LookupError):  # the label lies, or names a codec that cannot decode
            continue
    if text is None:
        text, encoding = _undeclared(content)
    if not text.isascii() and _MOJIBAKE_HINT.search(text):
        fixed = repair_mojibake(text)
        if fixed != text:
            text, encoding = fixed, encoding + "+mojibake-repaired"
    return _NEWLINES.sub("\n", text), encoding


def repair_mojibake(text: str) -> str:
    """``text`` with ftfy's encoding repair applied to each line that shows mojibake
    (a lead character of a UTF-8 sequence read as Windows-1252, followed by one of its
    continuation characters, where ftfy's badness test agrees); other lines unchanged.

    Line by line, as ftfy's own ``fix_text`` works: a page with one mangled line among
    a hundred kilobytes pays for that line only (ftfy over the whole page took 10 to
    50 ms), and a clean line is never re-read because another line was mangled."""
    lines = text.split("\n")
    changed = False
    for k, line in enumerate(lines):
        if _MOJIBAKE_HINT.search(line) and is_bad(line):
            fixed = ftfy.fix_encoding(line)
            if fixed != line:
                lines[k], changed = fixed, True
    return "\n".join(lines) if changed else text


def _utf8(content: bytes) -> tuple[str, str]:
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return content.decode("utf-8", errors="cleanwire-cp1252"), "utf-8+cp1252"


def _is_utf8(content: bytes) -> bool:
    """Whether ``content`` is valid UTF-8 holding at least one multi-byte sequence."""
    if _MULTIBYTE_UTF8.search(content) is None:
        return False
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# A page labelled UTF-8 is read as UTF-8 with stray bytes when at least this share of
# its bytes above ASCII form valid UTF-8 sequences; below it the label is wrong (a
# Windows-1251 page served as UTF-8 has next to none).
_MIN_DECLARED_UTF8_SHARE = 0.1


def _utf8_share(content: bytes) -> float:
    """The share of the bytes above ASCII that form valid UTF-8 sequences."""
    high = len(_HIGH_BYTE.findall(content))
    return sum(map(len, _MULTIBYTE_UTF8.findall(content))) / high if high else 1.0


def _mostly_utf8(content: bytes) -> bool:
    """Whether most of the bytes above ASCII form valid UTF-8 sequences (UTF-8 with a
    few stray single bytes, not a legacy encoding)."""
    return len(_MULTIBYTE_UTF8.findall(content)) * 4 >= len(_HIGH_BYTE.findall(content))


def _undeclared(content: bytes) -> tuple[str, str]:
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    # Read leniently once: valid UTF-8 sequences as UTF-8, other bytes as Windows-1252.
    lenient = content.decode("utf-8", errors="cleanwire-cp1252")
    if _mostly_utf8(content):
        return lenient, "utf-8+cp1252"  # mostly valid UTF-8 with a few stray single bytes
    western = lenient  # hardly any valid UTF-8 sequence: this is a Windows-1252 reading
    if _plausibly_western(western[: 4 * _SAMPLE]):  # the prefix detection would read
        return western, "cp1252"
    matches = from_bytes(content[: 4 * _SAMPLE], cp_isolation=_WEB_LEGACY)
    best = matches.best()
    name = _python_name(best.encoding) if best is not None else None
    # Where detection cannot tell code pages apart (a short French text reads as well
    # in Windows-1250 as in Windows-1252: same chaos, same coherence), Windows-1252 wins,
    # as in a browser.
    tied = [m for m in matches if best is not None and (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    if name is None or "cp1252" in {_python_name(m.encoding) for m in tied}:
        return western, "cp1252"
    try:
        guessed = content.decode(name)
    except UnicodeDecodeError:  # detection looked at a prefix only
        guessed = content.decode(name, errors="replace")
    # Short Western texts are often guessed as a sibling code page that reads them
    # the same way; say Windows-1252 then, as a browser would.
    return (western, "cp1252") if guessed == western else (guessed, name)


def _plausibly_western(text: str) -> bool:
    """Whether a Windows-1252 reading is plainly a Western text with a few accented
    letters, which detection cannot place: no C1 control character (bytes 1252 leaves
    undefined), no symbol such as ``³``, ``¹`` or ``¿`` between two letters or after a
    word (``g³ówny``, ``powiedzia³`` are Polish read in the wrong code page; ``m³`` is
    a unit), and at most ``_MAX_ACCENTED_SHARE`` of the letters accented.  On such texts
    charset-normalizer's scores for sibling code pages differ by noise, and English with
    curly quotes came out as a Baltic or DOS code page; texts with more accented letters
    are left to its language models."""
    if _C1_OR_SYMBOL_IN_WORD.search(text):
        return False
    letters = sum(ch.isalpha() for ch in text)
    return sum(ch.isalpha() for ch in _NON_ASCII.findall(text)) <= _MAX_ACCENTED_SHARE * letters
