"""Several processes writing one database at once store the union of their items, once each."""

import subprocess
import sys
import time

from sqlalchemy import func, select

from crawler.storage import Article, ArticleUrl, init_db, make_engine, make_sessionmaker
from tests.conftest import ROOT


def run_writers(url, ranges):
    engine = make_engine(url)
    init_db(engine)  # the schema exists before the race starts, as in a real deployment
    engine.dispose()
    start_at = time.time() + 3
    writers = [
        subprocess.Popen([sys.executable, "-m", "tests.writer", url, str(a), str(b), str(start_at)], cwd=ROOT)
        for a, b in ranges
    ]
    assert [w.wait(timeout=120) for w in writers] == [0] * len(writers)


def check_union(url, ranges):
    union = {n for a, b in ranges for n in range(a, b)}
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        canonicals = session.scalars(select(Article.canonical_url)).all()
        urls = session.scalars(select(ArticleUrl.url)).all()
        per_article = session.execute(select(ArticleUrl.article_id, func.count()).group_by(ArticleUrl.article_id)).all()
    engine.dispose()
    assert sorted(canonicals) == sorted(f"https://news.example/story-{n}" for n in union)
    expected_urls = {f"https://news.example/story-{n}" for n in union} | {
        f"https://news.example/story-{n}?utm_source=w{a}" for a, b in ranges for n in range(a, b)
    }
    assert len(urls) == len(set(urls)) and set(urls) == expected_urls
    assert len(per_article) == len(union)


def test_four_processes_on_postgresql(postgres_url):
    ranges = [(0, 120), (60, 180), (90, 210), (0, 210)]
    run_writers(postgres_url, ranges)
    check_union(postgres_url, ranges)


def test_two_processes_on_one_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'news.db'}"
    ranges = [(0, 150), (75, 225)]
    run_writers(url, ranges)
    check_union(url, ranges)
