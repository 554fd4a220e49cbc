"""Storage: schema, engines and data functions."""

from crawler.storage import migrate
from crawler.storage.checkpoint import BackgroundCheckpoint
from crawler.storage.db import (
    DatabaseError,
    drop_schema,
    init_db,
    make_engine,
    make_reader,
    make_sessionmaker,
    read_only_engine,
    resolve_url,
)
from crawler.storage.models import (
    Article,
    ArticleUrl,
    Base,
    CrawlRun,
    CrawlRunSite,
    Site,
    SiteBlock,
)
from crawler.storage.reading import (
    ARTICLE_FIELDS,
    counts,
    find_article,
    iter_articles,
    latest_articles,
    read_articles,
    search_articles,
    story_clusters,
)
from crawler.storage.repository import store_articles
from crawler.storage.runs import recent_runs, record_sites, run_sites
from crawler.storage.siteblocks import add_site_blocks, load_site_blocks, reclean_articles
from crawler.storage.stories import story_threshold
from crawler.storage.versions import Version, versions

__all__ = [
    "ARTICLE_FIELDS",
    "Article",
    "ArticleUrl",
    "BackgroundCheckpoint",
    "Base",
    "CrawlRun",
    "CrawlRunSite",
    "DatabaseError",
    "Site",
    "SiteBlock",
    "Version",
    "add_site_blocks",
    "counts",
    "drop_schema",
    "find_article",
    "init_db",
    "iter_articles",
    "latest_articles",
    "load_site_blocks",
    "make_engine",
    "make_reader",
    "make_sessionmaker",
    "migrate",
    "read_articles",
    "read_only_engine",
    "recent_runs",
    "reclean_articles",
    "record_sites",
    "resolve_url",
    "run_sites",
    "search_articles",
    "store_articles",
    "story_clusters",
    "story_threshold",
    "versions",
]
