"""Where the pages to crawl come from, and with which rules: the sources file (``sources``),
RSS/Atom feeds (``feeds``), sitemaps (``sitemaps``) and web archives (``warc``).

Above the middlewares: may import them (an archive URL is held to the private-network policy),
storage, extraction, dedupe, items and urls; never spiders, pipelines or the command line.
"""

from crawler.discovery.feeds import NotAFeed, parse_feed
from crawler.discovery.sitemaps import NotASitemap, parse_sitemap
from crawler.discovery.sources import (
    DEFAULT_FILE,
    Source,
    SourcesError,
    load_sources,
    select_sources,
    written_as,
)
from crawler.discovery.warc import ArchivedPage, WarcFilter, WarcReader

__all__ = [
    "DEFAULT_FILE",
    "ArchivedPage",
    "NotAFeed",
    "NotASitemap",
    "Source",
    "SourcesError",
    "WarcFilter",
    "WarcReader",
    "load_sources",
    "parse_feed",
    "parse_sitemap",
    "select_sources",
    "written_as",
]
