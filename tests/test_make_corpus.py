"""The benchmark corpus generator: deterministic, and with real page templates the
generated article replaces the page's own."""

from __future__ import annotations

import shutil
from pathlib import Path

import trafilatura

from benchmarks.make_corpus import generate

DATA = Path(__file__).parent / "data"


def _pages(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.html"))}


def test_template_pages_carry_the_generated_article_in_the_real_chrome(tmp_path: Path):
    templates = tmp_path / "templates"
    templates.mkdir()
    shutil.copy(DATA / "wire_story.html", templates / "story.html")
    generate(12, 5, str(tmp_path / "a"), "html", outlets=3, html_templates=str(templates))
    generate(12, 5, str(tmp_path / "b"), "html", outlets=3, html_templates=str(templates))
    pages = _pages(tmp_path / "a" / "html")
    assert len(pages) == 12 and pages == _pages(tmp_path / "b" / "html")
    for html in pages.values():
        assert "We use cookies to improve your experience" in html  # the template's chrome stays
        assert "all six container cranes" not in html  # its article does not
        assert "2024-03-18" not in html  # nor its date
        article = trafilatura.extract(html)
        assert article and len(article) > 1000 and "cookies" not in article
