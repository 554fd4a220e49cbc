import asyncio
import datetime as dt
import threading
import time

import pytest
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.cli.common import project_settings
from crawler.dedupe.fingerprints import body_fingerprint
from crawler.items import ArticleItem
from crawler.storage import (
    Article,
    ArticleUrl,
    BackgroundCheckpoint,
    DatabaseError,
    init_db,
    make_engine,
    spill,
    store_articles,
)
from crawler.storage.pages import stored_article_urls
from pipelines.store import StorePipeline
from spiders.news import NewsSpider

FETCHED = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)


def item(url, canonical=None, body="A story about the harbour and its ferries.", **extra):
    return ArticleItem(
        url=url,
        canonical_url=canonical or url,
        site="news.example",
        body=body,
        title=extra.pop("title", "Harbour story"),
        fetched_at=FETCHED,
        content_fingerprint=body_fingerprint(body),
        **extra,
    )


def store(sessions, items):
    with sessions.begin() as session:
        return store_articles(session, items)[0]


def urls(sessions):
    with sessions() as session:
        rows = session.execute(select(ArticleUrl.url, ArticleUrl.reason, Article.canonical_url).join(Article))
        return {(u, r, c) for u, r, c in rows}


def test_store_alias_and_duplicate_body(sessions):
    a = "https://news.example/a"
    outcomes = store(sessions, [
        item(a),
        item(a + "?utm_source=x", canonical=a, duplicate_of="url"),
        item("https://news.example/print/a", body="A STORY about the harbour, and its ferries!", duplicate_of="body"),
        item("https://news.example/b", body="Another story entirely, about trains."),
    ])
    # Rows added: two articles (each its own story) and their URLs; items: two of stored articles.
    assert dict(outcomes) == {"stored": 2, "new_story": 2, "alias": 1, "duplicate_body": 1, "duplicates": 2}
    assert urls(sessions) == {
        (a, "canonical", a),
        (a + "?utm_source=x", "alias", a),
        ("https://news.example/print/a", "duplicate_body", a),
        ("https://news.example/b", "canonical", "https://news.example/b"),
    }
    with sessions() as session:
        stored = session.scalars(select(Article).order_by(Article.id)).all()
    assert [s.canonical_url for s in stored] == [a, "https://news.example/b"]
    assert stored[0].fetched_at == FETCHED and stored[0].fetched_at.tzinfo is not None


def test_a_second_run_stores_nothing_twice(sessions):
    batch = [item("https://news.example/a"), item("https://news.example/b", body="Trains again.")]
    assert store(sessions, batch)["stored"] == 2
    before = urls(sessions)
    # A new run knows nothing in memory: the database constraints decide.
    again = [item("https://news.example/a"), item("https://news.example/b", body="Trains again.")]
    assert dict(store(sessions, again)) == {"duplicates": 2}  # no row added: no alias recorded
    assert urls(sessions) == before
    with sessions() as session:
        assert len(session.scalars(select(Article)).all()) == 2


def test_same_body_under_a_new_url_in_a_later_run(sessions):
    store(sessions, [item("https://news.example/a")])
    outcomes = store(sessions, [item("https://other.example/copy")])
    assert dict(outcomes) == {"duplicate_body": 1, "duplicates": 1}
    assert ("https://other.example/copy", "duplicate_body", "https://news.example/a") in urls(sessions)


def test_canonical_page_replaces_a_copy_stored_first(sessions):
    a = "https://news.example/a"
    store(sessions, [item(a + "/amp", canonical=a, title="AMP title")])
    published = dt.datetime(2026, 4, 30, 8, 0, tzinfo=dt.UTC)
    store(sessions, [item(a, title="Real title", published_at=published, published_at_raw="2026-04-30T10:00:00+02:00")])
    with sessions() as session:
        (article,) = session.scalars(select(Article)).all()
    assert (article.url, article.title, article.published_at) == (a, "Real title", published)
    assert article.published_at_raw == "2026-04-30T10:00:00+02:00"


def test_concurrent_writers_store_one_article(sessions):
    """Two writers reaching the same article at once: one row, no error, no lost URL."""
    barrier = threading.Barrier(4)
    errors = []

    def writer(n):
        try:
            barrier.wait()
            store(sessions, [item(f"https://news.example/a?utm_source={n}", canonical="https://news.example/a")])
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sessions() as session:
        assert len(session.scalars(select(Article)).all()) == 1
    assert {u for u, _, _ in urls(sessions)} == {
        "https://news.example/a", *(f"https://news.example/a?utm_source={n}" for n in range(4))
    }


def test_unreachable_database_is_a_clear_error(tmp_path):
    with pytest.raises(DatabaseError, match="cannot use database"):
        init_db(make_engine(f"sqlite:///{tmp_path}/missing/dir/news.db"))
    with pytest.raises(DatabaseError, match="invalid database URL"):
        make_engine("notadb://x")


def test_page_naming_its_canonical_replaces_a_body_copy_stored_first(sessions):
    """A print copy (no rel=canonical) stored first gives way to the article's own page."""
    printed = "https://news.example/print/a"
    page = "https://news.example/a"
    store(sessions, [item(printed, title="Print title")])
    published = dt.datetime(2026, 4, 30, 8, 0, tzinfo=dt.UTC)
    outcomes = store(sessions, [item(page, canonical_from_page=True, title="Real title", published_at=published)])
    assert dict(outcomes) == {"duplicate_body": 1, "duplicates": 1}
    with sessions() as session:
        (article,) = session.scalars(select(Article)).all()
    assert (article.canonical_url, article.title, article.published_at) == (page, "Real title", published)
    assert urls(sessions) == {(page, "canonical", page), (printed, "duplicate_body", page)}
    # And the copy coming again later changes nothing.
    store(sessions, [item(printed, title="Print title")])
    assert urls(sessions) == {(page, "canonical", page), (printed, "duplicate_body", page)}


def test_sqlite_log_is_checkpointed_beside_the_writers(tmp_path):
    """Commits leave checkpoints to the thread: what they write reaches the database file
    without a committing connection copying it there."""
    path = tmp_path / "news.db"
    engine = make_engine(f"sqlite:///{path}")
    checkpoint = BackgroundCheckpoint.for_engine(engine)
    assert checkpoint is not None
    with engine.begin() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        connection.exec_driver_sql("CREATE TABLE blobs (data BLOB)")
        connection.exec_driver_sql("INSERT INTO blobs VALUES (zeroblob(8000000))")
    assert path.stat().st_size < 1_000_000  # the 8 MB are in the log only
    checkpoint.start()
    try:
        deadline = time.monotonic() + 10
        while path.stat().st_size < 8_000_000 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        checkpoint.stop()
    assert path.stat().st_size >= 8_000_000
    engine.dispose()
    assert BackgroundCheckpoint.for_engine(make_engine("sqlite://")) is None


def test_overlong_metadata_is_cut_to_fit(sessions):
    section = "Motor sport, " * 30  # a page's whole tag list given as its section
    store(sessions, [item("https://news.example/long", section=section, published_at_raw="7" * 100)])
    with sessions() as session:
        article = session.scalars(select(Article)).one()
    assert article.section == section[:255]
    assert article.published_at_raw == "7" * 64


def test_an_article_the_database_refuses_costs_only_itself(postgres_url, tmp_path):
    settings = project_settings([f"DATABASE_URL={postgres_url}", f"NEWS_DB_SPILL_DIR={tmp_path}"]).copy_to_dict()
    settings["TWISTED_REACTOR_ENABLED"] = False  # the pipeline alone, on asyncio, no crawl
    crawler = get_crawler(NewsSpider, settings)
    pipeline = build_from_crawler(StorePipeline, crawler)
    good = [item(f"https://news.example/{name}", body=f"The {name} story of the harbour and its ferries.")
            for name in ("first", "second", "third")]
    refused = item("https://news.example/" + "long-" * 500, body="A story at an address too long to keep.")

    async def crawl():
        await pipeline.open_spider()
        for article in (good[0], refused, *good[1:]):
            await pipeline.process_item(article)
        await pipeline.close_spider()

    asyncio.run(crawl())
    pipeline.spider_closed(None, "finished")
    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        assert sorted(connection.scalars(select(Article.url))) == sorted(a.url for a in good)
    engine.dispose()
    assert [a.url for a in spill.read(pipeline.spill.path)] == [refused.url]
    assert crawler.stats.get_value("news/store/spilled") == 1


def test_a_copy_does_not_hold_back_its_own_page(sessions):
    """Stored from its AMP copy, an article's own page is still to be fetched: it is the better
    source, and replaces the copy's text when it comes."""
    page, amp = "https://news.example/harbour", "https://news.example/amp/harbour"
    store(sessions, [item(amp, canonical=page, body="The harbour story, as the AMP copy gives it.")])
    with sessions() as session:
        assert set(stored_article_urls(session, [page, amp])) == {amp}
    store(sessions, [item(page, body="The harbour story, as its own page gives it, corrections notice included.")])
    with sessions() as session:
        assert set(stored_article_urls(session, [page, amp])) == {page, amp}
        assert session.scalars(select(Article.url)).all() == [page]
