"""Every way into the store, over a site carrying every listing kind and every article kind easy
to misjudge (``tests/pagekinds_site.py``): a crawl, a shared crawl and an archive import each
store exactly the articles, and judge the kind of every page they fetch or read, counted by
reason."""

from __future__ import annotations

import io
import json
import sqlite3
from collections import Counter
from http import HTTPStatus
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import FAST, newscrawl
from tests.mockserver import serving
from tests.pagekinds_site import START, PageKindSite

pytestmark = pytest.mark.e2e
SITE = PageKindSite()
RESPONSES = SITE.responses()
ARTICLES = SITE.of_kind("article")
# The address the archived copy of the site was fetched from.
ARCHIVED = "http://127.0.0.1:8008"


@pytest.fixture
def site():
    """The site on a loopback port: its base URL, and the paths requested of it."""
    with serving("127.0.0.1", RESPONSES) as (port, seen):
        yield f"http://127.0.0.1:{port}", seen


def fetched(seen: list[str]) -> Counter[str]:
    """How many pages of each kind a crawl fetched, every page at least once: a page fetched
    twice is judged twice."""
    assert sorted(set(RESPONSES) - set(seen)) == []
    return Counter(SITE.kind_at(path) for path in seen if path in RESPONSES)


def check_stored(db_file: Path, base: str) -> None:
    """The articles stored are the site's article pages, each with its story; no listing's
    address is stored, as an article's or as another address of one."""
    with sqlite3.connect(db_file) as connection:
        bodies = dict(connection.execute("SELECT url, body FROM articles"))
        addresses = [url for (url,) in connection.execute(
            "SELECT url FROM article_urls UNION SELECT canonical_url FROM articles")]
    expected = {SITE.url(base, page) for page in ARTICLES}
    assert set(bodies) == expected, (
        f"stored, not articles: {sorted(url for url in bodies if SITE.kind_at(url) != 'article')}; "
        f"articles not stored: {sorted(expected - set(bodies))}")
    assert [url for url in addresses if SITE.kind_at(url) == "listing"] == []
    for url, body in bodies.items():
        page = SITE.page_at(url)
        assert page is not None and page.body_start in " ".join(body.split()), (url, body[:200])


def check_kinds(db_file: Path, pages: Counter[str]) -> None:
    """Each page was judged, as a listing or an article, as often as it was fetched, and
    counted by reason."""
    with sqlite3.connect(db_file) as connection:
        [(stats,)] = connection.execute("SELECT stats FROM crawl_runs").fetchall()
    reasons = {key: count for key, count in json.loads(stats).items()
               if key.startswith(("news/page/listing/", "news/page/article/"))}
    kinds = Counter()
    for key, count in reasons.items():
        kinds[key.split("/")[2]] += count
    assert kinds == pages, reasons


def test_a_crawl_stores_exactly_the_articles(site, tmp_path):
    url, seen = site
    db_file = tmp_path / "news.db"
    result = newscrawl("crawl", url + START, "--db", f"sqlite:///{db_file}", *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    check_stored(db_file, url)
    check_kinds(db_file, fetched(seen))


def test_a_shared_crawl_stores_exactly_the_articles(site, redis_url, tmp_path):
    """A worker of a shared crawl: its requests from Redis, its spider built from the job
    recorded there."""
    url, seen = site
    enqueued = newscrawl("enqueue", url + START, "--redis", redis_url)
    assert enqueued.returncode == 0, enqueued.stderr
    db_file = tmp_path / "news.db"
    result = newscrawl("worker", "--redis", redis_url, "--db", f"sqlite:///{db_file}", "--idle-timeout", "1", *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    check_stored(db_file, url)
    check_kinds(db_file, fetched(seen))


def write_warc(path: Path) -> None:
    """The site's responses, as a crawl of it at ``ARCHIVED`` would have archived them."""
    with path.open("wb") as output:
        writer = WARCWriter(output, gzip=True)
        for page_path, (status, headers, body) in RESPONSES.items():
            http_headers = StatusAndHeaders(f"{status} {HTTPStatus(status).phrase}", list(headers.items()), protocol="HTTP/1.1")
            data = body.encode()
            writer.write_record(writer.create_warc_record(
                ARCHIVED + page_path, "response", payload=io.BytesIO(data), length=len(data),
                http_headers=http_headers, warc_headers_dict={"WARC-Date": "2026-11-03T12:00:00Z"},
            ))


def test_an_archive_import_stores_exactly_the_articles(tmp_path):
    write_warc(tmp_path / "site.warc.gz")
    db_file = tmp_path / "news.db"
    result = newscrawl("warc", str(tmp_path / "site.warc.gz"), "--db", f"sqlite:///{db_file}", *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"records read:       {len(RESPONSES)}" in result.stdout, result.stdout
    check_stored(db_file, ARCHIVED)
    check_kinds(db_file, Counter(SITE.kind_at(path) for path in RESPONSES))
