"""Mark articles already seen in this run, by canonical URL or by body, as aliases.

The database's unique constraints decide across runs and processes (see
``crawler.storage.repository.store_articles``); this in-run index only spares the database the
work for the duplicates a single crawl meets most: tracking-parameter, AMP and print copies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawler.items import ArticleItem

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


class DedupPipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.canonical_urls: set[str] = set()
        self.fingerprints: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        if item.canonical_url in self.canonical_urls:
            item.duplicate_of = "url"
        elif item.content_fingerprint in self.fingerprints:
            item.duplicate_of = "body"
        else:
            self.canonical_urls.add(item.canonical_url)
            self.fingerprints.add(item.content_fingerprint)
            return item
        self.stats.inc_value(f"news/dedup/{item.duplicate_of}")
        return item
