"""Lines recurring across a source: the pure functions and the Beam stage, on a source
of six articles that share their site's chrome (tests/data/coastalherald)."""

from __future__ import annotations

import json
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from cleanwire.boilerplate.features import line_hashes
from cleanwire.boilerplate.html import extract_html
from cleanwire.boilerplate.recurring import LineCounts, counted_hashes, page_key
from cleanwire.model import ErrorRecord, RawDocument
from cleanwire.params import CleanParams
from pipelines.clean_dedup import SEEDS_DIR
from tests.beam_check import matches
from cleanwire.clean import extract_document, finish_document
from transforms.recurring import TOTALS, CountRecurringLines, RemoveRecurringLines
from transforms.sources import SOURCES_FILE, SourceTotals

DATA = Path(__file__).resolve().parent / "data"
STORIES = sorted((DATA / "coastalherald").glob("*.txt"))
PLUG = ("The Coastal Herald has reported on the towns of the northern shore since 1887 and is owned by the people "
        "who read it every morning.")
DISCLAIMER = "Opinions expressed by contributors are their own and do not necessarily reflect the views of the paper."
CHROME = [PLUG, DISCLAIMER, "Home", "News", "Business", "Sport", "Weather", "Share this article", "© 2024 The Coastal Herald"]


def _extracted(paths, source="coastalherald"):
    return [extract_document(RawDocument(str(path), source, "text", path.read_bytes())) for path in paths]


def _hashes(lines):
    return frozenset(line_hashes(lines).tolist())


def test_each_page_alone_keeps_the_prose_like_chrome():
    # What the cross-document step is for: on one page the plug reads like prose.
    for doc in _extracted(STORIES):
        assert PLUG in doc.extraction.paragraphs and DISCLAIMER in doc.extraction.paragraphs


def test_min_support_needs_both_a_count_and_a_share():
    params = CleanParams()
    assert params.min_support(1) == params.min_support(6) == 5
    assert params.min_support(1000) == 20 and params.min_support(10_000) == 200
    with pytest.raises(ValueError):
        CleanParams(recurring_min_docs=1)


def test_min_support_is_the_share_of_documents_rounded_up_even_when_the_float_product_is_not_exact():
    # 7 % of 100 documents is 7 documents, though 0.07 * 100 == 7.000000000000001 in floats.
    assert 0.07 * 100 > 7
    params = CleanParams(recurring_min_docs=2, recurring_min_share=0.07)
    assert params.min_support(100) == 7
    assert params.min_support(101) == 8  # 7.07 documents: rounded up
    assert CleanParams(recurring_min_docs=2, recurring_min_share=0.57).min_support(100) == 57  # 56.99999999999999


def test_counted_hashes_are_distinct_sorted_and_skip_lines_without_letters():
    # The story with rule lines of punctuation alone, as scrapes of dividers have.
    raw = STORIES[0].read_bytes() + b"***\n----\n"
    doc = extract_document(RawDocument(str(STORIES[0]), "coastalherald", "text", raw))
    assert "***" in doc.extraction.lines and 0 in doc.extraction.hashes.tolist()  # the page has such lines
    hashes = counted_hashes(doc.extraction).tolist()
    assert hashes == sorted(set(hashes)) and 0 not in hashes
    assert _hashes(CHROME) <= set(hashes)
    # Case, punctuation and numbers do not make two lines different.
    assert _hashes(["SHARE THIS ARTICLE!", "© 2025 The Coastal Herald."]) == _hashes(CHROME[-2:])


def test_line_counts_add_up_pages_and_merge():
    pages = [counted_hashes(doc.extraction) for doc in _extracted(STORIES)]
    one, other = LineCounts(), LineCounts()
    for page in pages[:4]:
        one.add(page)
    for page in pages[4:]:
        other.add(page)
    total = one.merge(other)
    assert (one.pages, other.pages) == (len(pages), len(pages) - 4)
    assert total.at_least(6) >= _hashes([PLUG, DISCLAIMER])
    assert not total.at_least(7)
    expected = {}
    for page in pages:
        for h in page.tolist():
            expected[h] = expected.get(h, 0) + 1
    assert dict(zip(total.compact().hashes.tolist(), total.counts.tolist())) == expected


def test_removing_recurring_lines_keeps_the_other_decisions():
    doc = _extracted([STORIES[0]])[0]
    cleaned = doc.extraction.without(_hashes(CHROME))
    assert PLUG not in cleaned.paragraphs and PLUG in cleaned.removed
    assert cleaned.paragraphs == doc.extraction.paragraphs[:4]
    assert doc.extraction.without(_hashes(["a line that is not on the page"])) is doc.extraction
    page = extract_html((DATA / "wire_story.html").read_text(encoding="utf-8"))
    first = page.paragraphs[0]
    trimmed = page.without(_hashes([first]))
    assert trimmed.paragraphs == page.paragraphs[1:] and first in trimmed.removed


def test_finish_document_reports_removed_lines_and_empty_documents():
    doc = _extracted([STORIES[0]])[0]
    final, dropped = finish_document(doc, _hashes(CHROME))
    assert dropped == 2 and PLUG in final.boilerplate and PLUG not in final.text
    assert final.title == "Harbour cranes return to work after storm" and final.doc_id == doc.doc_id
    error, _ = finish_document(doc, _hashes(doc.extraction.paragraphs))
    assert isinstance(error, ErrorRecord) and (error.stage, error.error_class) == ("recurring", "NoArticleText")


def test_count_recurring_lines_finds_the_sites_chrome_and_no_article_line():
    docs = _extracted(STORIES) + _extracted(sorted(SEEDS_DIR.glob("*.txt")), source="wire")
    article = {line for doc in docs[:6] for line in doc.extraction.paragraphs} - set(CHROME)

    def check(found):
        assert [source for source, _ in found] == ["coastalherald"]
        hashes = found[0][1]
        assert _hashes(CHROME) <= hashes
        assert not hashes & _hashes(sorted(article))

    with TestPipeline() as p:
        assert_that(p | beam.Create(docs) | CountRecurringLines(CleanParams()), matches(check))


def test_lines_of_too_few_documents_do_not_recur():
    with TestPipeline() as p:
        found = p | beam.Create(_extracted(STORIES[:4])) | CountRecurringLines(CleanParams())
        assert_that(found, equal_to([]))


def test_copies_of_one_page_count_once_so_its_article_survives():
    # One story scraped five times (and the six stories once each): the copies are one page.
    copies = [extract_document(RawDocument(f"{STORIES[0]}#{k}", "coastalherald", "text", STORIES[0].read_bytes()))
              for k in range(5)]
    assert len({page_key(doc.extraction) for doc in copies}) == 1
    assert page_key(copies[0].extraction) != page_key(_extracted(STORIES[1:2])[0].extraction)
    # Re-crawls keep the article and change the chrome around it: they are copies too.
    story = STORIES[0].read_text(encoding="utf-8")
    recrawls = [extract_document(RawDocument(f"{STORIES[0]}?crawl={k}", "coastalherald", "text",
                                             f"{story}\nMost read: Harbour board names {name} as its new chair\n".encode()))
                for k, name in enumerate(("Ann Lee", "Bo Ruiz", "Cy Park", "Di Moss", "Ed Wren"))]
    assert len({page_key(doc.extraction) for doc in recrawls}) == 1
    with TestPipeline() as p:
        result = p | "Copies" >> beam.Create(copies) | "Alone" >> RemoveRecurringLines(CleanParams())
        again = p | "Recrawls" >> beam.Create(recrawls) | "Recrawled" >> RemoveRecurringLines(CleanParams())
        assert_that(again["errors"], equal_to([]), label="recrawl errors")
        assert_that(result["documents"] | beam.Map(lambda d: PLUG in d.text), equal_to([True] * 5), label="kept")
        assert_that(result["errors"], equal_to([]), label="errors")
        # With the other stories the site's chrome still recurs (six distinct pages), the article's lines do not.
        mixed = p | "Mixed" >> beam.Create(copies + _extracted(STORIES[1:])) | "Together" >> RemoveRecurringLines(CleanParams())
        assert_that(mixed["documents"] | beam.Map(lambda d: (PLUG in d.text, bool(d.text))), equal_to([(False, True)] * 10),
                    label="mixed")


def test_remove_recurring_lines_cleans_every_document_of_the_source(tmp_path: Path):
    docs = _extracted(STORIES)
    with TestPipeline() as p:
        result = p | beam.Create(docs) | RemoveRecurringLines(CleanParams())
        texts = result["documents"] | beam.Map(lambda d: (PLUG in d.text, DISCLAIMER in d.text, PLUG in d.boilerplate))
        assert_that(texts, equal_to([(False, False, True)] * 6), label="documents")
        assert_that(result["errors"], equal_to([]), label="errors")
        {"totals": result[TOTALS], "recurring": result["recurring"]} | SourceTotals(str(tmp_path))
    written = json.loads((tmp_path / SOURCES_FILE).read_text())
    totals = written["listed"]
    assert written["count"] == 1 and list(totals) == ["coastalherald"]
    entry = totals["coastalherald"]
    assert entry["documents"] == 6 and entry["recurring_lines_removed"] == 12
    assert entry["recurring_lines"] >= len(CHROME)
    assert entry["removed_lines"] == 6 * (len(CHROME) + 1)  # the chrome and the page title of each


def test_source_totals_list_the_largest_sources_and_count_them_all(tmp_path: Path):
    # Four sources of 3, 2, 1 and 1 documents; three are listed: of the two tied, the first by name.
    totals = [(source, (1, 2, 10, 0)) for source, n in (("a", 1), ("b", 3), ("c", 2), ("d", 1)) for _ in range(n)]
    with TestPipeline() as p:
        written = {"totals": p | "Totals" >> beam.Create(totals), "recurring": p | "Recurring" >> beam.Create([("b", frozenset({1, 2}))])} \
            | SourceTotals(str(tmp_path), max_listed=3)
        assert_that(written, equal_to([4]))
    manifest_part = json.loads((tmp_path / SOURCES_FILE).read_text())
    assert manifest_part["count"] == 4 and list(manifest_part["listed"]) == ["a", "b", "c"]
    assert manifest_part["listed"]["b"] == {"documents": 3, "removed_lines": 6, "removed_chars": 30, "recurring_lines": 2,
                                            "recurring_lines_removed": 0}


def test_which_copy_of_a_page_counts_does_not_depend_on_the_order_copies_arrive_in():
    from itertools import permutations

    from transforms.recurring import _first_page

    # Re-crawls of one story with different chrome: the copy with the smallest doc_id counts.
    story = STORIES[0].read_text(encoding="utf-8")
    copies = [extract_document(RawDocument(f"{STORIES[0]}?crawl={k}", "coastalherald", "text",
                                           f"{story}\nMost read: {name} wins the regatta\n".encode()))
              for k, name in enumerate(("Ann Lee", "Bo Ruiz", "Cy Park"))]
    pages = [(doc.doc_id, counted_hashes(doc.extraction)) for doc in copies]
    first = min(pages, key=lambda page: page[0])
    for order in permutations(pages):
        chosen = _first_page(list(order))
        assert chosen[0] == first[0] and chosen[1].tolist() == first[1].tolist()
