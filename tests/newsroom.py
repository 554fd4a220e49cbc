"""A news site written to a folder, for crawl tests that change the site between crawls.

Every discovery path is there: a home page announcing an RSS 2.0 and an Atom feed, a section
page, an RSS 1.0 (RDF) feed, robots.txt naming a sitemap index, and the index's gzipped Google
News sitemap and plain sitemap. Each article is listed by some of them (``LISTED_BY``), several
by more than one, so "stored once" is tested too. Rewriting the site with more articles changes
only the files that list them: the rest keep their bytes, ETag and Last-Modified.
"""

from __future__ import annotations

import datetime as dt
import gzip
import html
import random
from pathlib import Path

BASE_DATE = dt.datetime(2025, 1, 1, 8, 0, tzinfo=dt.UTC)
# Where article i is listed, by i % 6: each way alone, then all at once. The section page is
# HTML links only, without dates.
LISTED_BY = {
    0: ("section",),
    1: ("rss",),
    2: ("atom",),
    3: ("rdf",),
    4: ("news",),
    5: ("pages", "rss", "atom", "rdf", "news", "section"),
}

_PLACES = ["the harbour", "the old mill", "the ring road", "the county hall", "the library", "the marshes",
           "the tram depot", "the market square", "the sports ground", "the river bank", "the quarry"]
_PEOPLE = ["residents", "the council", "shop owners", "engineers", "volunteers", "teachers", "farmers",
           "the fire service", "bus drivers", "nurses", "students", "the harbour master"]
_ACTIONS = ["asked for more time to study", "voted to pay for", "raised concerns about", "welcomed plans for",
            "started work on", "postponed a decision on", "published a report on", "held a meeting about"]
_THINGS = ["a new footbridge", "longer opening hours", "a cheaper parking scheme", "a flood barrier",
           "a second cycle lane", "solar panels on the roof", "a winter night shelter", "repairs to the pier",
           "a larger playground", "an evening bus service", "a community garden", "new street lighting"]
_DETAILS = ["The cost was put at {n} thousand pounds.", "About {n} people attended the first session.",
            "Work is expected to take {n} weeks.", "A survey found {n} per cent in favour.",
            "The scheme was first proposed {n} years ago.", "Officials said {n} homes would benefit."]


def slug(i: int) -> str:
    return f"/news/story-{i:03d}.html"


def published(i: int) -> dt.datetime:
    return BASE_DATE + dt.timedelta(days=i)


def _title(i: int) -> str:
    rng = random.Random(i)
    return f"{rng.choice(_PEOPLE).capitalize()} {rng.choice(_ACTIONS)} {rng.choice(_THINGS)} (report {i})"


def _paragraphs(i: int) -> list[str]:
    rng = random.Random(1000 + i)
    paragraphs = []
    for _ in range(5):
        sentences = [
            (f"{rng.choice(_PEOPLE).capitalize()} near {rng.choice(_PLACES)} {rng.choice(_ACTIONS)} "
            f"{rng.choice(_THINGS)} on day {rng.randint(1, 28)} of the month."),
            rng.choice(_DETAILS).format(n=rng.randint(2, 900)),
            (f"Speaking at {rng.choice(_PLACES)}, a spokesperson for {rng.choice(_PEOPLE)} said the plan for "
            f"{rng.choice(_THINGS)} would be reviewed before {rng.choice(_PLACES)} reopens."),
        ]
        paragraphs.append(" ".join(sentences))
    return paragraphs


_CHROME_TOP = """<header><a class="skip" href="#main">Skip to content</a>
<nav><a href="/">Home</a> <a href="/section/local.html">Local</a></nav></header>"""
_CHROME_BOTTOM = """<aside class="newsletter"><p>Sign up to the Riverside Courier morning briefing and get the
day's local stories in your inbox before breakfast, every weekday.</p></aside>
<footer><p>The Riverside Courier is published by Courier Media, an independent local publisher since 1921.</p></footer>"""


def article_page(i: int) -> str:
    title = html.escape(_title(i))
    date = published(i).isoformat()
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in _paragraphs(i))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Riverside Courier</title>
<meta property="og:type" content="article"><link rel="canonical" href="{slug(i)}">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{title}",
"datePublished": "{date}", "author": {{"@type": "Person", "name": "Morgan Reed"}}}}</script></head>
<body>{_CHROME_TOP}
<main id="main"><article><h1>{title}</h1><p class="byline">By Morgan Reed</p>
<time datetime="{date}">{published(i):%d %B %Y}</time>
{body}</article></main>
{_CHROME_BOTTOM}</body></html>
"""


def amp_page(i: int) -> str:
    """Article i's AMP copy, at ``/amp`` + its path: naming its article as canonical, undated."""
    title = html.escape(_title(i))
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in _paragraphs(i))
    return f"""<!DOCTYPE html>
<html amp lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta property="og:type" content="article"><link rel="canonical" href="{slug(i)}"></head>
<body><article><h1>{title}</h1>
{body}</article></body></html>
"""


def print_page(i: int) -> str:
    """Article i's print copy, at ``/print`` + its path: no canonical link, no date."""
    title = html.escape(_title(i))
    body = "".join(f"<p>{html.escape(p)}</p>\n" for p in _paragraphs(i))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} (print)</title></head>
<body><div class="print"><h1>{title}</h1>
{body}<p>Printed from the Riverside Courier</p></div></body></html>
"""


def _listing(title: str, links: list[int], extra_head: str = "") -> str:
    items = "".join(f'<li><a href="{slug(i)}">{html.escape(_title(i))}</a></li>\n' for i in links)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Riverside Courier</title>
<meta property="og:type" content="website">{extra_head}</head>
<body>{_CHROME_TOP}<main id="main"><h1>{title}</h1><ul>
{items}</ul></main>{_CHROME_BOTTOM}</body></html>
"""


def _rss(links: list[int]) -> str:
    items = "".join(
        f"<item><title>{html.escape(_title(i))}</title><link>{slug(i)}</link>"
        f"<pubDate>{published(i):%a, %d %b %Y %H:%M:%S +0000}</pubDate></item>\n" for i in links
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Riverside Courier</title><link>/</link><description>Latest</description>
{items}</channel></rss>
"""


def _atom(links: list[int]) -> str:
    entries = "".join(
        f'<entry><title>{html.escape(_title(i))}</title><link href="{slug(i)}"/><id>urn:story:{i}</id>'
        f"<updated>{published(i).isoformat()}</updated></entry>\n" for i in links
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Riverside Courier</title><id>urn:courier</id>
<updated>{BASE_DATE.isoformat()}</updated>
{entries}</feed>
"""


def _rdf(links: list[int]) -> str:
    refs = "".join(f'<rdf:li rdf:resource="{slug(i)}"/>' for i in links)
    items = "".join(
        f'<item rdf:about="{slug(i)}"><title>{html.escape(_title(i))}</title><link>{slug(i)}</link>'
        f"<dc:date>{published(i).isoformat()}</dc:date></item>\n" for i in links
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="/rdf.xml"><title>Riverside Courier</title><link>/</link><description>Latest</description>
<items><rdf:Seq>{refs}</rdf:Seq></items></channel>
{items}</rdf:RDF>
"""


def _news_sitemap(links: list[int]) -> str:
    urls = "".join(
        f"<url><loc>{slug(i)}</loc><news:news><news:publication><news:name>Riverside Courier</news:name>"
        f"<news:language>en</news:language></news:publication>"
        f"<news:publication_date>{published(i).isoformat()}</news:publication_date>"
        f"<news:title>{html.escape(_title(i))}</news:title></news:news></url>\n" for i in links
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{urls}</urlset>
"""


def _pages_sitemap(links: list[int]) -> str:
    urls = "".join(f"<url><loc>{slug(i)}</loc><lastmod>{published(i).date()}</lastmod></url>\n" for i in links)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{urls}</urlset>
"""


_INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>/sitemaps/news.xml.gz</loc></sitemap>
<sitemap><loc>/sitemaps/pages.xml</loc></sitemap>
</sitemapindex>
"""


def build(folder: Path, count: int) -> list[str]:
    """Write the site with articles 0..count-1; returns the paths written (changed files only)."""
    by = {kind: [i for i in range(count) if kind in LISTED_BY[i % len(LISTED_BY)]]
          for kind in ("section", "rss", "atom", "rdf", "news", "pages")}
    feeds = ('<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
             '<link rel="alternate" type="application/atom+xml" href="/atom.xml">')
    files: dict[str, bytes] = {
        "/robots.txt": b"User-agent: *\nAllow: /\nSitemap: /sitemap-index.xml\n",
        "/index.html": _listing("Riverside Courier", [], feeds).encode(),
        "/section/local.html": _listing("Local news", by["section"]).encode(),
        "/rss.xml": _rss(by["rss"]).encode(),
        "/atom.xml": _atom(by["atom"]).encode(),
        "/rdf.xml": _rdf(by["rdf"]).encode(),
        "/sitemap-index.xml": _INDEX.encode(),
        "/sitemaps/news.xml.gz": gzip.compress(_news_sitemap(by["news"]).encode(), mtime=0),
        "/sitemaps/pages.xml": _pages_sitemap(by["pages"]).encode(),
    }
    files |= {slug(i): article_page(i).encode() for i in range(count)}
    written = []
    for path, content in files.items():
        target = folder / path.lstrip("/")
        if target.exists() and target.read_bytes() == content:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        written.append(path)
    return written
