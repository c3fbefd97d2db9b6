"""The layout of plain text as the block classifier reads it: hard-wrapped lines joined
back into paragraphs, over-long lines broken.  Pure functions of a string."""

from __future__ import annotations

import re

__all__ = ["prepare_plain_text", "split_link_list", "unwrap_hard_wrapped", "wrap_long_lines"]


def prepare_plain_text(text: str, max_line_chars: int) -> str:
    """A plain-text page as the block classifier reads it: hard-wrapped lines joined into
    paragraphs (``unwrap_hard_wrapped``), then lines longer than ``max_line_chars`` broken
    at a space (``wrap_long_lines``)."""
    return wrap_long_lines(unwrap_hard_wrapped(text), max_line_chars)


def wrap_long_lines(text: str, max_chars: int) -> str:
    """Break every line longer than ``max_chars`` at the last space before the limit
    (or at the limit when there is none), so no line exceeds it.  No character other
    than the replaced space is lost."""
    if max_chars < 1 or all(len(line) <= max_chars for line in text.split("\n")):
        return text
    out = []
    for line in text.split("\n"):
        while len(line) > max_chars:
            cut = line.rfind(" ", 0, max_chars + 1)
            if cut <= 0:
                out.append(line[:max_chars])
                line = line[max_chars:]
            else:
                out.append(line[:cut])
                line = line[cut + 1:]
        out.append(line)
    return "\n".join(out)


# A text is taken as hard-wrapped when 98 % of its prose lines (three words or more: not
# a link list's URLs) fit in a width in this range and at least a tenth of them come
# within 15 characters of it (full-page dumps are mostly short chrome lines, so the share
# is low; unwrapped dumps have longer paragraph lines).
_WRAP_WIDTHS = (40, 110)
_NEAR_WIDTH = 15
_NEAR_SHARE = 0.1
_MIN_WRAPPED_LINES = 8
# A run of lines that would be joined is wrapped prose only if this share of its
# continuation lines starts in lower case (a break falls mid-sentence; a list of
# headlines near the width starts every line with a capital; German prose, with its
# capitalised nouns, has a third to a half).
_MIN_LOWER_SHARE = 0.25
_OWN_VERDICT = 4  # continuations a run needs to be judged by its share; a shorter one must end a sentence
_LINE_PREFIX = re.compile(r"\s*(?:>\s*)*")  # indentation and mail quote marks
_LIST_ITEM = re.compile(r"\s*(?:[-*+\u2022\u25aa\u00b7]|\d{1,3}[.)]|[a-zA-Z][.)])\s")
# A table row: a run of spaces after a word or number (two spaces after a full stop or a
# closing quote are a typing habit, not a column), a tab, a pipe; or a CSV row.
_ALIGNED = re.compile(r"[^\s.?!:;,\"'*\u201d\u2019)] {2,}\S|\t|\|")
_CSV_SEPARATOR = re.compile(r"[,;](?=[^\s\d])")  # prose puts a space after a comma; numbers (1,234) do not count
_WORD = re.compile(r"[^\W_]")
_ENDS_SENTENCE = re.compile(r"[.!?:\u2026][\"'\u201c\u201d\u2018\u2019\u00ab\u00bb\u2039\u203a)\]]*\s*$")


def unwrap_hard_wrapped(text: str) -> str:
    """Join the lines of a text hard-wrapped at a fixed width (``lynx -dump``, ``w3m``,
    mail and text exports at 72 to 80 columns) back into paragraphs; any other text is
    returned unchanged.

    A line continues the one before it when its first word would not have fitted on
    that line within the width (that is why the wrapper broke there), both carry the
    same indentation and mail quote marks (``> ``, dropped from the continuation), the
    continuation is not a list item (an item's own wrapped lines may join it), and
    neither is a table row (runs of spaces after a word, tabs, ``|``).  A run of such
    continuations is joined only if enough of them start in lower case, as breaks in
    prose do, so a list of headlines is left alone; a run of fewer than ``_OWN_VERDICT``
    joins only if it ends a sentence, as a paragraph does (a headline and its byline, a
    caption and its credit, a short list do not).  A line that starts with a link or a
    label (``HOST:``, ``Photograph:``) never continues another, nor does one that follows
    a line running well past the width.  Without this, an article wrapped at
    72 columns reads as a column of short lines, which the block classifier takes for
    chrome: about a fifth of its text was lost."""
    lines = text.split("\n")
    lengths = sorted(len(line.rstrip()) for line in lines if len(line.split()) >= 3)
    if len(lengths) < _MIN_WRAPPED_LINES:
        return text
    width = lengths[int(0.98 * (len(lengths) - 1))]
    if not _WRAP_WIDTHS[0] <= width <= _WRAP_WIDTHS[1]:
        return text
    if sum(n >= width - _NEAR_WIDTH for n in lengths) < _NEAR_SHARE * len(lengths):
        return text
    continues = [k > 0 and _continues(lines[k - 1], line, width) for k, line in enumerate(lines)]
    lower = [line[len(_LINE_PREFIX.match(line).group()):].lstrip()[:1].islower() for line in lines]
    joined = list(continues)
    k = 0
    while k < len(lines):  # decide run by run
        if not continues[k]:
            k += 1
            continue
        end = k
        while end < len(lines) and continues[end]:
            end += 1
        if end - k >= _OWN_VERDICT:  # a paragraph of several lines: prose if enough breaks are mid-sentence
            if sum(lower[k:end]) < _MIN_LOWER_SHARE * (end - k):
                joined[k:end] = [False] * (end - k)
        elif not _ENDS_SENTENCE.search(lines[end - 1]):
            # A few lines that do not end a sentence: a headline and its byline, a
            # caption and its credit, a short list, not the end of a paragraph.
            joined[k:end] = [False] * (end - k)
        k = end
    out: list[str] = []
    for line, join in zip(lines, joined):
        if join:
            out[-1] = out[-1].rstrip() + " " + line[len(_LINE_PREFIX.match(line).group()):].strip()
        else:
            out.append(line)
    return "\n".join(out)


def _continues(previous: str, line: str, width: int) -> bool:
    """Whether ``line`` may be the wrapped continuation of ``previous`` (see
    ``unwrap_hard_wrapped``)."""
    if not _WORD.search(line) or not _WORD.search(previous):  # blank, or a rule of ==== or ----
        return False
    mark, previous_mark = _LINE_PREFIX.match(line).group(), _LINE_PREFIX.match(previous).group()
    item = _LIST_ITEM.match(previous)
    hanging = item is not None and mark == " " * len(item.group())  # "  - item" then "    more of it"
    if (mark != previous_mark and not hanging) or _LIST_ITEM.match(line):
        return False
    if any(_ALIGNED.search(text.strip()) or len(_CSV_SEPARATOR.findall(text)) >= 3 for text in (line, previous)):
        return False
    first = line[len(mark):].split()
    if not first or first[0].startswith(("http://", "https://", "www.")) or first[0].endswith(":"):
        return False  # a link, or a label that starts a block ("HOST:", "Photograph:")
    # A wrapped line does not run past the width (a percentile, so a little is allowed);
    # the next one starts with the word that did not fit on it.
    length = len(previous.rstrip())
    return length <= width + _NEAR_WIDTH and length + 1 + len(first[0]) > width


# A text browser's list of the page's link targets (lynx -dump): under "References",
# "Visible links:" / "Hidden links:" and "  12. https://..." one per line (a URL may hold
# spaces: lynx prints query strings as they are), with the odd bare URL or image-map line.
_LINK_LIST_HEADING = re.compile(r"\s*references\s*$", re.IGNORECASE)
_LINK_TARGET = re.compile(r"\s*(\d{1,5})\.\s+[a-zA-Z][a-zA-Z0-9+.-]*:\S")
_LINK_LIST_PARTS = re.compile(r"\s*(?:visible|hidden) links:?\s*$", re.IGNORECASE)
_LINK_LIST_OTHER = re.compile(r"\s*(?:[a-zA-Z][a-zA-Z0-9+.-]*://\S*|\[USEMAP\])")
_LINK_LIST_SHARE = 0.9  # of the lines under the heading that must be the list's own
# lynx's marker is glued to the link's text ("[12]the", "[13][IMG]"); a citation ("[1].",
# "[2] said", "[1][2]") is not, and stays.
_LINK_MARKER = re.compile(r"\[(\d{1,5})\](?=[^\W_]|\[(?:IMG|INLINE|USEMAP)\])")


def split_link_list(blocks: list[str]) -> tuple[list[str], list[str]]:
    """``(page, link list)``: the page's blocks without the list of link targets that
    ``lynx -dump`` appends to its dump, and that list.

    The list is everything from the last "References" heading on, when nearly all of it
    (``_LINK_LIST_SHARE``) is numbered link targets (``12. https://...``), lynx's
    "Visible links:" / "Hidden links:" or bare URLs, and the page is plainly lynx's:
    the list has those sub-headings, or the page's text carries the markers it numbers,
    glued to the links' text (``[12]the``).  Those markers are then removed from the
    page.  Both matter to the classifier: a list of hundreds of URLs after the article
    moved where the page's body seemed to end, and the markers cut words apart (an
    article snippet no longer matched its sentence).  An article's own list of sources
    under "References" (its citations ``[1]`` are not glued to a word) is left as it is,
    as is any page without a list, with an empty list."""
    heading = next((k for k in range(len(blocks) - 1, -1, -1) if _LINK_LIST_HEADING.match(blocks[k])), -1)
    if heading < 0:
        return list(blocks), []
    tail = blocks[heading + 1:]
    targets = [match for match in map(_LINK_TARGET.match, tail) if match]
    parts = sum(1 for block in tail if _LINK_LIST_PARTS.match(block))
    others = sum(1 for block in tail if not _LINK_TARGET.match(block) and _LINK_LIST_OTHER.match(block))
    if not targets or len(targets) + parts + others < _LINK_LIST_SHARE * len(tail):
        return list(blocks), []
    # lynx numbers every link; the list can skip one (a fragment link) or show one in a
    # form it does not take for a target, so every marker up to the highest goes.
    highest = max(int(match.group(1)) for match in targets)
    page = blocks[:heading]
    marked = any(int(m.group(1)) <= highest for block in page for m in _LINK_MARKER.finditer(block))
    if not parts and not marked:
        return list(blocks), []

    def unmarked(block: str) -> str:
        return _LINK_MARKER.sub(lambda m: "" if int(m.group(1)) <= highest else m.group(), block)

    return [kept for kept in (unmarked(block).strip() for block in page) if kept], list(blocks[heading:])
