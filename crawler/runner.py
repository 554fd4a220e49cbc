"""Running crawls from Python: ``crawl()`` for a program, ``run_crawls`` for the command line,
and ``open_database``, the one way a crawl opens its database for writing.

Scrapy runs its crawls on one Twisted reactor, which cannot be started twice in a process: one
call to ``crawl()`` (or ``run_crawls``) per process, with as many sites or jobs as it likes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.storage import DatabaseError, init_db, make_engine
from crawler.storage.pending_ends import record_pending_ends
from crawler.validation import check_crawl_settings

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy.engine import Engine


def crawl(
    urls: Sequence[str] = (),
    *,
    db: str = "sqlite:///news.db",
    feeds: Sequence[str] = (),
    sitemaps: Sequence[str] = (),
    source: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Crawl the sites of ``urls`` (and the entries of ``feeds`` and ``sitemaps``) into the
    database at ``db``, as ``newscrawl crawl`` does; Scrapy's final stats.

    ``settings`` are Scrapy and newscrawl settings by name, over the project's own (as ``-s``
    gives them); ``source`` is the name stored with the articles.

    Raises:
        ValueError: a setting or URL the crawl would refuse.
        DatabaseError: the database cannot be used.
    """
    project = Settings()
    project.setmodule("crawler.settings", priority="project")
    project.setdict(dict(settings or {}), priority="cmdline")
    check_crawl_settings(project, {})
    open_database(db, project).dispose()
    project.set("DATABASE_URL", db, priority="cmdline")
    arguments = {"urls": list(urls), "feeds": list(feeds), "sitemaps": list(sitemaps), "source": source}
    return run_crawls(project, [({}, arguments)])[0]


def open_database(url: str, settings: Settings) -> Engine:
    """An engine on a reachable database with this version's schema, for a crawl or a command
    that writes; the schema is migrated unless NEWS_DB_AUTO_UPGRADE is off. The ends of runs the
    database was away for are recorded first.

    Raises:
        DatabaseError: the database cannot be used, or is an in-memory one, which would vanish.
    """
    engine = make_engine(url)
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        raise DatabaseError(f"{url}: an in-memory database would vanish with the command; "
                            "give a file, e.g. sqlite:///news.db")
    init_db(engine, upgrade=settings.getbool("NEWS_DB_AUTO_UPGRADE"))
    record_pending_ends(engine, Path(settings.get("NEWS_DB_SPILL_DIR")))
    return engine


def run_crawl(
    urls: list[str], settings: Settings, allowed_domains: Sequence[str] = (), source: str | None = None
) -> dict[str, Any]:
    """Crawl ``urls`` with the ``news`` spider; returns Scrapy's final stats."""
    return run_crawls(settings, [({}, {"urls": urls, "allowed_domains": list(allowed_domains), "source": source})])[0]


def run_crawls(
    settings: Settings, jobs: Sequence[tuple[dict[str, Any], dict[str, Any]]], spider: str = "news"
) -> list[dict[str, Any]]:
    """Run one crawl of ``spider`` per job ``(setting overrides, spider arguments)`` side by side.

    Overrides go in as the spider's own settings: above the project's, below ``-s``.
    """
    from spiders.news import NewsSpider
    from spiders.warc import WarcSpider

    base = {"news": NewsSpider, "warc": WarcSpider}[spider]
    process = CrawlerProcess(settings)
    crawlers = []
    for overrides, arguments in jobs:
        spidercls = type(base.__name__, (base,), {"custom_settings": overrides}) if overrides else base
        crawler = process.create_crawler(spidercls)
        process.crawl(crawler, **arguments)
        crawlers.append(crawler)
    process.start()
    return [crawler.stats.get_stats() if crawler.stats else {} for crawler in crawlers]
