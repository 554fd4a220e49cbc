"""The crawl report: a progress line while crawling, per-site figures stored with each run, a
warning when a site falls far below its own recent runs, and ``newscrawl runs`` to read them."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.conftest import FAST, newscrawl
from tests.mockserver import serving
from tests.newsroom import article_page, slug

pytestmark = pytest.mark.e2e


def publish(pages: dict, articles: range, status: int = 200) -> None:
    """The site's home page lists ``articles``; each answers ``status``."""
    links = "".join(f'<li><a href="{slug(i)}">Story {i}</a></li>' for i in articles)
    pages["/"] = (200, {}, f"<html><head><title>Courier</title></head><body><ul>{links}</ul></body></html>")
    for i in articles:
        pages[slug(i)] = (status, {}, article_page(i) if status == 200 else "<html><body>Forbidden</body></html>")


def site_rows(db_file, run_id: int) -> dict[str, tuple]:
    with sqlite3.connect(db_file) as connection:
        return {row[0]: row[1:] for row in connection.execute(
            "SELECT site, fetched, blocked, extracted, stored, warning FROM crawl_run_sites WHERE crawl_run_id = ?",
            (run_id,))}


def test_a_site_that_starts_blocking_is_flagged_and_a_quiet_day_is_not(tmp_path):
    db_file = tmp_path / "news.db"
    pages: dict = {}
    requests = []
    with serving("127.0.0.1", pages) as (port, seen):
        url = f"http://127.0.0.1:{port}/"

        def crawl(*extra: str):
            return newscrawl("crawl", url, "--db", f"sqlite:///{db_file}", *FAST, *extra)

        publish(pages, range(6))
        normal = crawl("-s", "LOG_LEVEL=INFO", "-s", "LOGSTATS_INTERVAL=0.2")
        requests.append(len(seen))
        quiet = crawl()  # nothing new: nothing stored, and nothing wrong
        publish(pages, range(6, 12), status=403)  # new stories, every one refused
        requests.append(len(seen))
        blocked = crawl()
        requests.append(len(seen))

    assert normal.returncode == quiet.returncode == blocked.returncode == 0, blocked.stderr[-2000:]
    assert "progress: " in normal.stderr and " pages fetched (" in normal.stderr and "articles stored" in normal.stderr
    assert site_rows(db_file, 1)["127.0.0.1"] == (requests[0], 0, 6, 6, None)
    assert site_rows(db_file, 2)["127.0.0.1"][4] is None
    assert "WARNING" not in quiet.stdout
    fetched, refused, extracted, stored, warning = site_rows(db_file, 3)["127.0.0.1"]
    assert (fetched, refused, extracted, stored) == (requests[2] - requests[1], 6, 0, 0)
    assert warning.startswith("127.0.0.1: 0 articles stored against a median of")
    assert "6 pages blocked" in warning
    assert f"WARNING:            {warning}" in blocked.stdout
    assert "site far below its recent runs" in blocked.stderr

    listing = newscrawl("runs", "--db", f"sqlite:///{db_file}")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["3", "2", "1"]
    assert lines[1].split()[-1] == "1"  # run 3: one warning
    assert lines[3].split()[-5:] == [str(requests[0]), "6", "0", "0", "1"]  # run 1: pages, stored, dupes, errors, sites

    detail = newscrawl("runs", "show", "3", "--db", f"sqlite:///{db_file}")
    assert detail.returncode == 0, detail.stderr
    assert f"WARNING:          {warning}" in detail.stdout
    site_line = next(line for line in detail.stdout.splitlines() if line.startswith("! 127.0.0.1"))
    # fetched, blocked, errors, paywalled, empty, filtered, extracted, duplicates, stored
    assert site_line.split()[3:] == [str(fetched), "6", "0", "0", "0", "0", "0", "0", "0"]


def test_runs_are_stored_without_per_site_keys_and_bad_ids_are_refused(tmp_path, fixture_site):
    db = f"sqlite:///{tmp_path / 'news.db'}"
    assert newscrawl("crawl", fixture_site, "--db", db, *FAST).returncode == 0
    with sqlite3.connect(tmp_path / "news.db") as connection:
        stats = json.loads(connection.execute("SELECT stats FROM crawl_runs").fetchone()[0])
    assert stats["news/sites"] == 1 and not any(key.startswith("news/site/") for key in stats)
    # Every page judged, and the decisions shown with their reasons.
    judged = {key: n for key, n in stats.items() if key.startswith(("news/page/article/", "news/page/listing/"))}
    assert sum(n for key, n in judged.items() if key.startswith("news/page/article/")) >= stats["news/store/stored"]
    assert any(key.startswith("news/page/listing/") for key in judged)
    shown = newscrawl("runs", "show", "1", "--db", db)
    line = next(line for line in shown.stdout.splitlines() if line.startswith("pages judged:"))
    for key, n in judged.items():
        kind, reason = key.split("/")[2:]
        assert f"{reason} {n}" in line and f"{kind} " in line
    missing = newscrawl("runs", "show", "42", "--db", db)
    assert missing.returncode == 2 and "no crawl run 42" in missing.stderr
    wrong = newscrawl("runs", "list", "--db", db)
    assert wrong.returncode == 2 and "usage: newscrawl runs" in wrong.stderr
