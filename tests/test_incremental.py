"""Incremental crawls of a site that changes between crawls, counted at the server.

One site serves every discovery path (see ``tests.newsroom``); the server logs each request, so
the tests see what was fetched, what came back 304, and what was never asked for.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests import newsroom
from tests.conftest import FAST, ROOT, newscrawl
from tests.mockserver import running, served

ARTICLES = 24


@pytest.fixture
def site(tmp_path):
    """``(base URL, site folder, request log)`` of a fresh newsroom with ARTICLES articles."""
    folder = tmp_path / "site"
    newsroom.build(folder, ARTICLES)
    log = tmp_path / "requests.log"
    with running("static", str(folder), str(log)) as url:
        yield url, folder, log


def sources_file(tmp_path: Path, url: str, **extra: str) -> Path:
    path = tmp_path / "sources.toml"
    lines = [
        "[sources.courier]",
        f'start_urls = ["{url}"]',
        f'feeds = ["{url}rdf.xml"]',
        *(f"{key} = {value}" for key, value in extra.items()),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def sqlite_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'news.db'}"


def crawl(tmp_path: Path, url: str, *args: str, db: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    result = newscrawl(
        "crawl", "--source", "courier", "--sources", str(sources_file(tmp_path, url, **extra)),
        "--db", db or sqlite_db(tmp_path), *FAST, *args,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def query(db: str, sql: str) -> list[Any]:
    engine = create_engine(db)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text(sql))]
    engine.dispose()
    return rows


def stored(db: str) -> list[tuple[str, str | None]]:
    return sorted((url.split("/", 3)[3], source) for url, source in query(db, "SELECT canonical_url, source FROM articles"))


def article_requests(log: Path) -> Counter[str]:
    return Counter(path for path, _ in served(log) if path.startswith("/news/"))


def test_every_listed_article_is_stored_once_with_its_source(site, tmp_path):
    url, _, log = site
    result = crawl(tmp_path, url)
    everything = [newsroom.slug(i).lstrip("/") for i in range(ARTICLES)]
    assert stored(sqlite_db(tmp_path)) == [(path, "courier") for path in everything]
    # Each article fetched once, however many feeds and sitemaps listed it.
    assert article_requests(log) == Counter({f"/{path}": 1 for path in everything})
    requested = {path for path, _ in served(log)}
    assert {"/rss.xml", "/atom.xml", "/rdf.xml", "/sitemap-index.xml", "/sitemaps/news.xml.gz",
            "/sitemaps/pages.xml"} <= requested
    assert "articles stored:    24" in result.stdout


def test_second_crawl_fetches_only_the_new_articles_and_gets_304_for_the_rest(site, tmp_path, db_url):
    url, folder, log = site
    crawl(tmp_path, url, db=db_url)
    changed = newsroom.build(folder, ARTICLES + 3)
    # The three new articles are listed by the section page, the RSS feed and the Atom feed.
    assert sorted(changed) == sorted([
        "/section/local.html", "/rss.xml", "/atom.xml", *(newsroom.slug(i) for i in range(ARTICLES, ARTICLES + 3)),
    ])
    log.unlink()
    result = crawl(tmp_path, url, db=db_url)

    second = served(log)
    new = {newsroom.slug(i) for i in range(ARTICLES, ARTICLES + 3)}
    assert article_requests(log) == Counter(dict.fromkeys(new, 1))
    assert all(status == 200 for path, status in second if path in new)
    statuses = {path: status for path, status in second if not path.startswith("/news/")}
    assert statuses == {
        "/": 304, "/robots.txt": 200, "/rdf.xml": 304, "/sitemap-index.xml": 304,
        "/sitemaps/news.xml.gz": 304, "/sitemaps/pages.xml": 304,
        "/section/local.html": 200, "/rss.xml": 200, "/atom.xml": 200,
    }
    assert len(stored(db_url)) == ARTICLES + 3
    assert "articles stored:    3" in result.stdout
    (stats,) = query(db_url, "SELECT stats FROM crawl_runs ORDER BY id DESC")[0]
    stats = json.loads(stats) if isinstance(stats, str) else stats
    kept = dict(query(db_url, "SELECT url, etag FROM listing_pages"))
    assert stats["news/conditional/not_modified"] == 5
    assert stats["news/incremental/skipped_stored"] > 0
    # The listing pages, none of the articles; robots.txt is read where it is fetched, for its rules.
    assert kept[f"{url}rss.xml"].startswith('"') and len(kept) == 8


def test_revisit_fetches_young_articles_again_and_keeps_their_edits(site, tmp_path):
    url, folder, log = site
    crawl(tmp_path, url)
    page = folder / newsroom.slug(0).lstrip("/")
    page.write_text(page.read_text().replace("</article>", "<p>Correction: the meeting moved to Thursday.</p></article>"))
    log.unlink()
    # Every fixture article is younger than a million hours.
    result = crawl(tmp_path, url, "-s", "NEWS_REVISIT_HOURS=1000000")
    assert article_requests(log) == Counter({newsroom.slug(i): 1 for i in range(ARTICLES)})
    assert len(stored(sqlite_db(tmp_path))) == ARTICLES
    assert "articles updated:   1" in result.stdout
    edited = [body for (body,) in query(sqlite_db(tmp_path), "SELECT body FROM articles WHERE body LIKE '%Correction:%'")]
    assert len(edited) == 1 and edited[0].endswith("Correction: the meeting moved to Thursday.")
    history = newscrawl("history", f"{url}{newsroom.slug(0).lstrip('/')}", "--db", sqlite_db(tmp_path))
    assert history.returncode == 0, history.stderr
    assert ": 2 versions" in history.stdout
    diff = [line for line in history.stdout.splitlines() if line.startswith(("+", "-"))]
    assert diff == ["--- " + diff[0][4:], "+++ " + diff[1][4:], "+Correction: the meeting moved to Thursday."]
    unchanged = newscrawl("history", f"{url}{newsroom.slug(1).lstrip('/')}", "--db", sqlite_db(tmp_path))
    assert ": 1 version\n" in unchanged.stdout and "@@" not in unchanged.stdout
    log.unlink()
    crawl(tmp_path, url, "-s", "NEWS_REVISIT_HOURS=1")  # all published long before the last hour
    assert article_requests(log) == Counter()


def test_since_never_requests_entries_older_than_the_window(site, tmp_path):
    url, _, log = site
    old = set(range(12))
    since = newsroom.published(12).date().isoformat()
    crawl(tmp_path, url, since=f'"{since}"')
    assert stored(sqlite_db(tmp_path)) == [(newsroom.slug(i).lstrip("/"), "courier") for i in range(12, ARTICLES)]
    # Old articles are fetched only where nothing dated them first: the section page's links.
    undated = {i for i in old if "section" in newsroom.LISTED_BY[i % len(newsroom.LISTED_BY)]}
    requested_old = {i for i in old if newsroom.slug(i) in article_requests(log)}
    assert requested_old <= undated and undated - {5, 11} <= requested_old


def test_a_crawl_stopped_by_sigterm_resumes_from_its_jobdir(tmp_path):
    folder = tmp_path / "site"
    count = 60
    newsroom.build(folder, count)
    log = tmp_path / "requests.log"
    with running("static", str(folder), str(log)) as url:
        command = [
            sys.executable, "-m", "crawler", "crawl", url, "--feed", f"{url}rdf.xml", "--source", "courier",
            "--db", sqlite_db(tmp_path), "--jobdir", str(tmp_path / "job"), *FAST,
            "-s", "CONCURRENT_REQUESTS=1", "-s", "DOWNLOAD_DELAY=0.1",
        ]
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while sum(article_requests(log).values()) < 15 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 1, err
        assert "interrupted: run the same command again to resume" in out
        first = stored(sqlite_db(tmp_path))
        assert 10 <= len(first) < count

        resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
        assert resumed.returncode == 0, resumed.stderr
    assert stored(sqlite_db(tmp_path)) == [(newsroom.slug(i).lstrip("/"), "courier") for i in range(count)]
    # Nothing lost, nothing fetched twice.
    assert article_requests(log) == Counter({newsroom.slug(i): 1 for i in range(count)})
