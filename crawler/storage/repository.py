"""Writing articles: store a batch once per story, every URL as a row saying why."""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from w3lib.url import canonicalize_url

from crawler.dedupe import signature
from crawler.items import ArticleItem
from crawler.storage.models import Article, ArticleUrl
from crawler.storage.stories import index_heads, lock_stories, place_articles
from crawler.storage.versions import Version, add_edit, current_version

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

ARTICLE_COLUMNS = frozenset(c.key for c in Article.__table__.columns) - {
    "id", "created_at", "updated_at", "crawl_run_id",
}
# The item's fields that are columns, read as they are (``dataclasses.asdict`` would deep-copy
# every field, the body's block hashes and signature included, for every article stored).
_STORED_FIELDS = [f.name for f in dataclasses.fields(ArticleItem) if f.name in ARTICLE_COLUMNS]
# Bounded metadata columns and their lengths: a longer value (a page whose "section" is its whole
# tag list) is cut to fit, where PostgreSQL would refuse the whole batch it came in. URLs and keys
# are never cut: a cut URL would be another URL.
_CLIPPED = {
    c.key: c.type.length
    for c in Article.__table__.columns
    if isinstance(c.type, String) and c.type.length and c.key in ARTICLE_COLUMNS
    and c.key not in {"url", "canonical_url", "content_fingerprint"}
}


def dialect_insert(session: Session, model: type[Any]) -> Any:
    """The dialect's INSERT into the model's table, which knows ON CONFLICT; the unique
    constraints decide.

    Executed with a list of rows (executemany), never with ``.values(rows)``: the statement is
    then compiled once and cached, where a many-row VALUES clause is compiled anew for every
    batch, at a cost that was most of the time spent storing.
    """
    name = session.get_bind().dialect.name
    table = model.__table__  # Core, not the ORM's bulk path: rows go in as they are
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"unsupported database dialect {name!r}: use SQLite or PostgreSQL")


# What becomes of an item: a new article (``stored``), a page that takes the place of a stored
# copy (``replaced``), an edit of a stored article (``updated``), another URL of a stored article
# (``alias``: same canonical URL; ``duplicate_body``: same text), or ``unresolved`` (no article
# found for it). The fates whose item's text is now a stored article's, learned chrome learns from:
WRITTEN = frozenset({"stored", "replaced"})


def store_articles(
    session: Session, items: Sequence[ArticleItem], run_id: int | None = None, story_threshold: float | None = None
) -> tuple[Counter[str], list[tuple[ArticleItem, str]]]:
    """Store a batch: new articles once, every other URL as an alias row of its article.

    The unique constraints on ``canonical_url``, ``content_fingerprint`` and ``url`` are the truth,
    so two processes storing the same article at once still store it once. When a copy (AMP,
    print, tracking URL) was stored first and the article's own page arrives later, the page's
    extraction replaces the copy's: it is the better source for dates and authors.

    An article's own page fetched again with another title or text (an edit) updates the stored
    article and is kept as a new version (``article_versions``). New articles join story
    clusters (``crawler.storage.stories``) at ``story_threshold``; None: each is its own story.

    Returns:
        What the batch added to the tables, counted as the run's figures are (docs/settings.md,
        ``news/store/*``): ``stored`` (rows of ``articles``), ``new_story`` and
        ``near_duplicate`` (of those, the first of their story and the others), ``alias`` and
        ``duplicate_body`` (rows of ``article_urls`` with that reason, less this run's rows
        relabelled), ``updated`` (rows of ``article_versions``); and, by item, ``duplicates``
        (items of an article stored already) and ``unresolved``. Then each item with its fate
        (see ``WRITTEN``).
    """
    outcomes: Counter[str] = Counter()
    new = [item for item in items if item.duplicate_of is None]
    inserted = _insert_new(session, new, run_id, story_threshold, outcomes)

    found = session.execute(
        select(
            Article.id, Article.url, Article.canonical_url, Article.canonical_from_page,
            Article.content_fingerprint, Article.title,
        ).where(
            or_(
                Article.canonical_url.in_({item.canonical_url for item in items}),
                Article.content_fingerprint.in_({item.content_fingerprint for item in items}),
            )
        )
    ).all()
    stored = {row.id: row._asdict() for row in found}
    by_canonical = {row.canonical_url: row.id for row in found}
    by_fingerprint = {row.content_fingerprint: row.id for row in found}

    fates: list[tuple[ArticleItem, str]] = []
    unresolved: list[ArticleItem] = []
    # Every URL of the batch -> (its article, the canonical URL its page named).
    links: dict[str, tuple[int, str]] = {}
    for item in items:
        if item.duplicate_of is None and item.canonical_url in inserted:
            inserted.discard(item.canonical_url)
            fate, article_id = "stored", by_canonical[item.canonical_url]
        elif item.canonical_url in by_canonical:
            fate, article_id = "alias", by_canonical[item.canonical_url]
            current = stored[article_id]
            own_page = is_own_page(item.url, item.canonical_url)
            if own_page and not is_own_page(current["url"], current["canonical_url"]):
                if _replace(session, current, item):
                    fate = "replaced"
            elif (
                own_page
                and item.duplicate_of is None
                and (item.content_fingerprint, item.title) != (current["content_fingerprint"], current["title"])
            ):
                # The article's own page, fetched again (a revisit), says something new: an edit.
                # Not learned from again: a page counted twice would make its own text look like chrome.
                before = current_version(session, article_id)
                if _replace(session, current, item):
                    after = Version(0, item.fetched_at or before.fetched_at, item.title, item.body)
                    add_edit(session, article_id, before, after, run_id)
                    fate = "updated"
        elif item.content_fingerprint in by_fingerprint:
            fate, article_id = "duplicate_body", by_fingerprint[item.content_fingerprint]
            current = stored[article_id]
            if item.canonical_from_page and not current["canonical_from_page"]:
                # This page names its canonical URL; the stored copy only had its own address.
                old_canonical = current["canonical_url"]
                if _replace(session, current, item):
                    fate = "replaced"
                    by_canonical[item.canonical_url] = article_id
                    relabelled = session.scalars(
                        update(ArticleUrl)
                        .where(ArticleUrl.url == old_canonical, ArticleUrl.article_id == article_id,
                               ArticleUrl.reason != "duplicate_body")
                        .values(reason="duplicate_body")
                        .returning(ArticleUrl.crawl_run_id)
                    ).all()
                    outcomes["duplicate_body"] += relabelled.count(run_id)
        else:
            unresolved.append(item)
            continue
        fates.append((item, fate))
        outcomes["stored" if fate == "stored" else "duplicates"] += 1
        if fate == "updated":
            outcomes["updated"] += 1
        for url in (item.canonical_url, item.url, *item.redirected_from):
            links.setdefault(url, (article_id, item.canonical_url))

    url_rows = []
    for url, (article_id, named) in links.items():
        canonical = stored[article_id]["canonical_url"]
        reason = "canonical" if url == canonical else "alias" if named == canonical else "duplicate_body"
        url_rows.append({"url": url, "article_id": article_id, "reason": reason, "crawl_run_id": run_id})
    if url_rows:
        added = session.scalars(
            dialect_insert(session, ArticleUrl).on_conflict_do_nothing().returning(ArticleUrl.reason), url_rows
        )
        outcomes.update(reason for reason in added if reason != "canonical")
    hinted = [dataclasses.replace(item, duplicate_of=None) for item in unresolved if item.duplicate_of]
    if hinted:
        # The article an in-run duplicate pointed at has since taken another page's text (the
        # canonical page replaced its AMP copy, say): the duplicate is a story of its own.
        more, more_fates = store_articles(session, hinted, run_id, story_threshold)
        outcomes.update(more)
        fates += more_fates
    lost = [item for item in unresolved if not item.duplicate_of]
    if lost:
        outcomes["unresolved"] += len(lost)
        fates += [(item, "unresolved") for item in lost]
    return outcomes, fates


def _insert_new(
    session: Session, new: Sequence[ArticleItem], run_id: int | None, threshold: float | None, outcomes: Counter[str]
) -> set[str]:
    """Insert new articles, placed in their stories; returns the canonical URLs inserted (the
    others were stored already, by this or another process)."""
    if not new:
        return set()
    if threshold is None:  # each article is a story of its own
        rows = [article_values(item) | {"crawl_run_id": run_id} for item in new]
        urls = set(session.scalars(
            dialect_insert(session, Article).on_conflict_do_nothing().returning(Article.canonical_url), rows
        ))
        if urls:
            outcomes["new_story"] += len(urls)
        return urls
    lock_stories(session)
    placements = place_articles(
        session, [(item.canonical_url, item.body_signature or signature(item.body)) for item in new], threshold
    )
    inserted: dict[str, int] = {}
    # Articles joining a story begun in this batch go in once its first article has an id.
    for group in ([i for i in new if not placements[i.canonical_url].batch_head],
                  [i for i in new if placements[i.canonical_url].batch_head]):
        rows = []
        for item in group:
            placement = placements[item.canonical_url]
            if placement.batch_head is not None:
                placement.cluster_id = inserted.get(placement.batch_head)
                if placement.cluster_id is None:  # its first article was stored already: start anew
                    placement.batch_head = placement.similarity = None
            rows.append(article_values(item) | {
                "crawl_run_id": run_id, "cluster_id": placement.cluster_id, "similarity": placement.similarity,
            })
        if rows:
            statement = dialect_insert(session, Article).on_conflict_do_nothing()
            inserted.update((url, i) for url, i in session.execute(statement.returning(Article.canonical_url, Article.id), rows))
    heads = [(article_id, placements[url]) for url, article_id in inserted.items() if placements[url].is_head]
    index_heads(session, heads)
    outcomes["new_story"] += len(heads)
    outcomes["near_duplicate"] += len(inserted) - len(heads)
    return set(inserted)


def article_values(item: ArticleItem) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in _STORED_FIELDS}
    for key, length in _CLIPPED.items():
        value = values.get(key)
        if isinstance(value, str) and len(value) > length:
            values[key] = value[:length]
    return values


def is_own_page(url: str, canonical_url: str) -> bool:
    """Whether ``url`` is the article's own page, not a copy (AMP, print) naming it."""
    return canonicalize_url(url) == canonical_url


def _replace(session: Session, current: dict[str, Any], item: ArticleItem) -> bool:
    """Overwrite a stored article with a better source of the same story; False if refused."""
    values = article_values(item)
    try:
        with session.begin_nested():
            session.execute(update(Article).where(Article.id == current["id"]).values(values))
    except IntegrityError:
        # The better page's canonical URL or body belongs to another stored article: keep both apart.
        logger.info("kept the stored copy of %(url)s: its page is stored elsewhere", {"url": item.url})
        return False
    current.update(values)
    return True
