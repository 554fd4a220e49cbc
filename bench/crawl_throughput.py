"""Crawl throughput against its ceiling, measured in one run: a full crawl of N real news pages
served on 127.0.0.1, and the same pages through the same extraction in a process pool on all
cores with no crawling at all.

The pages are ``../shared/eval/scrapinghub``'s, reused under distinct URLs to reach N: each copy
gets a sentence of its own in its longest paragraph (so none is a duplicate of another), a
canonical link to its own URL and a ``<base>`` naming the address it was saved from, so that its
relative links lead back to its own site as they did there (resolved against the copy's URL, they
would send the crawl to thousands of addresses this server does not have: ``N`` pages are served,
not a site). Only pages the extractor keeps as articles, with that sentence in their body, are
used. Paginated index pages (500 links each, ``rel="next"``) link to the copies.

The crawl is ``newscrawl crawl`` with default production settings except throttling (no
AutoThrottle, no download delay, per-site concurrency = CONCURRENT_REQUESTS) into a fresh
SQLite file or a given PostgreSQL database. Printed: pages/s of the crawl (end to end: wall clock,
process start to exit; steady: first article fetched to last, without the start-up that the
ceiling's warm pool leaves out too) and of the ceiling (the extraction call the crawl makes, ``ArticleExtractor``,
and plain ``trafilatura.bare_extraction(with_metadata=True)``, each over all cores), the ratios,
CPU seconds per page of the crawl (all its processes), its peak RSS (all its processes, sampled
every 0.1 s) and the count stored, which must equal N.

    python bench/crawl_throughput.py [--n 5000] [--db URL] [--eval-dir DIR]
    python bench/crawl_throughput.py --curve      # N = 1000, 5000, 20000
"""

from __future__ import annotations

import argparse
import gzip
import html
import json
import multiprocessing
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psutil
import trafilatura
from sqlalchemy import func, select

from crawler import settings
from crawler.extraction import ArticleExtractor, NotAnArticle
from crawler.extraction.workers import settle_heap
from crawler.storage import Article, drop_schema, make_engine

DEFAULT_EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
PER_INDEX_PAGE = 500
_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_PARAGRAPH = re.compile(rb"<p\b[^>]*>(.*?)</p>", re.DOTALL | re.IGNORECASE)
_CANONICAL = re.compile(
    rb"""<link\b[^>]*\brel=["']?canonical\b[^>]*>|<meta\b[^>]*\bproperty=["']og:url["'][^>]*>""",
    re.IGNORECASE,
)


class Pages:
    """The source pages, and copy ``i`` of them made on demand (N copies never sit in memory)."""

    def __init__(self, folder: Path) -> None:
        truth = json.loads((folder / "ground-truth.json").read_text("utf-8"))
        # html without canonical links, insertion offset, address saved from
        self.sources: list[tuple[bytes, int, str]] = []
        for path in sorted((folder / "html").glob("*.html.gz")):
            page = _CANONICAL.sub(b"", gzip.decompress(path.read_bytes()))
            longest = max(_PARAGRAPH.finditer(page), key=lambda m: len(m.group(1)), default=None)
            if longest is not None:
                self.sources.append((page, longest.start(1), truth[path.name.split(".")[0]]["url"]))

    def keep(self, indices: list[int]) -> None:
        self.sources = [self.sources[i] for i in indices]

    @staticmethod
    def path(i: int) -> str:
        return f"/{2020 + i % 6}/{1 + i % 12:02d}/{1 + i % 28:02d}/story-copy-number-{i}.html"

    @staticmethod
    def marker(i: int) -> str:
        spelled = " ".join(_DIGITS[int(d)] for d in str(i))
        return f"Copy {i} of this story is number {spelled}."

    def html(self, i: int, host: str) -> bytes:
        page, at, saved_from = self.sources[i % len(self.sources)]
        inserted = (
            f'<base href="{html.escape(saved_from)}">'  # first in the page: the one that counts
            f'<link rel="canonical" href="http://{host}{self.path(i)}">'
        ).encode()
        head = page.find(b"<head")
        head = page.find(b">", head) + 1 if head >= 0 else 0
        marked = page[:at] + self.marker(i).encode() + b" " + page[at:]
        return marked[:head] + inserted + marked[head:]

    def index(self, number: int, n: int) -> bytes:
        first = (number - 1) * PER_INDEX_PAGE
        links = "".join(
            f'<li><a href="{html.escape(self.path(i))}">Story {i}</a></li>'
            for i in range(first, min(first + PER_INDEX_PAGE, n))
        )
        nxt = f'<a rel="next" href="/index/{number + 1}">Next</a>' if first + PER_INDEX_PAGE < n else ""
        return (
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Index</title>'
            '<meta property="og:type" content="website"></head>'
            f"<body><h1>Stories, page {number}</h1><ul>{links}</ul>{nxt}</body></html>"
        ).encode()


def serve(pages: Pages, n: int) -> ThreadingHTTPServer:
    copy_path = re.compile(r"^/\d{4}/\d\d/\d\d/story-copy-number-(\d+)\.html$")
    index_path = re.compile(r"^/index/(\d+)$")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as news sites serve

        def do_GET(self) -> None:
            body, status = b"<html><body>Not found</body></html>", 404
            if self.path == "/" or (index := index_path.match(self.path)):
                body, status = pages.index(int(index.group(1)) if self.path != "/" else 1, n), 200
            elif (match := copy_path.match(self.path)) and int(match.group(1)) < n:
                body, status = pages.html(int(match.group(1)), self.headers["Host"]), 200
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# The ceiling's worker side: the pages and both extractors, built once per worker, whose heap is
# then settled as the crawl's page workers settle theirs: the ratio is the crawl's overhead alone.
_pages: Pages | None = None
_extractor: ArticleExtractor | None = None


def _init_worker(folder: Path, keep: list[int] | None) -> None:
    global _pages, _extractor
    _pages = Pages(folder)
    if keep is not None:
        _pages.keep(keep)
    _extractor = ArticleExtractor(
        favor_precision=settings.NEWS_EXTRACT_FAVOR_PRECISION,
        min_body_words=settings.NEWS_EXTRACT_MIN_BODY_WORDS,
        drop_params=[*settings.NEWS_TRACKING_PARAMS, *settings.NEWS_SESSION_PARAMS],
    )
    settle_heap()


def _newscrawl(i: int) -> bool:
    """Extract copy ``i`` as the crawl does; whether it is an article carrying its marker."""
    assert _pages is not None and _extractor is not None
    url = f"http://127.0.0.1{_pages.path(i)}"
    try:
        item = _extractor.extract(_pages.html(i, "127.0.0.1"), url)
    except NotAnArticle:
        return False
    return _pages.marker(i) in item.body


def _trafilatura(i: int) -> bool:
    assert _pages is not None
    url = f"http://127.0.0.1{_pages.path(i)}"
    return trafilatura.bare_extraction(_pages.html(i, "127.0.0.1"), url=url, with_metadata=True) is not None


def _pool(folder: Path, keep: list[int] | None) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        os.cpu_count(), mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_worker, initargs=(folder, keep),
    )


def usable_sources(folder: Path) -> list[int]:
    """Source pages the extractor keeps as articles with their copy's marker in the body."""
    count = len(Pages(folder).sources)
    with _pool(folder, None) as pool:
        return [i for i, ok in enumerate(pool.map(_newscrawl, range(count), chunksize=4)) if ok]


def ceiling(folder: Path, keep: list[int], n: int) -> dict[str, float]:
    """Pages/s of the crawl's extraction call and of plain trafilatura over all cores."""
    figures = {}
    for name, job in (("newscrawl extraction", _newscrawl), ("trafilatura", _trafilatura)):
        with _pool(folder, keep) as pool:
            list(pool.map(job, range(2 * (os.cpu_count() or 1))))  # workers up and warm
            began = time.perf_counter()
            results = list(pool.map(job, range(n), chunksize=8))
            figures[name] = n / (time.perf_counter() - began)
        if name == "newscrawl extraction" and not all(results):
            print(f"  warning: {results.count(False)} copies not extracted as articles", file=sys.stderr)
    return figures


def crawl(url: str, db: str, n: int) -> dict[str, float]:
    """Run the crawl; wall seconds, CPU seconds and peak RSS of all its processes."""
    return measure([
        sys.executable, "-m", "crawler", "crawl", url, "--db", db, "--allow-private-networks",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
        "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={settings.CONCURRENT_REQUESTS}",
        "-s", "LOG_LEVEL=WARNING",
    ])


def measure(command: list[str]) -> dict[str, float]:
    """Run a newscrawl command; wall seconds, CPU seconds (all its processes, and its main one)
    and the peak RSS of all its processes, sampled every 0.1 s."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    main_cpu = 0.0
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.append(process.stderr.read() if process.stderr else b""))
    reader.start()
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
            times = process.cpu_times()
            main_cpu = times.user + times.system
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - began
    reader.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        sys.stderr.write(b"".join(stderr).decode(errors="replace")[-4000:])
        raise SystemExit(f"{command[3]} exited with {process.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "main_cpu": main_cpu, "peak_rss": peak}


def stored(db: str) -> tuple[int, float]:
    """Articles stored, and the seconds from the first fetched to the last."""
    engine = make_engine(db)
    with engine.connect() as connection:
        count, first, last = connection.execute(
            select(func.count(), func.min(Article.fetched_at), func.max(Article.fetched_at))
        ).one()
    engine.dispose()
    return count, (last - first).total_seconds() if count > 1 else 0.0


def run(folder: Path, keep: list[int], n: int, db: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        url = db or f"sqlite:///{Path(scratch) / 'crawl.db'}"
        if db:
            drop_schema(make_engine(db))
        pages = Pages(folder)
        pages.keep(keep)
        server = serve(pages, n)
        try:
            measured = crawl(f"http://127.0.0.1:{server.server_address[1]}/", url, n)
        finally:
            server.shutdown()
        measured["stored"], measured["steady"] = stored(url)
    measured |= ceiling(folder, keep, n)
    return measured


def report(n: int, m: dict[str, float]) -> None:
    rate, steady = n / m["wall"], (n - 1) / m["steady"]
    print(f"N = {n:,}: stored {m['stored']:,.0f}{'' if m['stored'] == n else '  (MISSING ARTICLES)'}")
    print(f"  crawl, end to end     {rate:7.1f} pages/s  {m['cpu'] / n * 1000:6.1f} ms CPU/page "
          f"({m['main_cpu'] / n * 1000:.1f} in the reactor process)  "
          f"peak RSS {m['peak_rss'] / 2**20:,.0f} MB (all processes)")
    print(f"  crawl, steady         {steady:7.1f} pages/s  (first article fetched to last: start-up "
          f"{m['wall'] - m['steady']:.1f} s left out, as the ceiling leaves out its pool's)")
    for name in ("newscrawl extraction", "trafilatura"):
        print(f"  ceiling: {name:<20} {m[name]:7.1f} pages/s  crawl/ceiling {rate / m[name]:.2f} "
              f"end to end, {steady / m[name]:.2f} steady")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--curve", action="store_true", help="N = 1000, 5000, 20000")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file); emptied first")
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    args = parser.parse_args()
    folder = args.eval_dir / "scrapinghub"
    if not (folder / "html").is_dir():
        print(f"no evaluation set at {folder}: pass --eval-dir", file=sys.stderr)
        return 2
    keep = usable_sources(folder)
    print(f"{len(keep)} source pages, {os.cpu_count()} cores; copies served on 127.0.0.1")
    sizes = [1000, 5000, 20000] if args.curve else [args.n]
    results = {}
    for n in sizes:
        results[n] = run(folder, keep, n, args.db)
        report(n, results[n])
    if args.curve:
        first, last = results[sizes[0]], results[sizes[-1]]
        print(f"N = {sizes[-1]:,} vs {sizes[0]:,}: pages/s x{(sizes[-1] / last['wall']) / (sizes[0] / first['wall']):.2f} "
              f"end to end, x{(sizes[-1] / last['steady']) / (sizes[0] / first['steady']):.2f} steady; "
              f"peak RSS x{last['peak_rss'] / first['peak_rss']:.2f}")
    print(json.dumps({n: {k: round(v, 2) for k, v in m.items()} for n, m in results.items()}))
    return 0 if all(m["stored"] == n for n, m in results.items()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
