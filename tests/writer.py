"""A separate writer process for the concurrency tests: ``python -m tests.writer URL FIRST LAST START_AT``.

Stores articles FIRST..LAST-1 in small batches, each also under a tracking-parameter URL, starting
at the wall-clock time START_AT so that all writers hit the database together.
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from crawler.dedupe.fingerprints import body_fingerprint
from crawler.items import ArticleItem
from crawler.storage import init_db, make_engine, make_sessionmaker, store_articles

FETCHED = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)


def item(n: int, url: str | None = None) -> ArticleItem:
    body = f"Story number {n} about the harbour, told in its own words: {n * 7919}."
    canonical = f"https://news.example/story-{n}"
    return ArticleItem(url=url or canonical, canonical_url=canonical, site="news.example", body=body,
                       fetched_at=FETCHED, content_fingerprint=body_fingerprint(body))


def main() -> None:
    url, first, last, start_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    engine = make_engine(url)
    init_db(engine)
    sessions = make_sessionmaker(engine)
    time.sleep(max(0.0, start_at - time.time()))
    for start in range(first, last, 10):
        batch = []
        for n in range(start, min(start + 10, last)):
            batch += [item(n), item(n, f"https://news.example/story-{n}?utm_source=w{first}")]
        with sessions.begin() as session:
            store_articles(session, batch)
    engine.dispose()


if __name__ == "__main__":
    main()
