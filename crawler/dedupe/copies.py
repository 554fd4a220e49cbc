"""Copies of an article (AMP, print, another address naming it as canonical) share the fate of
its own page, the canonical one.

The canonical page stored: the copy is an alias of it. Dropped for what it is (too old, in
another language, no article at all): the copy goes with it, or a 30-day crawl would store the
undated print copies of old stories. Not to be had (an error, a 404, an extraction that failed):
the copy is kept, being then the only text of the story.

A copy may be parsed before its canonical page: it waits here until that page's outcome is
known. Pure and Scrapy-free; the spider requests the pages and stores what comes out.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from crawler.items import ArticleItem


class CopyBook:
    """The outcomes of the pages met, by address key (``crawler.urls.address_key``): why each
    was dropped, or None when its copies are kept. Bounded like the spider's other memories: a
    copy whose canonical page was forgotten waits, and is kept when the crawl runs dry."""

    def __init__(self, memory: int = 50_000) -> None:
        self.memory = max(1, memory)
        self.outcomes: OrderedDict[str, str | None] = OrderedDict()
        self.waiting: dict[str, list[ArticleItem]] = {}

    def known(self, key: str) -> bool:
        return key in self.outcomes

    def dropped(self, key: str) -> str | None:
        """Why the page at ``key`` was dropped; None when its copies are kept."""
        return self.outcomes.get(key)

    def settle(self, keys: Iterable[str], dropped: str | None) -> list[ArticleItem]:
        """Record what came of a page, under its address keys (its own and those it was
        redirected from); the copies that waited for it."""
        copies = []
        for key in keys:
            self.outcomes[key] = dropped
            self.outcomes.move_to_end(key)
            copies += self.waiting.pop(key, [])
        while len(self.outcomes) > self.memory:
            self.outcomes.popitem(last=False)
        return copies

    def wait(self, copy: ArticleItem) -> bool:
        """Hold a copy until its canonical page's outcome is known; whether it is the first to
        wait for that page (which is then to be requested)."""
        queue = self.waiting.setdefault(copy.canonical_url, [])
        queue.append(copy)
        return len(queue) == 1

    def drain(self) -> list[ArticleItem]:
        """Every copy still waiting, now given up waiting for."""
        copies = [copy for queue in self.waiting.values() for copy in queue]
        self.waiting.clear()
        return copies
