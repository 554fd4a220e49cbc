"""Near-duplicate lookup cost as the store grows: placing one article in its story at 1k, 10k
and 100k stored stories, on SQLite and PostgreSQL.

The store is filled with synthetic stories (300-word bodies drawn from a 5,000-word vocabulary;
their signatures and band keys indexed as ``index_heads`` indexes them; article rows carry a
placeholder body, which placement never reads). At each size, once the fill is settled (SQLite's
write-ahead log checkpointed, PostgreSQL's tables vacuumed and analysed, as autovacuum would) and
50 unmeasured probes have warmed the caches, 1,000 probe articles are placed one per transaction:
half are copies of stored stories with six words changed (they must join them: "correct"), half
are new. Prints mean and 99th-percentile milliseconds per article (signature, band lookup,
comparison, the article's insert, indexing, commit) and the ratio to the 1k figures. SQLite's
write-ahead log is checkpointed by a thread beside the writer, as the store pipeline runs it.

    python bench/dedupe_scale.py [--db URL]... [--sizes 1000,10000,100000]

``--db`` defaults to a temporary SQLite file (repeat it for PostgreSQL too); a PostgreSQL
database is emptied of newscrawl's tables first, so point it at a scratch database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, text

from crawler import settings
from crawler.dedupe.neardup import band_keys, signature
from crawler.storage import (
    Article,
    BackgroundCheckpoint,
    drop_schema,
    init_db,
    make_engine,
    make_sessionmaker,
)
from crawler.storage.models import StoryBand, StoryHead
from crawler.storage.stories import index_heads, lock_stories, place_articles

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session, sessionmaker

FETCHED = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
PROBES = 1000
WARM_UP = 50
_VOCABULARY = [f"w{n}" for n in range(5000)]


def body(n: int) -> str:
    rng = random.Random(n)
    return " ".join(rng.choice(_VOCABULARY) for _ in range(300))


def fresh(url: str) -> None:
    engine = make_engine(url)
    drop_schema(engine)
    init_db(engine)
    engine.dispose()


def article_row(n: int) -> dict[str, Any]:
    url = f"https://scale{n % 50}.example/story/{n}"
    return {"id": n, "canonical_url": url, "url": url, "site": f"scale{n % 50}.example", "body": "(synthetic)",
            "content_fingerprint": f"fp{n}", "fetched_at": FETCHED}


def fill(sessions: sessionmaker[Session], start: int, stop: int) -> None:
    """Stories start..stop-1 (ids 1-based), indexed as story heads."""
    for chunk in range(start, stop, 1000):
        ids = range(chunk + 1, min(chunk + 1000, stop) + 1)
        signatures = {n: signature(body(n)) for n in ids}
        with sessions.begin() as session:
            session.execute(insert(Article), [article_row(n) for n in ids])
            session.execute(insert(StoryHead), [{"article_id": n, "signature": signatures[n]} for n in ids])
            session.execute(insert(StoryBand), [
                {"band_key": key, "article_id": n} for n in ids for key in set(band_keys(signatures[n]))
            ])


def settle(engine: Engine) -> None:
    """What a database does on its own after a bulk load, done before measuring rather than
    during: SQLite checkpoints its write-ahead log, PostgreSQL's autovacuum vacuums and analyses."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            connection.execute(text("VACUUM ANALYZE articles, story_heads, story_bands"))


def probe(sessions: sessionmaker[Session], size: int, round_: int) -> tuple[list[float], int]:
    """Seconds per probe article, and how many copies joined their story."""
    rng = random.Random(round_)
    seconds, joined = [], 0
    for k in range(-WARM_UP, PROBES):
        article_id = 10_000_000 + round_ * (WARM_UP + PROBES) + k + WARM_UP
        if k % 2:
            original = rng.randint(1, size)
            words = body(original).split()
            for spot in rng.sample(range(len(words)), 6):
                words[spot] = "changed"
            text_, expected = " ".join(words), original
        else:
            text_, expected = body(article_id), article_id
        row = article_row(article_id)
        began = time.perf_counter()
        with sessions.begin() as session:
            lock_stories(session)
            placements = place_articles(session, [(row["url"], signature(text_))], settings.NEWS_NEAR_DUP_THRESHOLD)
            placement = placements[row["url"]]
            session.execute(insert(Article), [row | {"cluster_id": placement.cluster_id, "similarity": placement.similarity}])
            if placement.is_head:
                index_heads(session, [(article_id, placement)])
        if k < 0:
            continue
        seconds.append(time.perf_counter() - began)
        with sessions() as session:
            story = func.coalesce(Article.cluster_id, Article.id)
            joined += session.scalar(select(story).where(Article.id == article_id)) == expected
    return seconds, joined


def run(url: str, sizes: list[int]) -> None:
    fresh(url)
    engine = make_engine(url)
    checkpoint = BackgroundCheckpoint.for_engine(engine)  # as the store pipeline runs SQLite
    if checkpoint is not None:
        checkpoint.start()
    sessions = make_sessionmaker(engine)
    print(f"\n{engine.dialect.name}: {url.split('@')[-1]}")
    print(f"{'stored':>9} {'mean ms':>8} {'p99 ms':>7} {'vs 1k mean':>11} {'vs 1k p99':>10} {'correct':>8}")
    filled, base = 0, None
    for round_, size in enumerate(sizes):
        began = time.perf_counter()
        fill(sessions, filled, size)
        filled = size
        with sessions() as session:
            assert (session.scalar(select(func.count()).select_from(StoryHead)) or 0) >= size
        fill_seconds = time.perf_counter() - began
        settle(engine)
        seconds, joined = probe(sessions, size, round_)
        mean = statistics.mean(seconds) * 1000
        p99 = statistics.quantiles(seconds, n=100)[98] * 1000
        base = base or (mean, p99)
        print(f"{size:>9,} {mean:>8.2f} {p99:>7.2f} {mean / base[0]:>11.2f} {p99 / base[1]:>10.2f} "
              f"{joined:>4}/{PROBES}  (filled in {fill_seconds:.0f} s)")
    if checkpoint is not None:
        checkpoint.stop()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", action="append", default=[], help="database URL (repeatable)")
    parser.add_argument("--sizes", default="1000,10000,100000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        for url in args.db or [f"sqlite:///{Path(folder) / 'scale.db'}"]:
            run(url, sizes)


if __name__ == "__main__":
    main()
