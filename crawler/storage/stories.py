"""Story clusters: each new article joins the story whose first article it resembles most, at or
above the threshold, or starts a story of its own.

A cluster is a star around its first article (similarities are to that article, so clusters do
not drift by chains of small edits). Only first articles are indexed, by their LSH band keys:
finding an article's candidate stories is a primary-key lookup whatever the number of stored
articles. Articles are placed before they are inserted, so their rows are written once, never
updated (on PostgreSQL an update rewrites every index of the row, full-text index included).

Concurrent writers: a lock taken before the batch's first insert (a transaction-scoped advisory
lock on PostgreSQL, the database's write lock on SQLite) makes storing a batch with its placement
one writer at a time, so two crawler processes storing copies of one story at once still make
one cluster; every writer takes it before any row lock, so it cannot deadlock with them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, delete, insert, select, text, update

from crawler.dedupe import band_keys, signature, similarity
from crawler.storage.models import Article, StoryBand, StoryHead

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings
    from sqlalchemy.orm import Session

_CHUNK = 500
# pg_advisory_xact_lock key of story placement ("news" in ASCII).
_LOCK_KEY = 0x6E657773
# The index's rows go in through Core: the ORM's bulk path took a tenth of the store's time.
_HEADS = cast(Table, StoryHead.__table__)
_BANDS = cast(Table, StoryBand.__table__)


@dataclass
class Placement:
    """Where a new article goes: a stored story (``cluster_id``), a story started earlier in the
    same batch (``batch_head``, a canonical URL), or a story of its own (neither)."""

    signature: bytes
    keys: list[int] = field(repr=False)
    cluster_id: int | None = None
    batch_head: str | None = None
    similarity: float | None = None

    @property
    def is_head(self) -> bool:
        return self.cluster_id is None and self.batch_head is None


def story_threshold(settings: BaseSettings) -> float | None:
    """``NEWS_NEAR_DUP_THRESHOLD``, checked, or None when ``NEWS_NEAR_DUP_ENABLED`` is off."""
    if not settings.getbool("NEWS_NEAR_DUP_ENABLED"):
        return None
    threshold = settings.getfloat("NEWS_NEAR_DUP_THRESHOLD")
    if not 0.4 <= threshold <= 1.0:
        raise ValueError(f"NEWS_NEAR_DUP_THRESHOLD must be between 0.4 and 1.0, not {threshold}")
    return threshold


def lock_stories(session: Session) -> None:
    """Make this transaction the only one placing articles until it ends."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    else:
        # SQLite takes its write lock at a transaction's first write, even one that changes
        # nothing; placement's reads must come after it, or two writers read the same index.
        session.execute(delete(StoryHead).where(text("0 = 1")))


def place_articles(session: Session, articles: Sequence[tuple[str, bytes]], threshold: float) -> dict[str, Placement]:
    """Placements of new articles ``(canonical URL, body signature)``, in order, among the
    stored stories and the stories the earlier ones of the batch start."""
    placements = {url: Placement(sig, band_keys(sig)) for url, sig in articles}
    heads_by_key: dict[int, set[int | str]] = defaultdict(set)
    wanted = sorted({key for p in placements.values() for key in p.keys})
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # A few hundred keys in a table of millions: without fresh statistics (autovacuum off,
        # or a table that grew since its last ANALYZE) PostgreSQL would scan the whole table.
        session.execute(text("SET LOCAL enable_seqscan = off"))
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(StoryBand.band_key, StoryBand.article_id).where(StoryBand.band_key.in_(wanted[start:start + _CHUNK]))
        )
        for key, head in rows:
            heads_by_key[key].add(head)
    if postgresql:
        session.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))
    head_ids = sorted({h for heads in heads_by_key.values() for h in heads if isinstance(h, int)})
    signatures: dict[int | str, bytes] = {}
    for start in range(0, len(head_ids), _CHUNK):
        rows = session.execute(
            select(StoryHead.article_id, StoryHead.signature).where(StoryHead.article_id.in_(head_ids[start:start + _CHUNK]))
        )
        signatures.update((head, bytes(sig)) for head, sig in rows)

    for url, placement in placements.items():
        candidates = {head for key in placement.keys for head in heads_by_key.get(key, ())}
        # The most similar story; among equals a stored one, the oldest.
        scored = [(similarity(placement.signature, signatures[h]), isinstance(h, int), -h if isinstance(h, int) else 0, h)
                  for h in candidates]
        best = max(scored, default=None)
        if best is not None and best[0] >= threshold:
            placement.similarity = round(best[0], 4)
            if isinstance(best[3], int):
                placement.cluster_id = best[3]
            else:
                placement.batch_head = best[3]
            continue
        signatures[url] = placement.signature
        for key in placement.keys:
            heads_by_key[key].add(url)
    return placements


def index_heads(session: Session, heads: Sequence[tuple[int, Placement]]) -> None:
    """Index stored articles ``(id, placement)`` that start stories, for the articles to come."""
    if heads:
        session.execute(insert(_HEADS), [{"article_id": i, "signature": p.signature} for i, p in heads])
        session.execute(insert(_BANDS), [
            {"band_key": key, "article_id": i} for i, p in heads for key in set(p.keys)
        ])


def forget_article(session: Session, article_id: int, successor_id: int) -> None:
    """Before ``article_id`` is deleted as the twin of ``successor_id``: it leaves the index, and
    the articles of its story move to the successor's (which takes its place when it was in it)."""
    successor = session.execute(select(Article.cluster_id, Article.body).where(Article.id == successor_id)).one()
    session.execute(delete(StoryBand).where(StoryBand.article_id == article_id))
    session.execute(delete(StoryHead).where(StoryHead.article_id == article_id))
    story = successor.cluster_id if successor.cluster_id not in (None, article_id) else successor_id
    session.execute(update(Article).where(Article.cluster_id == article_id).values(cluster_id=story))
    if story == successor_id:
        session.execute(update(Article).where(Article.id == successor_id).values(cluster_id=None, similarity=None))
        if session.get(StoryHead, successor_id) is None:
            sig = signature(successor.body)
            index_heads(session, [(successor_id, Placement(sig, band_keys(sig)))])
