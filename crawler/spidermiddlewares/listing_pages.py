"""Keep listing pages for conditional GET (``crawler.downloadermiddlewares.conditional_get``).

Every page that yielded no article and came with an ``ETag`` or ``Last-Modified`` is kept, body
included, in ``listing_pages``: the next crawl asks for it with those validators, and a 304 is
answered with the kept body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from crawler.items import ArticleItem
from crawler.storage.best_effort import BestEffortDatabase
from crawler.storage.pages import NOT_MODIFIED, KeptPage, keep_pages
from crawler.urls import host_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response


class KeepListingPagesMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        if not crawler.settings.getbool("NEWS_CONDITIONAL_GET"):
            raise NotConfigured("NEWS_CONDITIONAL_GET is off")
        self.db = BestEffortDatabase(crawler, "news/conditional/db_error", "listing pages not kept for conditional GET")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        article = False
        async for output in result:
            article = article or isinstance(output, ArticleItem)
            yield output
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        if article or response.status != 200 or NOT_MODIFIED in response.flags or not (etag or last_modified):
            return
        content_type = response.headers.get("Content-Type")
        page = KeptPage(
            response.url,
            etag.decode("latin-1") if etag else None,
            last_modified.decode("latin-1") if last_modified else None,
            content_type.decode("latin-1") if content_type else None,
            response.body,
        )
        await self.db.run(lambda s: keep_pages(s, [(host_of(page.url), page)]), None)
