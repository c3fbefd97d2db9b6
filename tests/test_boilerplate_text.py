from datetime import datetime, timezone

import numpy as np

from cleanwire.boilerplate.features import FEATURE_NAMES, block_features, line_hashes
from cleanwire.boilerplate.model import load_model
from cleanwire.boilerplate.text import KEPT, METADATA, REMOVED, extract_article, extract_articles, fill_gaps
from tests.seedcheck import norm

PROSE = [
    "The regional council approved the new budget for the county hospital on Tuesday after a debate that "
    "lasted most of the afternoon. The plan adds two operating theatres and a children's ward by 2026.",
    "Opposition members said the plan would leave the rural clinics without enough nurses next winter, "
    "when the number of patients is usually at its highest, and asked for the vote to be postponed.",
    "The health minister promised to review staffing levels before the end of the year. \"We will not "
    "close a single clinic while I am in this office,\" she told reporters outside the council building.",
    "Local doctors welcomed the extra money but warned that waiting lists were still growing, and that "
    "new theatres would stand empty unless the hospital could hire the surgeons and nurses to run them.",
]
MENU = ["Home", "News", "Sport", "Business", "Weather", "Contact us"]
FOOTER = ["Share on Facebook", "Share on Twitter", "Related articles", "© 2024 Example Media. All rights reserved.",
          "Privacy policy", "Cookie settings"]


def test_seed_articles_are_cleaned_as_expected(seed_paths, seed_expectations):
    for path in seed_paths:
        expected = seed_expectations["documents"][path.name]
        lines = path.read_text(encoding="utf-8").split("\n")
        result = extract_article("\n".join(lines))
        text = norm(result.text)
        lo, hi = expected["body_lines"]
        for line in lines[lo - 1:hi]:
            assert norm(line) in text, line
        for number in expected["boilerplate_lines"]:
            assert norm(lines[number - 1]) not in text, lines[number - 1]
        assert norm(result.title) == norm(expected["title"])
        if expected["published"]:
            assert result.published == datetime.fromisoformat(expected["published"]).replace(tzinfo=timezone.utc)
        else:
            assert result.published is None


def test_removed_lines_are_reported_in_page_order(seed_paths):
    result = extract_article(seed_paths[1].read_text(encoding="utf-8"))
    assert result.removed[:3] == [
        "(File) (Shutterstock)",
        "Multimedia · User Galleries · News in Pictures Send us your pictures · Send us your stories",
        "Read more on: isis | iraq | syria | security",
    ]
    assert result.removed[-1].startswith("Log in with Facebook")
    # Every line is accounted for exactly once: article, boilerplate or metadata.
    assert len(result.lines) == len(result.status) == len(result.hashes)
    assert len(result.paragraphs) + len(result.removed) + result.status.count(METADATA) == len(result.lines)


def test_paragraphs_are_separated_by_a_blank_line():
    result = extract_article("\n\n".join(PROSE))
    assert result.text.split("\n\n") == result.paragraphs == PROSE


def test_navigation_and_footer_go_and_a_subheading_in_the_body_stays():
    raw = "\n".join([*MENU, PROSE[0], PROSE[1], "Doctors are worried", PROSE[2], PROSE[3], *FOOTER])
    result = extract_article(raw)
    assert result.paragraphs == [PROSE[0], PROSE[1], "Doctors are worried", PROSE[2], PROSE[3]]
    assert result.removed == MENU + FOOTER


def test_page_title_with_site_name_gives_the_headline_as_title():
    raw = "\n".join(["Hospital budget approved | Example News", *MENU, "Hospital budget approved",
                     "Published: 12 March 2024 09:30", *PROSE, *FOOTER])
    result = extract_article(raw)
    assert result.title == "Hospital budget approved"
    assert result.published == datetime(2024, 3, 12, 9, 30, tzinfo=timezone.utc)
    assert result.paragraphs == PROSE
    assert result.lines[0] in result.removed
    assert [result.status[k] for k in (len(MENU) + 1, len(MENU) + 2)] == [METADATA, METADATA]


def test_recurring_lines_are_removed_even_when_they_read_like_prose():
    plug = "Our newsroom brings you the stories that matter to you every single day of the year."
    raw = "\n".join([PROSE[0], plug, PROSE[1], PROSE[2]])
    assert plug in extract_article(raw).paragraphs
    result = extract_article(raw, recurring=frozenset(line_hashes([plug]).tolist()))
    assert plug not in result.paragraphs and plug in result.removed
    assert result.paragraphs == PROSE[:3]


def test_without_moves_kept_recurring_lines_to_the_removed_ones():
    result = extract_article("\n".join(PROSE))
    trimmed = result.without(frozenset(line_hashes([PROSE[1]]).tolist()))
    assert trimmed.paragraphs == [PROSE[0], PROSE[2], PROSE[3]] and trimmed.removed == [PROSE[1]]
    assert trimmed.status == (KEPT, REMOVED, KEPT, KEPT)
    assert result.without(frozenset()) is result


def test_text_of_only_chrome_gives_no_paragraphs():
    result = extract_article("Log in\nSign up\nPrivacy policy\nCookie settings")
    assert result.paragraphs == []
    assert result.removed == ["Log in", "Sign up", "Privacy policy", "Cookie settings"]
    assert extract_article(" \n\n").lines == ()


def test_a_page_is_cleaned_the_same_alone_and_in_a_batch(seed_paths):
    raws = [path.read_text(encoding="utf-8") for path in seed_paths] + ["", "\n".join(PROSE), "Log in\nSign up"]
    for alone, batched in zip((extract_article(raw) for raw in raws), extract_articles(raws)):
        assert (alone.lines, alone.status, alone.title, alone.published) == (
            batched.lines, batched.status, batched.title, batched.published)
        assert alone.hashes.tolist() == batched.hashes.tolist()


def _gaps(scores, starts=None, cue_rows=(), cue="cta_short"):
    scores = np.array(scores, dtype=float)
    features = np.zeros((scores.size, len(FEATURE_NAMES)))
    features[list(cue_rows), FEATURE_NAMES.index(cue)] = 1
    starts = np.array([0, scores.size] if starts is None else starts)
    keep = scores > 0.25
    filled = fill_gaps(keep, scores, features, starts)
    assert keep.tolist() == (scores > 0.25).tolist()  # the input is not changed
    return filled.tolist()


def test_fill_gaps_keeps_short_lines_between_clearly_article_blocks():
    # Two sure article blocks with three doubtful lines between them: all kept.
    assert _gaps([3.0, -1.5, -0.5, 0.1, 2.0]) == [True] * 5
    # Nothing is filled before the first or after the last sure block.
    assert _gaps([-1.0, 3.0, -1.0, 2.0, -1.0]) == [False, True, True, True, False]
    # A kept block that is not clearly article (0.5) anchors nothing.
    assert _gaps([3.0, -1.0, 0.5, -1.0]) == [True, False, True, False]


def test_fill_gaps_leaves_gaps_with_chrome_or_too_long():
    # A line scoring at or below the floor (-2.0) blocks the whole gap.
    assert _gaps([3.0, -1.0, -2.0, -1.0, 3.0]) == [True, False, False, False, True]
    # So does a short line naming an action, or an end-of-article heading.
    assert _gaps([3.0, -1.0, -1.0, 3.0], cue_rows=[2]) == [True, False, False, True]
    assert _gaps([3.0, -1.0, 3.0], cue_rows=[1], cue="end_marker") == [True, False, True]
    # Eight lines between two sure blocks are filled, nine are not.
    assert _gaps([3.0] + [-1.0] * 8 + [3.0]) == [True] * 10
    assert _gaps([3.0] + [-1.0] * 9 + [3.0]) == [True] + [False] * 9 + [True]


def test_fill_gaps_does_not_cross_pages():
    assert _gaps([3.0, -1.0, 3.0, -1.0, 3.0], starts=[0, 2, 5]) == [True, False, True, True, True]
    assert _gaps([], starts=[0, 0]) == []


def test_a_list_inside_the_article_stays_and_share_buttons_inside_it_go():
    items = ["Surgeons", "Nurses", "Cleaners"]  # alone, one-word lines read like a menu
    blocks = [*MENU, PROSE[0], PROSE[1], *items, PROSE[2], PROSE[3], *FOOTER]
    model = load_model()
    scores = model.scores(block_features([blocks]))
    assert (scores[len(MENU) + 2:len(MENU) + 5] <= model.threshold).any()  # the classifier alone would lose an item
    assert extract_article("\n".join(blocks)).paragraphs == [PROSE[0], PROSE[1], *items, PROSE[2], PROSE[3]]
    buttons = ["Share on Facebook", "Share on Twitter"]
    result = extract_article("\n".join([*MENU, PROSE[0], PROSE[1], *buttons, PROSE[2], PROSE[3], *FOOTER]))
    assert result.paragraphs == PROSE and set(buttons) <= set(result.removed)


def test_a_page_of_chrome_with_a_sentence_long_legal_footer_keeps_nothing():
    # The footer is long and ends like a sentence, so the page looks as if it lost its
    # prose; judged alone the footer is still chrome, and stays removed.
    footer = "© Copyright 2024. All rights reserved. Terms. Privacy. Cookies. Accessibility. Sitemap. Contact us. Advertise."
    assert len(footer.split()) >= 10 and footer.endswith(".")
    result = extract_article("\n".join(["Log in", "Sign up", footer, "Privacy policy", "Cookie settings"]))
    assert result.paragraphs == [] and footer in result.removed


def test_a_lynx_dump_loses_its_link_list_and_markers_and_keeps_the_article(seed_paths):
    # tests/data/lynx_dump.txt: `lynx -dump` of the first seed article set in a page
    # with a menu, a search form, links in its paragraphs and a footer of links.
    import re
    from pathlib import Path

    from cleanwire.text.layout import prepare_plain_text

    dump = (Path(__file__).parent / "data" / "lynx_dump.txt").read_text(encoding="utf-8")
    from_dump = extract_article(prepare_plain_text(dump, 20_000))
    from_seed = extract_article(seed_paths[0].read_text(encoding="utf-8"))
    kept = set(from_dump.paragraphs)
    # Every article paragraph of the seed comes back word for word (one truncated
    # paragraph ends without a full stop, so its wrapped lines stay apart).
    assert sum(paragraph in kept for paragraph in from_seed.paragraphs) >= len(from_seed.paragraphs) - 1
    assert not any(re.search(r"\[\d+\]", paragraph) for paragraph in from_dump.paragraphs)
    assert "References" in from_dump.removed
    assert [line for line in from_dump.removed if "https://" in line] == [
        line.strip() for line in dump.splitlines() if "https://" in line]


def test_split_link_list_takes_only_a_text_browsers_list_of_bare_urls():
    from cleanwire.text.layout import split_link_list

    page = ["Menu [1]Home [2]World", "The minister said [3]the plan [2023] would pass.", "References",
            "Visible links:", "1. https://x.org/", "2. https://x.org/world",
            "3. https://x.org/share?text=The plan passes", "Hidden links:", "4. mailto:desk@x.org"]
    body, links = split_link_list(page)
    assert body == ["Menu Home World", "The minister said the plan [2023] would pass."]  # [2023] is no marker
    assert links == page[2:]  # a URL may hold spaces: lynx prints query strings as they are
    # Older lynx has no "Visible links:"; its markers glued to the links' text show it is lynx.
    older = ["Read [1]the report.", "References", "1. https://x.org/report"]
    assert split_link_list(older) == (["Read the report."], older[1:])
    # An article's own sources: citations not glued to a word, no sub-headings: left alone.
    cited = ["Emissions will fall over the next decade [1].", "A study [2] published in May agrees.", "References",
             "1. https://council.example.gov/plan", "2. https://doi.org/10.1000/182"]
    assert split_link_list(cited) == (cited, [])
    wiki = ["Lost a third since 1990.[1][2] The loss goes on.", "Seen from satellites.[3]", "References",
            *[f"{k}. https://example.org/{k}" for k in (1, 2, 3)]]
    assert split_link_list(wiki) == (wiki, [])
    # lynx numbers every link, but lists some in a form that is no target ("1. \"https:..."):
    # markers up to the highest listed number all go.
    skipped = ["See [1]this and [12]that.", "References", "Visible links:", '1. "https://a.org/"',
               *[f"{k}. https://b.org/{k}" for k in range(2, 13)]]
    assert split_link_list(skipped)[0] == ["See this and that."]
    scholarly = ["Results were mixed.", "References", "1. Shear NH, Spielberg SP. Anticonvulsant hypersensitivity. 1988."]
    assert split_link_list(scholarly) == (scholarly, [])


def test_the_no_article_text_message_says_what_the_page_held():
    from cleanwire.clean import extract_documents
    from cleanwire.model import RawDocument

    def error(content: bytes, format: str) -> str:
        return extract_documents([RawDocument(uri="/a", source="s", format=format, content=content)])[0].error

    assert "only a title or a date line ('Two words')" in error(b"Two words", "text")
    assert "no text at all" in error(b"<html><body><script>var x;</script></body></html>", "html")
    assert "all 3 text blocks look like page chrome" in error(b"Sign in\nSubscribe\nPrivacy policy", "text")


def test_a_dump_that_does_not_start_with_the_page_title_takes_the_headline_above_the_article():
    # A text browser's dump: link markup first, a menu, then headline, byline, date, body.
    for first, byline in (("IFRAME: https://www.googletagmanager.com/ns.html", "By Jane Doe"),
                          ("____________________ Search (BUTTON)", "Written by [14]Jane Doe"),
                          ("* [1]Home [2]World", "Posted on 22 May 2015 by Jane Doe"),
                          ("#alternate alternate", "By Jane Doe")):  # lynx's line of the page's <link>s
        raw = "\n".join([first, *MENU, "Harbour cranes return to work after the storm", byline, "22 May 2015 15:26", *PROSE])
        result = extract_article(raw)
        assert result.title == "Harbour cranes return to work after the storm", first
        assert result.published == datetime(2015, 5, 22, 15, 26, tzinfo=timezone.utc)
        assert result.paragraphs == PROSE
    # A page title that happens to start with a hashtag, hold underscores, a year in
    # brackets or start with "Written" is still one.
    for title in ("#RieslingBirthday posts win a case of wine", "What to put in __init__.py files",
                  "The 25 best laptops [2024]", "Written in the Stars returns to the stage"):
        assert extract_article("\n".join([title, *PROSE])).title == title
