"""The fault catalogue: one crawl of a site where every page goes wrong in its own way.

Each fault must end the way a long-running crawler needs: retried or skipped with a logged
reason, counted by kind in the stats, and the rest of the site crawled normally.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter

import psutil
import pytest

from tests.conftest import FAST, ROOT
from tests.faultsite import (
    ACCENTED,
    FLAKY,
    LATIN1,
    LYING_CHARSET,
    NORMAL,
    RATE_LIMITED,
    SECOND,
    TRUNCATED,
)
from tests.mockserver import running
from tests.newsroom import _paragraphs, slug

pytestmark = pytest.mark.e2e


def crawl_measured(*args: str) -> tuple[subprocess.CompletedProcess[str], float, int]:
    """Run ``newscrawl ARGS``; the result, its wall time and the peak RSS of all its processes."""
    command = [sys.executable, "-m", "crawler", *args]
    began = time.perf_counter()
    process = psutil.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                           text=True)
    output: dict[str, str] = {}
    readers = [threading.Thread(target=lambda name=name: output.__setitem__(name, getattr(process, name).read()))
               for name in ("stdout", "stderr")]
    for reader in readers:
        reader.start()
    peak = 0
    while process.poll() is None:
        try:
            tree = [process, *process.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.1)
    wall = time.perf_counter() - began
    for reader in readers:
        reader.join()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    result = subprocess.CompletedProcess(command, process.returncode, output["stdout"], output["stderr"])
    return result, wall, peak


@pytest.fixture(scope="module")
def fault_crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faults")
    log = folder / "requests.log"
    db = folder / "news.db"
    with running("faults", str(log)) as url:
        port = url.rsplit(":", 1)[1].strip("/")
        result, wall, peak = crawl_measured(
            "crawl", url, f"http://localhost:{port}/", "--feed", f"{url}big-feed.xml", "--feed", f"{url}xxe-feed.xml",
            "--sitemap", f"{url}laughs-sitemap.xml", "--db", f"sqlite:///{db}", *FAST,
            "-s", "LOG_LEVEL=INFO", "-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=2",
        )
    print(f"\nfault-site crawl: {wall:.1f} s, peak RSS of all its processes {peak / 2**20:.0f} MB")
    requests = [line.split() for line in log.read_text().splitlines()]
    with sqlite3.connect(db) as connection:
        articles = dict(connection.execute("SELECT canonical_url, body FROM articles").fetchall())
        texts = " ".join(" ".join(map(str, row)) for row in connection.execute("SELECT * FROM articles").fetchall())
        stats = json.loads(connection.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    return url, port, result, wall, peak, requests, articles, texts, stats


def test_the_crawl_finishes_in_time_and_memory(fault_crawl):
    _, _, result, wall, peak, _, _, _, stats = fault_crawl
    assert result.returncode == 0, result.stderr[-3000:]
    assert stats["finish_reason"] == "finished"
    assert wall < 60
    assert peak < 500 * 2**20


def test_the_rest_of_the_site_is_stored_whole(fault_crawl):
    url, port, _, _, _, _, articles, _, _ = fault_crawl
    expected = {url.rstrip("/") + slug(i) for i in [*NORMAL, LATIN1, LYING_CHARSET, TRUNCATED, FLAKY, RATE_LIMITED]}
    expected |= {f"http://localhost:{port}{slug(i)}" for i in SECOND}
    assert set(articles) == expected
    for i in [*NORMAL, FLAKY, RATE_LIMITED]:
        assert articles[url.rstrip("/") + slug(i)] == "\n\n".join(_paragraphs(i))


def test_pages_in_legacy_encodings_read_right(fault_crawl):
    """No charset anywhere, and a meta charset that lies: both stored as written."""
    url, _, result, _, _, _, articles, _, stats = fault_crawl
    for i in (LATIN1, LYING_CHARSET):
        body = articles[url.rstrip("/") + slug(i)]
        assert body.startswith(ACCENTED), body[:200]
        assert "\ufffd" not in body
    assert stats["news/page/charset_mismatch"] == 1
    assert f"{url.rstrip('/')}{slug(LYING_CHARSET)}: declared character encoding does not fit" in result.stderr


def test_truncated_html_keeps_what_arrived(fault_crawl):
    url, _, _, _, _, _, articles, _, _ = fault_crawl
    body = articles[url.rstrip("/") + slug(TRUNCATED)]
    for paragraph in _paragraphs(TRUNCATED)[:3]:
        assert paragraph in body
    assert _paragraphs(TRUNCATED)[4] not in body


def test_server_faults_are_retried_or_skipped_and_counted(fault_crawl):
    url, _, result, _, _, requests, _, _, stats = fault_crawl
    hits = Counter(path for _, path, _, _ in requests)
    # 503 then 500 then the article; 429 with Retry-After: 1, then the article, a second later.
    assert hits[slug(FLAKY)] == 3
    assert stats["retry/reason_count/503 Service Unavailable"] == 1
    times = [float(t) for _, path, _, t in requests if path == slug(RATE_LIMITED)]
    assert len(times) == 2 and times[1] - times[0] >= 1.0
    assert stats["news/retry_after/waited"] == 1
    # A response that never finishes: retried, then given up with its reason.
    assert hits["/slow"] == 3
    assert stats["news/request_error/DownloadTimeoutError"] == 1
    assert f"request failed: {url}slow: Getting {url}slow took longer than 5.0 seconds" in result.stderr
    # 20 MB, announced or streamed, and three decompression bombs: cut at DOWNLOAD_MAXSIZE.
    assert stats["news/request_error/DownloadCancelledError"] == 2
    assert stats["news/request_error/DecompressedTooLarge"] == 3
    assert f"request failed: {url}bomb-br: Ignored response" in result.stderr
    # Redirects: a chain without end, a cycle, another domain.
    assert stats["news/request_error/TooManyRedirects"] == 1
    assert hits["/loop/20"] == 1 and hits["/loop/21"] == 0
    assert hits["/cycle-a"] == 1 and hits["/cycle-b"] == 1
    assert stats["offsite/filtered"] == 1
    # robots.txt timing out (127.0.0.1) and answering 500 (localhost): both sites crawled anyway.
    assert stats["robotstxt/exception_count/<class 'scrapy.exceptions.DownloadTimeoutError'>"] == 1
    assert stats["robotstxt/response_status_count/500"] == 1


def test_page_faults_are_skipped_with_a_reason(fault_crawl):
    url, _, result, _, _, _, _, _, stats = fault_crawl
    assert stats["news/page/binary"] == 2
    assert stats["news/page/empty"] == 1
    assert stats["news/extract/dropped/too_deep"] == 1
    for path, reason in (("report.html", "binary body"), ("photo.html", "binary body"), ("empty", "empty body"),
                         (slug(105).lstrip("/"), "nested too deep")):
        assert f"skipped {url}{path}: {reason}" in result.stderr
    assert "pages not stored:" in result.stdout and "binary 2" in result.stdout and "too_deep 1" in result.stdout


def test_traps_stay_finite(fault_crawl):
    _, _, _, _, _, requests, _, _, stats = fault_crawl
    paths = [path for _, path, _, _ in requests]
    calendar = [p for p in paths if p.startswith("/calendar/")]
    # Cut by the trap rule (forward until the years cannot hold news yet, backward until
    # DEPTH_LIMIT) or, sooner, by the shape of its links, which has led to no article.
    assert stats.get("news/trap/calendar", 0) + stats.get("news/link/barren_skipped", 0) >= 1
    assert 0 < len(calendar) <= 24 + 20
    assert "/calendar/2028/01/" not in calendar
    assert not any("jsessionid" in p or "sid=" in p for p in paths)


def test_hostile_feeds_and_sitemaps_are_read_safely(fault_crawl):
    _, _, _, _, _, _, _, texts, stats = fault_crawl
    # The 10 MB feed and the feed with an external entity are read; the entity is not resolved.
    assert stats["news/feed/parsed"] == 2
    assert stats["news/feed/entries"] == 4
    assert "root:" not in texts
    # The billion-laughs sitemap: read without expanding its entities, its plain entry kept.
    assert stats["news/sitemap/parsed"] == 1
    assert stats["news/sitemap/entries"] == 1
    assert "hahaha" not in texts
