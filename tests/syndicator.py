"""A separate writer process for the story-cluster concurrency test:
``python -m tests.syndicator URL FIRST LAST START_AT``.

Stores copies FIRST..LAST-1 of the labelled syndication set (``bench/dedupe_quality.py``) in
batches of five at the default threshold, starting at the wall-clock time START_AT so that all
writers hit the database together.
"""

from __future__ import annotations

import sys
import time

from bench.dedupe_quality import items_of, labelled_set
from crawler import settings
from crawler.storage import init_db, make_engine, make_sessionmaker, store_articles


def main() -> None:
    url, first, last, start_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    engine = make_engine(url)
    init_db(engine)
    sessions = make_sessionmaker(engine)
    items = items_of(labelled_set())[first:last]
    time.sleep(max(0.0, start_at - time.time()))
    for start in range(0, len(items), 5):
        with sessions.begin() as session:
            store_articles(session, items[start:start + 5], story_threshold=settings.NEWS_NEAR_DUP_THRESHOLD)
    engine.dispose()


if __name__ == "__main__":
    main()
