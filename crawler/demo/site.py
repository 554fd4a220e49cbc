"""The bundled demo news site: 33 articles in 3 sections, two page templates, realistic chrome and
the duplicates and traps a real site has (tracking parameters, AMP and print copies, session ids,
an endless calendar).

Pages are rendered from ``articles.json`` on request; ``serve()`` runs the site on a free loopback
port in a background thread.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

SITE_NAME = "The Saltmere Courier"
PER_PAGE = 4
SECTIONS = ("world", "science", "business")


@dataclass(frozen=True)
class DemoArticle:
    section: str
    slug: str
    title: str
    standfirst: str
    authors: list[str]
    published: str
    modified: str | None
    tags: list[str]
    paragraphs: list[str]
    template: str

    @property
    def path(self) -> str:
        """Classic pages live under a slug path, magazine pages under a dated one."""
        if self.template == "classic":
            return f"/{self.section}/{self.slug}"
        day = dt.datetime.fromisoformat(self.published)
        return f"/{day:%Y/%m/%d}/{self.slug}.html"

    @property
    def body(self) -> str:
        """The text a correct extraction stores: standfirst, then every paragraph."""
        return "\n\n".join([self.standfirst, *self.paragraphs])


def load_articles() -> list[DemoArticle]:
    data = json.loads(resources.files("crawler.demo").joinpath("articles.json").read_text("utf-8"))
    return [DemoArticle(**entry) for entry in data]


def _e(text: str) -> str:
    return html.escape(text, quote=True)


class DemoSite:
    """Routes of the demo site; ``render(path_and_query)`` returns (status, content type, body)."""

    def __init__(self, articles: list[DemoArticle] | None = None) -> None:
        self.articles = articles or load_articles()
        self.by_path = {a.path: a for a in self.articles}
        self.amp = {f"/amp{a.path}": a for a in self.articles[:3]}
        self.print = {f"/print{a.path}": a for a in self.articles if a.template == "classic"}

    def section(self, name: str) -> list[DemoArticle]:
        items = [a for a in self.articles if a.section == name]
        return sorted(items, key=lambda a: a.published, reverse=True)

    def render(self, target: str) -> tuple[int, str, str]:
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/robots.txt":
            return 200, "text/plain", "User-agent: *\nDisallow: /private/\n"
        if path == "/":
            return 200, "text/html", self.home()
        if path in self.by_path:
            article = self.by_path[path]
            page = self.classic(article) if article.template == "classic" else self.magazine(article)
            return 200, "text/html", page
        if path in self.amp:
            return 200, "text/html", self.amp_page(self.amp[path])
        if path in self.print:
            return 200, "text/html", self.print_page(self.print[path])
        if path == "/archive/calendar":
            return 200, "text/html", self.calendar(query.get("month", ["2026-10"])[0])
        segments = [s for s in path.split("/") if s]
        if segments and segments[0] in SECTIONS:
            if len(segments) == 1:
                return 200, "text/html", self.listing(segments[0], 1)
            if len(segments) == 3 and segments[1] == "page" and segments[2].isdigit():
                number = int(segments[2])
                if 1 <= number <= self.pages(segments[0]):
                    return 200, "text/html", self.listing(segments[0], number)
        return 404, "text/html", self.shell("Page not found", "<main><h1>Page not found</h1></main>")

    def pages(self, section: str) -> int:
        return -(-len(self.section(section)) // PER_PAGE)

    # --- shared chrome -----------------------------------------------------------------------

    def shell(self, title: str, main: str, head: str = "", og_type: str = "website") -> str:
        nav = "".join(f'<li><a href="/{s}/">{s.title()}</a></li>' for s in SECTIONS)
        return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)} | {SITE_NAME}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="og:site_name" content="{SITE_NAME}"><meta property="og:type" content="{og_type}">
{head}</head><body>
<a class="skip-link" href="#content">Skip to main content</a>
<div id="cookie-consent" class="cookie-banner"><p>We use cookies to remember your preferences and
to measure how our journalism is read.</p><button>Accept all cookies</button><button>Manage
settings</button></div>
<header class="site-header"><a class="logo" href="/">{SITE_NAME}</a>
<nav class="main-nav"><ul><li><a href="/">Home</a></li>{nav}
<li><a href="/archive/calendar?month=2026-10&amp;sid={random.randrange(10**9)}">Archive</a></li></ul></nav>
</header>
{main}
<footer class="site-footer"><p>&copy; 2026 {SITE_NAME}. All rights reserved.</p>
<ul><li><a href="/about">About us</a></li><li><a href="/private/staff">Staff area</a></li></ul></footer>
</body></html>"""

    def teaser(self, article: DemoArticle, href: str | None = None) -> str:
        return (
            f'<li class="teaser"><a href="{_e(href or article.path)}">{_e(article.title)}</a>'
            f"<p>{_e(article.standfirst)}</p></li>"
        )

    # --- listing pages -----------------------------------------------------------------------

    def home(self) -> str:
        latest = sorted(self.articles, key=lambda a: a.published, reverse=True)[:8]
        most_read = "".join(
            f'<li><a href="{a.path}?utm_source=homepage&amp;utm_medium=most-read">{_e(a.title)}</a></li>'
            for a in latest[:3]
        )
        amp = "".join(f'<li><a href="{p}">{_e(a.title)}</a></li>' for p, a in self.amp.items())
        main = f"""<main id="content"><h1>Latest news</h1>
<ul class="teasers">{"".join(self.teaser(a) for a in latest)}</ul>
<aside class="most-read"><h2>Most read</h2><ol>{most_read}</ol></aside>
<aside class="mobile-picks"><h2>On the go</h2><ul>{amp}</ul></aside></main>"""
        return self.shell("Home", main)

    def listing(self, section: str, number: int) -> str:
        items = self.section(section)[(number - 1) * PER_PAGE : number * PER_PAGE]
        head = ""
        pager = []
        if number > 1:
            pager.append(f'<a rel="prev" href="/{section}/page/{number - 1}/">Previous</a>')
        if number < self.pages(section):
            head = f'<link rel="next" href="/{section}/page/{number + 1}/">'
            pager.append(f'<a rel="next" href="/{section}/page/{number + 1}/">Next page</a>')
        sid = random.randrange(10**9)
        teasers = "".join(self.teaser(a, f"{a.path}?sid={sid}") for a in items)
        main = f"""<main id="content"><h1>{section.title()}</h1>
<ul class="teasers">{teasers}</ul><nav class="pager">{" ".join(pager)}</nav></main>"""
        return self.shell(f"{section.title()} - page {number}", main, head)

    def calendar(self, month: str) -> str:
        """An endless archive: every month links to the months before and after it."""
        year, mon = (int(x) for x in month.split("-")[:2])
        prev_m = f"{year - (mon == 1)}-{(mon - 2) % 12 + 1:02d}"
        next_m = f"{year + (mon == 12)}-{mon % 12 + 1:02d}"
        main = f"""<main id="content"><h1>Archive for {month}</h1><p>No articles filed this month.</p>
<a href="/archive/calendar?month={prev_m}">Previous month</a>
<a href="/archive/calendar?month={next_m}">Next month</a></main>"""
        return self.shell(f"Archive {month}", main)

    # --- article pages -----------------------------------------------------------------------

    def related(self, article: DemoArticle) -> list[DemoArticle]:
        return [a for a in self.section(article.section) if a is not article][:3]

    def meta_head(self, article: DemoArticle, jsonld: bool) -> str:
        tags = "".join(f'<meta property="article:tag" content="{_e(t)}">' for t in article.tags)
        head = (
            f'<meta name="description" content="{_e(article.standfirst)}">'
            f'<meta property="og:title" content="{_e(article.title)}">'
            f'<meta property="article:published_time" content="{article.published}">{tags}'
            f'<meta name="author" content="{_e(", ".join(article.authors))}">'
        )
        if article.modified:
            head += f'<meta property="article:modified_time" content="{article.modified}">'
        if jsonld:
            data: dict[str, Any] = {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": article.title,
                "datePublished": article.published,
                "author": [{"@type": "Person", "name": n} for n in article.authors],
                "publisher": {"@type": "Organization", "name": SITE_NAME},
                "articleSection": article.section,
            }
            if article.modified:
                data["dateModified"] = article.modified
            head += f'<script type="application/ld+json">{json.dumps(data)}</script>'
        return head

    def classic(self, article: DemoArticle) -> str:
        related = "".join(self.teaser(a) for a in self.related(article))
        paragraphs = "".join(f"<p>{_e(p)}</p>" for p in article.paragraphs)
        main = f"""<main id="content"><article class="story">
<h1>{_e(article.title)}</h1>
<p class="standfirst">{_e(article.standfirst)}</p>
<div class="byline">By {_e(" and ".join(article.authors))} &middot;
<time datetime="{article.published}">{article.published[:10]}</time></div>
<figure><img src="/static/{article.slug}.jpg" alt=""><figcaption>File photo from the
{article.section} desk archive (Courier)</figcaption></figure>
{paragraphs}
<p class="corrections-note">Spotted a mistake in this report? The Courier corrects its errors in
the open and keeps a public log of every change on its standards page.</p>
<aside class="newsletter-signup"><h3>Stay informed with the Courier's newsletters</h3>
<p>Sign up to get the morning briefing, weekend long reads and breaking alerts in your inbox.</p>
<form><input type="email" placeholder="Your email"><button>Sign up</button></form></aside>
<div class="publisher-blurb"><p>{SITE_NAME} delivers independent reporting from the coast and the
capital. To republish this article, please fill out our syndication form. More about the Courier
can be found on our about page.</p></div>
<p class="tools"><a href="/print{article.path}">Print this article</a></p>
</article>
<section class="related-articles"><h2>Related articles</h2><ul>{related}</ul></section></main>"""
        head = self.meta_head(article, jsonld=True) + f'<link rel="canonical" href="{article.path}">'
        return self.shell(article.title, main, head, og_type="article")

    def magazine(self, article: DemoArticle) -> str:
        paragraphs = [f"<p>{_e(p)}</p>" for p in article.paragraphs]
        others = self.related(article)
        if others:
            # A "read more" teaser placed inside the story, as many publishers do.
            paragraphs.insert(2, f'<div class="inline-promo"><span>Read more:</span> '
                                 f'<a href="{others[0].path}">{_e(others[0].title)}</a></div>')
        most_read = "".join(f'<li><a href="{a.path}">{_e(a.title)}</a></li>' for a in others)
        main = f"""<div id="content" class="layout"><div class="story-wrap">
<div class="kicker"><a href="/{article.section}/">{article.section.title()}</a></div>
<h1 class="headline">{_e(article.title)}</h1>
<p class="dek">{_e(article.standfirst)}</p>
<div class="story-meta"><span class="author-name">{_e(", ".join(article.authors))}</span>
<span class="pubdate">{article.published[:10]}</span></div>
<div class="story-text">{"".join(paragraphs)}
<p class="story-footnote">Reporting for the Courier's weekend edition is made possible by readers
in forty countries who keep our newsroom independent of any owner.</p></div>
<div class="social-share"><a href="#">Share on social media</a> <a href="#">Copy link</a></div>
<div class="signup-box"><h4>Get the Courier in your inbox</h4><p>Sign up to get the morning
briefing every weekday before seven.</p></div>
<div class="publisher-blurb"><p>{SITE_NAME} is an independent newsroom funded by its readers.
Support our journalism by becoming a member today.</p></div>
</div><div class="sidebar"><h3>Most read</h3><ol>{most_read}</ol></div></div>"""
        return self.shell(article.title, main, self.meta_head(article, jsonld=False), og_type="article")

    def amp_page(self, article: DemoArticle) -> str:
        paragraphs = "".join(f"<p>{_e(p)}</p>" for p in article.paragraphs)
        return f"""<!DOCTYPE html><html amp lang="en"><head><meta charset="utf-8">
<title>{_e(article.title)}</title><link rel="canonical" href="{article.path}">
<meta property="og:type" content="article"></head><body><article><h1>{_e(article.title)}</h1>
<p>{_e(article.standfirst)}</p>{paragraphs}</article></body></html>"""

    def print_page(self, article: DemoArticle) -> str:
        paragraphs = "".join(f"<p>{_e(p)}</p>" for p in article.paragraphs)
        return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{_e(article.title)} (print)</title></head><body><div class="print-page">
<h1>{_e(article.title)}</h1><p>{_e(article.standfirst)}</p>{paragraphs}
<p class="print-footer">Printed from {SITE_NAME}</p></div></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    site: DemoSite

    def do_GET(self) -> None:
        status, content_type, body = self.site.render(self.path)
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serve(host: str = "127.0.0.1", port: int = 0, site: DemoSite | None = None) -> Iterator[str]:
    """Serve the demo site (or ``site``, which a caller may change between crawls) in a
    background thread; yields its base URL."""
    handler = type("DemoHandler", (_Handler,), {"site": site or DemoSite()})
    server = ThreadingHTTPServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    """``python -m crawler.demo.site``: serve until interrupted, printing the URL first."""
    import sys
    import time

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with serve(port=port) as url:
        print(url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
