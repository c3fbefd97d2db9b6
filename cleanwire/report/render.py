"""The report page: ``ReportData`` to one self-contained HTML document.

f-strings and ``html.escape`` rather than a template engine: the page is a handful of
tables and lists, and escaping every value at the one place it is written keeps the
untrusted scraped text (titles, passages, boilerplate, URLs) inert.  A Content Security
Policy forbids scripts and every network fetch, so the page works offline and a link
in the data cannot load anything by itself.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, urlsplit

from cleanwire.report.aggregate import Cluster, DocRef, Histogram, ReportData
from cleanwire.report.diff import Segment, compare
from cleanwire.report.markup import escape
from cleanwire.report.svg import bar_chart, hbar_chart

__all__ = ["document_href", "escape", "record_offset", "render"]

_CSS = """
:root{--ink:#1d2330;--muted:#5b6475;--line:#dde1e8;--soft:#f5f7fa;--accent:#3b6ea8;--mark:#ffe08a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#fff}
header{background:#1d2330;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#c9d1df}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:8px 28px;z-index:1}
nav a{margin-right:16px;color:var(--accent);text-decoration:none;font-weight:500}
main{max-width:1240px;margin:0 auto;padding:8px 28px 60px}
h2{margin:32px 0 8px;font-size:19px;border-bottom:2px solid var(--line);padding-bottom:4px}
h3{margin:18px 0 6px;font-size:15px}
p.note{color:var(--muted);margin:4px 0 10px;max-width:900px;overflow-wrap:anywhere}
h3,.sample h3,li{overflow-wrap:anywhere}
table{border-collapse:collapse;margin:6px 0 12px}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
td,code,b,a,.tag{unicode-bidi:isolate}
th{background:var(--soft);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.n{white-space:nowrap}
.scroll{overflow-x:auto;max-width:100%}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:20px}.card span{color:var(--muted);font-size:12px}
.cols{display:flex;flex-wrap:wrap;gap:18px;align-items:flex-start}
.cols>*{flex:1 1 420px;min-width:0}
details{margin:4px 0}summary{cursor:pointer;color:var(--accent)}
.cluster{border:1px solid var(--line);border-radius:6px;margin:12px 0;padding:8px 12px}
.cluster h3{margin:2px 0 8px;font-size:14px}
.members{display:grid;grid-template-columns:repeat(auto-fill,minmax(280px,1fr));gap:10px}
.member{background:var(--soft);border:1px solid var(--line);border-radius:5px;padding:8px 10px;min-width:0}
.member.canonical{border-color:var(--accent);box-shadow:inset 3px 0 0 var(--accent)}
.meta{font-size:12px;color:var(--muted);margin-bottom:4px;overflow-wrap:anywhere}
.meta a{color:var(--accent)}
.passage{margin:0;overflow-wrap:anywhere}
mark.diff{background:var(--mark);border-radius:2px;padding:0 1px}
.tag{display:inline-block;font-size:11px;border:1px solid var(--line);border-radius:3px;padding:0 4px;margin-right:4px;background:#fff}
p.seen{margin:4px 0}
.more{color:var(--muted);font-size:12px;margin-top:6px}
.kept{font:inherit;white-space:pre-wrap;overflow-wrap:anywhere;background:var(--soft);border:1px solid var(--line);border-radius:5px;padding:8px 10px;max-height:420px;overflow:auto;margin:0}
ol.removed{margin:0;padding:8px 10px 8px 34px;background:#fbf1f1;border:1px solid #ecd3d3;border-radius:5px;max-height:420px;overflow:auto}
ol.removed li{color:#7a3b3b;overflow-wrap:anywhere}
.chart{max-width:100%;height:auto}
.bar{display:inline-block;height:9px;background:var(--accent);vertical-align:middle;margin-left:6px}
code{font-size:12px;overflow-wrap:anywhere}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


_RECORD = re.compile(r"#offset=(\d+)$")


def record_offset(uri: str) -> tuple[str, int | None]:
    """The file of a ``uri`` and the byte offset of its record (a WARC, WET or JSONL
    record: ``path#offset=N``), or None for a whole file."""
    match = _RECORD.search(uri)
    return (uri[:match.start()], int(match.group(1))) if match else (uri, None)


def document_href(uri: str, url: str | None) -> str | None:
    """Where a document's link points: its ``url`` when that is http(s), else its
    ``uri`` when that is an http(s) address or a local absolute path (as ``file://``;
    for a record of a multi-record file, the file); ``None`` otherwise.  Never a
    ``javascript:`` or other scheme taken from the data."""
    for candidate in (url, uri):
        if candidate and urlsplit(candidate).scheme.lower() in ("http", "https"):
            return candidate
    uri = record_offset(uri)[0] if uri else uri
    if uri and uri.startswith("/"):
        # A file name that is not UTF-8 holds surrogates (surrogateescape): its bytes.
        return "file://" + quote(uri, errors="surrogateescape")
    return None


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def _date(doc: DocRef) -> str:
    # Publication times are stored in UTC: a local evening can be the next UTC day.
    return doc.published.strftime("%Y-%m-%d UTC") if doc.published else "undated"


def _earlier_tag(doc: DocRef) -> str:
    """Marks a document of an earlier run than the one reported, with that run's date."""
    return f'<span class="tag earlier">run of {escape(doc.run_date)}</span>' if doc.run_date else ""


def _doc_link(doc: DocRef) -> str:
    name = doc.title or os.path.basename(doc.uri.rstrip("/")) or doc.uri
    href = document_href(doc.uri, doc.url)
    label = escape(name if len(name) <= 90 else name[:89] + "…")
    offset = record_offset(doc.uri)[1]
    # A file:// link opens the whole file: say where in it the record starts.
    at = f' <span class="offset">(record at byte {offset:,})</span>' if offset is not None and href and href.startswith("file:") else ""
    if href is None:
        return f'<span title="{escape(doc.uri)}">{label}</span>'
    return f'<a href="{escape(href)}" title="{escape(doc.url or doc.uri)}">{label}</a>{at}'


def _marked(segments: list[Segment]) -> str:
    return "".join(
        f'<mark class="diff">{escape(s.text)}</mark>' if s.changed else escape(s.text) for s in segments
    )


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset(), cls: str = "") -> str:
    """Rows of already-escaped cells."""
    head = "".join(f'<th class="n">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# --- sections ----------------------------------------------------------------------

def _identity(data: ReportData) -> list[tuple[str, str]]:
    """Which run this is, for a dated run: its date, run_id, history store and the inputs
    it set aside as committed by earlier runs."""
    run = data.manifest.get("run") or {}
    history = run.get("history") or {}
    parts = []
    if data.run_date:
        parts.append(("run date", data.run_date))
    if run.get("run_id"):
        parts.append(("run_id", run["run_id"]))
    if history.get("dir"):
        parts.append(("history", history["dir"] + (f" (id {history['id']})" if isinstance(history.get("id"), str) else "")))
    if data.run_date or history:
        parts.append(("committed before", f"{_fmt(data.manifest['counts'].get('committed_before', 0))} inputs that "
                      "earlier runs committed, set aside"))
    return parts


def _run(data: ReportData) -> str:
    m = data.manifest
    counts = m.get("counts", {})
    cards = [
        ("inputs", counts.get("inputs", 0)), ("documents", counts.get("documents", 0)), ("errors", counts.get("errors", 0)),
        ("passages", counts.get("passages", 0)), ("passage clusters", data.clusters),
        ("near-duplicate passages", counts.get("duplicate_passages", 0)),
        ("near-duplicate documents", counts.get("duplicate_documents", 0)),
        ("wall time", f"{m.get('wall_seconds', 0):.1f} s"),
    ]
    card_html = "".join(f'<div class="card"><b>{escape(_fmt(v) if not isinstance(v, str) else v)}</b><span>{escape(k)}</span></div>'
                        for k, v in cards)
    stages = m.get("stages", {})
    peak = max((s.get("cpu_seconds", 0) for s in stages.values()), default=0) or 1
    stage_rows = []
    for name, stats in stages.items():
        cpu = stats.get("cpu_seconds", 0)
        counters = ", ".join(f"{k} {_fmt(v)}" for k, v in sorted(stats.items()) if k != "cpu_seconds")
        stage_rows.append([escape(name), f'{cpu:.2f}<span class="bar" style="width:{int(80 * cpu / peak)}px"></span>',
                           escape(counters)])
    params = m.get("parameters", {})
    param_rows = [[f"<code>{escape(k)}</code>", escape(str(v))] for k, v in sorted(params.items())]
    inputs = "".join(f"<li><code>{escape(str(p))}</code></li>" for p in m.get("inputs", []))
    beam = " ".join(m.get("beam_options", [])) or "(none)"
    versions = ", ".join(f"{k} {v}" for k, v in sorted(m.get("versions", {}).items()))
    errors = ""
    if data.errors:
        errors = "<h3>Errors</h3>" + _table(
            ["stage", "error class", "inputs", "first input", "message"],
            [[escape(s), escape(c), _fmt(n), f"<code>{escape(u)}</code>", escape(e)] for s, c, n, u, e in data.errors],
            numeric={2},
        )
    identity = "".join(f"<tr><th>{escape(k)}</th><td><code>{escape(v)}</code></td></tr>" for k, v in _identity(data))
    identity = f'<table class="identity">{identity}</table>' if identity else ""
    return f"""<section id="run"><h2>The run</h2>{identity}
<div class="cards">{card_html}</div>
<div class="cols"><div><h3>Inputs</h3><ul>{inputs}</ul>
<p class="note">Beam options: <code>{escape(beam)}</code><br>Versions: {escape(versions)}</p>
<h3>Time per stage</h3><p class="note">CPU seconds of each stage's work summed over workers (wall time of the whole run: {m.get('wall_seconds', 0):.1f} s), and the stage's counters.</p>
{_table(["stage", "CPU s", "counters"], stage_rows, numeric={1})}</div>
<div><h3>Parameters</h3>{_table(["parameter", "value"], param_rows)}</div></div>
{errors}</section>"""


def _sources(data: ReportData) -> str:
    rows = []
    for s in data.sources:
        rows.append([
            escape(s.source), _fmt(s.documents), _fmt(s.raw_chars), _fmt(s.text_chars), _fmt(s.removed_chars),
            _pct(s.removed_share), _fmt(s.passages), _pct(s.cross_source_share),
        ])
    table = _table(
        ["source", "documents", "chars before", "chars after", "boilerplate chars", "boilerplate share", "passages",
         "dup. of another source"],
        rows, numeric={1, 2, 3, 4, 5, 6, 7}, cls="sources",
    )
    shown = [s for s in data.sources if not s.others][:30]
    labels = [s.source for s in shown]
    chars = hbar_chart(
        labels, {"kept": [s.text_chars for s in shown],
                 "removed as boilerplate": [s.removed_chars for s in shown],
                 "other (title, date, spacing)": [max(0, s.raw_chars - s.text_chars - s.removed_chars) for s in shown]},
        title="Characters per source: kept, removed as boilerplate", value_format=_fmt,
    )
    cross = hbar_chart(
        labels, {"share": [s.cross_source_share for s in shown]},
        title="Share of passages that duplicate another source", value_format=_pct,
    )
    limit = "" if len(shown) == len(data.sources) else f" The charts show the {len(shown)} largest sources."
    return f"""<section id="sources"><h2>Sources</h2>
<p class="note">{_fmt(data.source_count)} sources, largest first. <i>chars before</i>: characters of the decoded input;
<i>chars after</i>: of the cleaned text; <i>boilerplate</i>: characters of the removed blocks (the title and date lines are
metadata, not boilerplate); the last column is the share of the source's passages that are in a cluster with a passage
of another source.{limit}</p>
<div class="scroll">{table}</div><div class="cols"><div>{chars}</div><div>{cross}</div></div></section>"""


def _member_card(member, segments: list[Segment]) -> str:
    doc = member.doc
    if member.is_canonical:
        how = '<span class="tag">canonical</span>'
    else:
        how = f'<span class="tag">{escape(member.link or "")} {member.similarity:.2f}</span>' if member.similarity is not None else ""
    classes = "member canonical" if member.is_canonical else "member"
    return (f'<div class="{classes}"><div class="meta">{how}{_earlier_tag(doc)}<span class="tag">{escape(member.kind)}</span>'
            f'<b>{escape(doc.source)}</b> · {escape(_date(doc))} · {_doc_link(doc)}</div>'
            f'<p class="passage">{_marked(segments)}</p></div>')


def _cluster_anchor(cluster: Cluster) -> str:
    return f"cluster-{escape(cluster.cluster_id)}"


def _cluster(cluster: Cluster) -> str:
    canonical = next((m for m in cluster.members if m.is_canonical), None)
    others = [m for m in cluster.members if m is not canonical]
    if canonical is not None:
        reference, diffs = compare(canonical.text, [m.text for m in others])
        cards = [_member_card(canonical, reference)] + [_member_card(m, d) for m, d in zip(others, diffs)]
    else:  # the canonical passage is always among the chosen members; keep the page whole if not
        cards = [_member_card(m, [Segment(m.text, False)]) for m in others]
    hidden = cluster.size - len(cluster.members)
    more = f'<div class="more">{_fmt(hidden)} more members not shown.</div>' if hidden > 0 else ""
    return (f'<div class="cluster" id="{_cluster_anchor(cluster)}" data-cluster="{escape(cluster.cluster_id)}"><h3>Cluster <code>{escape(cluster.cluster_id)}</code>: '
            f'{_fmt(cluster.size)} passages from {_fmt(cluster.sources)} source{"s" if cluster.sources != 1 else ""}</h3>'
            f'<div class="members">{"".join(cards)}</div>{more}</div>')


_OPEN = 5


def _folded(parts: list[str], noun: str) -> str:
    """The first few parts as they are, the rest in a closed <details>: a browser lays out
    closed content only when opened, which keeps the first view short and fast."""
    if len(parts) <= _OPEN + 1:
        return "".join(parts)
    rest = len(parts) - _OPEN
    return "".join(parts[:_OPEN]) + f"<details><summary>{rest} more {noun}</summary>{''.join(parts[_OPEN:])}</details>"


def _heading(template: str, count: int) -> str:
    """``template`` with the count, or without it when there is nothing to list."""
    return template.format(count) if count else template.replace(" {}", "")


def _clusters(data: ReportData) -> str:
    explain = ("Each member passage with its source, date and document; the canonical passage (the earliest in "
               "canonical order) first, then the earliest document of each other source. "
               '<mark class="diff">Marked</mark> words differ from the canonical passage (in the canonical: words that '
               "no member shown has); case, punctuation and quote style are ignored, as in matching. The tag gives the "
               "similarity to the canonical passage and the measure that linked it.")
    earlier = ""
    if data.earlier_canonicals:
        # Runs never rewrite earlier partitions: a cluster that tonight's passages joined
        # has its canonical passage in the run that first wrote it.
        earlier = (f" and the canonical passages of {_fmt(data.earlier_canonicals)} of them, which earlier runs of the "
                   "dataset root wrote (marked with their run's date; counted in the cluster's passages and sources)")
    largest = _folded([_cluster(c) for c in data.largest], "clusters") or '<p class="note">No passage clusters.</p>'
    shown = {c.cluster_id for c in data.largest}
    # A cluster already among the largest is listed, not repeated: half the page for small runs.
    crossing = _folded([
        f'<p class="seen">Cluster <a href="#{_cluster_anchor(c)}"><code>{escape(c.cluster_id)}</code></a>: '
        f"{_fmt(c.size)} passages from {_fmt(c.sources)} sources (shown above)</p>"
        if c.cluster_id in shown else _cluster(c)
        for c in data.cross_source
    ], "clusters") or '<p class="note">No cluster spans two sources.</p>'
    return f"""<section id="clusters"><h2>Passage clusters</h2>
<p class="note">{_fmt(data.clusters)} clusters hold {_fmt(data.clustered_passages)} passages of this run{earlier}. {explain}</p>
<h3 id="largest">{_heading("The {} largest clusters", len(data.largest))}</h3>{largest}
<h3 id="cross-source">{_heading("The {} clusters with the most sources", len(data.cross_source))}</h3>{crossing}</section>"""


def _documents(data: ReportData) -> str:
    if not data.document_groups:
        body = '<p class="note">No near-duplicate documents.</p>'
    else:
        rows = []
        for group in data.document_groups:
            c = group.canonical
            dups = "".join(
                f"<li>{escape(d.source)} · {escape(_date(d))} · {_doc_link(d)} "
                f'<span class="tag">jaccard {sim:.2f}</span></li>' for d, sim in group.duplicates
            )
            if group.total > len(group.duplicates):
                dups += f'<li class="more">{_fmt(group.total - len(group.duplicates))} more</li>'
            if c is None:
                canonical = (f'<code>{escape(group.canonical_id)}</code><br><span class="note">in no run of this dataset '
                             "root (its partition was deleted?)</span>")
            else:
                canonical = f"{_earlier_tag(c)}<b>{escape(c.source)}</b> · {escape(_date(c))}<br>{_doc_link(c)}"
            rows.append([canonical, _fmt(group.total), f"<ul>{dups}</ul>"])
        body = _table(["canonical document", "duplicates", "near-duplicate documents"], rows, numeric={1})
    earlier = (f" {_fmt(data.earlier_documents)} of their canonical documents are from earlier runs of the dataset "
               "root, marked with their run's date." if data.earlier_documents else "")
    shown = f" The {len(data.document_groups)} canonical documents with the most copies:" if data.document_groups else ""
    return f"""<section id="documents"><h2>Near-duplicate documents</h2>
<p class="note">{_fmt(data.duplicate_documents)} documents near-duplicate an earlier one (whole-document Jaccard similarity at
or above the threshold).{earlier}{shown}</p>{body}</section>"""


def _samples(data: ReportData) -> str:
    parts = []
    for s in data.samples:
        cut = f" (first {_fmt(len(s.text))} of {_fmt(s.text_chars)} characters)" if len(s.text) < s.text_chars else ""
        more = (f'<li class="more">{_fmt(s.boilerplate_blocks - len(s.boilerplate))} more blocks</li>'
                if s.boilerplate_blocks > len(s.boilerplate) else "")
        removed = "".join(f"<li>{escape(block)}</li>" for block in s.boilerplate)
        parts.append(
            f'<div class="sample" data-doc="{escape(s.doc.doc_id)}"><h3>{escape(s.doc.source)} · {escape(_date(s.doc))} · {_doc_link(s.doc)}</h3>'
            f'<div class="cols"><div><div class="meta">kept text{escape(cut)}</div><pre class="kept">{escape(s.text)}</pre></div>'
            f'<div><div class="meta">removed as boilerplate: {_fmt(s.boilerplate_blocks)} blocks</div>'
            f'<ol class="removed">{removed}{more}</ol></div></div></div>'
        )
    body = "".join(parts) or '<p class="note">No document had boilerplate removed.</p>'
    return f"""<section id="boilerplate"><h2>Boilerplate: a sample</h2>
<p class="note">{len(data.samples) or "No"} documents with removed blocks, chosen by smallest <code>doc_id</code> (a hash of location and
content: the same run always shows the same documents). Left the text kept, right the blocks removed (<code>documents.boilerplate</code>), in page order.</p>
{body}</section>"""


def _hist(h: Histogram | None, **kwargs) -> str:
    h = h or Histogram([], {"": []})
    return bar_chart(h.labels, h.series, **kwargs)


def _distributions(data: ReportData) -> str:
    return f"""<section id="distributions"><h2>Distributions</h2><div class="cols">
<div>{_hist(data.cluster_sizes, title="Cluster sizes", x_label="passages in the cluster", y_label="clusters")}</div>
<div>{_hist(data.similarity, title="Similarity of clustered passages to their canonical", x_label="similarity (bin start)", y_label="passages")}</div>
<div>{_hist(data.lengths, title="Document length before and after cleaning", x_label="characters (bin start)", y_label="documents")}</div>
</div></section>"""


def render(data: ReportData) -> str:
    """The whole page for ``data``: HTML5 with inline CSS and SVG, no script, no external
    resource.  Every value from the output is escaped.  Deterministic: the same data gives
    the same string (the only time shown is the run's start from the manifest)."""
    m = data.manifest
    counts = m.get("counts", {})
    which = f"run of {data.run_date} · " if data.run_date else ""
    subtitle = (f"cleanwire {m.get('cleanwire_version', '?')} · {which}run started {m.get('started', '?')} · "
                f"{_fmt(counts.get('documents', 0))} documents from {_fmt(data.source_count)} sources")
    nav = "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in (
        ("run", "Run"), ("sources", "Sources"), ("clusters", "Clusters"), ("documents", "Duplicate documents"),
        ("boilerplate", "Boilerplate"), ("distributions", "Distributions"),
    ))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cleanwire report{escape(f" {data.run_date}") if data.run_date else ""}</title><style>{_CSS}</style></head>
<body><header><h1>cleanwire report</h1><p>{escape(subtitle)}</p></header>
<nav>{nav}</nav><main>
{_run(data)}
{_sources(data)}
{_clusters(data)}
{_documents(data)}
{_samples(data)}
{_distributions(data)}
</main></body></html>
"""
