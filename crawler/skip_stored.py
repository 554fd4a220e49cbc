"""Spider middleware: never schedule a request for an article the database already holds.

Checked against every URL an article was stored under (its own, its canonical URL, the aliases
it was met under, the addresses that redirected to it), one query per crawled page, before the
request reaches the scheduler: a re-crawl spends its requests on new articles only. With
``NEWS_REVISIT_HOURS`` set, articles younger than that are fetched again to catch updates.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from sqlalchemy.exc import SQLAlchemyError

from crawler.storage import make_engine, make_sessionmaker, resolve_url
from crawler.storage.pages import stored_article_urls
from crawler.urls import canonicalize

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings
    from scrapy.statscollectors import StatsCollector

logger = logging.getLogger(__name__)


def revisit_window(settings: BaseSettings) -> dt.timedelta:
    """``NEWS_REVISIT_HOURS``, checked."""
    hours = settings.getfloat("NEWS_REVISIT_HOURS")
    if hours < 0:
        raise ValueError(f"NEWS_REVISIT_HOURS must be 0 (off) or a positive number of hours, not {hours:g}")
    return dt.timedelta(hours=hours)


class SkipStoredMiddleware:
    def __init__(
        self, stats: StatsCollector, database_url: str, drop_params: list[str], revisit: dt.timedelta
    ) -> None:
        self.stats = stats
        self.engine = make_engine(database_url)
        self.sessions = make_sessionmaker(self.engine)
        self.drop_params = drop_params
        self.revisit = revisit
        self._warned = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWS_SKIP_STORED"):
            raise NotConfigured("NEWS_SKIP_STORED is off")
        assert crawler.stats is not None
        middleware = cls(
            crawler.stats,
            resolve_url(settings),
            [*settings.getlist("NEWS_TRACKING_PARAMS"), *settings.getlist("NEWS_SESSION_PARAMS")],
            revisit_window(settings),
        )
        crawler.signals.connect(middleware.engine.dispose, signal=signals.spider_closed)
        return middleware

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        requests: list[Request] = []
        async for output in result:
            if isinstance(output, Request) and output.method == "GET" and not output.dont_filter:
                requests.append(output)
            else:
                yield output
        keys = {r.url: (r.url, canonicalize(r.url, self.drop_params)) for r in requests}
        stored = await self._lookup([key for pair in keys.values() for key in pair])
        young_since = dt.datetime.now(dt.UTC) - self.revisit
        for request in requests:
            dates = [stored[key] for key in keys[request.url] if key in stored]
            if not dates:
                yield request
            elif self.revisit and max(dates) >= young_since:
                self.stats.inc_value("news/incremental/revisited")
                yield request
            else:
                self.stats.inc_value("news/incremental/skipped_stored")

    async def _lookup(self, urls: list[str]) -> dict[str, dt.datetime]:
        if not urls:
            return {}
        try:
            return await asyncio.to_thread(self._query, urls)
        except SQLAlchemyError as exc:
            # Fetching again costs requests, not data: the store still keeps each article once.
            self.stats.inc_value("news/incremental/lookup_failed")
            if not self._warned:
                self._warned = True
                logger.warning("cannot check for stored articles (%(error)s); fetching them again",
                               {"error": str(exc).splitlines()[0]})
            return {}

    def _query(self, urls: list[str]) -> dict[str, dt.datetime]:
        with self.sessions() as session:
            return stored_article_urls(session, urls)
