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


class DecodeError(ValueError):
    """The bytes are not text in any encoding cleanwire could identify."""


def _looks_binary(content: bytes) -> bool:
    sample = content[:4096]
    return b"\0" in sample


def decode(content: bytes, is_html: bool = False) -> tuple[str, str]:
    """Return ``(text, encoding)`` for ``content``.

    Order: a byte-order mark; for HTML a charset declared in a ``<meta>`` tag; UTF-8;
    then Windows-1252 (which maps every byte, the usual encoding of legacy Western
    pages).  Raises ``DecodeError`` for data that looks binary (NUL bytes without a
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
            try:
                return content.decode(name), codecs.lookup(name).name
            except (LookupError, UnicodeDecodeError):
                pass
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace"), "cp1252"
