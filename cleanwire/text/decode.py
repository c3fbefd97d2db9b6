"""Turn the bytes of an input into text, and say which encoding was used."""

from __future__ import annotations

import codecs
import re

__all__ = ["DecodeError", "decode"]

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
]
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_UTF8_NAMES = frozenset({"utf-8", "utf8"})


_BYTE_CHARS = [bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256)]


def _cp1252_byte(error: UnicodeDecodeError) -> tuple[str, int]:
    """Codec error handler: read the offending bytes as Windows-1252 (Latin-1 for the
    five bytes it leaves undefined)."""
    return "".join(_BYTE_CHARS[byte] for byte in error.object[error.start:error.end]), error.end


codecs.register_error("cleanwire-cp1252", _cp1252_byte)


class DecodeError(ValueError):
    """The bytes are not text in any encoding cleanwire could identify."""


def _looks_binary(content: bytes) -> bool:
    sample = content[:4096]
    return b"\0" in sample


def decode(content: bytes, is_html: bool = False) -> tuple[str, str]:
    """Return ``(text, encoding)`` for ``content``.

    Order: a byte-order mark; for HTML a charset declared in a ``<meta>`` tag other
    than UTF-8; UTF-8, where a byte that is not part of a valid UTF-8 sequence is read
    as Windows-1252 (pages that declare UTF-8 often hold a few stray Latin-1 bytes, and
    a legacy Western page has almost no valid multi-byte UTF-8 sequences, so it comes
    out as Windows-1252 throughout).  Raises ``DecodeError`` for data that looks binary (NUL bytes without a
    UTF-16/32 byte-order mark).
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return content.decode(encoding), encoding.replace("-sig", "")
    if _looks_binary(content):
        raise DecodeError("the file holds binary data (NUL bytes), not text")
    if is_html:
        declared = _META_CHARSET.search(content[:4096])
        if declared:
            name = declared.group(1).decode("ascii", "replace").lower()
            if name in _UTF8_NAMES:
                return _utf8(content)
            try:
                return content.decode(name), codecs.lookup(name).name
            except (LookupError, UnicodeDecodeError):
                pass
    return _utf8(content)


def _utf8(content: bytes) -> tuple[str, str]:
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return content.decode("utf-8", errors="cleanwire-cp1252"), "utf-8+cp1252"
