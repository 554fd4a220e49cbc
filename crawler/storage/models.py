"""The database schema: a public interface documented in docs/schema.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes stored as UTC on every backend.

    SQLite has no timezone type and would hand naive values back; this keeps every datetime the
    application sees aware and in UTC, whatever the backend.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CrawlRun(Base):
    """One crawl: who ran what, when, how it ended, and Scrapy's final stats."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    spider: Mapped[str] = mapped_column(String(100))
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]
    finish_reason: Mapped[str | None] = mapped_column(String(100))
    stats: Mapped[dict[str, Any] | None]

    def __repr__(self) -> str:
        return f"CrawlRun(id={self.id!r}, spider={self.spider!r}, started_at={self.started_at!r})"


class CrawlRunSite(Base):
    """What one crawl did on one site: the figures compared run to run, so that a site that
    blocks the crawler is told apart from a quiet news day (``warning``)."""

    __tablename__ = "crawl_run_sites"
    __table_args__ = (Index("ix_crawl_run_sites_site", "site", "crawl_run_id"),)

    crawl_run_id: Mapped[int] = mapped_column(ForeignKey("crawl_runs.id"), primary_key=True)
    site: Mapped[str] = mapped_column(String(255), primary_key=True)
    discovered: Mapped[int] = mapped_column(default=0)
    fetched: Mapped[int] = mapped_column(default=0)
    blocked: Mapped[int] = mapped_column(default=0)
    errors: Mapped[int] = mapped_column(default=0)
    paywalled: Mapped[int] = mapped_column(default=0)
    empty: Mapped[int] = mapped_column(default=0)
    filtered: Mapped[int] = mapped_column(default=0)
    extracted: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    stored: Mapped[int] = mapped_column(default=0)
    # Answers refusing or failing (``http_403``, ``http_429``, ``http_5xx``...) and requests failed
    # for good (``error:<kind>``: ``error:TimeoutError``...), by kind.
    error_kinds: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    warning: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"CrawlRunSite(crawl_run_id={self.crawl_run_id!r}, site={self.site!r}, stored={self.stored!r})"


class Article(TimestampMixin, Base):
    """One stored article; every URL it was seen under is in ``article_urls``.

    Full-text search lives beside it, per dialect, outside the ORM: ``articles_fts`` on SQLite,
    the generated column ``search`` on PostgreSQL (migration 0003).
    """

    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_site_published_at", "site", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    canonical_from_page: Mapped[bool] = mapped_column(default=False)
    url: Mapped[str] = mapped_column(String(2048))
    site: Mapped[str] = mapped_column(String(255), index=True)
    source: Mapped[str | None] = mapped_column(String(100), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(default=list)
    author_organisations: Mapped[list[str]] = mapped_column(default=list, server_default="[]")
    published_at: Mapped[dt.datetime | None] = mapped_column(index=True)
    published_at_raw: Mapped[str | None] = mapped_column(String(64))
    modified_at: Mapped[dt.datetime | None]
    modified_at_raw: Mapped[str | None] = mapped_column(String(64))
    date_source: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    site_name: Mapped[str | None] = mapped_column(String(255))
    section: Mapped[str | None] = mapped_column(String(255))
    accessible_for_free: Mapped[bool | None]
    image: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(default=list)
    body: Mapped[str] = mapped_column(Text)
    content_fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(index=True)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"), index=True)
    # The story this article tells: the id of its cluster's first article, and its similarity to
    # that article; both null when it is the first (its story is its own id). Rows stored before
    # schema 0006 are stories of their own that later articles are not compared with.
    cluster_id: Mapped[int | None] = mapped_column(index=True)
    similarity: Mapped[float | None]

    def __repr__(self) -> str:
        return f"Article(id={self.id!r}, canonical_url={self.canonical_url!r})"


class ArticleUrl(Base):
    """A URL under which an article was found, and why it points there."""

    __tablename__ = "article_urls"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    # "canonical", "alias" (same canonical URL) or "duplicate_body" (same text, other URL).
    reason: Mapped[str] = mapped_column(String(16))
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"ArticleUrl(url={self.url!r}, article_id={self.article_id!r}, reason={self.reason!r})"


class Site(Base):
    """Per-site counters for learning the site's chrome: how many articles were stored."""

    __tablename__ = "sites"

    site: Mapped[str] = mapped_column(String(255), primary_key=True)
    articles: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"Site(site={self.site!r}, articles={self.articles!r})"


class SiteBlock(Base):
    """How many of a site's stored articles contained a text block (a paragraph), by hash."""

    __tablename__ = "site_blocks"

    site: Mapped[str] = mapped_column(String(255), primary_key=True)
    block_hash: Mapped[str] = mapped_column(String(16), primary_key=True)
    pages: Mapped[int] = mapped_column(default=0)
    # A sample of the text, so an operator can see what was learned as chrome; written when a
    # second article shows the block (a story's own paragraphs, seen once, would copy every body).
    text: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"SiteBlock(site={self.site!r}, block_hash={self.block_hash!r}, pages={self.pages!r})"


class ListingPage(Base):
    """A page crawled for its links (home, section, feed, sitemap), kept for conditional GET.

    The next crawl sends its ``etag`` and ``last_modified`` back; on 304 Not Modified the kept
    ``body`` is crawled again in its place, so the links a page had are never lost, not even
    those an interrupted crawl did not get to.
    """

    __tablename__ = "listing_pages"

    url: Mapped[str] = mapped_column(String(2048), primary_key=True)
    site: Mapped[str] = mapped_column(String(255), index=True)
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    content_type: Mapped[str | None] = mapped_column(String(255))
    # zlib-compressed, as the spider received it (after Content-Encoding was undone).
    body: Mapped[bytes] = mapped_column(LargeBinary)
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"ListingPage(url={self.url!r}, etag={self.etag!r}, last_modified={self.last_modified!r})"


class CopyRule(Base):
    """A rewrite that turns the address of a site's copies (AMP, print) into their article's,
    learned from pages naming their canonical page (``crawler.dedupe.copyrules``).

    Once ``confirmations`` reaches ``NEWS_COPY_RULE_CONFIRMATIONS``, links the rule fits are
    recorded as aliases of their article without being fetched, in every later run and on every
    worker; a sampled link that contradicts the rule sets ``refuted`` for good.
    """

    __tablename__ = "copy_rules"

    site: Mapped[str] = mapped_column(String(255), primary_key=True)
    # "prefix", "suffix", "infix" (before the file extension) or "params" (query pairs).
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    pattern: Mapped[str] = mapped_column(String(255), primary_key=True)
    confirmations: Mapped[int] = mapped_column(default=0)
    refuted: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"CopyRule(site={self.site!r}, kind={self.kind!r}, pattern={self.pattern!r})"


class LinkTemplate(Base):
    """How the pages behind one shape of link of a site turned out: whether any led to an
    article (``crawler.downloadermiddlewares.link_yield``).

    A shape fetched ``NEWS_LINK_YIELD_MIN_PAGES`` times without leading to an article (404s,
    help pages, downloads) is barren: its further links are sampled, not exhausted, in every
    later run and on every worker.
    """

    __tablename__ = "link_templates"

    site: Mapped[str] = mapped_column(String(255), primary_key=True)
    template: Mapped[str] = mapped_column(String(512), primary_key=True)
    fetched: Mapped[int] = mapped_column(default=0)
    yielding: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"LinkTemplate(site={self.site!r}, template={self.template!r}, yielding={self.yielding!r})"


class StoryHead(Base):
    """The first article of each story cluster, with the MinHash signature new articles are
    compared with (``crawler.dedupe.neardup``)."""

    __tablename__ = "story_heads"

    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    signature: Mapped[bytes] = mapped_column(LargeBinary)

    def __repr__(self) -> str:
        return f"StoryHead(article_id={self.article_id!r})"


class StoryBand(Base):
    """LSH band keys of the story heads: an article's candidate stories are the heads sharing a
    key with it, found through the primary key's index whatever the table's size."""

    __tablename__ = "story_bands"
    # On SQLite the primary key is the table (no second copy of every row in a rowid table).
    __table_args__ = {"sqlite_with_rowid": False}

    band_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True, autoincrement=False)

    def __repr__(self) -> str:
        return f"StoryBand(band_key={self.band_key!r}, article_id={self.article_id!r})"


class ArticleVersion(Base):
    """An article's text as fetched at one time; rows exist only for articles that changed."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    version: Mapped[int]
    fetched_at: Mapped[dt.datetime]
    # SHA-256 of the title and the body: what "changed" means.
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))

    def __repr__(self) -> str:
        return f"ArticleVersion(article_id={self.article_id!r}, version={self.version!r})"
