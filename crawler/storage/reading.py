"""Reading articles back: streaming exports, full-text search, totals."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import column, func, literal_column, or_, select, table, text
from w3lib.url import canonicalize_url

from crawler.storage.db import make_reader, make_sessionmaker
from crawler.storage.models import Article, ArticleUrl

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

_WORD = re.compile(r"\w+", re.UNICODE)


def _filters(site: str | None, since: dt.datetime | None, source: str | None) -> list[Any]:
    conditions: list[Any] = []
    if site:
        conditions.append(Article.site == site)
    if source:
        conditions.append(Article.source == source)
    if since:
        conditions.append(Article.published_at >= since)
    return conditions


def iter_articles(
    session: Session,
    *,
    site: str | None = None,
    since: dt.datetime | None = None,
    source: str | None = None,
    batch_size: int = 500,
) -> Iterator[Article]:
    """Articles by id (of a site, published since a time), streamed in batches so that exports
    never hold the table in memory."""
    statement = (
        select(Article).where(*_filters(site, since, source)).order_by(Article.id).execution_options(yield_per=batch_size)
    )
    yield from session.scalars(statement)


# The columns of ``articles`` a reader gets (``read_articles``, ``newscrawl export``): all but the
# story placement and bookkeeping columns.
ARTICLE_FIELDS = (
    "id", "canonical_url", "url", "site", "source", "title", "authors", "author_organisations",
    "published_at", "published_at_raw", "modified_at", "modified_at_raw", "date_source",
    "description", "language", "site_name", "section", "accessible_for_free", "image", "tags",
    "body", "content_fingerprint", "fetched_at", "crawl_run_id",
)


def read_articles(
    url: str, *, site: str | None = None, since: dt.datetime | None = None, source: str | None = None
) -> Generator[dict[str, Any], None, None]:
    """The stored articles of the newscrawl database at ``url``, by id, as dictionaries of
    ``ARTICLE_FIELDS``: of a site, of a source, published since a time. Streamed in batches, so
    any number of them fits in memory. The database is opened read-only at once (so that a
    wrong URL fails here, not at the first row) and closed after the last row, or by ``close()``.

    Raises:
        DatabaseError: no newscrawl database at ``url``, or it cannot be read.
    """
    engine = make_reader(url)
    return _rows(engine, site, since, source)


def _rows(
    engine: Engine, site: str | None, since: dt.datetime | None, source: str | None
) -> Generator[dict[str, Any], None, None]:
    try:
        with make_sessionmaker(engine)() as session:
            for article in iter_articles(session, site=site, since=since, source=source):
                yield {name: getattr(article, name) for name in ARTICLE_FIELDS}
    finally:
        engine.dispose()


def search_articles(
    session: Session,
    query: str,
    *,
    site: str | None = None,
    since: dt.datetime | None = None,
    source: str | None = None,
    limit: int = 20,
) -> Sequence[Article]:
    """Articles matching every word of ``query`` in title or body, best first (title weighs more)."""
    words = _WORD.findall(query)
    if not words:
        return []
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        fts = table("articles_fts", column("rowid"), column("rank"))
        # Each word quoted: user input never reaches FTS5's query syntax.
        match = " ".join('"' + w.replace('"', "") + '"' for w in words)
        statement = (
            select(Article)
            .join(fts, fts.c.rowid == Article.id)
            .where(text("articles_fts MATCH :match").bindparams(match=match))
            .order_by(text("bm25(articles_fts, 10.0, 1.0)"))
        )
    elif dialect == "postgresql":
        tsquery = func.plainto_tsquery("simple", " ".join(words))
        search: ColumnElement[Any] = literal_column("articles.search")
        statement = select(Article).where(search.op("@@")(tsquery)).order_by(func.ts_rank(search, tsquery).desc())
    else:
        raise NotImplementedError(f"no full-text search on {dialect!r}")
    return session.scalars(statement.where(*_filters(site, since, source)).limit(limit)).all()


def articles_after(session: Session, since_id: int, limit: int) -> Sequence[Article]:
    """Articles with an id above ``since_id``, by id: a cursor that returns each article once,
    even while crawls write.

    Ids are handed out as rows are inserted, but rows become visible as their transactions
    commit, which concurrent writers to PostgreSQL do out of order: a page read past an id still
    in flight would skip it for good. So PostgreSQL reads under a SHARE lock on the table, which
    waits for the transactions writing to it and holds new ones back for the moment of the read.
    SQLite has one writer at a time, whose ids are above every committed one.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL lock_timeout = '10s'"))
        session.execute(text("LOCK TABLE articles IN SHARE MODE"))
    return session.scalars(select(Article).where(Article.id > since_id).order_by(Article.id).limit(limit)).all()


def latest_articles(session: Session, limit: int = 20) -> Sequence[Article]:
    """The most recently published articles, undated ones last."""
    statement = select(Article).order_by(Article.published_at.desc().nulls_last(), Article.id).limit(limit)
    return session.scalars(statement).all()


def counts(session: Session) -> dict[str, Any]:
    """Totals a reader wants first: articles, URLs by reason, articles per site."""
    return {
        "articles": session.scalar(select(func.count(Article.id))) or 0,
        "urls": {reason: n for reason, n in session.execute(select(ArticleUrl.reason, func.count()).group_by(ArticleUrl.reason))},
        "sites": {
            site: n
            for site, n in session.execute(
                select(Article.site, func.count()).group_by(Article.site).order_by(func.count().desc())
            )
        },
    }


def find_article(session: Session, url: str) -> Article | None:
    """The article stored under ``url``: any URL it was seen under, as given or w3lib-canonical."""
    article_id = session.scalar(
        select(ArticleUrl.article_id).where(ArticleUrl.url.in_({url, canonicalize_url(url)})).limit(1)
    )
    return session.get(Article, article_id) if article_id is not None else None


def story_clusters(
    session: Session, cluster_id: int | None = None, limit: int = 50
) -> list[tuple[int, list[Article]]]:
    """Stories told more than once (largest first), or the one story ``cluster_id``, each with its
    articles, first article first."""
    story = func.coalesce(Article.cluster_id, Article.id)
    if cluster_id is None:
        copies = func.count(Article.id)
        ids = list(session.scalars(
            select(story).group_by(story).having(copies > 1).order_by(copies.desc(), story).limit(limit)
        ))
    else:
        ids = [cluster_id]
    members = session.scalars(
        select(Article).where(or_(Article.id.in_(ids), Article.cluster_id.in_(ids))).order_by(Article.id)
    ).all()
    by_cluster: dict[int, list[Article]] = {i: [] for i in ids}
    for article in members:
        key = article.cluster_id if article.cluster_id is not None else article.id
        if key in by_cluster:  # not a copy that ``cluster_id`` names as if it were a story
            by_cluster[key].append(article)
    return [(i, sorted(by_cluster[i], key=lambda a: (a.id != i, a.id))) for i in ids
            if any(a.id == i for a in by_cluster[i])]
