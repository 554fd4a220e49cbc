"""Storage: schema, engines and data functions."""

from crawler.storage.db import DatabaseError, init_db, make_engine, make_sessionmaker, resolve_url
from crawler.storage.models import Article, ArticleUrl, Base, CrawlRun
from crawler.storage.repository import counts, iter_articles, latest_articles, store_articles

__all__ = [
    "Article",
    "ArticleUrl",
    "Base",
    "CrawlRun",
    "DatabaseError",
    "counts",
    "init_db",
    "iter_articles",
    "latest_articles",
    "make_engine",
    "make_sessionmaker",
    "resolve_url",
    "store_articles",
]
