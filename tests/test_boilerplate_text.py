from datetime import datetime, timezone

from cleanwire.boilerplate.text import CHROME_SCORE, block_score, extract_article
from tests.seedcheck import norm


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


def test_paragraphs_are_separated_by_a_blank_line():
    raw = "Headline of the story here\n\nFirst paragraph of the article has a good number of words in it.\nSecond paragraph, which is also written as article prose with words."
    result = extract_article(raw)
    assert result.text.split("\n\n") == result.paragraphs
    assert len(result.paragraphs) == 2


def test_subheadings_inside_the_body_are_kept():
    prose = "This sentence is written like article prose, with plenty of ordinary words in it."
    raw = "\n".join(["Menu · Home · News", prose, prose, "A short subheading", prose, prose, "Share on Facebook"])
    result = extract_article(raw)
    assert "A short subheading" in result.paragraphs
    assert "Menu · Home · News" in result.removed and "Share on Facebook" in result.removed


def test_known_boilerplate_is_removed_even_when_it_reads_like_prose():
    prose = "This sentence is written like article prose, with plenty of ordinary words in it."
    plug = "Our newsroom brings you the stories that matter to you every single day of the year."
    result = extract_article("\n".join([prose, plug, prose]), is_known_boilerplate=lambda line: line == plug)
    assert plug not in result.paragraphs and plug in result.removed


def test_block_scores():
    assert block_score("Multimedia · User Galleries · News in Pictures") == CHROME_SCORE
    assert block_score("Please enter your comment!") == CHROME_SCORE
    assert block_score("(File) (Shutterstock)") == CHROME_SCORE
    assert block_score("The jihadists did not immediately post pictures of the heritage site with its tombs.") > 0
    assert -1 < block_score("At least 17 killed") < 0


def test_text_of_only_chrome_gives_no_paragraphs():
    result = extract_article("Log in\nSign up\nPrivacy policy\nCookie settings")
    assert result.paragraphs == []
    assert len(result.removed) == 4
