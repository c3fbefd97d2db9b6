"""A smoke test of the boilerplate benchmark on a development set made of the repository's
own test pages (the real development set lives outside the repository)."""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import trafilatura

from benchmarks.boilerplate import heldout, load_pages, main, score
from cleanwire.boilerplate.html import visible_blocks

DATA = Path(__file__).resolve().parent / "data"


def _devdata(root: Path) -> Path:
    """Two pages in the development set's layout: the wire story (HTML and its text dump)
    and a Coastal Herald story (its text dump, and that text as paragraphs of HTML)."""
    for name in ("html", "text"):
        (root / name).mkdir(parents=True)
    html = (DATA / "wire_story.html").read_text(encoding="utf-8")
    story = (DATA / "coastalherald" / "story2.txt").read_text(encoding="utf-8")
    pages = [
        (html, "\n".join(visible_blocks(trafilatura.load_html(html))),
         ["all six container cranes were back in service", "cleared the backlog of refrigerated containers"],
         ["We use cookies to improve your experience.", "Storm closes port for three days", "Privacy policy"]),
        ("<html><body>" + "".join(f"<p>{line}</p>" for line in story.splitlines()) + "</body></html>", story,
         ["ending a dispute that had lasted almost two years", "limits night sailings"],
         ["Share this article", "© 2024 The Coastal Herald"]),
    ]
    labels = []
    for k, (page_html, text, with_, without) in enumerate(pages):
        (root / "html" / f"{k:04d}.html.gz").write_bytes(gzip.compress(page_html.encode("utf-8")))
        (root / "text" / f"{k:04d}.txt").write_text(text, encoding="utf-8")
        labels.append({"id": f"{k:04d}", "url": "", "lang": "en" if k == 0 else "de", "with": with_, "without": without})
    (root / "labels.jsonl").write_text("".join(json.dumps(label) + "\n" for label in labels), encoding="utf-8")
    return root


def test_scoring_follows_the_development_sets_rule():
    pages = [{"group": "en", "with": ["a  b", "missing"], "without": ["x", "gone"]}]
    table = score(pages, ["a\nb and x"])
    assert table["en"]["with"] == (1, 2) and table["en"]["without"] == (1, 2)
    assert table["all"]["mean"] == 0.5
    assert [heldout(f"{k:04d}") for k in range(4)] == [True, False, False, True]


def test_benchmark_prints_every_method_and_the_timings(tmp_path: Path, capsys):
    devdata = _devdata(tmp_path / "devdata")
    assert [p["id"] for p in load_pages(devdata, "train")] == ["0001"]
    main([str(devdata)])
    out = capsys.readouterr().out
    rows = {}
    for line in out.splitlines():
        if line.startswith("| ") and not line.startswith("| method"):
            method, group, pages, with_recall, without_rejection, _mean = (cell.strip() for cell in line.split("|")[1:7])
            rows[method, group] = (int(pages), with_recall.split()[1], without_rejection.split()[1])
    assert {method for method, _ in rows} == {"cleanwire text mode", "cleanwire HTML mode", "trafilatura alone", "keep everything"}
    assert rows["keep everything", "en"] == (1, "(2/2)", "(0/3)") and rows["keep everything", "other"] == (1, "(2/2)", "(0/2)")
    # The article paragraphs are kept in both modes and the related links, footer and share
    # line dropped; on the wire story's markup the HTML mode also drops the cookie banner.
    assert rows["cleanwire text mode", "all"][1] == "(4/4)" and int(rows["cleanwire text mode", "all"][2][1]) >= 4
    assert rows["cleanwire HTML mode", "en"][1:] == ("(2/2)", "(3/3)") and rows["cleanwire HTML mode", "all"][1] == "(4/4)"
    assert "ms per 5 KB" in out and "of trafilatura alone" in out


def test_measure_reports_the_peak_of_the_process_tree_and_of_the_command_alone():
    from benchmarks.procmon import measure

    child = "import time; data = b'x' * (300 << 20); time.sleep(1.5)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    measured = measure([sys.executable, "-c", parent])
    assert measured.returncode == 0
    assert measured.peak_rss_mb >= 300  # the child's 300 MB count in the tree's sum
    assert measured.peak_main_rss_mb < 150  # but not in the command's own process
