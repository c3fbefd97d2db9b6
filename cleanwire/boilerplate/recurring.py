"""Lines that recur across the pages of a source: site chrome even when it reads like prose.

A newsletter plug, a standard disclaimer or a tag line can look like article prose on
one page; on every page of the site it is plainly boilerplate.  The pipeline counts,
per source, how many documents contain each line (``counted_hashes`` gives a page's
contribution); lines with enough support (``CleanParams``) are removed from every
document of the source (``apply_recurring``).
"""

from __future__ import annotations

from typing import AbstractSet

from cleanwire.boilerplate.text import KEPT, Extraction, extract_article

__all__ = ["apply_recurring", "counted_hashes"]


def counted_hashes(extraction: Extraction) -> list[int]:
    """The distinct line hashes of a page, sorted, 0 (no letters) left out.

    Every line counts, kept or removed: a line's support is the number of documents
    that show it, whatever each page's classifier made of it."""
    return sorted(set(extraction.hashes.tolist()) - {0})


def apply_recurring(extraction: Extraction, recurring: AbstractSet[int], format: str) -> Extraction:
    """``extraction`` with the lines whose hash is in ``recurring`` removed.

    Plain text is classified again with those lines known (``extract_article``), so
    its neighbours see them as the chrome they are; HTML keeps trafilatura's decision
    for the other lines.  Pages without a kept recurring line come back unchanged."""
    if not recurring or not any(
        status == KEPT and value in recurring for status, value in zip(extraction.status, extraction.hashes.tolist())
    ):
        return extraction
    if format == "text":
        again = extract_article("\n".join(extraction.lines), recurring)
        return again if again.lines == extraction.lines else extraction.without(recurring)
    return extraction.without(recurring)
