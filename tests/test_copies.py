"""AMP and print copies follow their canonical page: aliases of a stored article, dropped with a
page dropped for what it is, kept when their page cannot be had."""

import json
import sqlite3

import pytest

from tests.conftest import FAST, newscrawl
from tests.mockserver import serving
from tests.newsroom import _listing, amp_page, article_page, print_page, slug

pytestmark = pytest.mark.e2e
OLD, FRESH, GONE = 1, 10, 20  # published 2 January, 11 January, (404) 2025
SINCE = "2025-01-05"


def rows(db_file, query):
    with sqlite3.connect(db_file) as connection:
        return connection.execute(query).fetchall()


def home(*paths: str) -> str:
    links = "".join(f'<li><a href="{path}">a story</a></li>' for path in paths)
    return f"<!DOCTYPE html><html><head><title>Courier</title></head><body><ul>{links}</ul></body></html>"


def section_copy() -> str:
    """An AMP copy of the section page, with enough teaser text to pass for an article."""
    return amp_page(FRESH).replace(f'href="{slug(FRESH)}"', 'href="/section/local.html"')


def test_copies_share_the_fate_of_their_canonical_page(tmp_path):
    # The old article is linked by no page: only its copies lead to it, met first.
    copies = [f"/amp{slug(OLD)}", f"/print{slug(OLD)}", f"/amp{slug(FRESH)}", f"/print{slug(FRESH)}",
              f"/amp{slug(GONE)}", "/amp/section/local.html"]
    pages = {
        "/": (200, {}, home(*copies, slug(FRESH))),
        "/section/local.html": (200, {}, _listing("Local news", [FRESH])),
        "/amp/section/local.html": (200, {}, section_copy()),
        slug(OLD): (200, {}, article_page(OLD)),
        slug(FRESH): (200, {}, article_page(FRESH)),
        **{f"/amp{slug(i)}": (200, {}, amp_page(i)) for i in (OLD, FRESH, GONE)},
        **{f"/print{slug(i)}": (200, {}, print_page(i)) for i in (OLD, FRESH)},
    }
    db_file = tmp_path / "news.db"
    with serving("127.0.0.1", pages) as (port, seen):
        result = newscrawl("crawl", f"http://127.0.0.1:{port}/", "--since", SINCE, "--db", f"sqlite:///{db_file}",
                           *FAST, "-s", "ROBOTSTXT_OBEY=False")
    assert result.returncode == 0, result.stderr
    assert slug(OLD) in seen and slug(GONE) in seen  # requested for their copies
    site = f"http://127.0.0.1:{port}"
    stored = {url: title for url, title in rows(db_file, "SELECT canonical_url, title FROM articles")}
    # The fresh article once, from its own page; the copy whose page is gone, as the story's text.
    assert set(stored) == {site + slug(FRESH), site + slug(GONE)}
    assert not stored[site + slug(FRESH)].endswith("(print)")
    urls = set(rows(db_file, "SELECT u.url, u.reason, a.canonical_url FROM article_urls u "
                             "JOIN articles a ON a.id = u.article_id"))
    assert urls == {
        (site + slug(FRESH), "canonical", site + slug(FRESH)),
        (f"{site}/amp{slug(FRESH)}", "alias", site + slug(FRESH)),
        (f"{site}/print{slug(FRESH)}", "alias", site + slug(FRESH)),
        (site + slug(GONE), "canonical", site + slug(GONE)),
        (f"{site}/amp{slug(GONE)}", "alias", site + slug(GONE)),
    }
    (stats,) = rows(db_file, "SELECT stats FROM crawl_runs")[0]
    stats = json.loads(stats)
    assert stats["news/extract/dropped/too_old"] == 1
    assert stats["news/extract/dropped/copy_of_dropped"] == 3  # the old story's two, the section's
    assert "copy_of_dropped 3" in result.stdout


def test_a_copy_of_an_article_stored_earlier_is_recorded_as_its_alias(tmp_path):
    """The copy's canonical page is not fetched again (stored already): the copy waits for it
    until the crawl runs dry, then is stored, as an alias."""
    mobile = f"/m/story-{FRESH:03d}"  # a copy no URL rule folds: only its canonical link tells
    pages = {"/": (200, {}, home(slug(FRESH))), slug(FRESH): (200, {}, article_page(FRESH)),
             mobile: (200, {}, amp_page(FRESH))}
    db = f"sqlite:///{tmp_path / 'news.db'}"
    with serving("127.0.0.1", pages) as (port, seen):
        first = newscrawl("crawl", f"http://127.0.0.1:{port}/", "--db", db, *FAST, "-s", "ROBOTSTXT_OBEY=False")
        assert first.returncode == 0, first.stderr
        pages["/"] = (200, {}, home(mobile, slug(FRESH)))
        seen.clear()
        second = newscrawl("crawl", f"http://127.0.0.1:{port}/", "--db", db, *FAST, "-s", "ROBOTSTXT_OBEY=False")
    assert second.returncode == 0, second.stderr
    assert mobile in seen and slug(FRESH) not in seen
    site = f"http://127.0.0.1:{port}"
    assert rows(tmp_path / "news.db", "SELECT u.url, u.reason, a.canonical_url FROM article_urls u "
                                      "JOIN articles a ON a.id = u.article_id ORDER BY u.id") == [
        (site + slug(FRESH), "canonical", site + slug(FRESH)),
        (site + mobile, "alias", site + slug(FRESH)),
    ]
