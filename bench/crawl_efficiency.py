"""Requests per stored story, against the fewest a crawl can make: the same site crawled with
newscrawl's learning (copy rules, link shapes) and without it, in one run.

The site, served on 127.0.0.1, is written here: ``--articles`` stories listed 20 to a page of a
paginated section, each story page linking its AMP and print copies (both naming the story as
canonical), three related stories with their AMP copies, and the on-site links that hold no news
that article pages carry: help pages, a download per story, an old address per story answering
404, a comments page per story. The lower bound is the pages a crawl cannot do without: the home
page, the section's pages and one page per story. Printed per mode: requests (robots.txt left out),
stories stored from their own page (recall), requests per story, the ratio to the lower bound,
the copies fetched and the copies recorded as aliases, against the copies linked.

    python bench/crawl_efficiency.py [--articles 500] [--delay 0]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PER_PAGE = 20
HELP_TOPICS = ["contact", "about", "terms", "privacy", "cookies", "careers", "advertise", "newsletters",
               "corrections", "accessibility", "subscribe", "faq", "apps", "podcasts", "archive-help", "rss-help"]
_PLACES = ["the harbour", "the old mill", "the ring road", "the county hall", "the library", "the marshes"]
_WHO = ["residents", "the council", "shop owners", "engineers", "volunteers", "teachers", "farmers"]
_DID = ["asked for more time to study", "voted to pay for", "raised concerns about", "welcomed plans for"]
_WHAT = ["a new footbridge", "longer opening hours", "a cheaper parking scheme", "a flood barrier"]
_MORE_WORDS = """budget council river school bridge market station hospital road parish harbour museum library
tender contract weekend morning evening report survey figures approval planning objection residents
volunteers farmers teachers engineers builders drivers cyclists walkers traders tenants landlords"""
_WORDS = sorted({word for phrase in [*_PLACES, *_WHO, *_DID, *_WHAT, _MORE_WORDS] for word in phrase.split()})
Pages = dict[str, tuple[int, dict[str, str], str]]


def story_path(i: int) -> str:
    return f"/news/2025/{1 + i % 12:02d}/story-{i:04d}.html"


def _headline(i: int) -> str:
    return f"Story {i}: {_WHO[i % 7].capitalize()} {_DID[i % 4]} {_WHAT[i % 4]} near {_PLACES[i % 6]}"


def _paragraphs(i: int) -> str:
    """Five paragraphs of words drawn for story ``i`` alone: no two stories read alike."""
    draw = random.Random(i)
    return "".join(
        "<p>" + " ".join(draw.choice(_WORDS) for _ in range(45)).capitalize() + ".</p>" for _ in range(5)
    )


_MENU = ('<header><a href="/">Home</a> <a href="/section/news">News</a> '
         + " ".join(f'<a href="/help/{topic}">{topic}</a>' for topic in HELP_TOPICS[:4]) + "</header>")


def _page(title: str, body: str, head: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>{head}'
            f"</head><body>{_MENU}<main>{body}</main></body></html>")


def _story(i: int, count: int) -> str:
    date = (dt.datetime(2025, 1, 1, 8, tzinfo=dt.UTC) + dt.timedelta(hours=i)).isoformat()
    head = (f'<meta property="og:type" content="article"><link rel="canonical" href="{story_path(i)}">'
            f'<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "{_headline(i)}", '
            f'"datePublished": "{date}"}}</script>')
    related = "".join(f'<li><a href="{story_path(j % count)}">{html.escape(_headline(j % count))}</a> '
                      f'<a href="/amp{story_path(j % count)}">AMP</a></li>' for j in range(i + 1, i + 4))
    extras = " ".join(f'<a href="/help/{HELP_TOPICS[(i + k) % len(HELP_TOPICS)]}">help</a>' for k in range(6))
    return _page(_headline(i), (
        f"<article><h1>{html.escape(_headline(i))}</h1>{_paragraphs(i)}</article>"
        f'<p><a href="/amp{story_path(i)}">AMP</a> <a href="/print{story_path(i)}">Print</a> '
        f'<a href="/media/{i}/download">Download the documents</a> <a href="/old/{i}">Earlier version</a> '
        f'<a href="/comments/{i}">Comments</a> {extras}</p><ul>{related}</ul>'
    ), head)


def _copy(i: int, kind: str) -> str:
    head = f'<link rel="canonical" href="{story_path(i)}">'
    return _page(_headline(i) + (" (print)" if kind == "print" else ""),
                 f"<article><h1>{html.escape(_headline(i))}</h1>{_paragraphs(i)}</article>", head)


def site(count: int, per_page: int = PER_PAGE) -> tuple[Pages, int]:
    """The site's pages, and the lower bound of requests for its ``count`` stories, listed
    ``per_page`` to a section page."""
    pages: Pages = {"/": (200, {}, _page("Courier", '<a href="/section/news">Latest news</a>'))}
    listing_pages = (count + per_page - 1) // per_page
    for n in range(listing_pages):
        items = "".join(f'<li><a href="{story_path(i)}">{html.escape(_headline(i))}</a></li>'
                        for i in range(n * per_page, min(count, (n + 1) * per_page)))
        after = f'<a rel="next" href="/section/news?page={n + 2}">Next page</a>' if n + 1 < listing_pages else ""
        pages["/section/news" if n == 0 else f"/section/news?page={n + 1}"] = (
            200, {}, _page(f"News, page {n + 1}", f"<h1>Latest news</h1><ul>{items}</ul>{after}"))
    for topic in HELP_TOPICS:
        pages[f"/help/{topic}"] = (200, {}, _page(f"Help: {topic}", f"<h1>{topic}</h1><p>Write to the desk.</p>"))
    for i in range(count):
        pages[story_path(i)] = (200, {}, _story(i, count))
        pages["/amp" + story_path(i)] = (200, {}, _copy(i, "amp"))
        pages["/print" + story_path(i)] = (200, {}, _copy(i, "print"))
        pages[f"/media/{i}/download"] = (200, {"Content-Type": "application/octet-stream"}, "%PDF-1.4 documents")
        pages[f"/comments/{i}"] = (200, {}, _page("Comments", "<p>Comments are closed.</p>"))
    return pages, 1 + listing_pages + count


Log = list[tuple[str, float, float, int]]


class _Recorder(BaseHTTPRequestHandler):
    pages: Pages
    log: Log

    def do_GET(self) -> None:
        start = time.time()
        status, headers, body = self.pages.get(self.path, (404, {}, "not here"))
        time.sleep(0.002)  # an answer takes a moment: requests in flight overlap as on a real server
        data = body.encode()
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        # Answered when the last bytes go: timed before they do, as a thread preempted after the
        # write would count as answering while the crawler, served, already sent its next request.
        end = time.time()
        self.wfile.write(data)
        self.log.append((self.path, start, end, status))

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True


@contextlib.contextmanager
def serving(pages: Pages) -> Iterator[tuple[int, Log]]:
    """``pages`` served on 127.0.0.1: the port, and each request's path, start, end and status."""
    log: Log = []
    server = _Server(("127.0.0.1", 0), type("Handler", (_Recorder,), {"pages": pages, "log": log}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], log
    finally:
        server.shutdown()
        server.server_close()


def measure(count: int, lower_bound: int, settings: list[str], log: Log, port: int, folder: Path) -> dict[str, Any]:
    """One crawl of the served site into a fresh SQLite file, and what it cost."""
    db_file = folder / f"crawl-{len(list(folder.iterdir()))}.db"
    log.clear()
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "crawl", f"http://127.0.0.1:{port}/", "--db", f"sqlite:///{db_file}",
         "-s", "NEWS_ALLOW_PRIVATE_NETWORKS=True", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING",
         "-s", "ROBOTSTXT_OBEY=False", "-s", "NEWS_CONTACT_URL=https://newscrawl.test/contact", *settings],
        capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL, check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"crawl failed: {result.stderr[-2000:]}")
    with sqlite3.connect(db_file) as connection:
        stored = {url for (url,) in connection.execute("SELECT url FROM articles")}
        (aliases,) = connection.execute("SELECT count(*) FROM article_urls WHERE reason = 'alias' "
                                        "AND (url LIKE '%/amp/%' OR url LIKE '%/print/%')").fetchone()
    own = {f"http://127.0.0.1:{port}{story_path(i)}" for i in range(count)}
    requests = [path for path, *_ in log if path != "/robots.txt"]
    kinds = Counter(path.split("/")[1] or "home" for path in requests)
    return {
        "requests": len(requests), "stored_own": len(stored & own), "recall": len(stored & own) / count,
        "per_story": len(requests) / count, "ratio": len(requests) / lower_bound,
        "copies": kinds["amp"] + kinds["print"], "aliases": aliases, "by_kind": dict(kinds),
    }


MODES = {
    "learning": [],
    "no learning": ["-s", "NEWS_COPY_RULES=False", "-s", "NEWS_LINK_YIELD=False"],
}


def run(count: int, delay: float) -> dict[str, dict[str, Any]]:
    pages, lower_bound = site(count)
    settings = ["-s", f"DOWNLOAD_DELAY={delay}"]
    with serving(pages) as (port, log), tempfile.TemporaryDirectory() as folder:
        return {mode: measure(count, lower_bound, settings + extra, log, port, Path(folder))
                for mode, extra in MODES.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.0, help="DOWNLOAD_DELAY of both crawls")
    args = parser.parse_args()
    _, lower_bound = site(args.articles)
    print(f"site: {args.articles} stories, {2 * args.articles} copies linked; lower bound {lower_bound} requests")
    print(f"{'mode':12s} {'requests':>8s} {'recall':>7s} {'req/story':>9s} {'vs bound':>8s} {'copies':>7s} "
          f"{'aliases':>7s}  requests by first path segment")
    for mode, figures in run(args.articles, args.delay).items():
        print(f"{mode:12s} {figures['requests']:8d} {figures['recall']:7.3f} {figures['per_story']:9.2f} "
              f"{figures['ratio']:8.2f} {figures['copies']:7d} {figures['aliases']:7d}  {figures['by_kind']}")


if __name__ == "__main__":
    main()
