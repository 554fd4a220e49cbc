"""Story clusters: each new article joins the story whose first article it resembles most, at or
above the threshold, or starts a story of its own.

A cluster is a star around its first article (similarities are to that article, so clusters do
not drift by chains of small edits). Only first articles are indexed, by their LSH band keys:
finding an article's candidate stories is a primary-key lookup whatever the number of stored
articles. On PostgreSQL a transaction-scoped advisory lock makes the assignment one writer at a
time, so two crawler processes storing copies of one story at once still make one cluster; on
SQLite the write lock ``store_articles`` already holds does the same.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select, text, update

from crawler.neardup import band_keys, signature, similarity
from crawler.storage.models import Article, StoryBand, StoryHead

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings
    from sqlalchemy.orm import Session

_CHUNK = 500
# pg_advisory_xact_lock key of the story assignment ("news" in ASCII).
_LOCK_KEY = 0x6E657773


def story_threshold(settings: BaseSettings) -> float | None:
    """``NEWS_NEAR_DUP_THRESHOLD``, checked, or None when ``NEWS_NEAR_DUP_ENABLED`` is off."""
    if not settings.getbool("NEWS_NEAR_DUP_ENABLED"):
        return None
    threshold = settings.getfloat("NEWS_NEAR_DUP_THRESHOLD")
    if not 0.4 <= threshold <= 1.0:
        raise ValueError(f"NEWS_NEAR_DUP_THRESHOLD must be between 0.4 and 1.0, not {threshold}")
    return threshold


def assign_stories(session: Session, articles: Sequence[tuple[int, str]], threshold: float | None) -> Counter[str]:
    """Put newly stored articles ``(id, body)`` into story clusters; ``threshold`` None makes
    each a story of its own, unindexed. Returns counts of ``new_story`` and ``near_duplicate``."""
    outcomes: Counter[str] = Counter()
    if not articles:
        return outcomes
    if threshold is None:
        session.execute(update(Article), [{"id": i, "cluster_id": i, "similarity": 1.0} for i, _ in articles])
        outcomes["new_story"] += len(articles)
        return outcomes
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    signatures = {article_id: signature(body) for article_id, body in articles}
    keys = {article_id: band_keys(sig) for article_id, sig in signatures.items()}
    heads_by_key: dict[int, set[int]] = defaultdict(set)
    wanted = sorted({key for article_keys in keys.values() for key in article_keys})
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(StoryBand.band_key, StoryBand.article_id).where(StoryBand.band_key.in_(wanted[start:start + _CHUNK]))
        )
        for key, head in rows:
            heads_by_key[key].add(head)
    head_ids = sorted({head for heads in heads_by_key.values() for head in heads})
    head_signatures: dict[int, bytes] = {}
    for start in range(0, len(head_ids), _CHUNK):
        rows = session.execute(
            select(StoryHead.article_id, StoryHead.signature).where(StoryHead.article_id.in_(head_ids[start:start + _CHUNK]))
        )
        head_signatures.update((head, bytes(sig)) for head, sig in rows)

    updates, new_heads, new_bands = [], [], []
    for article_id, _ in articles:
        sig = signatures[article_id]
        candidates = {head for key in keys[article_id] for head in heads_by_key.get(key, ())}
        # The most similar story; the oldest among equals.
        best, head = max(((similarity(sig, head_signatures[h]), -h) for h in candidates), default=(0.0, 0))
        if best >= threshold:
            updates.append({"id": article_id, "cluster_id": -head, "similarity": round(best, 4)})
            outcomes["near_duplicate"] += 1
            continue
        updates.append({"id": article_id, "cluster_id": article_id, "similarity": 1.0})
        new_heads.append({"article_id": article_id, "signature": sig})
        head_signatures[article_id] = sig
        for key in set(keys[article_id]):
            new_bands.append({"band_key": key, "article_id": article_id})
            heads_by_key[key].add(article_id)
        outcomes["new_story"] += 1
    session.execute(update(Article), updates)
    if new_heads:
        session.execute(insert(StoryHead), new_heads)
        session.execute(insert(StoryBand), new_bands)
    return outcomes


def forget_article(session: Session, article_id: int, successor_id: int) -> None:
    """Before ``article_id`` is deleted as the twin of ``successor_id``: its story's other
    members move to the successor's story, and it leaves the index."""
    story = session.scalar(select(Article.cluster_id).where(Article.id == successor_id)) or successor_id
    session.execute(
        update(Article).where(Article.cluster_id == article_id, Article.id != article_id).values(cluster_id=story)
    )
    session.execute(delete(StoryBand).where(StoryBand.article_id == article_id))
    session.execute(delete(StoryHead).where(StoryHead.article_id == article_id))
