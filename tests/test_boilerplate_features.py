"""The block features, the classifier's context and the HTML helpers, as pure functions."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np
import pytest
import trafilatura

from cleanwire.boilerplate.features import FEATURE_NAMES, block_features, line_hashes, page_bounds, window_mean
from cleanwire.boilerplate.html import (
    KEPT, MAX_DEPTH, METADATA, REMOVED, PageTooDeep, extract_html, extract_html_pages, merge_lines, page_metadata, visible_blocks,
)
from cleanwire.boilerplate.model import (
    CONTEXT_NAMES, LEXICON_UNIT, NEVER_RIGHT, WEIGHTS, BlockModel, Lexicon, TreeEnsemble, best_run, context_features,
    load_model,
)

DATA = Path(__file__).resolve().parent / "data"
PAGE = [
    "Budget approved | Example News",
    "Home · News · Sport",
    "Budget approved",
    "The council approved the budget on Tuesday, after a debate that lasted all afternoon.",
    "Sign in to comment",
    "Privacy policy",
    "Home · News · Sport",
]


def _column(table, name):
    return table.features[:, FEATURE_NAMES.index(name)]


def test_block_features_measure_words_sentences_cues_and_structure():
    table = block_features([PAGE])
    assert table.features.shape == (len(PAGE), len(FEATURE_NAMES))
    assert np.expm1(_column(table, "log_words")).round().tolist() == [4, 3, 2, 14, 4, 2, 3]
    assert _column(table, "ends_sentence").tolist() == [0, 0, 0, 1, 0, 0, 0]
    assert _column(table, "separators").tolist() == [1, 1, 0, 0, 0, 0, 1]
    assert _column(table, "stop_ratio")[3] == pytest.approx(7 / 14)  # the, the, on, after, a, that, all
    assert _column(table, "cta_short").tolist() == [0, 0, 0, 0, 1, 0, 0]
    assert _column(table, "legal_short").tolist() == [0, 0, 0, 0, 0, 1, 0]
    assert _column(table, "repeated").tolist() == [0, 1, 0, 0, 0, 0, 1]
    assert table.headlines == (2,) and _column(table, "before_headline").tolist() == [1, 1, 0, 0, 0, 0, 0]
    assert _column(table, "position")[[0, -1]].tolist() == [0.0, 1.0]


def test_a_page_measures_the_same_alone_and_in_a_batch():
    other = ["Weather", "Rain is expected across the north of the country for most of the week, forecasters said."]
    batch = block_features([other, PAGE, [], ["One line"]])
    assert batch.starts.tolist() == [0, 2, 9, 9, 10] and batch.headlines == (-1, 2, -1, -1)
    for k, page in enumerate([other, PAGE, [], ["One line"]]):
        alone = block_features([page])
        assert np.array_equal(alone.features, batch.features[batch.page(k)])
        assert np.array_equal(alone.hashes, batch.hashes[batch.page(k)])
        assert np.array_equal(load_model().lexicon.scores(alone), load_model().lexicon.scores(batch)[batch.page(k)])


def test_word_keys_hash_every_folded_word_and_each_first_word_again():
    table = block_features([["Sign in · Über 2024", "Home"]])
    words = {0: [b"sign", b"in", "Über".encode(), b"0000"], 1: [b"home"]}  # ASCII lower-cased, digits as 0
    expected = [(row, zlib.crc32(word)) for row, found in words.items() for word in found]
    expected += [(row, zlib.crc32(found[0], 1)) for row, found in words.items()]
    assert sorted(zip(table.word_rows.tolist(), table.word_keys.tolist())) == sorted(expected)


def test_the_lexicon_counts_each_distinct_bucket_of_a_block_once():
    table = block_features([["Sign in, sign in", "News"], [":-)"]])
    lexicon = Lexicon(-1.0, np.arange(8.0))  # 8 buckets, each weighing its own number
    buckets = [
        {zlib.crc32(b"sign") % 8, zlib.crc32(b"in") % 8, zlib.crc32(b"sign", 1) % 8},
        {zlib.crc32(b"news") % 8, zlib.crc32(b"news", 1) % 8},
    ]
    expected = [-1.0 + sum(found) / np.sqrt(len(found)) for found in buckets] + [-1.0]  # no words: the intercept
    assert lexicon.scores(table) == pytest.approx(expected, abs=1e-12)


def test_the_lexicon_round_trips_through_json():
    weights = np.zeros(1 << 10)
    weights[[3, 4, 700, 1023]] = np.array([12, -5, 30_000, -1]) * LEXICON_UNIT
    lexicon = Lexicon(-0.5, weights)
    again = Lexicon.from_json(json.loads(json.dumps(lexicon.to_json())))
    assert again.intercept == -0.5 and np.array_equal(again.weights, weights)


def test_the_shipped_lexicon_reads_the_seeds_chrome_as_chrome(seed_paths, seed_expectations):
    lexicon = load_model().lexicon
    for path in seed_paths:
        lines = path.read_text(encoding="utf-8").split("\n")
        expected = seed_expectations["documents"][path.name]
        lo, hi = expected["body_lines"]
        body = lexicon.scores(block_features([[line for line in lines[lo - 1:hi] if line.strip()]]))
        chrome = lexicon.scores(block_features([[lines[number - 1] for number in expected["boilerplate_lines"]]]))
        assert body.mean() > chrome.mean() + 2, path.name
        assert np.median(body) > 0 > np.median(chrome), path.name


def test_line_hashes_ignore_case_punctuation_and_digits():
    hashes = line_hashes(["Read more: 3 comments", "READ MORE 7 comments!", "Read less 3 comments", "***", "Über uns"])
    assert hashes[0] == hashes[1] != hashes[2]
    assert hashes[3] == 0 and hashes[4] != 0
    assert line_hashes([]).size == 0


def test_window_mean_stays_inside_each_page():
    low, high = page_bounds(np.array([0, 3, 5]))
    assert low.tolist() == [0, 0, 0, 3, 3] and high.tolist() == [2, 2, 2, 4, 4]
    means = window_mean(np.array([1.0, 2.0, 3.0, 10.0, 20.0]), 2, low, high)
    assert means.tolist() == [2.5, 2.0, 1.5, 20.0, 10.0]


def test_best_run_finds_the_largest_sum():
    assert best_run(np.array([-1.0, 2.0, -1.0, 2.0, -5.0, 1.0])) == (1, 4)
    assert best_run(np.array([-1.0, -2.0])) == (0, 0)


def test_context_sees_the_article_around_each_block():
    features = block_features([PAGE]).features
    first = np.array([-3.5, -4.0, -0.5, 2.5, -4.0, -4.0, -4.0])
    context = context_features(features, first)
    assert context.shape == (len(PAGE), len(CONTEXT_NAMES))
    column = {name: context[:, k] for k, name in enumerate(CONTEXT_NAMES)}
    assert column["article_above"].tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert column["article_below"].tolist() == [1, 1, 1, 0, 0, 0, 0]
    assert column["in_main_run"].tolist() == [0, 0, 0, 1, 0, 0, 0]
    assert column["log_chrome_above"][6] == pytest.approx(np.log1p(2))  # two sure-chrome lines since the article
    assert column["article_mass_before"][4] > 0.9 and column["article_mass_after"][2] > 0.9


def test_weights_for_other_features_are_refused(tmp_path: Path):
    data = json.loads(WEIGHTS.read_text())
    data["features"] = data["features"][:-1]
    stale = tmp_path / "weights.json"
    stale.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="train_boilerplate"):
        BlockModel.from_json(stale)


def test_trees_follow_their_splits_and_round_trip_through_json():
    # Tree 0: feature 0 <= 1 goes left, then feature 1 <= 5 (left) or a leaf (right).
    # Tree 1: a single leaf, padded with splits that send everything left.
    trees = TreeEnsemble(
        base=0.5, depth=2,
        feature=np.array([[0, 1, 0], [0, 0, 0]]),
        threshold=np.array([[1.0, 5.0, NEVER_RIGHT], [NEVER_RIGHT] * 3]),
        value=np.array([[1.0, 2.0, 3.0, 3.0], [-1.0, -1.0, -1.0, -1.0]]),
    )
    rows = np.array([[0.0, 0.0], [1.0, 6.0], [2.0, 0.0], [2.0, 9.0]])
    assert trees.predict(rows).tolist() == [0.5, 1.5, 2.5, 2.5]
    again = TreeEnsemble.from_json(json.loads(json.dumps(trees.to_json())))
    assert again.predict(rows).tolist() == trees.predict(rows).tolist()


def test_the_shipped_model_scores_a_page_the_same_alone_and_in_a_batch():
    other = ["Weather", "Rain is expected across the north of the country for most of the week, forecasters said."]
    batch = block_features([other, PAGE])
    scores = load_model().scores(batch)
    assert np.array_equal(scores[batch.page(1)], load_model().scores(block_features([PAGE])))


def test_visible_blocks_split_at_block_elements_and_skip_scripts():
    tree = trafilatura.load_html(
        "<html><body><p>One <a href='#'>linked</a> line<script>var x;</script> goes on</p>"
        "<ul><li>Home</li><li>News</li></ul>tail text<br>after break</body></html>"
    )
    assert visible_blocks(tree) == ["One linked line goes on", "Home", "News", "tail text", "after break"]


def test_merge_lines_places_paragraphs_in_page_order():
    visible = ["Home", "Title", "First paragraph.", "Ad", "Second paragraph.", "Footer"]
    lines, status = merge_lines(visible, ["First paragraph.", "Second paragraph.", "Not on the page."], "Title")
    assert lines == ["Home", "Title", "First paragraph.", "Ad", "Second paragraph.", "Not on the page.", "Footer"]
    assert status == [REMOVED, METADATA, KEPT, REMOVED, KEPT, KEPT, REMOVED]


def test_page_metadata_reads_title_url_and_date():
    tree = trafilatura.load_html((DATA / "wire_story.html").read_text(encoding="utf-8"))
    title, url, published = page_metadata(tree)
    assert title.startswith("Harbour cranes return to work after storm")
    assert url == "https://www.coastalherald.example/news/harbour-cranes-return"
    assert str(published)[:10] == "2024-03-18"


def test_a_page_dated_after_today_keeps_its_date_whatever_the_day_of_the_run():
    # htmldate's default drops dates after today (local time): a page dated later this
    # month became the 1st, one dated next year had none, and the output changed with
    # the day and the time zone of the run.
    page = (DATA / "wire_story.html").read_text(encoding="utf-8").replace("2024-03-18", "2150-06-17")
    assert "2150-06-17" in page
    _, _, published = page_metadata(trafilatura.load_html(page))
    assert str(published)[:10] == "2150-06-17"


def test_html_pages_extracted_in_a_batch_are_extracted_as_one_by_one():
    data = Path(__file__).resolve().parent / "data"
    pages = [((data / "wire_story.html").read_text(), "https://www.coastalherald.example/news/harbour-cranes-return")]
    pages += [(path.read_bytes().decode("cp1252"), None) for path in sorted((data / "bad").glob("*.html"))]
    pages.append(("<html><body><p>" + " ".join(["word"] * 40) + ".</p></body></html>", None))
    batch = extract_html_pages(pages)
    assert len(batch) == len(pages)
    for (html, url), together in zip(pages, batch):
        alone = extract_html(html, url)
        assert (together.lines, together.status, together.title, together.url) == (alone.lines, alone.status, alone.title, alone.url)
        assert np.array_equal(together.hashes, alone.hashes)
    assert KEPT in batch[0].status and REMOVED in batch[0].status


def test_an_html_pages_headline_and_date_line_are_metadata_not_boilerplate():
    body = "".join(f"<p>Paragraph {k}: the council approved the harbour budget after a long debate on Tuesday.</p>"
                   for k in range(6))
    page = ("<html><head><title>Harbour budget approved | Coastal Herald</title>"
            '<meta property="article:published_time" content="2024-03-18T09:00:00Z"></head><body>'
            "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
            f"<div class='header'><h1>Harbour budget approved</h1><div class='date'>18 March 2024</div></div>"
            f"<article>{body}</article><div class='related'>Related: 12 March 2024</div></body></html>")
    result = extract_html(page)
    metadata = [line for line, state in zip(result.lines, result.status) if state == METADATA]
    assert "Harbour budget approved" in metadata and "18 March 2024" in metadata
    assert "Harbour budget approved" not in result.removed and "18 March 2024" not in result.removed
    assert any("12 March 2024" in line for line in result.removed)  # another day's date stays boilerplate


@pytest.mark.parametrize("fragment", [
    "<p>One short paragraph of an article about the council vote on the new bridge, which passed on Monday.</p>",
    "<div><p>One short paragraph of an article about the council vote on the new bridge, which passed on Monday.</p></div>",
])
def test_an_article_body_without_a_page_around_it_keeps_its_text(fragment):
    # Scraper exports often hold the body alone; trafilatura takes one block for "not HTML".
    extraction = extract_html(fragment, "https://example.org/bridge")
    assert extraction.paragraphs == ["One short paragraph of an article about the council vote on the new bridge, "
                                     "which passed on Monday."]


def _nested_story(depth: int, closed: bool) -> str:
    paragraphs = "".join(f"<div><p>Paragraph {k} of the story: the council approved the budget for the new bridge "
                         "on Tuesday after a long debate.</p>" for k in range(depth))
    return ("<!DOCTYPE html><html><head><title>Budget</title></head><body><article>" + paragraphs
            + ("</div>" * depth if closed else "") + "</article></body></html>")


@pytest.mark.parametrize("depth, closed", [(400, False), (1500, True)])
def test_a_page_nested_deeper_than_libxml2s_default_keeps_all_its_text(depth, closed):
    # 256 levels is libxml2's default limit: a page of unclosed <div>s lost every
    # paragraph past it, without an error.
    kept = [line for line in extract_html(_nested_story(depth, closed)).paragraphs if line.startswith("Paragraph")]
    assert len(kept) == depth


def test_a_page_nested_deeper_than_the_parser_reads_is_refused_not_cut_short():
    with pytest.raises(PageTooDeep, match=f"more than {MAX_DEPTH} levels"):
        extract_html(_nested_story(MAX_DEPTH + 100, closed=True))
    results = extract_html_pages([(_nested_story(MAX_DEPTH + 100, closed=True), None), (_nested_story(3, True), None)])
    assert isinstance(results[0], PageTooDeep) and len(results[1].paragraphs) == 3


def test_review_drops_kept_lines_scored_below_the_drop_score_only():
    from cleanwire.boilerplate.html import DROP_SCORE, _reviewed

    status = [KEPT, KEPT, KEPT, KEPT]
    scores = np.array([DROP_SCORE - 0.01, DROP_SCORE, 0.0, -20.0])
    assert _reviewed(status, scores) == [REMOVED, KEPT, KEPT, REMOVED]


def test_review_rescues_removed_lines_only_within_the_rescue_distance_of_the_kept_ones():
    from cleanwire.boilerplate.html import RESCUE_DISTANCE, RESCUE_SCORE, _reviewed

    assert RESCUE_DISTANCE == 2  # the layout below is written for it
    # lines 0-3 removed, 4-5 kept, 6-9 removed; every removed line scored as sure article
    status = [REMOVED] * 4 + [KEPT] * 2 + [REMOVED] * 4
    scores = np.full(len(status), RESCUE_SCORE + 1.0)
    assert _reviewed(status, scores) == [REMOVED, REMOVED, KEPT, KEPT, KEPT, KEPT, KEPT, KEPT, REMOVED, REMOVED]
    scores[[3, 6]] = RESCUE_SCORE  # not above the rescue score: stays removed
    assert _reviewed(status, scores) == [REMOVED, REMOVED, KEPT, REMOVED, KEPT, KEPT, REMOVED, KEPT, REMOVED, REMOVED]
    assert _reviewed([REMOVED, METADATA], np.array([9.0, 9.0])) == [REMOVED, METADATA]  # nothing kept: left as it is


def test_merge_lines_leaves_out_blocks_that_the_article_text_covers():
    # trafilatura joins a paragraph the page splits into two blocks (at a <br>): the two
    # blocks are part of the article, neither kept twice nor listed as removed.
    visible = ["Home", "Lead paragraph.", "The first half of a paragraph", "and its second half.", "Footer"]
    paragraphs = ["Lead paragraph.", "The first half of a paragraph and its second half."]
    lines, status = merge_lines(visible, paragraphs, None)
    assert lines == ["Home", "Lead paragraph.", "The first half of a paragraph and its second half.", "Footer"]
    assert status == [REMOVED, KEPT, KEPT, REMOVED]


def test_merge_lines_places_a_repeated_paragraph_on_each_of_its_blocks():
    visible = ["Home", "Same line here.", "Middle block.", "Same line here.", "Footer"]
    lines, status = merge_lines(visible, ["Same line here.", "Same line here."], None)
    assert lines == visible
    assert status == [REMOVED, KEPT, REMOVED, KEPT, REMOVED]


def test_a_paragraph_ending_in_a_closing_quote_after_its_full_stop_ends_a_sentence():
    page = [
        'The minister said the plan was "a disgrace."',
        "The minister said the plan was “a disgrace.”",
        "The minister said the plan was ‘a disgrace.’",
        'Read our guide to "The Best Budget Apps"',
        "A sentence with no closing mark at all",
        "A plain sentence.",
    ]
    assert _column(block_features([page]), "ends_sentence").tolist() == [1, 1, 1, 0, 0, 1]
