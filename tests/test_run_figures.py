"""Every figure a run reports agrees with the rows it added: the summary it prints, its stats in
``crawl_runs``, its sites in ``crawl_run_sites`` and ``newscrawl runs show``, over a crawl whose
copies are merged once chrome is learned, a revisit that finds an edit, and an archive re-import."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from pathlib import Path

import pytest

from crawler.cli.report import run_report
from crawler.demo.site import DemoSite, serve
from crawler.storage import CrawlRun, make_engine, make_sessionmaker, run_sites
from tests.conftest import FAST, newscrawl

pytestmark = pytest.mark.e2e


class UnfoldedPrintSite(DemoSite):
    """The demo site with its print copies under a path no URL rule folds into the article's:
    stored as articles of their own until learned chrome shows each to be its story's twin."""

    def __init__(self) -> None:
        super().__init__()
        self.print = {path.replace("/print/", "/printed-copy/", 1): a for path, a in self.print.items()}

    def classic(self, article):
        return super().classic(article).replace('href="/print/', 'href="/printed-copy/')


def counted(db_file: Path, run_id: int) -> dict[str, int]:
    """The run's figures as the tables hold them."""
    queries = {
        "stored": "SELECT count(*) FROM articles WHERE crawl_run_id = :run",
        "new_story": "SELECT count(*) FROM articles WHERE crawl_run_id = :run AND cluster_id IS NULL",
        "near_duplicate": "SELECT count(*) FROM articles WHERE crawl_run_id = :run AND cluster_id IS NOT NULL",
        "alias": "SELECT count(*) FROM article_urls WHERE crawl_run_id = :run AND reason = 'alias'",
        "duplicate_body": "SELECT count(*) FROM article_urls WHERE crawl_run_id = :run AND reason = 'duplicate_body'",
        "updated": "SELECT count(*) FROM article_versions WHERE crawl_run_id = :run",
    }
    with sqlite3.connect(db_file) as connection:
        return {name: connection.execute(sql, {"run": run_id}).fetchone()[0] for name, sql in queries.items()}


def stored_by_site(db_file: Path, run_id: int) -> dict[str, int]:
    with sqlite3.connect(db_file) as connection:
        return dict(connection.execute(
            "SELECT site, count(*) FROM articles WHERE crawl_run_id = ? GROUP BY site", (run_id,)
        ).fetchall())


def printed(summary: str) -> dict[str, int]:
    """The figures of the summary a crawl prints."""
    found = {
        "stored": re.search(r"^articles stored: +(\d+)$", summary, re.MULTILINE),
        "updated": re.search(r"^articles updated: +(\d+) ", summary, re.MULTILINE),
        "alias": re.search(r"^aliases recorded: +(\d+) same canonical URL", summary, re.MULTILINE),
        "duplicate_body": re.search(r"same canonical URL, (\d+) same body$", summary, re.MULTILINE),
        "new_story": re.search(r"^stories: +(\d+) new", summary, re.MULTILINE),
        "near_duplicate": re.search(r"new, (\d+) articles were copies of a stored story$", summary, re.MULTILINE),
    }
    assert all(match for name, match in found.items() if name != "updated"), summary
    return {name: int(match.group(1)) if match else 0 for name, match in found.items()}


def check_run(db_file: Path, run_id: int, stdout: str) -> dict[str, int]:
    """Compare every figure of run ``run_id`` with the tables; its stats."""
    truth = counted(db_file, run_id)
    engine = make_engine(f"sqlite:///{db_file}")
    with make_sessionmaker(engine)() as session:
        run = session.get_one(CrawlRun, run_id)
        sites = run_sites(session, run_id)
        report = run_report(run, sites)
    engine.dispose()
    stats = run.stats or {}
    assert {name: stats.get(f"news/store/{name}", 0) for name in truth} == truth
    assert printed(stdout) == truth
    assert truth["stored"] == truth["new_story"] + truth["near_duplicate"]
    # Each article extracted is a stored article of its own or one of an article stored already.
    assert stats.get("news/store/spilled", 0) == stats.get("news/store/unresolved", 0) == 0
    assert stats["news/store/duplicates"] == stats["news/extract/articles"] - truth["stored"]
    assert {site.site: site.stored for site in sites if site.stored} == stored_by_site(db_file, run_id)
    for site in sites:
        assert site.duplicates == site.extracted - site.stored, site
    assert sum(site.duplicates for site in sites) == stats["news/store/duplicates"]
    assert f"articles stored:  {truth['stored']}, duplicates {stats['news/store/duplicates']}\n" in report
    return stats


def test_every_figure_of_a_run_agrees_with_the_rows_it_added(tmp_path):
    db_file = tmp_path / "news.db"
    db = f"sqlite:///{db_file}"
    site = UnfoldedPrintSite()
    # An article with no AMP or print copy, edited between the crawls.
    edited = next(a for a in site.articles if f"/amp{a.path}" not in site.amp and f"/printed-copy{a.path}" not in site.print)
    with serve(site=site) as url:
        first = newscrawl("crawl", url, "--db", db, "--warc-out", str(tmp_path / "warc"), *FAST)
        assert first.returncode == 0, first.stderr[-3000:]
        stats = check_run(db_file, 1, first.stdout)
        # Print copies stored with the chrome the articles still had, merged into them once it was learned.
        assert stats["news/store/twins_merged"] > 0 and stats["news/store/stored"] == len(site.articles)

        site.by_path[edited.path] = dataclasses.replace(
            edited, paragraphs=[*edited.paragraphs, "This article was updated with a statement from the ministry."]
        )
        second = newscrawl("crawl", url, "--db", db, "-s", "NEWS_REVISIT_HOURS=1000000", *FAST)
        assert second.returncode == 0, second.stderr[-3000:]
        stats = check_run(db_file, 2, second.stdout)
        assert stats["news/incremental/revisited"] > 0 and stats["news/store/updated"] == 1
        assert stats.get("news/store/alias", 0) == stats.get("news/store/stored", 0) == 0

    (archive,) = (tmp_path / "warc").glob("*.warc.gz")
    third = newscrawl("warc", str(archive), "--db", db, *FAST)
    assert third.returncode == 0, third.stderr[-3000:]
    stats = check_run(db_file, 3, third.stdout)
    assert stats["news/store/duplicates"] == stats["news/extract/articles"] > 0
