"""The ``warc`` spider: the HTML responses of web archives through the same page analysis,
dedupe and store as the ``news`` spider's crawl, with nothing downloaded.

Pages are analysed in the page pool a few at a time (``NEWS_EXTRACT_MAX_IN_FLIGHT``), so the
archive is read as fast as extraction goes and no faster: memory stays flat whatever the
archive's size. Links are not followed: an archive holds what it holds.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import HtmlResponse
from tqdm import tqdm

from crawler.discovery import ArchivedPage, WarcFilter, WarcReader
from crawler.downloadermiddlewares.private_networks import AddressPolicy
from crawler.items import ArticleItem
from crawler.urls import normal_host, split_arguments
from spiders.news import NewsSpider

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from typing import Self

    from scrapy.crawler import Crawler


class WarcSpider(NewsSpider):
    """The news spider's page handling with no start URL and no site: no link is followed."""

    name = "warc"
    starts_from_urls = False

    def __init__(
        self,
        warcs: str | list[str] | None = None,
        domains: str | list[str] | None = None,
        patterns: str | list[str] | None = None,
        source: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(source=source, **kwargs)
        self.warcs = split_arguments(warcs)
        if not self.warcs:
            raise ValueError("no WARC file: pass -a warcs=FILE_OR_URL,...")
        self.domains = [normal_host(d) for d in split_arguments(domains)]
        self.patterns = [re.compile(p) for p in split_arguments(patterns)]
        self.arguments = {"warcs": self.warcs, "domains": self.domains, "source": self.source}
        self.reader: WarcReader | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        keep = WarcFilter(spider.domains, spider.patterns, spider.link_rules.crawl.since)
        spider.reader = WarcReader(spider.warcs, keep, AddressPolicy.from_settings(crawler.settings))
        return spider

    async def start(self) -> AsyncIterator[ArticleItem]:  # type: ignore[override]  # items, no requests
        assert self.reader is not None and self.pages is not None
        window = self.pages.max_in_flight
        pending: set[asyncio.Future[ArticleItem | None]] = set()
        progress = Progress(self.reader, self.stats, self.settings.getfloat("LOGSTATS_INTERVAL"), self.logger)
        for page in self.reader.pages():
            pending.add(asyncio.ensure_future(self._article(page)))
            if len(pending) >= window:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    if (article := task.result()) is not None:
                        yield article
            progress.update()
        for finished in asyncio.as_completed(pending):
            if (article := await finished) is not None:
                yield article
        for reason, count in self.reader.skipped.items():
            self.stats.set_value(f"news/warc/skipped/{reason}", count)
        self.stats.set_value("news/warc/records", self.reader.records)
        # As the news spider counts its start URLs: an archive read, or none.
        self.stats.set_value("news/start/reached", self.reader.opened)
        if self.reader.unopened:
            self.stats.set_value("news/start/failed", len(self.reader.unopened))
            self.stats.set_value("news/start/error", self.reader.unopened[0])
        progress.close()

    async def _article(self, page: ArchivedPage) -> ArticleItem | None:
        response = HtmlResponse(page.url, headers=page.headers, body=page.body, request=scrapy.Request(page.url))
        analysis = await self.analyse(response, page.fetched_at)
        article = analysis.article if analysis is not None else None
        return self.emit(article) if article is not None and self.unwanted(article) is None else None


class Progress:
    """A progress bar on a terminal (bytes read of the total, records/s, articles stored), a
    log line every LOGSTATS_INTERVAL seconds otherwise."""

    def __init__(self, reader: WarcReader, stats: Any, interval: float, logger: Any) -> None:
        self.reader, self.stats, self.interval, self.logger = reader, stats, interval or 60.0, logger
        self.began = self.last = time.monotonic()
        self.bar = tqdm(total=reader.total_bytes(), unit="B", unit_scale=True, unit_divisor=1024,
                        disable=not sys.stderr.isatty(), desc="archives")

    def update(self) -> None:
        self.bar.update(self.reader.read_bytes() - self.bar.n)
        now = time.monotonic()
        rate = self.reader.records / max(now - self.began, 1e-9)
        stored = self.stats.get_value("news/store/stored", 0)
        self.bar.set_postfix(records_s=f"{rate:.0f}", stored=stored, refresh=False)
        if self.bar.disable and now - self.last >= self.interval:
            self.last = now
            self.logger.info("archives: %(mb).1f MB read, %(records)d records (%(rate).0f/s), %(stored)d articles stored",
                             {"mb": self.reader.read_bytes() / 2**20, "records": self.reader.records, "rate": rate,
                              "stored": stored})

    def close(self) -> None:
        self.bar.close()
