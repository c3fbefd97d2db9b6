"""Word tokens for matching, found and hashed with numpy over a text's code points.

This is the one definition of a matching token in cleanwire:

* a *word character* is a character of the Basic Multilingual Plane whose Unicode
  category is L (letter), N (number) or M (combining mark), or ``_``; characters beyond
  the BMP (emoji, rare historic scripts) are not word characters;
* a *token* is a maximal run of word characters, lower-cased character by character.

So punctuation, quote marks and apostrophes never belong to a token: ``Syria’s`` and
``Syria's`` both give ``syria``, ``s``.  ``index_text`` works on the whole text in a few
numpy calls (no Python object per token) and also records where the characters that
segmentation looks at (sentence-ending punctuation, quote marks, line breaks) are.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

__all__ = ["TextIndex", "fmix64", "index_text", "match_tokens"]

_BMP = 0x10000
_NON_WORD = 0
# Character classes besides words, used to find candidate positions for segmentation.
_OTHER, _END, _CJK_END, _QUOTE = 0, 1, 2, 3
_END_CHARS = ".!?…"
_CJK_END_CHARS = "。！？"
QUOTE_CHARS = "“”„«»‹›‘’‚\"「」『』"

_BASE = 0x100000001B3  # odd, so invertible modulo 2**64
_MASK64 = (1 << 64) - 1
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_LENGTH_SALT = np.uint64(0x9E3779B97F4A7C15)
_CHUNK = 1 << 16  # texts are hashed in chunks of at most this many characters


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray]:
    """``folded[c]``: lower-cased code of word character ``c``, 0 for other characters;
    ``marks[c]``: the segmentation class of ``c``."""
    folded = np.zeros(_BMP, dtype=np.uint32)
    for code in range(_BMP):
        char = chr(code)
        if unicodedata.category(char)[0] in "LNM" or char == "_":
            low = char.lower()
            folded[code] = ord(low) if len(low) == 1 else code
    marks = np.full(_BMP, _OTHER, dtype=np.uint8)
    for chars, cls in ((_END_CHARS, _END), (_CJK_END_CHARS, _CJK_END), (QUOTE_CHARS, _QUOTE)):
        marks[[ord(c) for c in chars]] = cls
    return folded, marks


@lru_cache(maxsize=1)
def _powers() -> tuple[np.ndarray, np.ndarray]:
    """``_BASE**i`` and its inverse modulo 2**64 for ``i`` in ``[0, _CHUNK]``."""
    inverse = pow(_BASE, -1, 1 << 64)
    forward, backward = [1] * (_CHUNK + 1), [1] * (_CHUNK + 1)
    for i in range(1, _CHUNK + 1):
        forward[i] = forward[i - 1] * _BASE & _MASK64
        backward[i] = backward[i - 1] * inverse & _MASK64
    return np.array(forward, dtype=np.uint64), np.array(backward, dtype=np.uint64)


def fmix64(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser, element-wise on a uint64 array (a bijection)."""
    with np.errstate(over="ignore"):
        h = values ^ (values >> np.uint64(33))
        h = h * _M1
        h = h ^ (h >> np.uint64(33))
        h = h * _M2
        return h ^ (h >> np.uint64(33))


@dataclass(frozen=True)
class TextIndex:
    """Tokens of a text and the positions of the characters segmentation looks at.

    ``starts``/``ends``: character range of each token; ``hashes``: 64-bit hash of each
    lower-cased token (equal tokens, equal hashes, in every process and run);
    ``end_marks``: positions of ``.!?…``; ``cjk_end_marks``: of ``。！？``;
    ``quote_marks``: of quotation marks and apostrophes; ``newlines``: of ``\\n``.
    """

    starts: np.ndarray
    ends: np.ndarray
    hashes: np.ndarray
    end_marks: np.ndarray
    cjk_end_marks: np.ndarray
    quote_marks: np.ndarray
    newlines: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    @cached_property
    def _bounds(self) -> tuple[list[int], list[int]]:
        return self.starts.tolist(), self.ends.tolist()

    def count(self, start: int, end: int) -> int:
        """Number of tokens lying wholly inside ``[start, end)``."""
        starts, ends = self._bounds
        return max(0, bisect.bisect_right(ends, end) - bisect.bisect_left(starts, start))

    def token_range(self, start: int, end: int) -> tuple[int, int]:
        """Indices ``[i, j)`` of the tokens lying wholly inside ``[start, end)``."""
        starts, ends = self._bounds
        i = bisect.bisect_left(starts, start)
        return i, max(i, bisect.bisect_right(ends, end))


def _hash_chunk(folded: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Hash tokens ``[starts, ends)`` of ``folded`` (len <= _CHUNK) with a polynomial
    hash made position-independent by the modular inverse of the base."""
    forward, backward = _powers()
    with np.errstate(over="ignore"):
        prefix = np.zeros(folded.size + 1, dtype=np.uint64)
        np.cumsum(folded.astype(np.uint64) * forward[: folded.size], out=prefix[1:])
        sums = (prefix[ends] - prefix[starts]) * backward[starts]
        return fmix64(sums ^ ((ends - starts).astype(np.uint64) * _LENGTH_SALT))


def index_text(text: str) -> TextIndex:
    """Tokenise and hash ``text`` and locate its segmentation marks (see ``TextIndex``)."""
    folded_table, marks_table = _tables()
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    clipped = np.minimum(codes, _BMP - 1)  # U+FFFF is a non-character: no word, no mark
    folded = folded_table[clipped]
    is_word = folded != _NON_WORD
    edges = np.flatnonzero(is_word[1:] != is_word[:-1]) + 1
    if is_word.size and is_word[0]:
        edges = np.concatenate(([0], edges))
    if is_word.size and is_word[-1]:
        edges = np.concatenate((edges, [is_word.size]))
    starts, ends = edges[0::2].astype(np.int64), edges[1::2].astype(np.int64)
    hashes = np.empty(starts.size, dtype=np.uint64)
    # Hash in chunks cut between tokens so the power tables stay small.
    first = 0
    while first < starts.size:
        offset = starts[first]
        last = int(np.searchsorted(ends, offset + _CHUNK, side="right"))
        last = max(last, first + 1)
        if ends[last - 1] - offset > _CHUNK:  # one token longer than a chunk
            hashes[first] = _hash_chunk(folded[offset: offset + _CHUNK], np.array([0]), np.array([_CHUNK]))[0]
            first += 1
            continue
        stop = ends[last - 1]
        hashes[first:last] = _hash_chunk(folded[offset:stop], starts[first:last] - offset, ends[first:last] - offset)
        first = last
    classes = marks_table[clipped]
    return TextIndex(
        starts=starts,
        ends=ends,
        hashes=hashes,
        end_marks=np.flatnonzero(classes == _END),
        cjk_end_marks=np.flatnonzero(classes == _CJK_END),
        quote_marks=np.flatnonzero(classes == _QUOTE),
        newlines=np.flatnonzero(codes == 10),
    )


def match_tokens(text: str) -> list[str]:
    """Return the tokens of ``text`` as lower-cased strings (the tokens ``index_text`` hashes)."""
    folded_table, _ = _tables()
    index = index_text(text)
    return [
        "".join(chr(folded_table[ord(c)]) for c in text[a:b])
        for a, b in zip(index.starts.tolist(), index.ends.tolist())
    ]
