"""Stop a crawl once ``CLOSESPIDER_PAGECOUNT`` requests have gone out (``--max-pages``).

Scrapy's CloseSpider counts responses: by the time the last one arrives, every download slot
has sent more, and a ``--max-pages 10`` crawl fetched 31 pages. Counted as they are sent, the
crawl asks for the page budget and no more: the crawl is closed with the last request of the
budget, the requests in flight then finish, and any the engine had already taken from the queue
are not sent (``news/max_pages/unsent``). robots.txt requests count, as in Scrapy's own figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import deferred_from_coro

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler


class PageBudgetMiddleware:
    def __init__(self, crawler: Crawler, budget: int) -> None:
        if budget <= 0:
            raise NotConfigured  # no budget; said without a reason, Scrapy logs no warning
        self.crawler = crawler
        self.budget = budget
        self.sent = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, crawler.settings.getint("CLOSESPIDER_PAGECOUNT"))

    def process_request(self, request: Request) -> None:
        if self.sent >= self.budget:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("news/max_pages/unsent")
            raise IgnoreRequest("CLOSESPIDER_PAGECOUNT reached")
        self.sent += 1
        if self.sent == self.budget:
            assert self.crawler.engine is not None
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="closespider_pagecount"))
