"""A shared crawl's leases, as the spider and the store hand them back.

Each request a worker of a shared crawl (``crawler.distributed.frontier``) takes from the queue carries a
lease, released once the page is done with: by the store when its article is committed, by the
spider when its request failed for good, by this middleware when the page gave no article. A
crawl that shares nothing has no leases, and needs neither Redis nor scrapy-redis loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from crawler.items import ArticleItem

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Response

LEASE = "news_lease"  # request meta key
# Sent when the shared crawl's state in Redis was lost (a restart without persistence): what a
# worker remembers of the links it requested no longer holds for the crawl.
frontier_lost = object()


def release(crawler: Crawler | None, leases: Iterable[str | None]) -> None:
    """Release leases, when the crawl is a shared one."""
    scheduler = getattr(crawler, "leases", None)
    if scheduler is not None:
        scheduler.release(leases)


class LeaseMiddleware:
    """Hands a page's lease to its article, for the store to release once committed; a page
    that gave no article (a listing, a feed, a page that failed) is done with its callback. A
    copy held back by the spider until its canonical page is known takes its page's lease out of
    the request's meta, and keeps it when it is stored later, through another page."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_spider_output(self, response: Response, result: AsyncIterator[Any]) -> AsyncIterator[Any]:
        handed = False
        async for output in result:
            if isinstance(output, ArticleItem) and output.lease is None and (lease := response.meta.get(LEASE)):
                output.lease, handed = lease, True
            yield output
        if not handed:
            release(self.crawler, [response.meta.get(LEASE)])

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        release(self.crawler, [response.meta.get(LEASE)])
