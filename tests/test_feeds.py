"""Feeds as crawl inputs: RSS and Atom, autodiscovery, entry metadata as fallbacks, bad feeds."""

import json
import sqlite3

import pytest

from crawler.discovery.feeds import NotAFeed, parse_feed
from tests.conftest import FAST, FIXTURES, newscrawl

SITE = FIXTURES / "feedsite"


def test_rss_and_atom_entries():
    rss = parse_feed((SITE / "feed.xml").read_bytes())
    assert [e.link for e in rss] == [
        "/news/dredging-of-the-main-channel-resumes-after-winter.html",
        "/news/lifeboat-crew-honoured-for-storm-rescue.html?utm_source=rss",
    ]
    assert rss[0].hints() == {
        "via": "feed", "title": "Dredging of the main channel resumes after winter",
        "published": "Mon, 03 Mar 2025 07:30:00 +0100", "authors": ["Nell Harper"],
    }
    atom = parse_feed((SITE / "atom.xml").read_bytes())
    assert atom[0].published == "2025-03-04T09:15:00+01:00" and atom[0].authors == ["Ravi Okonkwo"]


@pytest.mark.parametrize("body", [b"this is not a feed", b"<html><body><p>A page</p></body></html>", b""])
def test_what_is_not_a_feed_says_so(body):
    with pytest.raises(NotAFeed):
        parse_feed(body)


def test_crawl_from_feeds(feed_site, tmp_path):
    db_file = tmp_path / "news.db"
    result = newscrawl(
        "crawl", feed_site, "--feed", f"{feed_site}atom.xml", "--feed", f"{feed_site}broken-feed.xml",
        "--db", f"sqlite:///{db_file}", "--source", "gazette", *FAST,
    )
    assert result.returncode == 0, result.stderr
    assert "not a feed, skipped" in result.stderr and "broken-feed.xml" in result.stderr
    root = feed_site.rstrip("/")
    with sqlite3.connect(db_file) as connection:
        stored = connection.execute(
            "SELECT canonical_url, title, published_at_raw, date_source, authors, source FROM articles ORDER BY 1"
        ).fetchall()
        urls = connection.execute("SELECT url, reason FROM article_urls ORDER BY 1").fetchall()
    assert stored == [
        (f"{root}/news/dredging-of-the-main-channel-resumes-after-winter.html",
         "Dredging of the main channel resumes after winter", "2025-03-03T07:30:00+01:00", "feed",
         '["Nell Harper"]', "gazette"),
        (f"{root}/news/ferry-timetable-changes-for-the-summer.html", "Ferry timetable changes for the summer",
         "2025-03-04T09:15:00+01:00", "feed", '["Ravi Okonkwo"]', "gazette"),
        (f"{root}/news/lifeboat-crew-honoured-for-storm-rescue.html", "Lifeboat crew honoured for storm rescue",
         "2025-02-15T18:00:00+00:00", "feed", "[]", "gazette"),
    ]
    assert (f"{root}/news/lifeboat-crew-honoured-for-storm-rescue.html?utm_source=rss", "alias") in urls


def test_since_skips_old_entries_before_fetching(feed_site, tmp_path):
    db_file = tmp_path / "news.db"
    result = newscrawl(
        "crawl", feed_site, "--feed", f"{feed_site}atom.xml", "--since", "2025-03-01",
        "--db", f"sqlite:///{db_file}", *FAST,
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db_file) as connection:
        stored = [url.rsplit("/", 1)[1] for (url,) in connection.execute("SELECT canonical_url FROM articles ORDER BY 1")]
        (stats,) = connection.execute("SELECT stats FROM crawl_runs").fetchone()
    assert stored == [
        "dredging-of-the-main-channel-resumes-after-winter.html", "ferry-timetable-changes-for-the-summer.html",
    ]
    stats = json.loads(stats)
    assert stats["news/since/skipped"] == 2  # the lifeboat story, in the RSS and in the Atom feed
    # Never requested, under either URL: robots.txt, home, RSS, Atom, 2 stories.
    assert stats["response_received_count"] == 6
