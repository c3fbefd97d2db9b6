import re
import unicodedata

import numpy as np

from cleanwire.text.tokens import index_text, match_tokens


def _reference_tokens(text: str) -> list[str]:
    """Tokens by the documented definition, one character at a time."""
    tokens, current = [], []
    for char in text:
        word = ord(char) < 0x10000 and (unicodedata.category(char)[0] in "LNM" or char == "_")
        if word:
            low = char.lower()
            current.append(low if len(low) == 1 else char)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


def test_tokens_follow_the_definition_on_mixed_scripts():
    text = "Syria’s “IS” group — Straße, ÉCOLE 2015-05-22; Москва 北京 ١٢٣ naïve e\u0301 😀 done_ok"
    assert match_tokens(text) == _reference_tokens(text)


def test_offsets_point_at_the_tokens():
    text = "  Hello, world!  Ça va?"
    index = index_text(text)
    assert [text[a:b] for a, b in zip(index.starts, index.ends)] == ["Hello", "world", "Ça", "va"]


def test_curly_and_straight_apostrophes_give_the_same_hashes():
    assert np.array_equal(index_text("Syria’s caliphate").hashes, index_text("SYRIA'S Caliphate").hashes)


def test_equal_tokens_hash_equally_wherever_they_are():
    index = index_text("alpha beta alpha gamma beta")
    h = index.hashes
    assert h[0] == h[2] and h[1] == h[4] and len(set(h.tolist())) == 3


def test_long_texts_hash_like_short_ones():
    word = "reproducible"
    long_text = ("lorem ipsum " * 20000) + word  # more than one hashing chunk
    assert index_text(long_text).hashes[-1] == index_text(word).hashes[0]
    assert len(index_text(long_text)) == 40001


def test_marks_are_located():
    text = "Hi. “Yes!” he said\nnext。"
    index = index_text(text)
    assert [text[i] for i in index.end_marks] == [".", "!"]
    assert [text[i] for i in index.quote_marks] == ["“", "”"]
    assert index.newlines.tolist() == [text.index("\n")]
    assert [text[i] for i in index.cjk_end_marks] == ["。"]


def test_count_and_token_range():
    text = "one two three four"
    index = index_text(text)
    assert index.count(0, len(text)) == 4
    assert index.count(4, 13) == 2  # "two three"
    assert index.token_range(4, 13) == (1, 3)
    assert index.count(5, 13) == 1  # "wo" is cut: only "three" lies wholly inside


def test_empty_and_wordless_text():
    assert len(index_text("")) == 0
    assert len(index_text(" ... !!! ")) == 0
    assert match_tokens("—") == []


def test_regex_and_numpy_tokenisers_agree_on_punctuation_heavy_text():
    text = "a.b,c;d:e!f?g\"h'i(j)k[l]m{n}o<p>q/r\\s|t·u»v«w“x”y‘z’"
    assert match_tokens(text) == re.findall(r"[a-z]", text)
