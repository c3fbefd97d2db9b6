"""Boilerplate removal for plain scraped text (no markup left).

A page dumped to text is a sequence of blocks (lines): navigation and chrome, then the
headline, a date line, the article, and after it tag lines, share buttons, comment
forms and site furniture.  ``extract_article`` scores every block for how much it reads
like article prose, takes the best-scoring contiguous run of blocks as the body, cuts
it where an end-of-article marker appears, and drops chrome lines inside it.  Short
lines inside the body (subheadings, one-line quotes) are kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from cleanwire.text.metadata import looks_like_title, parse_date_line
from cleanwire.text.normalize import normalize_text

__all__ = ["Extraction", "block_score", "extract_article"]

_STOPWORDS = frozenset(
    """a an the and or but if of at by for with about against between into through during before
    after above below to from up down in out on off over under again further then once here there
    when where why how all any both each few more most other some such no nor not only own same so
    than too very can will just should now is are was were be been being have has had having do
    does did would could he she it they we you i his her its their our your him them us this that
    these those who whom which what said says also as
    der die das und oder aber wenn von zu mit auf für ist sind war waren ein eine einer eines nicht
    sich auch es er sie wir ihr dem den des im am an bei nach aus wie noch nur so dass hat haben
    wird werden wurde um über vor
    le la les et ou mais de des du un une est sont était dans pour par sur avec ne pas que qui il
    elle ils elles nous vous au aux ce cette ces se sa son ses leur plus
    el los las y o pero del en por para con no que es son fue una unos unas su sus al lo como más
    il lo gli e ma di da con non che è sono della delle nel per una
    o os as e mas do da dos das em no na com não que é são um uma para""".split()
)
_WORD = re.compile(r"\w+")
_SEPARATOR = re.compile(r"(?:^|\s)[|·•»›/]\s|\s[|·•»›]$")
_CHROME = re.compile(
    r"\b(?:log ?in|sign ?in|sign ?up|signup|register|subscribe|subscription|newsletter|"
    r"cookies?|privacy|terms of (?:use|service)|all rights reserved|copyright|"
    r"follow us|share (?:this|on)|click here|read more|load more|view all|"
    r"please (?:enter|provide|select|log|sign)|your (?:name|email|comment)|create (?:an? )?(?:account|profile)|"
    r"username|password|advertis\w*|sponsored|"
    r"anmelden|abonnieren|datenschutz|impressum|teilen|kommentar\w*|"
    r"connexion|s'abonner|abonnez|partager|mentions légales|"
    r"iniciar sesión|suscríbete|compartir|política de privacidad)\b",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"^\(?(?:file|photo|image|picture|foto|bild|credit)s?\)?\s*[:(]|\((?:file|shutterstock|getty images?|afp|ap|reuters|epa)\)",
    re.IGNORECASE,
)
# Lines that mark the end of the article: what follows is tags, comments or furniture.
_END_OF_ARTICLE = re.compile(
    r"^(?:read more on|more on|tags?|topics?|filed under|related(?: articles| stories| posts| news)?|"
    r"comments?|\d+ comments?|leave a (?:comment|reply)|join the conversation|comment on this story|"
    r"please enter your comment|you (?:may|might) also like|recommended(?: for you)?|more from|"
    r"share this(?: article| story)?|schlagworte|themen|kommentare|verwandte artikel|"
    r"commentaires|articles? (?:liés|similaires)|comentarios|noticias relacionadas)\b",
    re.IGNORECASE,
)

# Block scores: positive reads like article prose, negative like page chrome.
CHROME_SCORE = -4.0


def _words(line: str) -> list[str]:
    return _WORD.findall(line.lower())


def block_score(line: str) -> float:
    """Score one block: > 0 reads like article prose, < 0 like page chrome.

    Prose: several words, sentence punctuation, a normal share of function words.
    Chrome: menu separators, calls to action, cookie and legal language, photo
    credits.  Short lines without sentence punctuation (headings, labels) score
    slightly negative, so they stay in the body only when prose surrounds them.
    """
    words = _words(line)
    if not words:
        return -1.0
    if _SEPARATOR.search(line) or _CREDIT.search(line):
        return CHROME_SCORE
    n = len(words)
    stop_ratio = sum(w in _STOPWORDS for w in words) / n
    ends_sentence = line.rstrip("\"'”’»)").endswith((".", "!", "?", "…"))
    chrome = _CHROME.search(line) is not None
    if chrome and n < 25:
        return CHROME_SCORE
    if n >= 8 and stop_ratio >= 0.15:
        return min(n / 10.0, 4.0) if ends_sentence else min(n / 20.0, 2.0)
    if n >= 8:
        return 0.2
    return -0.3 if not ends_sentence else -0.1


@dataclass(frozen=True)
class Extraction:
    """The result of cleaning one document."""

    paragraphs: list[str]
    removed: list[str]
    title: str | None = None
    published: datetime | None = None
    url: str | None = None
    notes: dict[str, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The article text, paragraphs separated by a blank line."""
        return "\n\n".join(self.paragraphs)


def _best_run(scores: list[float]) -> tuple[int, int]:
    """Indices ``[i, j)`` of the contiguous run with the largest score sum."""
    best, best_range = 0.0, (0, 0)
    total, start = 0.0, 0
    for k, score in enumerate(scores):
        if total <= 0:
            total, start = 0.0, k
        total += score
        if total > best:
            best, best_range = total, (start, k + 1)
    return best_range


def extract_article(raw: str, is_known_boilerplate: Callable[[str], bool] | None = None) -> Extraction:
    """Split scraped text into title, date, article paragraphs and removed lines.

    ``raw`` is the page text, one block per line.  ``is_known_boilerplate`` marks lines
    already known to be boilerplate (for instance lines that recur across many pages of
    the same site); they are removed wherever they are.  The headline is the first
    block if it reads like a headline and not like chrome; the publication date comes
    from a date line among the first blocks.  Removed lines are returned in page order,
    for audit.
    """
    blocks = [line for line in normalize_text(raw).split("\n") if line]
    title = None
    published = None
    metadata_lines: set[int] = set()
    if blocks and looks_like_title(blocks[0]) and block_score(blocks[0]) > CHROME_SCORE:
        title = blocks[0]
        metadata_lines.add(0)
    for k, line in enumerate(blocks[:8]):
        if k not in metadata_lines and (date := parse_date_line(line)) is not None:
            published = date
            metadata_lines.add(k)
            break
    known = is_known_boilerplate or (lambda _: False)
    scores = [
        -1.0 if k in metadata_lines else CHROME_SCORE if known(line) else block_score(line)
        for k, line in enumerate(blocks)
    ]
    first, last = _best_run(scores)
    for k in range(first + 1, last):
        if _END_OF_ARTICLE.match(blocks[k]):
            last = k
            break
    paragraphs, removed = [], []
    for k, line in enumerate(blocks):
        if k in metadata_lines:
            continue
        if first <= k < last and scores[k] > CHROME_SCORE:
            paragraphs.append(line)
        else:
            removed.append(line)
    return Extraction(paragraphs=paragraphs, removed=removed, title=title, published=published)
