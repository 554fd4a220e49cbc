"""Spider middleware: never schedule a request for an article the database already holds.

Checked against every URL an article was stored under (its own, its canonical URL, the aliases
it was met under, the addresses that redirected to it), one query per crawled page, before the
request reaches the scheduler: a re-crawl spends its requests on new articles only. With
``NEWS_REVISIT_HOURS`` set, articles younger than that are fetched again to catch updates.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from scrapy import Request
from scrapy.exceptions import NotConfigured

from crawler.signals import stored_links_skipped
from crawler.storage.best_effort import BestEffortDatabase
from crawler.storage.pages import stored_article_urls
from crawler.urls import canonicalize

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings


def revisit_window(settings: BaseSettings) -> dt.timedelta:
    """``NEWS_REVISIT_HOURS``, checked."""
    hours = settings.getfloat("NEWS_REVISIT_HOURS")
    if hours < 0:
        raise ValueError(f"NEWS_REVISIT_HOURS must be 0 (off) or a positive number of hours, not {hours:g}")
    return dt.timedelta(hours=hours)


class SkipStoredMiddleware:
    def __init__(self, crawler: Crawler, db: BestEffortDatabase, drop_params: list[str], revisit: dt.timedelta) -> None:
        self.signals = crawler.signals
        self.db = db
        self.stats = db.stats
        self.drop_params = drop_params
        self.revisit = revisit

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        settings = crawler.settings
        if not settings.getbool("NEWS_SKIP_STORED"):
            raise NotConfigured("NEWS_SKIP_STORED is off")
        # Fetching again costs requests, not data: the store still keeps each article once.
        return cls(
            crawler,
            BestEffortDatabase(crawler, "news/incremental/lookup_failed", "fetching stored articles again"),
            [*settings.getlist("NEWS_TRACKING_PARAMS"), *settings.getlist("NEWS_SESSION_PARAMS")],
            revisit_window(settings),
        )

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        requests: list[Request] = []
        async for output in result:
            if isinstance(output, Request) and output.method == "GET" and not output.dont_filter:
                requests.append(output)
            else:
                yield output
        keys = {r.url: (r.url, canonicalize(r.url, self.drop_params)) for r in requests}
        wanted = [key for pair in keys.values() for key in pair]
        empty: dict[str, dt.datetime] = {}
        stored = await self.db.run(lambda s: stored_article_urls(s, wanted), empty) if wanted else empty
        young_since = dt.datetime.now(dt.UTC) - self.revisit
        skipped = 0
        for request in requests:
            dates = [stored[key] for key in keys[request.url] if key in stored]
            if not dates:
                yield request
            elif self.revisit and max(dates) >= young_since:
                self.stats.inc_value("news/incremental/revisited")
                yield request
            else:
                self.stats.inc_value("news/incremental/skipped_stored")
                skipped += 1
        if skipped:
            self.signals.send_catch_log(stored_links_skipped, response=response)

