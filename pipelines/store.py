"""Store articles and their URLs in the SQL database, in batches, off the reactor thread.

The pipeline owns the sessions and the ``crawl_runs`` row of this crawl; the data functions are
in ``crawler.storage.repository``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import os
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy import signals
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError

from crawler.dedupe import ChromeIndex
from crawler.distributed.leases import release
from crawler.extensions.site_counts import PREFIX, count_site, per_site
from crawler.items import ArticleItem, CopyUrls
from crawler.storage import (
    BackgroundCheckpoint,
    CrawlRun,
    add_site_blocks,
    init_db,
    load_site_blocks,
    make_engine,
    make_sessionmaker,
    reclean_articles,
    resolve_url,
    store_articles,
    story_threshold,
)
from crawler.storage.db import SQLITE_BUSY_TIMEOUT, driver_message
from crawler.storage.learned import record_copy_urls
from crawler.storage.pending_ends import keep_end
from crawler.storage.repository import WRITTEN
from crawler.storage.runs import DATABASE_UNAVAILABLE, RunEnd, record_end
from crawler.storage.spill import SpillFile

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(
        self,
        stats: StatsCollector,
        database_url: str,
        batch_size: int = 50,
        flush_interval: float = 5.0,
        chrome: ChromeIndex | None = None,
        chrome_reload_interval: float = 60.0,
        auto_upgrade: bool = True,
        retry_timeout: float = 60.0,
        spill_dir: Path = Path(),
        story_threshold: float | None = None,
    ) -> None:
        self.stats = stats
        self.database_url = database_url
        self.batch_size = max(1, batch_size)
        self.flush_interval = flush_interval
        # A locked SQLite database is one that is away: waited for no longer than the retry window.
        self.engine = make_engine(database_url, sqlite_busy_timeout=min(SQLITE_BUSY_TIMEOUT, retry_timeout))
        self.sessions = make_sessionmaker(self.engine)
        self.checkpoint = BackgroundCheckpoint.for_engine(self.engine)
        self.run_id: int | None = None
        self.started_at: dt.datetime | None = None
        self._crawler: Crawler | None = None
        self._buffer: list[ArticleItem] = []
        # Links to copies recorded as aliases, written after the articles of the same flush;
        # those whose article is not stored yet are tried again at the next flush.
        self._copy_urls: list[CopyUrls] = []
        self._copy_urls_again: list[CopyUrls] = []
        self._last_flush = time.monotonic()
        self._lock = asyncio.Lock()
        self.auto_upgrade = auto_upgrade
        self.retry_timeout = retry_timeout
        # Set once the database is given up on: the crawl is closing, articles go to the spill.
        self._closing: asyncio.Future[None] | None = None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        self.spill = SpillFile(spill_dir / f"newscrawl-spill-{stamp}-{os.getpid()}.jsonl")
        # Where the run's end goes when the database cannot take it as the crawl closes.
        self.pending_end = spill_dir / f"newscrawl-run-end-{stamp}-{os.getpid()}.json"
        # Learned site chrome (None when NEWS_CHROME_ENABLED is off), reloaded per site so that
        # what other processes stored counts too.
        self.chrome = chrome
        self.chrome_reload_interval = chrome_reload_interval
        self._chrome_loaded: dict[str, float] = {}
        # Near-duplicate similarity at which a new article joins a stored story (None: never).
        self.story_threshold = story_threshold

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        assert crawler.stats is not None
        pipeline = cls(
            crawler.stats,
            resolve_url(settings),
            settings.getint("NEWS_DB_BATCH_SIZE"),
            settings.getfloat("NEWS_DB_FLUSH_INTERVAL"),
            ChromeIndex(
                settings.getint("NEWS_CHROME_MIN_PAGES"),
                settings.getfloat("NEWS_CHROME_MIN_SHARE"),
                settings.getint("NEWS_EXTRACT_MIN_BODY_WORDS"),
            )
            if settings.getbool("NEWS_CHROME_ENABLED")
            else None,
            auto_upgrade=settings.getbool("NEWS_DB_AUTO_UPGRADE"),
            retry_timeout=settings.getfloat("NEWS_DB_RETRY_TIMEOUT"),
            spill_dir=Path(settings.get("NEWS_DB_SPILL_DIR")),
            story_threshold=story_threshold(settings),
        )
        pipeline._crawler = crawler
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    async def open_spider(self) -> None:
        try:
            await asyncio.to_thread(self._with_retry, self._open_run)
        except (OperationalError, InterfaceError, DisconnectionError) as exc:
            # Checked a moment ago, the database went away (or another program holds its
            # lock): the crawl ends as soon as it is open, and what it fetched meanwhile is spilled.
            logger.error("database unavailable for %(seconds).0f s (%(error)s): the crawl stops before it starts",
                         {"seconds": self.retry_timeout, "error": driver_message(exc)})
            assert self._crawler is not None
            self._crawler.signals.connect(self._stop_unopened, signal=signals.spider_opened)
            self._closing = asyncio.get_running_loop().create_future()
            return
        self.stats.set_value("news/run_id", self.run_id)
        if self.checkpoint is not None:
            self.checkpoint.start()

    def _open_run(self) -> None:
        init_db(self.engine, upgrade=self.auto_upgrade)
        spider = self._crawler.spider if self._crawler else None
        with self.sessions.begin() as session:
            run = CrawlRun(
                spider=spider.name if spider else "unknown",
                arguments=dict(getattr(spider, "arguments", {})),
            )
            session.add(run)
            session.flush()
            self.run_id, self.started_at = run.id, run.started_at

    def _stop_unopened(self) -> None:
        assert self._crawler is not None and self._crawler.engine is not None
        self._closing = asyncio.ensure_future(self._crawler.engine.close_spider_async(reason=DATABASE_UNAVAILABLE))

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, CopyUrls):
            self._copy_urls.append(item)
            return item
        if not isinstance(item, ArticleItem):
            return item
        self._buffer.append(item)
        due = time.monotonic() - self._last_flush >= self.flush_interval
        if len(self._buffer) >= self.batch_size or due:
            await self.flush()
        return item

    async def flush(self, *, last: bool = False) -> None:
        async with self._lock:
            batch, self._buffer = self._buffer, []
            again, copy_urls, self._copy_urls, self._copy_urls_again = self._copy_urls_again, self._copy_urls, [], []
            self._last_flush = time.monotonic()
            if batch:
                await self._store(batch)
            if (copy_urls or again) and self._closing is None:
                try:
                    await asyncio.to_thread(self._write_copy_urls, again, copy_urls, last)
                except SQLAlchemyError as exc:
                    # Links never fetched, not articles: the next crawl meets them again.
                    logger.warning("could not record %(n)d links to copies as aliases (%(error)s)",
                                   {"n": sum(len(item.urls) for item in again + copy_urls), "error": driver_message(exc)})

    async def _store(self, batch: list[ArticleItem]) -> None:
        if self._closing is not None:  # the database was given up on: keep all for import
            self.spill.write(batch)
            self.stats.inc_value("news/store/spilled", len(batch))
        else:
            try:
                await asyncio.to_thread(self._with_retry, self._write, batch)
            except (OperationalError, InterfaceError, DisconnectionError) as exc:
                self._give_up(batch, exc)
            except SQLAlchemyError:
                await asyncio.to_thread(self._write_one_by_one, batch)
        # Each article is committed or in the spill file: its page is done with.
        release(self._crawler, (item.lease for item in batch))

    def _write_copy_urls(self, again: list[CopyUrls], new: list[CopyUrls], last: bool) -> None:
        """Record links to copies as aliases of their articles. An article may still be on its
        way (its page's links and its item reach the store apart): a link whose article is not
        stored is tried once more at the next flush, then counted ``news/copies/unmatched``."""
        with self.sessions.begin() as session:
            added, unmatched = record_copy_urls(session, again + new, self.run_id)
        self.stats.inc_value("news/store/alias", added)
        retried = {id(item) for item in again}
        given_up = [item for item in unmatched if last or id(item) in retried]
        self._copy_urls_again += [item for item in unmatched if not (last or id(item) in retried)]
        if given_up:
            self.stats.inc_value("news/copies/unmatched", sum(len(item.urls) for item in given_up))

    def _with_retry(self, action: Callable[..., None], *args: Any) -> None:
        """Run ``action``, retrying with back-off while the database is away, up to the retry window."""
        deadline = time.monotonic() + self.retry_timeout
        delay = 0.5
        while True:
            try:
                return action(*args)
            except (OperationalError, InterfaceError, DisconnectionError) as exc:
                if time.monotonic() + delay > deadline:
                    raise
                logger.warning("database unavailable (%(error)s); retrying in %(delay).1f s",
                               {"error": driver_message(exc), "delay": delay})
                self.stats.inc_value("news/store/retries")
                self.engine.dispose()
                time.sleep(delay)
                delay = min(2 * delay, 10.0)

    def _write_one_by_one(self, batch: list[ArticleItem]) -> None:
        """After a batch failed on what it holds (a value the database refuses): store each
        article that can be, and keep only the others for import."""
        for item in batch:
            try:
                self._write([item])
            except SQLAlchemyError:
                logger.exception("could not store %(url)s; saved to %(path)s",
                                 {"url": item.url, "path": self.spill.path})
                self.spill.write([item])
                self.stats.inc_value("news/store/spilled")

    def _give_up(self, batch: list[ArticleItem], exc: SQLAlchemyError) -> None:
        self.spill.write(batch)
        self.stats.inc_value("news/store/spilled", len(batch))
        logger.error(
            "database unavailable for %(seconds).0f s (%(error)s): stopping the crawl; articles not "
            "stored are saved to %(path)s, load them with `newscrawl import %(path)s`",
            {"seconds": self.retry_timeout, "error": driver_message(exc), "path": self.spill.path},
        )
        if self._crawler is not None and self._crawler.engine is not None:
            self._closing = asyncio.ensure_future(
                self._crawler.engine.close_spider_async(reason=DATABASE_UNAVAILABLE)
            )

    def _write(self, batch: list[ArticleItem]) -> None:
        with self.sessions.begin() as session:
            if self.chrome is None:
                outcomes, fates = store_articles(session, batch, self.run_id, self.story_threshold)
            else:
                outcomes, fates = self._store_without_chrome(session, batch)
        for outcome, count in outcomes.items():
            self.stats.inc_value(f"news/store/{outcome}", count)
        for (site, fate), count in Counter((item.site, fate) for item, fate in fates).items():
            if fate != "unresolved":
                count_site(self.stats, site, "stored" if fate == "stored" else "duplicates", count)
        if outcomes["unresolved"]:
            logger.warning("%(n)d duplicate URLs had no stored article to point at", {"n": outcomes["unresolved"]})

    def _store_without_chrome(
        self, session: Session, batch: list[ArticleItem]
    ) -> tuple[Counter[str], list[tuple[ArticleItem, str]]]:
        """Store the batch with known chrome removed, and learn from what was stored."""
        assert self.chrome is not None
        now = time.monotonic()
        for site in {item.site for item in batch}:
            if now - self._chrome_loaded.get(site, -1e9) >= self.chrome_reload_interval:
                self.chrome.load(site, *load_site_blocks(session, site))
                self._chrome_loaded[site] = now
        cleaned = [self.chrome.clean(item) for item in batch]
        outcomes, fates = store_articles(session, cleaned, self.run_id, self.story_threshold)
        written = [item for item, fate in fates if fate in WRITTEN]
        # Count the blocks as fetched, chrome included: a block stays chrome only while it recurs.
        # A stored article is the only one of the batch with its canonical URL.
        as_fetched = {item.canonical_url: item for item in reversed(batch)}
        add_site_blocks(
            session,
            [(item.site, self.chrome.record(as_fetched[item.canonical_url])) for item in written],
        )
        # Of the articles whose text was written: a copy of a stored one is not "removed as stored".
        changed = {id(a) for a, b in zip(cleaned, batch, strict=True) if a is not b}
        outcomes["chrome_removed"] = sum(id(item) in changed for item in written)
        return outcomes, fates

    async def close_spider(self) -> None:
        await self.flush(last=True)
        if self.chrome is None or not self._chrome_loaded or self._closing is not None:
            return
        try:
            await asyncio.to_thread(self._reclean, sorted(self._chrome_loaded))
        except SQLAlchemyError as exc:
            logger.error("could not remove learned chrome at the end of the crawl (%(error)s); "
                         "run `newscrawl reclean` later", {"error": driver_message(exc)})

    def _reclean(self, sites: list[str]) -> None:
        """Clean what this crawl stored before a block was known to be chrome."""
        assert self.chrome is not None
        for site in sites:
            with self.sessions.begin() as session:
                self.chrome.load(site, *load_site_blocks(session, site))
                counts = reclean_articles(session, site, self.chrome.clean, self.run_id)
            for key, count in counts.items():
                # Twins of any run: this run's own among them come off news/store/stored instead.
                self.stats.inc_value("news/store/twins_merged" if key == "merged" else f"news/store/{key}", count)
            for kind in ("stored", "duplicates"):
                count_site(self.stats, site, kind, counts[kind])
            if counts:
                logger.info(
                    "removed learned chrome from %(n)d stored articles of %(site)s (%(m)d merged)",
                    {"n": counts["recleaned"], "m": counts["merged"], "site": site},
                )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.spill.count:
            self.stats.set_value("news/store/spill_file", str(self.spill.path))
        sites = per_site(self.stats.get_stats())
        self.stats.set_value("news/sites", len(sites))
        if self.run_id is not None and self.started_at is not None:
            # The per-site figures are in crawl_run_sites.
            stats = {k: v for k, v in self.stats.get_stats().items() if not k.startswith(PREFIX)}
            end = RunEnd(self.run_id, self.started_at, dt.datetime.now(dt.UTC), reason,
                         json.loads(json.dumps(stats, default=str)), sites)
            self._record_end(end)
        if self.checkpoint is not None:
            self.checkpoint.stop()
        self.engine.dispose()

    def _record_end(self, end: RunEnd) -> None:
        """Record the run's end, or keep it for the next command that writes to the database:
        a run left unfinished would hold its source back from ``newscrawl schedule``."""
        try:
            with self.sessions.begin() as session:
                warnings = record_end(session, end)
        except SQLAlchemyError as exc:
            keep_end(self.pending_end, self.engine, end)
            logger.error(
                "could not record the end of crawl run %(id)d (%(error)s): kept in %(path)s, recorded by the "
                "next newscrawl command that writes to this database",
                {"id": end.run_id, "error": driver_message(exc), "path": self.pending_end},
            )
            return
        for warning in warnings:
            logger.warning("site far below its recent runs: %(warning)s", {"warning": warning})
        self.stats.set_value("news/warnings", warnings)
