"""A shared crawl is polite as one crawler: each site's concurrency and delay hold across all the
workers, a Retry-After pauses a site for every worker, and robots.txt is fetched once.

The site is served by a server in this process that records, for each request, its host and
when it started and ended (each answer takes a little while, so that requests can overlap)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, text
from twisted.internet.error import ConnectionRefusedError

from crawler.downloadermiddlewares.shared_politeness import (
    DOWN_AFTER,
    DOWN_PAUSE,
    SharedPolitenessMiddleware,
)
from tests.conftest import FAST, ROOT, newscrawl
from tests.newsroom import article_page, slug

pytestmark = pytest.mark.e2e
ARTICLES = 30
ANSWER_TIME = 0.03


class _Recorder(BaseHTTPRequestHandler):
    log: list[tuple[str, str, float, float, int]]
    throttled: set[str]

    def do_GET(self) -> None:
        start = time.time()
        host = self.headers.get("Host", "")
        if self.path == "/robots.txt":
            status, body, headers = 200, "User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}
        elif self.path == "/":
            links = "".join(f'<li><a href="{slug(i)}">story</a></li>' for i in range(ARTICLES))
            status, body, headers = 200, f"<html><body><ul>{links}</ul></body></html>", {}
        elif self.path in self.throttled:
            self.throttled.discard(self.path)
            status, body, headers = 429, "slow down", {"Retry-After": "5"}
        else:
            number = next((i for i in range(ARTICLES) if slug(i) == self.path), None)
            status, body, headers = (200, article_page(number), {}) if number is not None else (404, "no", {})
        time.sleep(ANSWER_TIME)
        data = body.encode()
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        end = time.time()  # before the last bytes go: see bench/crawl_efficiency.py
        self.wfile.write(data)
        self.log.append((host.split(":")[0], self.path, start, end, status))

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


@contextlib.contextmanager
def recording(throttled: set[str]) -> Iterator[tuple[int, list[tuple[str, str, float, float, int]]]]:
    log: list[tuple[str, str, float, float, int]] = []
    server = _Server(("127.0.0.1", 0), type("Handler", (_Recorder,), {"log": log, "throttled": throttled}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], log
    finally:
        server.shutdown()
        server.server_close()


def shared_crawl(tmp_path, redis_url: str, port: int, workers: int, north: str, south: str) -> str:
    """Enqueue two sources (the server as 127.0.0.1 and as localhost), each with its own limits,
    and run ``workers`` workers to the end; the database URL."""
    sources = tmp_path / "sources.toml"
    sources.write_text(f"""
[sources.north]
start_urls = ["http://127.0.0.1:{port}/"]
settings = {{ {north} }}

[sources.south]
start_urls = ["http://localhost:{port}/"]
settings = {{ {south} }}
""")
    enqueued = newscrawl("enqueue", "--all", "--sources", str(sources), "--redis", redis_url)
    assert enqueued.returncode == 0, enqueued.stderr
    db = f"sqlite:///{tmp_path / 'news.db'}"
    assert newscrawl("db", "upgrade", "--db", db).returncode == 0
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "crawler", "worker", "--redis", redis_url, "--db", db, "--idle-timeout", "3",
             *FAST, "-s", "NEWS_EXTRACT_WORKERS=1", "-s", "RANDOMIZE_DOWNLOAD_DELAY=True"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
        )
        for _ in range(workers)
    ]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-3000:]
    return db


def in_flight(log, host: str) -> int:
    """The most requests of ``host`` the server was answering at once."""
    events = sorted([(start, 1) for h, _, start, _, _ in log if h == host]
                    + [(end, -1) for h, _, _, end, _ in log if h == host])
    most = current = 0
    for _, step in events:
        current += step
        most = max(most, current)
    return most


def stored(db: str) -> int:
    engine = create_engine(db)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM articles")).scalar_one()
    engine.dispose()
    return int(count)


@pytest.mark.parametrize("workers", [1, 3])
def test_each_site_keeps_its_limits_across_all_workers(tmp_path, redis_url, workers):
    with recording(set()) as (port, log):
        db = shared_crawl(tmp_path, redis_url, port, workers,
                          "DOWNLOAD_DELAY = 0.2, CONCURRENT_REQUESTS_PER_DOMAIN = 1",
                          "DOWNLOAD_DELAY = 0, CONCURRENT_REQUESTS_PER_DOMAIN = 2")
    assert stored(db) == ARTICLES  # the same stories under both names, stored once
    north = sorted(start for host, _, start, _, _ in log if host == "127.0.0.1")
    assert len(north) >= ARTICLES + 2
    assert in_flight(log, "127.0.0.1") == 1
    # Scrapy's randomisation: 0.5-1.5 times the delay between request starts, whichever worker.
    gaps = [b - a for a, b in itertools.pairwise(north)]
    assert min(gaps) >= 0.5 * 0.2 - 0.01, sorted(gaps)[:5]
    assert in_flight(log, "localhost") <= 2
    print(f"\n{workers} worker(s): 127.0.0.1 {len(north)} requests, at most {in_flight(log, '127.0.0.1')} in flight, "
          f"gaps {min(gaps):.3f}-{max(gaps):.3f} s; localhost at most {in_flight(log, 'localhost')} in flight")
    # robots.txt once per site, however many workers.
    robots = [host for host, path, *_ in log if path == "/robots.txt"]
    assert sorted(robots) == ["127.0.0.1", "localhost"]


def test_a_retry_after_seen_by_one_worker_pauses_the_site_for_all(tmp_path, redis_url):
    throttled = {slug(3)}
    with recording(throttled) as (port, log):
        db = shared_crawl(tmp_path, redis_url, port, 3, "CONCURRENT_REQUESTS_PER_DOMAIN = 4",
                          "CONCURRENT_REQUESTS_PER_DOMAIN = 4")
    assert not throttled  # the server said 429 once
    assert stored(db) == ARTICLES
    (refused,) = [end for host, path, _, end, status in log if status == 429]
    host = next(h for h, _, _, _, status in log if status == 429)
    # Requests admitted before the 429 came back may arrive just after it; then nothing for 5 s.
    during = [start - refused for h, _, start, _, _ in log if h == host and refused + 0.2 < start < refused + 4.9]
    assert during == []
    assert any(h == host and refused + 4.9 <= start for h, _, start, _, _ in log)


def test_failed_connections_in_a_row_pause_the_site_for_every_worker(redis_url):
    def a_worker() -> SharedPolitenessMiddleware:
        crawler = get_crawler(settings_dict={"REDIS_URL": redis_url, "DOWNLOAD_DELAY": 0})
        crawler._apply_settings()
        return SharedPolitenessMiddleware.from_crawler(crawler)

    async def scenario() -> tuple[float, float]:
        seeing, other = a_worker(), a_worker()
        for attempt in range(DOWN_AFTER):
            request = Request(f"http://down.example/{attempt}")
            await seeing.process_request(request)
            await seeing.process_exception(request, ConnectionRefusedError())
        started = time.monotonic()
        await other.process_request(Request("http://down.example/after"))
        paused = time.monotonic() - started
        started = time.monotonic()
        await other.process_request(Request("http://up.example/"))  # another site: no wait
        return paused, time.monotonic() - started

    paused, elsewhere = asyncio.run(scenario())
    assert DOWN_PAUSE - 0.5 <= paused <= DOWN_PAUSE + 1
    assert elsewhere < 0.5


def test_the_autothrottle_delay_one_worker_reports_spaces_every_workers_requests(redis_url):
    def a_worker() -> SharedPolitenessMiddleware:
        crawler = get_crawler(settings_dict={"REDIS_URL": redis_url, "DOWNLOAD_DELAY": 0, "RANDOMIZE_DOWNLOAD_DELAY": False})
        crawler._apply_settings()
        return SharedPolitenessMiddleware.from_crawler(crawler)

    async def two_starts() -> float:
        first, second = a_worker(), a_worker()
        # What a worker whose AutoThrottle slowed the site to 0.6 s wrote after its last response.
        first.server.hset("newscrawl:site:slow.example", "throttle", 0.6)
        await first.process_request(Request("http://slow.example/a"))
        started = time.monotonic()
        await second.process_request(Request("http://slow.example/b"))
        return time.monotonic() - started

    assert 0.5 <= asyncio.run(two_starts()) <= 1.0
