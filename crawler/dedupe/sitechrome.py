"""Site chrome learned from the crawl: text blocks that recur on many articles of one site.

A single-page extractor cannot tell a newsletter box or a corrections notice from the story when
both sit in the article element; a crawler sees the same block on page after page of the site.
A paragraph found in at least ``min_pages`` stored articles of a site and in at least
``min_share`` of them is chrome there, and is removed from that site's bodies. The counts live
in the database (``sites``, ``site_blocks``), so the knowledge holds across runs and processes.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable
from typing import TYPE_CHECKING

from crawler.dedupe.fingerprints import PARAGRAPH_BREAK, body_keys
from crawler.textlength import word_count

if TYPE_CHECKING:
    from crawler.items import ArticleItem


def paragraph_blocks(item: ArticleItem) -> list[str]:
    """The block hash of each paragraph of the item's body: as extraction computed them, or anew
    for a body made elsewhere."""
    return item.body_blocks if item.body_blocks is not None else body_keys(item.body)[1]


def blocks_of(item: ArticleItem) -> dict[str, str]:
    """Distinct paragraphs of an item's body by hash (a block counts once per article)."""
    found: dict[str, str] = {}
    for block, paragraph in zip(paragraph_blocks(item), item.body.split(PARAGRAPH_BREAK), strict=True):
        if block:
            found.setdefault(block, paragraph)
    return found


class ChromeIndex:
    """Per-site block counts, as loaded from the database plus what this process stored since."""

    def __init__(self, min_pages: int = 5, min_share: float = 0.2, min_body_words: int = 0) -> None:
        self.min_pages = min_pages
        self.min_share = min_share
        self.min_body_words = min_body_words
        self.articles: Counter[str] = Counter()
        self.blocks: dict[str, Counter[str]] = {}
        # chrome(site) until the site's counts change: a batch is cleaned with one computation.
        self._chrome: dict[str, set[str]] = {}

    def knows(self, site: str) -> bool:
        return site in self.blocks

    def load(self, site: str, articles: int, blocks: Iterable[tuple[str, int]]) -> None:
        self.articles[site] = articles
        self.blocks[site] = Counter(dict(blocks))
        self._chrome.pop(site, None)

    def record(self, item: ArticleItem) -> dict[str, str]:
        """Count a newly stored article's blocks; returns them for the database."""
        found = blocks_of(item)
        self.articles[item.site] += 1
        self._chrome.pop(item.site, None)
        self.blocks.setdefault(item.site, Counter()).update(found.keys())
        return found

    def chrome(self, site: str) -> set[str]:
        """Hashes of the blocks that are chrome on ``site`` now."""
        if site not in self._chrome:
            floor = max(self.min_pages, self.min_share * self.articles[site])
            self._chrome[site] = {h for h, n in self.blocks.get(site, Counter()).items() if n >= floor}
        return self._chrome[site]

    def clean(self, item: ArticleItem) -> ArticleItem:
        """``item`` without its site's chrome blocks, or unchanged when too little would remain.

        A body is never cut to less than half its paragraphs or below the minimum body length:
        when that would happen, the "chrome" is more likely the story, repeated.
        """
        chrome = self.chrome(item.site)
        if not chrome:
            return item
        paragraphs = item.body.split(PARAGRAPH_BREAK)
        kept = [p for p, block in zip(paragraphs, paragraph_blocks(item), strict=True) if block not in chrome]
        body = PARAGRAPH_BREAK.join(kept)
        if len(kept) == len(paragraphs) or 2 * len(kept) < len(paragraphs) or word_count(body) < self.min_body_words:
            return item
        fingerprint, blocks = body_keys(body)
        return dataclasses.replace(
            item, body=body, content_fingerprint=fingerprint, body_blocks=blocks, body_signature=None
        )
