"""Mark articles already seen in this run, by canonical URL or by body, as aliases.

The database's unique constraints decide across runs and processes (see
``crawler.storage.repository.store_articles``); this in-run index only spares the database the
work for the duplicates a single crawl meets most: tracking-parameter, AMP and print copies,
which come close together. So it holds the most recent ``NEWS_DEDUP_MEMORY`` articles, and a
crawl of millions of pages keeps the same memory as one of thousands.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from crawler.items import ArticleItem

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector


class DedupPipeline:
    def __init__(self, stats: StatsCollector, memory: int = 100_000) -> None:
        self.stats = stats
        self.memory = max(1, memory)
        self.canonical_urls: OrderedDict[str, None] = OrderedDict()
        self.fingerprints: OrderedDict[str, None] = OrderedDict()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        assert crawler.stats is not None
        return cls(crawler.stats, crawler.settings.getint("NEWS_DEDUP_MEMORY"))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, ArticleItem):
            return item
        if item.canonical_url in self.canonical_urls:
            item.duplicate_of = "url"
        elif item.content_fingerprint in self.fingerprints:
            item.duplicate_of = "body"
        else:
            for seen, key in ((self.canonical_urls, item.canonical_url), (self.fingerprints, item.content_fingerprint)):
                seen[key] = None
                if len(seen) > self.memory:
                    seen.popitem(last=False)
            return item
        self.stats.inc_value(f"news/dedup/{item.duplicate_of}")
        return item
