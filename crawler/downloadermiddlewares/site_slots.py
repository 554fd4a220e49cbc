"""Downloader middleware: in a shared crawl, a source's own politeness holds for its sites.

A worker crawls the sites of every source enqueued at once, under its own ``DOWNLOAD_DELAY`` and
``CONCURRENT_REQUESTS_PER_DOMAIN``. A source that set either (``crawler.distributed.frontier`` records them
with its job) has each of its sites fetched through a Scrapy download slot of its own with those
settings (``DOWNLOAD_SLOTS``, filled by the spider from its sites' rules), subdomains included,
as one publisher's servers. AutoThrottle leaves such a slot's delay as the source set it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured

from crawler.urls import site_of

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler

    from crawler.extraction.analysis import SiteRules


def slot_settings(rules: SiteRules) -> dict[str, float | int]:
    """The download slot settings a site's rules ask for (none: the worker's own)."""
    given = {"delay": rules.delay, "concurrency": rules.concurrency}
    return {key: value for key, value in given.items() if value is not None}


class SiteSlotsMiddleware:
    def __init__(self, sites: dict[str, bool]) -> None:
        # Sites with a download slot of their own, and whether it sets the delay.
        self.sites = sites

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        rules = getattr(crawler.spider, "link_rules", None)
        sites = {site: "delay" in own for site, r in (rules.sites.items() if rules else ()) if (own := slot_settings(r))}
        if not sites:
            raise NotConfigured  # no site with download settings of its own: nothing to say
        return cls(sites)

    def process_request(self, request: Request) -> None:
        site = site_of(request.url, self.sites)
        if site is not None:
            request.meta.setdefault("download_slot", site)
            if self.sites[site]:
                request.meta["autothrottle_dont_adjust_delay"] = True
