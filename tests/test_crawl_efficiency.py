"""Requests go to pages that can hold a new story: on a site whose article pages link AMP and
print copies, help pages, downloads, old 404 addresses and comment pages, a crawl stores every
story for not much more than the pages it cannot do without (bench/crawl_efficiency.py, short)."""

import sqlite3

import pytest

from bench.crawl_efficiency import HELP_TOPICS, site, story_path
from tests.conftest import FAST, newscrawl
from tests.mockserver import serving

pytestmark = pytest.mark.e2e
STORIES = 300


def crawl(tmp_path, port: int, name: str, *settings: str) -> tuple[set[str], str]:
    db_file = tmp_path / name
    result = newscrawl("crawl", f"http://127.0.0.1:{port}/", "--db", f"sqlite:///{db_file}", *FAST,
                       "-s", "ROBOTSTXT_OBEY=False", *settings)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(db_file) as connection:
        return {url for (url,) in connection.execute("SELECT url FROM articles")}, result.stdout


def test_a_crawl_spends_its_requests_on_news_and_still_stores_every_story(tmp_path):
    pages, lower_bound = site(STORIES)
    with serving("127.0.0.1", pages) as (port, seen):
        stored, summary = crawl(tmp_path, port, "learning.db")
        learning = [path for path in seen if path != "/robots.txt"]
        seen.clear()
        stored_without, _ = crawl(tmp_path, port, "without.db", "-s", "NEWS_COPY_RULES=False", "-s", "NEWS_LINK_YIELD=False")
        without = [path for path in seen if path != "/robots.txt"]
    own = {f"http://127.0.0.1:{port}{story_path(i)}" for i in range(STORIES)}
    assert stored == own and stored_without == own  # recall 1.0, each story from its own page
    assert len(learning) <= 1.5 * lower_bound, sorted(learning)
    assert len(without) > 4 * lower_bound  # what the learning spares: copies, 404s, downloads, comments
    fetched = {barren: sum(path.startswith(barren) for path in learning) for barren in ("/old/", "/media/", "/comments/")}
    assert all(10 <= n <= 0.3 * STORIES for n in fetched.values()), fetched
    help_pages = sum(path.startswith("/help/") for path in learning)
    skipped = 3 * STORIES - sum(fetched.values()) + len(HELP_TOPICS) - help_pages
    assert f"links:              {skipped} links of shapes that led to no article not requested" in summary
    report = newscrawl("runs", "show", "1", "--db", f"sqlite:///{tmp_path / 'learning.db'}")
    assert f"links:            {skipped} links of shapes" in report.stdout
    assert "copies:           " in report.stdout


def test_listing_pages_that_link_only_stored_stories_still_lead_to_the_new_ones(tmp_path):
    """A crawl that meets a site's pagination again without what was learned of its shape (a
    worker killed before saving it, a shared crawl Redis lost) finds its first pages linking
    only stored stories: those links are proof that the shape leads to articles, so the pages
    further on, which list the new stories, are fetched rather than parked as barren."""
    first, _ = site(60, per_page=5)
    pages = dict(first)
    with serving("127.0.0.1", pages) as (port, _seen):
        stored, _ = crawl(tmp_path, port, "again.db")
        assert len(stored) == 60
        with sqlite3.connect(tmp_path / "again.db") as connection:
            connection.execute("DELETE FROM link_templates")
        pages.clear()
        pages.update(site(120, per_page=5)[0])
        stored, _ = crawl(tmp_path, port, "again.db")
    assert stored == {f"http://127.0.0.1:{port}{story_path(i)}" for i in range(120)}
