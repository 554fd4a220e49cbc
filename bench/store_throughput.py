"""Storage throughput: articles stored per second as the table grows, against a plain insert.

Stores ``--rows`` synthetic articles (3 KB bodies, one in ten arriving again under a tracking URL)
through ``store_articles`` in batches of ``--batch``, with story clustering at the default
threshold, as the store pipeline does, and prints the rate for every tenth of the rows, so that a rate falling with the table's size shows. The ceiling,
measured in the same run on a fresh table, is a plain multi-row INSERT of the same rows without
deduplication or URL bookkeeping.

    python bench/store_throughput.py [--db URL] [--rows 100000] [--batch 50]

``--db`` defaults to a temporary SQLite file; a PostgreSQL URL is emptied of newscrawl's tables
first, so point it at a scratch database.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from crawler import settings
from crawler.dedupe.fingerprints import body_fingerprint
from crawler.dedupe.neardup import signature
from crawler.items import ArticleItem
from crawler.storage import (
    Article,
    drop_schema,
    init_db,
    make_engine,
    make_sessionmaker,
    store_articles,
)
from crawler.storage.repository import article_values

FETCHED = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
_VOCABULARY = [f"word{n}" for n in range(5000)]


def article(n: int) -> ArticleItem:
    rng = random.Random(n)  # a story of its own: 450 words drawn from the vocabulary
    body = f"Story {n}: " + " ".join(rng.choice(_VOCABULARY) for _ in range(450))
    url = f"https://bench{n % 50}.example/story/{n}"
    # Fingerprint and signature come with the item, as from the crawl's page workers.
    return ArticleItem(url=url, canonical_url=url, site=f"bench{n % 50}.example", body=body, title=f"Story {n}",
                       fetched_at=FETCHED, content_fingerprint=body_fingerprint(body), body_signature=signature(body))


def batches(rows: int, size: int) -> list[list[ArticleItem]]:
    items = []
    for n in range(rows):
        items.append(article(n))
        if n % 10 == 9:  # the same story again, under a tracking-parameter URL
            again = article(n - 5)
            items.append(dataclasses.replace(again, url=again.url + "?utm_source=bench", duplicate_of="url"))
    return [items[i : i + size] for i in range(0, len(items), size)]


def fresh(url: str) -> None:
    engine = make_engine(url)
    drop_schema(engine)
    init_db(engine)
    engine.dispose()


def run(url: str, work: list[list[ArticleItem]], plain: bool) -> list[tuple[int, float]]:
    """(rows stored so far, seconds) after each tenth of the work."""
    fresh(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    marks, done, start = [], 0, time.perf_counter()
    step = max(1, len(work) // 10)
    for index, batch in enumerate(work, start=1):
        with sessions.begin() as session:
            if plain:
                new = [article_values(i) for i in batch if i.duplicate_of is None]
                session.execute(insert(Article), new)
            else:
                store_articles(session, batch, story_threshold=settings.NEWS_NEAR_DUP_THRESHOLD)
        done += len(batch)
        if index % step == 0 or index == len(work):
            marks.append((done, time.perf_counter() - start))
    engine.dispose()
    return marks


def rates(marks: list[tuple[int, float]]) -> list[float]:
    previous = (0, 0.0)
    out = []
    for rows, seconds in marks:
        out.append((rows - previous[0]) / max(seconds - previous[1], 1e-9))
        previous = (rows, seconds)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.db or f"sqlite:///{Path(scratch) / 'bench.db'}"
        work = batches(args.rows, args.batch)
        ours = run(url, work, plain=False)
        ceiling = run(url, work, plain=True)
    ours_rates, plain_rates = rates(ours), rates(ceiling)
    print(f"{make_engine(url).dialect.name}: {args.rows} articles (+{args.rows // 10} tracking-URL copies), batches of {args.batch}")
    print(f"  {'items so far':>12s} {'newscrawl/s':>12s} {'plain/s':>10s} {'ratio':>6s}")
    for (rows, _), mine, theirs in zip(ours, ours_rates, plain_rates, strict=True):
        print(f"  {rows:12d} {mine:12.0f} {theirs:10.0f} {mine / theirs:6.2f}")
    total_ours = ours[-1][0] / ours[-1][1]
    total_plain = ceiling[-1][0] / ceiling[-1][1]
    print(f"  overall: newscrawl {total_ours:.0f}/s, plain insert {total_plain:.0f}/s, ratio {total_ours / total_plain:.2f}")
    print(f"  flatness: last tenth / first tenth = {ours_rates[-1] / ours_rates[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
