"""Generate a deterministic news-like corpus for benchmarks.

    python benchmarks/make_corpus.py --docs 20000 --seed 1 --out /tmp/corpus-20k
    python benchmarks/make_corpus.py --docs 2000 --format html --out /tmp/corpus-html
    python benchmarks/make_corpus.py --docs 10000 --format html --seed 3 \
        --html-templates ../shared/devdata/boilerplate/html --out /tmp/corpus-real-html

What it models, because these are what cleanwire's costs and results depend on:

* **stories and outlets**: each story (an event) is reported by several of 50 outlets;
  reports share the story's facts, often reworded, and add their own sentences;
* **reused quotes**: a story's quotations reappear across reports with different
  attribution (``“…,” X said`` / ``"…," said X, role`` / ``X, role, said "…"`` /
  ``"…," he said``) and quote styles;
* **republications**: about 15% of documents are another outlet's article republished
  with small edits (doc-level near-duplicates);
* **per-site boilerplate**: every outlet has its own navigation, newsletter plug, tag
  line, comment form and legal footer, repeated on all its pages;
* **size**: about 40 sentences and 5 KB of article text per document.

Sentences are built from English templates and word lists, so they have the length,
punctuation and function-word density of news prose.  The same ``--seed`` and ``--docs``
always give the same files.

**Real page templates** (``--format html --html-templates DIR``): the generated pages
above are small and simple, so trafilatura extracts them about ten times faster than
real article pages.  With a folder of real pages (say the development set's
``html/``), each outlet takes one of them as its template, and every page of the outlet
is that page with its article (the element with the most text in direct ``<p>``
children), title, first heading, dates and JSON-LD replaced by the generated ones: real
markup, scripts and chrome around a generated article, so extraction costs what it
costs on the web.

Layout: ``OUT/text/<outlet>/<n>.txt`` (or ``OUT/html/<outlet>/<n>.html``) and
``OUT/jsonl/part-NNNNN.jsonl`` (``{"id", "text"}`` with the same raw text, for tools that
read JSONL such as datatrove).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

FIRST = """Maria James Anna Peter Laura David Sofia Daniel Elena Thomas Clara Samuel Nadia Omar Irene
Victor Helen Marco Julia Hassan Grace Lucas Ingrid Pablo Amira Felix Rosa Tomas Leila Anton Nora Ivan Sara
Karim Mei Jonas Alice Rafael Fatima Oliver Yara Henrik Chloe Mateo Hana Erik Priya Luis Zainab Paul""".split()
LAST = """Jensen Okafor Moreau Schmidt Rossi Novak Haddad Kowalski Tanaka Silva Lindqvist Petrov Costa Ahmed
Fischer Dubois Garcia Nakamura Kaya Horvat Brennan Mendes Larsen Volkov Mensah Ortega Weber Ibrahim Sato
Andersen Keller Ramos Popescu Bauer Farouk Lopez Meyer Haas Yilmaz Varga Molina Richter Osei Bianchi""".split()
ORGS = """the interior ministry|the port authority|the central bank|the city council|the national weather service|
the state energy company|the regional government|the health ministry|the transport agency|the coast guard|
the opposition party|the workers' union|the United Nations|the European Commission|the stock exchange|
the fire department|the election commission|the water utility""".replace("\n", "").split("|")
PLACES = """Lisbon Rotterdam Gdansk Valencia Marseille Hamburg Naples Antwerp Bergen Tallinn Riga Porto Split
Thessaloniki Varna Constanta Trieste Malmo Aarhus Cork Bilbao Genoa Bordeaux Gothenburg Helsinki Turku Dublin
Belfast Cardiff Leeds Lyon Turin Seville Bremen Kiel Rostock Szczecin Klaipeda Odesa Izmir""".split()
NOUNS = """budget plan report investigation agreement storm election strike project proposal contract reform
deadline shortage crisis decision meeting vote hearing inquiry programme policy network system market price
increase decline warning measure law bill fund grant loan debt tax fee wage pension service school hospital
road bridge railway tunnel port airport harbour factory plant mine field farm border crossing checkpoint
shipment cargo vessel container crane terminal pipeline cable tower station reservoir dam canal district
neighbourhood village region province coast island river valley forest protest rally campaign coalition
committee council ministry agency court tribunal union company firm bank investor supplier customer
passenger resident worker official expert witness survivor volunteer family community audience""".split()
NOUNS += """audit ban blockade boycott breach cabinet ceasefire census charity charter clinic convoy
corridor curfew dispute drought embargo emission evacuation exhibition expansion explosion export facility
festival flood fleet forecast fraud frontier garrison harvest heatwave highway import incident inflation
inspection invasion landslide lawsuit leak licence merger militia monopoly mortgage museum negotiation outage
outbreak parliament patrol petition plantation pollution prison privatisation prosecution quarantine ransom
recession referendum refinery regulation rescue reservoir retreat riot salary sanction scandal settlement
shipyard shortfall smuggling stadium stockpile subsidy summit surplus surveillance tariff tender terminal
threat toll treaty trial truce turbine uprising vaccine verdict walkout warehouse wildfire withdrawal""".split()
ADJECTIVES_EXTRA = """abrupt bitter bold chronic coastal crucial decisive dramatic eastern fragile fresh
grim historic hostile imminent key landmark lengthy massive northern notable overdue partial pivotal
prolonged provisional radical rare renewed rural severe southern sudden surprise tense tentative
unprecedented urban vast vital volatile western widespread""".split()


def _pseudo_words(count: int, seed: int) -> list[str]:
    """Capitalised made-up names (places, surnames): the long tail of a news vocabulary."""
    rng = random.Random(seed)
    onsets = "b br c ch d dr f g gr h j k kl l m n p pr r s st t tr v w z".split()
    vowels = "a e i o u ae ia io ou".split()
    codas = ["", "", "n", "r", "s", "l", "m", "nd", "rk", "st", "th"]
    words: set[str] = set()
    while len(words) < count:
        word = "".join(rng.choice(onsets) + rng.choice(vowels) + rng.choice(codas) for _ in range(rng.randint(2, 3)))
        words.add(word.capitalize())
    return sorted(words)


# A fixed long tail of proper nouns (the same for every --seed): real news names many
# more places, people and organisations than it repeats common words.
PLACES += _pseudo_words(2500, 11)
LAST += _pseudo_words(2500, 12)
ORGS += [f"the {place} {kind}" for place, kind in zip(_pseudo_words(600, 13), [
    "port authority", "city council", "transport agency", "chamber of commerce", "teachers' union",
    "water board", "district court", "energy company", "hospital trust", "football club"] * 60)]
PLURALS = [
    n[:-1] + "ies" if n.endswith("y") and n[-2] not in "aeiou" else n + ("es" if n.endswith(("s", "x", "ch", "sh")) else "s")
    for n in NOUNS
]
VERBS_PAST = """approved rejected announced delayed suspended opened closed expanded reduced increased cancelled
launched completed postponed criticised defended reviewed signed extended blocked restored evacuated
inspected repaired replaced funded investigated confirmed denied proposed published released""".split()
VERBS = """approve reject announce delay suspend open close expand reduce increase cancel launch complete
postpone review sign extend block restore inspect repair replace fund investigate confirm publish release""".split()
ADJECTIVES = """new large small major minor local regional national international public private early late
final initial temporary permanent urgent serious modest significant sharp steady rapid gradual unexpected
controversial popular costly cheap ambitious cautious detailed independent official annual monthly""".split()
ADJECTIVES += ADJECTIVES_EXTRA
ADVERBS = "quickly slowly sharply steadily narrowly largely partly fully again recently already finally".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
MONTHS = "January February March April May June July August September October November December".split()
SYNONYMS = {
    "said": ["stated", "added", "told reporters"], "large": ["big", "major"], "small": ["minor", "modest"],
    "rapid": ["fast", "quick"], "approved": ["backed", "endorsed"], "announced": ["unveiled", "revealed"],
    "delayed": ["postponed", "held up"], "increase": ["rise", "jump"], "decline": ["fall", "drop"],
    "officials": ["authorities"], "residents": ["locals", "inhabitants"], "urgent": ["pressing"],
}

# Sentences come from a small phrase grammar (noun phrases, verb phrases, prepositional
# phrases, connectors), so that the words two random sentences share are mostly function
# words, as in real prose, while each sentence reads like news.
PREPOSITIONS = "in near after before during for with without across outside despite under over around".split()
DETERMINERS = ["the", "the", "a", "this", "that", "its", "their", "every", "another"]
CONNECTORS = [", and ", ", while ", " after ", " because ", ", although ", " as ", "; ", ", but ", " before ", " until "]
SAYS = ["said", "told reporters", "warned", "confirmed", "added", "insisted", "argued"]
TIMES = ["on {weekday}", "in {month}", "last week", "this year", "in {year}", "on {weekday} morning", "earlier this month", "since {month}"]
OWN_SHARE = 0.65  # share of a report's sentences written by the outlet itself


def _noun_phrase(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.45:
        det = rng.choice(DETERMINERS)
        adj = rng.choice(ADJECTIVES) + " " if rng.random() < 0.5 else ""
        phrase = f"{det} {adj}{rng.choice(NOUNS)}"
        return phrase.replace("a a", "an a").replace("a e", "an e").replace("a i", "an i").replace("a o", "an o").replace("a u", "an u")
    if kind < 0.65:
        return f"{rng.randint(2, 950)} {rng.choice(ADJECTIVES) + ' ' if rng.random() < 0.3 else ''}{rng.choice(PLURALS)}"
    if kind < 0.85:
        return rng.choice(ORGS)
    return f"the {rng.choice(NOUNS)} of {rng.choice(PLACES)}"


def _place_or_time(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(PREPOSITIONS)} {rng.choice(PLACES) if rng.random() < 0.5 else _noun_phrase(rng)}"
    return rng.choice(TIMES).format(weekday=rng.choice(WEEKDAYS), month=rng.choice(MONTHS), year=rng.randint(1990, 2022))


def _clause(rng: random.Random) -> str:
    subject = _noun_phrase(rng)
    kind = rng.random()
    if kind < 0.35:
        verb = f"{rng.choice(VERBS_PAST)} {_noun_phrase(rng)}"
    elif kind < 0.55:
        verb = f"has {rng.choice(VERBS_PAST)} {_noun_phrase(rng)}"
    elif kind < 0.7:
        verb = f"will {rng.choice(VERBS)} {_noun_phrase(rng)} by {rng.choice(MONTHS)}"
    elif kind < 0.85:
        verb = f"was {rng.choice(VERBS_PAST)} {rng.choice(PREPOSITIONS)} {_noun_phrase(rng)}"
    else:
        verb = f"{rng.choice(SAYS)} that {_noun_phrase(rng)} would {rng.choice(VERBS)} {_noun_phrase(rng)}"
    extras = " ".join(_place_or_time(rng) for _ in range(rng.choice([0, 1, 1, 2])))
    return f"{subject} {verb} {extras}".strip()


def _sentence(rng: random.Random) -> str:
    """One news-like sentence: a clause, or two joined by a connector."""
    text = _clause(rng)
    if rng.random() < 0.55:
        text += rng.choice(CONNECTORS) + _clause(rng)
    return text[0].upper() + text[1:] + "."


QUOTE_OPENERS = ["We believe that", "I think", "Frankly,", "Our view is that", "Everyone here knows that", "", "", ""]


def _quote_text(rng: random.Random) -> str:
    """A quotation: a first-person opener and a clause or two."""
    text = _clause(rng)
    if rng.random() < 0.5:
        text += rng.choice(CONNECTORS) + _clause(rng)
    opener = rng.choice(QUOTE_OPENERS)
    text = f"{opener} {text}" if opener else text
    return text[0].upper() + text[1:]


def _role(rng: random.Random) -> str:
    return rng.choice([
        "the head of {org}", "a spokesperson for {org}", "a senior {adj} official at {org}",
        "an analyst who has studied the {noun} for years", "the mayor of {place}", "a lawyer for the {plural}",
        "a professor at the University of {place}", "the chair of the {noun} committee",
    ]).format(org=rng.choice(ORGS), adj=rng.choice(ADJECTIVES), noun=rng.choice(NOUNS),
              place=rng.choice(PLACES), plural=rng.choice(PLURALS))


SUBHEADINGS = ["What happens next", "A {adj} {noun}", "Reaction in {place}", "{num} {plural} affected", "Background"]


def _fill(template: str, rng: random.Random) -> str:
    values = {
        "org": rng.choice(ORGS), "place": rng.choice(PLACES), "noun": rng.choice(NOUNS), "noun2": rng.choice(NOUNS),
        "plural": rng.choice(PLURALS), "verb": rng.choice(VERBS), "verb_past": rng.choice(VERBS_PAST),
        "adj": rng.choice(ADJECTIVES), "month": rng.choice(MONTHS), "num": str(rng.randint(2, 950)),
    }
    return template.format(**values)


def _reword(sentence: str, rng: random.Random) -> str:
    """A light edit, as a second outlet rewrites a wire sentence."""
    words = sentence.split(" ")
    for _ in range(rng.randint(1, 3)):
        k = rng.randrange(len(words))
        key = words[k].strip(".,").lower()
        if key in SYNONYMS:
            words[k] = words[k].replace(key, rng.choice(SYNONYMS[key]))
        elif rng.random() < 0.5 and len(words) > 8:
            del words[k]
    return " ".join(words)


@dataclass
class Quote:
    text: str
    first: str
    last: str
    role: str


@dataclass
class Story:
    headline: str
    day: date
    facts: list[str]
    quotes: list[Quote]
    tags: list[str] = field(default_factory=list)


@dataclass
class Outlet:
    name: str
    curly: bool
    nav: str
    plug: str
    tagline_prefix: str
    comment: list[str]
    footer: list[str]


def _outlet(k: int, rng: random.Random) -> Outlet:
    name = f"{rng.choice(PLACES)} {rng.choice(['Herald', 'Courier', 'Times', 'Post', 'Gazette', 'Daily', 'Observer', 'News'])} {k}"
    sections = rng.sample(["News", "World", "Business", "Sport", "Opinion", "Culture", "Science", "Weather", "Video", "Podcasts"], 6)
    return Outlet(
        name=name,
        curly=rng.random() < 0.5,
        nav=" · ".join(["Home"] + sections) if rng.random() < 0.5 else " | ".join(["Home"] + sections),
        plug=f"Get the best of {name} in your inbox every morning: sign up for our free newsletter.",
        tagline_prefix=rng.choice(["Read more on:", "Topics:", "Tags:", "More on this story:"]),
        comment=rng.choice([
            ["Please enter your comment!", "Please enter your name here"],
            ["Comments", "Log in to join the conversation.", "Comments are moderated and may take some time to appear."],
            ["Leave a Reply", "Your email address will not be published. Required fields are marked *"],
        ]),
        footer=[f"© {name}. All rights reserved.", "Privacy policy · Terms of use · Cookie settings · Contact us"],
    )


def _story(rng: random.Random, start: date, span_days: int) -> Story:
    facts = [_sentence(rng) for _ in range(40)]
    quotes = [Quote(_quote_text(rng), rng.choice(FIRST), rng.choice(LAST), _role(rng)) for _ in range(6)]
    headline = _fill(rng.choice(["{org} {verb_past} {adj} {noun} in {place}", "{num} {plural} {verb_past} after {noun} in {place}",
                                 "{place} {noun}: {org} {verb_past} {adj} {noun2}"]), rng)
    headline = headline[0].upper() + headline[1:]
    return Story(headline, start + timedelta(days=rng.randrange(span_days)), facts, quotes, rng.sample(NOUNS, 4))


def _quoted(quote: Quote, outlet: Outlet, rng: random.Random) -> str:
    o, c = ("“", "”") if outlet.curly else ('"', '"')
    name = f"{quote.first} {quote.last}"
    style = rng.randrange(4)
    if style == 0:
        return f"{o}{quote.text},{c} {quote.last} said."
    if style == 1:
        return f"{o}{quote.text},{c} said {name}, {quote.role}."
    if style == 2:
        return f"{name}, {quote.role}, said {o}{quote.text}.{c}"
    return f"{o}{quote.text},{c} {rng.choice(['he', 'she'])} said."


def _article(story: Story, outlet: Outlet, rng: random.Random) -> list[str]:
    """Paragraphs of one outlet's report of ``story``."""
    # Reports share some of the story's facts (often reworded) and write most sentences themselves.
    total = rng.randint(30, 36)
    shared = round(total * (1 - OWN_SHARE))
    sentences = [s if rng.random() < 0.6 else _reword(s, rng) for s in rng.sample(story.facts, shared)]
    sentences += [_sentence(rng) for _ in range(total - shared)]
    rng.shuffle(sentences)
    for quote in rng.sample(story.quotes, rng.randint(2, 4)):
        sentences.insert(rng.randrange(len(sentences) + 1), _quoted(quote, outlet, rng))
    paragraphs, k = [], 0
    while k < len(sentences):
        if k and rng.random() < 0.08:
            heading = _fill(rng.choice(SUBHEADINGS), rng)
            paragraphs.append(heading[0].upper() + heading[1:])
        size = rng.choice([1, 2, 2, 3])
        paragraphs.append(" ".join(sentences[k:k + size]))
        k += size
    return paragraphs


def _republish(paragraphs: list[str], rng: random.Random) -> list[str]:
    """Another outlet's copy of a wire story: a couple of small edits."""
    edited = [p if rng.random() < 0.9 else _reword(p, rng) for p in paragraphs]
    if len(edited) > 10 and rng.random() < 0.5:
        del edited[rng.randrange(len(edited))]
    return edited


def _text_page(headline: str, day: date | None, paragraphs: list[str], outlet: Outlet, tags: list[str]) -> str:
    head = [headline, ""]
    if day is not None:
        head += [f"{day.isoformat()} {10 + len(headline) % 12:02d}:{len(paragraphs) * 7 % 60:02d}", ""]
    head += [outlet.nav, ""]
    tail = ["", f"{outlet.tagline_prefix} " + " | ".join(tags), "", outlet.plug, ""] + outlet.comment + [""] + outlet.footer
    return "\n".join(head + ["\n\n".join(paragraphs)] + tail) + "\n"


def _html_page(headline: str, day: date | None, paragraphs: list[str], outlet: Outlet, tags: list[str]) -> str:
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    time_tag = f'<time datetime="{day.isoformat()}T09:00:00+00:00">{day.strftime("%d %B %Y")}</time>' if day else ""
    meta = f'<meta property="article:published_time" content="{day.isoformat()}T09:00:00+00:00">' if day else ""
    nav = "".join(f'<li><a href="/{s.lower()}">{esc(s)}</a></li>' for s in outlet.nav.replace("|", "·").split(" · "))
    body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    comments = "".join(f"<p>{esc(c)}</p>" for c in outlet.comment)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(headline)} | {esc(outlet.name)}</title>{meta}'
        f'<script>window.analytics = {{"page": "article"}};</script></head><body>'
        f'<header><nav><ul>{nav}</ul></nav></header><main><article><h1>{esc(headline)}</h1>{time_tag}{body}</article>'
        f'<div class="tags">{esc(outlet.tagline_prefix)} {" | ".join(tags)}</div>'
        f'<aside class="newsletter"><p>{esc(outlet.plug)}</p></aside><section class="comments">{comments}</section></main>'
        f'<footer>{"".join(f"<p>{esc(f)}</p>" for f in outlet.footer)}</footer></body></html>\n'
    )


_SLOT = {name: f"CLEANWIRE-{name.upper()}-SLOT" for name in ("title", "headline", "head", "article")}
_DATED = re.compile(r"date|time|published|modified", re.IGNORECASE)


def _find_article(tree) -> tuple:
    """``(container, paragraphs)``: the element with the most text in direct ``<p>``
    children, and those children (the page's article, on most news and blog pages)."""
    best, best_chars = None, 0
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        chars = sum(len(child.text_content()) for child in element if child.tag == "p")
        if chars > best_chars:
            best, best_chars = element, chars
    if best is None:
        return tree.find(".//body"), []
    return best, [child for child in best if child.tag == "p"]


def page_template(page: bytes) -> str:
    """A real page's HTML with its article, title, first heading and publication dates
    replaced by slots that ``_template_page`` fills (see ``--html-templates``)."""
    import lxml.html

    tree = lxml.html.document_fromstring(page)
    for element in tree.xpath("//script[@type='application/ld+json'] | //time"):
        element.drop_tree()
    for meta in tree.xpath("//meta"):
        if any(_DATED.search(meta.get(key) or "") for key in ("name", "property", "itemprop", "http-equiv")):
            meta.drop_tree()
    container, paragraphs = _find_article(tree)
    slot = lxml.html.Element("div")
    slot.text = _SLOT["article"]
    if paragraphs:
        paragraphs[0].addprevious(slot)
        for paragraph in paragraphs:
            paragraph.drop_tree()
    else:
        container.append(slot)
    head = tree.find("head")
    if head is None:
        head = lxml.html.Element("head")
        tree.insert(0, head)
    title = head.find("title")
    if title is None:
        title = lxml.html.Element("title")
        head.append(title)
    title.text = _SLOT["title"]
    marker = lxml.html.Element("meta", name=_SLOT["head"])
    head.append(marker)
    heading = tree.find(".//h1")
    if heading is not None:
        heading.drop_tree()
    slot.addprevious(lxml.html.fromstring(f"<h1>{_SLOT['headline']}</h1>"))
    text = lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")
    return text.replace(f'<meta name="{_SLOT["head"]}">', _SLOT["head"]).replace(
        f"<div>{_SLOT['article']}</div>", _SLOT["article"])


def _template_page(template: str, headline: str, day: date | None, paragraphs: list[str], outlet: Outlet, tags: list[str]) -> str:
    esc = lambda s: s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    meta = f'<meta property="article:published_time" content="{day.isoformat()}T09:00:00+00:00">' if day else ""
    body = "".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    body += f'<p class="tags">{esc(outlet.tagline_prefix)} {esc(" | ".join(tags))}</p>'
    return (template.replace(_SLOT["title"], f"{esc(headline)} | {esc(outlet.name)}").replace(_SLOT["head"], meta)
            .replace(_SLOT["headline"], esc(headline)).replace(_SLOT["article"], body)) + "\n"


def _templates(folder: str) -> list[str]:
    names = sorted(name for name in os.listdir(folder) if name.endswith((".html", ".htm", ".html.gz", ".htm.gz")))
    if not names:
        raise SystemExit(f"--html-templates {folder}: no .html or .html.gz files there")
    pages = []
    for name in names:
        path = os.path.join(folder, name)
        with (gzip.open if name.endswith(".gz") else open)(path, "rb") as handle:
            pages.append(handle.read())
    return [page_template(page) for page in pages]


def generate(docs: int, seed: int, out: str, fmt: str = "text", outlets: int = 50, per_jsonl: int = 5000,
             html_templates: str | None = None) -> None:
    """Write ``docs`` documents to ``out`` (see the module docstring); deterministic.
    With ``html_templates`` (a folder of real pages), HTML pages are the outlets'
    templates with the generated article in place of the page's own."""
    rng = random.Random(seed)
    sites = [_outlet(k, rng) for k in range(outlets)]
    start = date(2024, 1, 1)
    stories = [_story(rng, start, 365) for _ in range(max(1, docs // 8))]
    published: list[tuple[list[str], Story]] = []
    page = _text_page if fmt == "text" else _html_page
    if html_templates:
        templates = _templates(html_templates)
        pick = random.Random(seed).sample(range(len(templates)), min(outlets, len(templates)))
        by_site = {site.name: templates[pick[k % len(pick)]] for k, site in enumerate(sites)}
        page = lambda headline, day, paragraphs, outlet, tags: _template_page(  # noqa: E731
            by_site[outlet.name], headline, day, paragraphs, outlet, tags)
    extension = "txt" if fmt == "text" else "html"
    os.makedirs(os.path.join(out, "jsonl"), exist_ok=True)
    jsonl = None
    for n in range(docs):
        outlet = sites[rng.randrange(outlets)]
        if published and rng.random() < 0.15:
            original, story = published[rng.randrange(max(0, len(published) - 2000), len(published))]
            paragraphs = _republish(original, rng)
        else:
            story = stories[rng.randrange(len(stories))]
            paragraphs = _article(story, outlet, rng)
            published.append((paragraphs, story))
        day = None if rng.random() < 0.1 else story.day + timedelta(days=rng.randrange(3))
        text = page(story.headline, day, paragraphs, outlet, story.tags)
        folder = os.path.join(out, fmt, outlet.name.replace(" ", "-").lower())
        os.makedirs(folder, exist_ok=True)
        relative = os.path.join(fmt, os.path.basename(folder), f"{n:07d}.{extension}")
        with open(os.path.join(out, relative), "w", encoding="utf-8") as handle:
            handle.write(text)
        if n % per_jsonl == 0:
            if jsonl:
                jsonl.close()
            jsonl = open(os.path.join(out, "jsonl", f"part-{n // per_jsonl:05d}.jsonl"), "w", encoding="utf-8")
        jsonl.write(json.dumps({"id": relative, "text": text}) + "\n")
    if jsonl:
        jsonl.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000, help="number of documents (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default %(default)s)")
    parser.add_argument("--format", choices=["text", "html"], default="text", help="page format (default %(default)s)")
    parser.add_argument("--html-templates", metavar="DIR",
                        help="with --format html: a folder of real pages (.html or .html.gz); each outlet takes one "
                        "as its template, and its pages are that page with the generated article in place of the "
                        "page's own (the article is the element with the most text in <p> children; title, first "
                        "heading and dates replaced), so that extraction costs what it does on real pages")
    parser.add_argument("--out", required=True, help="output directory (created)")
    args = parser.parse_args(argv)
    if args.html_templates and args.format != "html":
        parser.error("--html-templates needs --format html")
    generate(args.docs, args.seed, args.out, args.format, html_templates=args.html_templates)


if __name__ == "__main__":
    main()
