"""Sitemaps as crawl inputs: robots.txt Sitemap lines, an index, a gzipped news sitemap."""

import gzip
import json
import sqlite3
from collections import Counter

import pytest

from crawler.discovery.sitemaps import NotASitemap, parse_sitemap
from tests.conftest import FAST, FIXTURES, newscrawl
from tests.mockserver import running, served

SITE = FIXTURES / "sitemapsite"


def test_news_sitemap_entries_and_bad_dates():
    kind, entries, problems = parse_sitemap((SITE / "sitemaps" / "news.xml.gz").read_bytes())
    assert kind == "urlset"
    assert entries[0].hints() == {
        "via": "sitemap", "published": "2025-03-02T16:45:00+01:00", "title": "Harbour festival draws record crowds",
    }
    assert entries[0].language == "en"
    assert entries[1].published is None
    assert problems == ["/news/pilot-boat-service-gets-two-new-vessels.html: publication_date 'yesterday at noon' is not a date"]
    kind, entries, _ = parse_sitemap((SITE / "sitemap-index.xml").read_bytes())
    assert kind == "index" and [e.loc for e in entries] == ["/sitemaps/news.xml.gz", "/sitemaps/pages.xml"]


@pytest.mark.parametrize(
    "body",
    [b"not xml at all", b"<html><body>page</body></html>", gzip.compress(b"<rss></rss>"), b"\x1f\x8bbroken"],
)
def test_what_is_not_a_sitemap_says_so(body):
    with pytest.raises(NotASitemap):
        parse_sitemap(body)


def test_entity_expansion_is_off():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>https://n.example/&b;</loc></url></urlset>"""
    _, entries, _ = parse_sitemap(bomb)
    assert all("aaaa" not in e.loc for e in entries)


def test_crawl_finds_articles_through_robots_and_sitemaps(sitemap_site, tmp_path):
    db_file = tmp_path / "news.db"
    result = newscrawl("crawl", sitemap_site, "--db", f"sqlite:///{db_file}", *FAST)
    assert result.returncode == 0, result.stderr
    assert "publication_date 'yesterday at noon' is not a date" in result.stderr
    root = sitemap_site.rstrip("/")
    with sqlite3.connect(db_file) as connection:
        stored = connection.execute("SELECT canonical_url, title, published_at_raw, date_source FROM articles ORDER BY 1").fetchall()
    dates = {url.rsplit("/", 1)[1]: (raw, source) for url, _, raw, source in stored}
    assert sorted(url for url, *_ in stored) == [
        f"{root}/news/harbour-festival-draws-record-crowds.html",
        f"{root}/news/new-crane-arrives-at-the-container-terminal.html",
        f"{root}/news/pilot-boat-service-gets-two-new-vessels.html",
    ]
    assert dates["harbour-festival-draws-record-crowds.html"] == ("2025-03-02T16:45:00+01:00", "sitemap")


@pytest.mark.parametrize("obey", [True, False])
def test_each_site_s_robots_txt_is_requested_once(obey, tmp_path):
    """Read for its rules and for its Sitemap: lines alike; the two sites are one server, as
    127.0.0.1 and as localhost. Without the rules, the spider asks for it itself, once."""
    log = tmp_path / "requests.log"
    with running("static", str(SITE), str(log)) as url:
        port = url.rstrip("/").rsplit(":", 1)[1]
        hosts = [f"127.0.0.1:{port}", f"localhost:{port}"]
        result = newscrawl("crawl", *(f"http://{host}/" for host in hosts), "--db", f"sqlite:///{tmp_path / 'news.db'}",
                           *FAST, "-s", f"ROBOTSTXT_OBEY={obey}")
    assert result.returncode == 0, result.stderr
    requests = [line.split() for line in log.read_text().splitlines()]
    for path in ("/robots.txt", "/sitemap-index.xml", "/sitemaps/news.xml.gz"):
        assert Counter(host for _, served_path, _, host, _ in requests if served_path == path) == dict.fromkeys(hosts, 1)
    with sqlite3.connect(tmp_path / "news.db") as connection:
        (stats,) = connection.execute("SELECT stats FROM crawl_runs").fetchone()
        assert connection.execute("SELECT count(*) FROM articles").fetchone() == (3,)
    stats = json.loads(stats)
    assert stats["response_received_count"] == len(requests)
    assert stats.get("robotstxt/request_count") == (2 if obey else None)


def test_language_filter(sitemap_site, tmp_path):
    db_file = tmp_path / "news.db"
    result = newscrawl("crawl", sitemap_site, "--language", "de,fr", "--db", f"sqlite:///{db_file}", *FAST)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db_file) as connection:
        assert connection.execute("SELECT count(*) FROM articles").fetchone() == (0,)
        (stats,) = connection.execute("SELECT stats FROM crawl_runs").fetchone()
    stats = json.loads(stats)
    assert stats["news/language/skipped"] == 2  # the news sitemap says "en": never fetched
    assert stats["news/extract/dropped/wrong_language"] == 1  # the page sitemap says nothing; the page is English


def test_hreflang_skips_other_languages_before_fetching(tmp_path):
    """Sitemap ``xhtml:link`` alternates and ``<a hreflang>`` links name a page's language."""
    site = tmp_path / "site"
    (site / "de").mkdir(parents=True)
    (site / "en").mkdir()
    (site / "robots.txt").write_text("User-agent: *\nSitemap: /sitemap.xml\n")
    (site / "index.html").write_text(
        '<html><body><a href="/de/hafen.html" hreflang="de">Deutsch</a>'
        '<a href="/en/harbour.html" hreflang="en-GB">English</a><a href="/en/quay.html">Quay</a></body></html>'
    )
    (site / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">'
        '<url><loc>/en/pier.html</loc><xhtml:link rel="alternate" hreflang="en" href="/en/pier.html"/>'
        '<xhtml:link rel="alternate" hreflang="de" href="/de/steg.html"/></url>'
        "<url><loc>/de/steg.html</loc></url></urlset>"
    )
    _, entries, _ = parse_sitemap((site / "sitemap.xml").read_bytes())
    assert [(e.loc, e.language) for e in entries] == [("/en/pier.html", "en"), ("/de/steg.html", "de")]
    for path in ("de/hafen.html", "en/harbour.html", "en/quay.html", "en/pier.html", "de/steg.html"):
        (site / path).write_text("<html><body><p>A short page.</p></body></html>")
    log = tmp_path / "requests.log"
    with running("static", str(site), str(log)) as url:
        result = newscrawl("crawl", url, "--language", "en", "--db", f"sqlite:///{tmp_path / 'news.db'}", *FAST)
    assert result.returncode == 0, result.stderr
    requested = {path for path, _ in served(log)}
    assert {"/en/harbour.html", "/en/quay.html", "/en/pier.html"} <= requested
    assert not {"/de/hafen.html", "/de/steg.html"} & requested
