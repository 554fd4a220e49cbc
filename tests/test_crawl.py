"""End-to-end crawls through the real command line against local HTTP servers."""

import csv
import io
import json
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from crawler import settings as defaults
from crawler.demo.site import DemoSite, load_articles
from tests.conftest import FAST, ROOT, newscrawl
from tests.mockserver import serving
from tests.newsroom import article_page, slug

pytestmark = pytest.mark.e2e
ARTICLES = load_articles()


def rows(db_file, query):
    with sqlite3.connect(db_file) as connection:
        return connection.execute(query).fetchall()


@pytest.fixture(scope="module")
def demo_crawl(demo_site, tmp_path_factory):
    """The demo site crawled twice into one database; the second crawl must add nothing."""
    db_file = tmp_path_factory.mktemp("demo") / "news.db"
    first = newscrawl("crawl", demo_site, "--db", f"sqlite:///{db_file}", *FAST)
    snapshot = {
        "articles": rows(db_file, "SELECT * FROM articles ORDER BY id"),
        "urls": rows(db_file, "SELECT url, article_id, reason FROM article_urls ORDER BY id"),
    }
    second = newscrawl("crawl", demo_site, "--db", f"sqlite:///{db_file}", *FAST)
    return demo_site, db_file, first, second, snapshot


def test_demo_crawl_stores_every_article_once(demo_crawl):
    base, db_file, first, _, _ = demo_crawl
    assert first.returncode == 0, first.stderr
    stored = {
        url: (title, body, published, authors)
        for url, title, body, published, authors in rows(
            db_file, "SELECT canonical_url, title, body, published_at_raw, authors FROM articles"
        )
    }
    expected = {base.rstrip("/") + a.path: a for a in ARTICLES}
    assert set(stored) == set(expected)
    for url, article in expected.items():
        title, body, published, authors = stored[url]
        assert title == article.title
        assert body == article.body, url
        assert published == article.published
        assert json.loads(authors) == article.authors
    assert "articles stored:    33" in first.stdout


def test_demo_crawl_records_every_duplicate_url(demo_crawl):
    base, db_file, _, _, _ = demo_crawl
    root = base.rstrip("/")
    site = DemoSite(ARTICLES)
    recorded = {
        (url, reason, canonical)
        for url, reason, canonical in rows(
            db_file,
            "SELECT u.url, u.reason, a.canonical_url FROM article_urls u JOIN articles a ON a.id = u.article_id",
        )
    }
    latest = sorted(ARTICLES, key=lambda a: a.published, reverse=True)[:3]
    expected = {(root + a.path, "canonical", root + a.path) for a in ARTICLES}
    expected |= {
        (f"{root}{a.path}?utm_source=homepage&utm_medium=most-read", "alias", root + a.path) for a in latest
    }
    # AMP copies name their article (rel=canonical); print copies, at /print/<its path>, do not.
    expected |= {(root + path, "alias", root + a.path) for path, a in (site.amp | site.print).items()}
    assert recorded == expected
    assert not any("sid=" in url for url, _, _ in recorded)


def test_second_crawl_adds_nothing(demo_crawl):
    _, db_file, _, second, snapshot = demo_crawl
    assert second.returncode == 0, second.stderr
    assert "articles stored:    0" in second.stdout
    assert rows(db_file, "SELECT * FROM articles ORDER BY id") == snapshot["articles"]
    assert rows(db_file, "SELECT url, article_id, reason FROM article_urls ORDER BY id") == snapshot["urls"]
    runs = rows(db_file, "SELECT spider, finish_reason, stats FROM crawl_runs ORDER BY id")
    assert [(spider, reason) for spider, reason, _ in runs] == [("news", "finished"), ("news", "finished")]
    first_stats = json.loads(runs[0][2])
    # Articles stored apart while their chrome was unknown were merged once it was learned, and
    # are not counted as stored.
    assert first_stats["news/store/stored"] == 33
    # Every article carried a learned chrome block: cleaned before storing, or afterwards.
    cleaned = first_stats.get("news/store/chrome_removed", 0) + first_stats.get("news/store/recleaned", 0)
    assert cleaned >= 33
    # Session-id links and the endless calendar did not run away with the crawl.
    assert first_stats["response_received_count"] < 150


def test_export_and_stats(demo_crawl, tmp_path):
    _, db_file, _, _, _ = demo_crawl
    db = f"sqlite:///{db_file}"
    jsonl = newscrawl("export", "--db", db, "--format", "jsonl")
    assert jsonl.returncode == 0, jsonl.stderr
    records = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert sorted(r["title"] for r in records) == sorted(a.title for a in ARTICLES)
    assert all(r["body"] and r["published_at"].endswith("+00:00") for r in records)

    out = tmp_path / "articles.csv"
    exported = newscrawl("export", "--db", db, "--format", "csv", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["canonical_url"] for r in table} == {r["canonical_url"] for r in records}
    assert {r["body"] for r in table} == {a.body for a in ARTICLES}

    stats = newscrawl("stats", "--db", db)
    assert stats.returncode == 0, stats.stderr
    assert "articles: 33" in stats.stdout
    assert "alias 24" in stats.stdout and "canonical 33" in stats.stdout and "duplicate_body" not in stats.stdout


def test_fixture_site_on_an_ip_and_port(fixture_site, tmp_path):
    db_file = tmp_path / "news.db"
    result = newscrawl("crawl", fixture_site, "--db", f"sqlite:///{db_file}", "--source", "ledger", *FAST)
    assert result.returncode == 0, result.stderr
    root = fixture_site.rstrip("/")
    assert rows(db_file, "SELECT DISTINCT source FROM articles") == [("ledger",)]
    exported = newscrawl("export", "--db", f"sqlite:///{db_file}", "--source", "ledger")
    assert len(exported.stdout.splitlines()) == 2
    assert newscrawl("export", "--db", f"sqlite:///{db_file}", "--source", "other").stdout == ""
    bridge = root + "/news/bridge-repairs-close-river-crossing-for-six-weeks.html"
    library = root + "/2026/03/02/library-extends-opening-hours-for-exam-season.html"
    assert rows(db_file, "SELECT canonical_url, title, date_source FROM articles ORDER BY canonical_url") == [
        (library, "Library extends opening hours for exam season", "url"),
        (bridge, "Bridge repairs close river crossing for six weeks", "jsonld"),
    ]
    assert set(rows(db_file, "SELECT url, reason FROM article_urls")) == {
        (bridge, "canonical"),
        (library, "canonical"),
        (bridge + "?utm_source=newsletter&utm_campaign=daily", "alias"),
    }
    (stats,) = rows(db_file, "SELECT stats FROM crawl_runs")
    stats = json.loads(stats[0])
    assert stats["news/page/not_html"] == 1  # the report without a file extension
    # robots.txt (once, for the rules and the Sitemap: lines), home, 2 articles and the
    # tracking-URL copy, about, report; no session-id copy
    assert stats["response_received_count"] == 7
    # The home page is a listing of teasers, the about page one of a line and a link; the bridge
    # story (JSON-LD) and its tracking-URL copy declare an article, the library story reads as one.
    judged = {key: n for key, n in stats.items() if key.startswith(("news/page/article/", "news/page/listing/"))}
    assert judged == {"news/page/listing/teasers": 1, "news/page/listing/no_text": 1, "news/page/article/declared": 2,
                      "news/page/article/running_text": 1}, judged
    assert "not html 1" in result.stdout and "listing 2 (no_text 1, teasers 1)" in result.stdout


@pytest.mark.parametrize(("contact", "warnings"), [(defaults.NEWS_CONTACT_URL, 1), ("https://ops.example/newsbot", 0)])
def test_a_crawl_warns_while_the_contact_is_the_project_s_page(fixture_site, tmp_path, contact, warnings):
    result = newscrawl("crawl", fixture_site, "--db", f"sqlite:///{tmp_path / 'news.db'}", *FAST,
                       "-s", f"NEWS_CONTACT_URL={contact}")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("set NEWS_CONTACT_URL to a page of your own") == warnings
    assert len(rows(tmp_path / "news.db", "SELECT id FROM articles")) == 2


def test_scrapy_crawl_from_the_repository_root(fixture_site, tmp_path):
    db_file = tmp_path / "news.db"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"urls={fixture_site}",
         "-s", f"DATABASE_URL=sqlite:///{db_file}", *FAST],
        capture_output=True, text=True, timeout=240, cwd=ROOT, stdin=subprocess.DEVNULL, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(rows(db_file, "SELECT id FROM articles")) == 2


def test_pagination_does_not_count_towards_depth(demo_site, tmp_path):
    """Home -> section -> articles needs depth 2; pages 2 and 3 of a section must not add to it."""
    db_file = tmp_path / "news.db"
    result = newscrawl("crawl", demo_site, "--depth", "2", "--db", f"sqlite:///{db_file}", *FAST)
    assert result.returncode == 0, result.stderr
    root = demo_site.rstrip("/")
    stored = {url for (url,) in rows(db_file, "SELECT canonical_url FROM articles")}
    assert stored == {root + a.path for a in ARTICLES}


def test_reclean_applies_what_earlier_crawls_learned(demo_site, tmp_path):
    """Counts persist: a crawl too cautious to remove anything still teaches a later reclean."""
    db_file = tmp_path / "news.db"
    db = f"sqlite:///{db_file}"
    crawl = newscrawl("crawl", demo_site, "--db", db, "-s", "NEWS_CHROME_MIN_PAGES=1000", *FAST)
    assert crawl.returncode == 0, crawl.stderr
    assert rows(db_file, "SELECT count(*) FROM articles WHERE body LIKE '%corrects its errors%'") == [(18,)]
    assert len(rows(db_file, "SELECT id FROM articles")) == 33  # print copies: aliases, by their URL

    result = newscrawl("reclean", "--db", db)
    assert result.returncode == 0, result.stderr
    assert "2 chrome blocks known" in result.stdout
    root = demo_site.rstrip("/")
    stored = dict(rows(db_file, "SELECT canonical_url, body FROM articles"))
    assert stored == {root + a.path: a.body for a in ARTICLES}
    again = newscrawl("reclean", "--db", db)
    assert "0 bodies cleaned, 0 copies merged" in again.stdout


def test_demo_crawl_into_postgresql(demo_site, postgres_url):
    """The same crawl, the same result, on the production store; twice, nothing added."""
    engine = create_engine(postgres_url)
    for run in (1, 2):
        result = newscrawl("crawl", demo_site, "--db", postgres_url, *FAST)
        assert result.returncode == 0, result.stderr
        with engine.connect() as connection:
            stored = dict(connection.execute(text("SELECT canonical_url, body FROM articles")).all())
            reasons = dict(connection.execute(text("SELECT reason, count(*) FROM article_urls GROUP BY reason")).all())
        root = demo_site.rstrip("/")
        assert stored == {root + a.path: a.body for a in ARTICLES}, run
        assert reasons == {"canonical": 33, "alias": 24}, run
    engine.dispose()


def test_search_and_filtered_export(demo_crawl):
    _, db_file, _, _, _ = demo_crawl
    db = f"sqlite:///{db_file}"
    glacier = next(a for a in ARTICLES if "Glacier" in a.title)
    found = newscrawl("search", "glacier retreat", "--db", db)
    assert found.returncode == 0, found.stderr
    assert glacier.title in found.stdout and glacier.path in found.stdout
    recent = newscrawl("export", "--db", db, "--since", "2026-01-01")
    titles = {json.loads(line)["title"] for line in recent.stdout.splitlines()}
    assert titles == {a.title for a in ARTICLES if a.published >= "2026-01-01"}
    bad = newscrawl("search", "x", "--db", db, "--since", "last week")
    assert bad.returncode == 2 and "not a date" in bad.stderr


def test_since_drops_articles_published_before(demo_site, tmp_path):
    db_file = tmp_path / "news.db"
    result = newscrawl("crawl", demo_site, "--since", "2026-01-01", "--db", f"sqlite:///{db_file}", *FAST)
    assert result.returncode == 0, result.stderr
    # The undated AMP and print copies of the older articles went with them.
    titles = {title for (title,) in rows(db_file, "SELECT title FROM articles")}
    assert titles == {a.title for a in ARTICLES if a.published >= "2026-01-01"}
    (stats,) = rows(db_file, "SELECT stats FROM crawl_runs")[0]
    assert json.loads(stats)["news/extract/dropped/too_old"] > 0
    assert json.loads(stats)["news/extract/dropped/copy_of_dropped"] > 0
    bad = newscrawl("crawl", demo_site, "--since", "last week", "--db", f"sqlite:///{db_file}")
    assert bad.returncode == 2 and "NEWS_SINCE: not a date or a window" in bad.stderr


def test_a_meta_refresh_is_followed_and_the_old_address_kept(tmp_path):
    """Pages are not decoded whole to look for a refresh tag, and one that has it still moves."""
    moved = (f'<html><head><title>Moved</title><meta http-equiv="Refresh" content="0; url={slug(4)}"></head>'
             "<body><p>This story has moved.</p></body></html>")
    front = (f'<html><head><title>Courier</title></head><body><a href="/old-address">a story</a> '
             f'<a href="{slug(5)}">another</a></body></html>')
    pages = {"/": (200, {}, front), "/old-address": (200, {}, moved),
             slug(4): (200, {}, article_page(4)), slug(5): (200, {}, article_page(5))}
    db_file = tmp_path / "news.db"
    with serving("127.0.0.1", pages) as (port, seen):
        result = newscrawl("crawl", f"http://127.0.0.1:{port}/", "--db", f"sqlite:///{db_file}", *FAST,
                           "-s", "ROBOTSTXT_OBEY=False")
    assert result.returncode == 0, result.stderr
    assert set(pages) <= set(seen)
    site = f"http://127.0.0.1:{port}"
    assert {url for (url,) in rows(db_file, "SELECT canonical_url FROM articles")} == {site + slug(4), site + slug(5)}
    assert rows(db_file, "SELECT a.canonical_url FROM article_urls u JOIN articles a ON a.id = u.article_id "
                         f"WHERE u.url = '{site}/old-address'") == [(site + slug(4),)]
