"""newscrawl: crawl news sites into a SQL database, each article stored once.

The Python API (docs/api.md), importable from here:

- ``ArticleExtractor``, ``NotAnArticle``: extract one page, without crawling
  (``crawler.extraction``);
- ``read_articles``: stream the stored articles of a database, with filters
  (``crawler.storage``);
- ``crawl``: run a crawl from a program (``crawler.runner``).

Each is imported when first used, so that ``import crawler.extraction`` loads neither Scrapy nor
SQLAlchemy. The package's layout and its layering rule: docs/architecture.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.extraction import ArticleExtractor, NotAnArticle
    from crawler.runner import crawl
    from crawler.storage import read_articles

__all__ = ["ArticleExtractor", "NotAnArticle", "crawl", "read_articles"]

_HOMES = {
    "ArticleExtractor": "crawler.extraction",
    "NotAnArticle": "crawler.extraction",
    "crawl": "crawler.runner",
    "read_articles": "crawler.storage",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'crawler' has no attribute {name!r}")
