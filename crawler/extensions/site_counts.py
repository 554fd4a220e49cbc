"""Per-site counts of a crawl, in Scrapy's stats as ``news/site/<host>/<kind>``.

Every component counts what it sees for the site of the URL at hand (the spider: pages without
an article, filtered links and articles, failed requests; the store: articles stored and
duplicates; ``SiteCounts``: URLs discovered, pages fetched and blocked, from Scrapy's signals).
The store pipeline writes them to ``crawl_run_sites`` when the crawl ends.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from scrapy import signals

from crawler.items import ArticleItem
from crawler.urls import host_of

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.statscollectors import StatsCollector

PREFIX = "news/site/"
# Answers that mean "not for you": authentication, forbidden, rate limited, legal block.
BLOCKED_STATUSES = frozenset({401, 403, 429, 451})


def count_site(stats: StatsCollector, site: str, kind: str, n: int = 1) -> None:
    if n:
        stats.inc_value(f"{PREFIX}{site or '-'}/{kind}", n)


def count_error(stats: StatsCollector, site: str, kind: str) -> None:
    """A request failed for good: counted among the site's errors, and by kind."""
    count_site(stats, site, "errors")
    count_site(stats, site, f"error:{kind}")


def per_site(stats: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """``{site: {kind: count}}`` from a crawl's stats."""
    sites: dict[str, dict[str, int]] = defaultdict(dict)
    for key, value in stats.items():
        if key.startswith(PREFIX):
            site, kind = key[len(PREFIX):].rsplit("/", 1)
            sites[site][kind] = int(value)
    return dict(sites)


# A body that stops on an ellipsis: the teaser a paywall leaves of a story.
_TEASER_END = re.compile(r"(?:\.\.\.|…)[\s\"'”’»)\]]*$")


def paywalled(article: ArticleItem) -> bool:
    """Behind a paywall: its structured data says so (``isAccessibleForFree: false``, as
    search engines ask of paywalled pages), or its body is a teaser cut short."""
    return article.accessible_for_free is False or bool(_TEASER_END.search(article.body))


def blocked(response: Response) -> bool:
    """A refusal rather than a page: blocking statuses, and challenge pages (a bot check served
    in place of the page, which CDNs mark with ``cf-mitigated``)."""
    return response.status in BLOCKED_STATUSES or b"cf-mitigated" in response.headers


class SiteCounts:
    """URLs discovered (scheduled, not dropped as seen before), pages fetched and blocked."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        extension = cls(crawler.stats)
        crawler.signals.connect(extension.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(extension.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(extension.response_received, signal=signals.response_received)
        return extension

    def request_scheduled(self, request: Request) -> None:
        if "retry_times" not in request.meta:  # a retry is no new URL
            count_site(self.stats, host_of(request.url), "discovered")

    def request_dropped(self, request: Request) -> None:
        if "retry_times" not in request.meta:
            count_site(self.stats, host_of(request.url), "discovered", -1)

    def response_received(self, response: Response, request: Request) -> None:
        site = host_of(request.url)
        count_site(self.stats, site, "fetched")
        if blocked(response):
            count_site(self.stats, site, "blocked")
        if response.status in BLOCKED_STATUSES or response.status >= 500:
            count_site(self.stats, site, f"http_{response.status if response.status < 500 else '5xx'}")
