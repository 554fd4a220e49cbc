"""A shared crawl under fire, short (bench/chaos_shared.py has the long run): three workers
into PostgreSQL, one killed and replaced every few seconds, Redis restarted without its data and
PostgreSQL restarted mid-crawl. Every story is stored exactly once, none is lost, the site's
concurrency holds throughout.

It restarts the machine's Redis and PostgreSQL, so it runs only where NEWSCRAWL_CHAOS=1 says
they may be (CI sets it)."""

import os

import pytest

from bench.chaos_shared import CONCURRENCY, chaos

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.environ.get("NEWSCRAWL_CHAOS") != "1",
                       reason="restarts Redis and PostgreSQL: set NEWSCRAWL_CHAOS=1 on a machine of its own"),
]
STORIES = 1500


def test_a_shared_crawl_survives_killed_workers_and_restarted_services(tmp_path, redis_url, postgres_url):
    figures = chaos(STORIES, redis_url, postgres_url, workers=3, kill_every=8, folder=tmp_path)
    print(figures)
    assert figures["stored"] == STORIES and figures["single_stored"] == STORIES
    assert figures["lost"] == 0 and figures["stored_twice"] == 0 and figures["not_stories"] == 0
    assert figures["killed"] >= 3
    assert figures["redis_recovery_s"] is not None  # the crawl re-seeded once Redis came back empty
    assert figures["max_in_flight"] <= CONCURRENCY
