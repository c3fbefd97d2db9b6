from datetime import datetime, timezone

from cleanwire.boilerplate.features import line_hashes
from cleanwire.boilerplate.text import KEPT, METADATA, REMOVED, extract_article, extract_articles
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
