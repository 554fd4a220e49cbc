"""Story clusters and versions: syndicated copies found, kept apart from look-alikes, shared by
concurrent writers; edits kept as versions with a readable diff."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import unicodedata
from collections import defaultdict

import numpy as np
from datasketch import MinHash
from sqlalchemy import text

from bench.dedupe_quality import clusters_at, clusters_of, items_of, labelled_set, pair_scores
from crawler import settings
from crawler.dedupe.neardup import NUM_PERM, signature
from crawler.storage import init_db, make_engine, make_sessionmaker, store_articles
from tests.conftest import ROOT, newscrawl


def test_labelled_copies_cluster_at_the_default_threshold(tmp_path):
    precision, recall = pair_scores(*clusters_at(settings.NEWS_NEAR_DUP_THRESHOLD, tmp_path))
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)


def test_two_processes_storing_overlapping_copies_make_one_story_each(db_url):
    engine = make_engine(db_url)
    init_db(engine)  # the schema exists before the race starts, as in a real deployment
    copies = labelled_set()
    items = items_of(copies)
    start_at = time.time() + 3
    ranges = [(0, 80), (30, len(items))]
    writers = [
        subprocess.Popen([sys.executable, "-m", "tests.syndicator", db_url, str(a), str(b), str(start_at)], cwd=ROOT)
        for a, b in ranges
    ]
    assert [w.wait(timeout=120) for w in writers] == [0] * len(writers)
    clusters = clusters_of(make_sessionmaker(engine), items)  # every copy is there (no KeyError)
    stories = defaultdict(set)
    for copy, cluster in zip(copies, clusters, strict=True):
        stories[copy.story].add(cluster)
    assert all(len(found) == 1 for found in stories.values()), "a story was stored as two clusters"
    assert len(set(clusters)) == len(stories)  # and no two stories share one
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT cluster_id, copies, sites FROM stories")).all()
    engine.dispose()
    assert len(rows) == len(stories)
    assert sum(row.copies for row in rows) == len({c.body for c in copies})  # exact copies are URLs of one row


def test_duplicates_command_lists_each_story_with_its_copies(tmp_path):
    db = f"sqlite:///{tmp_path / 'news.db'}"
    engine = make_engine(db)
    init_db(engine)
    copies = labelled_set()
    items = items_of(copies)
    texts = defaultdict(set)
    for item, copy in zip(items, copies, strict=True):
        texts[copy.story].add(item.content_fingerprint)
    with make_sessionmaker(engine).begin() as session:
        store_articles(session, items, story_threshold=settings.NEWS_NEAR_DUP_THRESHOLD)
    engine.dispose()
    result = newscrawl("duplicates", "--db", db, "--limit", "100")
    assert result.returncode == 0, result.stderr
    stories = [line for line in result.stdout.splitlines() if line.startswith("story ")]
    assert len(stories) == sum(len(t) > 1 for t in texts.values())  # the stories stored more than once
    first = stories[0].split(":")[0].removeprefix("story ")
    one = newscrawl("duplicates", "--db", db, "--cluster", first)
    lines = one.stdout.splitlines()
    assert lines[0] == stories[0] and lines[1].startswith("  1.00  ")  # the first article, then its copies
    assert all(0.5 <= float(line.split()[0]) <= 1.0 for line in lines[1:])
    assert newscrawl("duplicates", "--db", db, "--cluster", "99999").returncode == 2


def test_signatures_are_datasketch_minhash_value_for_value():
    """Stored signatures and band keys stay valid: the signature is datasketch's MinHash."""
    bodies = ["", "one", "Zwei Wörter, ÜBER drei!", "the council voted " * 40,
              " ".join(f"word{n}" for n in range(2000))]
    for body in bodies:
        words = re.findall(r"\w+", unicodedata.normalize("NFKC", body).casefold())
        shingles = {" ".join(words[i:i + 3]) for i in range(max(1, len(words) - 2))}
        reference = MinHash(num_perm=NUM_PERM, seed=1)
        reference.update_batch([s.encode() for s in shingles])
        assert signature(body) == np.asarray(reference.hashvalues, dtype="<u4").tobytes(), body[:40]
