"""Store articles and their URLs in the SQL database, in batches, off the reactor thread.

The pipeline owns the sessions and the ``crawl_runs`` row of this crawl; the data functions are
in ``crawler.storage.repository``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler.items import ArticleItem
from crawler.storage import (
    CrawlRun,
    init_db,
    make_engine,
    make_sessionmaker,
    resolve_url,
    store_articles,
)

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Spider
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(
        self,
        stats: StatsCollector,
        database_url: str,
        batch_size: int = 50,
        flush_interval: float = 5.0,
    ) -> None:
        self.stats = stats
        self.database_url = database_url
        self.batch_size = max(1, batch_size)
        self.flush_interval = flush_interval
        self.engine = make_engine(database_url)
        self.sessions = make_sessionmaker(self.engine)
        self.run_id: int | None = None
        self._crawler: Crawler | None = None
        self._buffer: list[ArticleItem] = []
        self._last_flush = time.monotonic()
        self._lock = asyncio.Lock()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        assert crawler.stats is not None
        pipeline = cls(
            crawler.stats,
            resolve_url(setting=settings.get("DATABASE_URL")),
            settings.getint("NEWS_DB_BATCH_SIZE"),
            settings.getfloat("NEWS_DB_FLUSH_INTERVAL"),
        )
        pipeline._crawler = crawler
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        init_db(self.engine)
        spider = self._crawler.spider if self._crawler else None
        with self.sessions.begin() as session:
            run = CrawlRun(
                spider=spider.name if spider else "unknown",
                arguments=dict(getattr(spider, "arguments", {})),
            )
            session.add(run)
            session.flush()
            self.run_id = run.id
        self.stats.set_value("news/run_id", self.run_id)

    async def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        self._buffer.append(item)
        due = time.monotonic() - self._last_flush >= self.flush_interval
        if len(self._buffer) >= self.batch_size or due:
            await self.flush()
        return item

    async def flush(self) -> None:
        async with self._lock:
            batch, self._buffer = self._buffer, []
            self._last_flush = time.monotonic()
            if batch:
                await asyncio.to_thread(self._write, batch)

    def _write(self, batch: list[ArticleItem]) -> None:
        with self.sessions.begin() as session:
            outcomes = store_articles(session, batch, self.run_id)
        for outcome, count in outcomes.items():
            self.stats.inc_value(f"news/store/{outcome}", count)
        if outcomes["unresolved"]:
            logger.warning("%(n)d duplicate URLs had no stored article to point at", {"n": outcomes["unresolved"]})

    async def close_spider(self) -> None:
        await self.flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = json.loads(json.dumps(self.stats.get_stats(), default=str))
        with self.sessions.begin() as session:
            run = session.get(CrawlRun, self.run_id)
            if run is not None:
                run.finished_at = dt.datetime.now(dt.UTC)
                run.finish_reason = reason
                run.stats = stats
        self.engine.dispose()
