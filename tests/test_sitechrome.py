"""Learned site chrome: the rules on their own, then with the database."""

import asyncio
import dataclasses
import datetime as dt

import pytest
from scrapy.utils.misc import build_from_crawler
from scrapy.utils.test import get_crawler
from sqlalchemy import select

from crawler.cli.common import project_settings
from crawler.dedupe.fingerprints import block_hash, body_fingerprint, body_keys
from crawler.dedupe.sitechrome import ChromeIndex, blocks_of
from crawler.items import ArticleItem
from crawler.storage import (
    Article,
    ArticleUrl,
    SiteBlock,
    add_site_blocks,
    load_site_blocks,
    reclean_articles,
    store_articles,
)
from pipelines.store import StorePipeline
from spiders.news import NewsSpider

FETCHED = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
NOTE = "Spotted a mistake? The Ledger corrects its errors in the open on its standards page."


def article(n, *extra, site="ledger.example", canonical_from_page=True, url=None):
    paragraphs = [f"Story {n} begins with its own first paragraph about topic number {n}.",
                  f"Story {n} goes on with a second paragraph that no other page has, {n} again.",
                  *extra]
    body = "\n\n".join(paragraphs)
    url = url or f"https://{site}/story-{n}"
    return ArticleItem(url=url, canonical_url=url, site=site, body=body, fetched_at=FETCHED,
                       canonical_from_page=canonical_from_page, content_fingerprint=body_fingerprint(body))


def test_a_block_on_enough_pages_is_chrome_and_is_removed():
    index = ChromeIndex(min_pages=5, min_share=0.2)
    for n in range(4):
        index.record(article(n, NOTE))
    assert index.clean(article(99, NOTE)).body == article(99, NOTE).body  # 4 pages: not yet
    index.record(article(4, NOTE))
    cleaned = index.clean(article(99, NOTE))
    assert cleaned.body == article(99).body
    assert cleaned.content_fingerprint == body_fingerprint(article(99).body)
    # Other sites are not affected.
    other = article(99, NOTE, site="other.example")
    assert index.clean(other) is other


def test_a_block_on_few_of_many_pages_stays():
    index = ChromeIndex(min_pages=5, min_share=0.2)
    quote = "A quotation that a running story repeats in a handful of its updates, word for word."
    for n in range(40):
        index.record(article(n, quote) if n < 6 else article(n))
    assert quote in index.clean(article(99, quote)).body  # on 6 of 40 pages: 15 %


def test_never_cuts_a_body_to_less_than_half():
    index = ChromeIndex(min_pages=2, min_share=0.1)
    shared = ["First shared line of a syndicated piece.", "Second shared line of it.", "Third one."]
    for n in range(3):
        index.record(ArticleItem(url=f"https://x.example/{n}", canonical_url=f"https://x.example/{n}",
                                 site="x.example", body="\n\n".join([*shared, f"Own line {n}."])))
    page = ArticleItem(url="https://x.example/9", canonical_url="https://x.example/9", site="x.example",
                       body="\n\n".join([*shared, "Own line 9."]))
    assert index.clean(page) is page


@pytest.mark.parametrize(("min_body_words", "cleaned"), [(27, True), (28, False)])
def test_never_cuts_a_body_below_the_minimum_length(min_body_words, cleaned):
    index = ChromeIndex(min_pages=5, min_share=0.2, min_body_words=min_body_words)
    for n in range(5):
        index.record(article(n, NOTE))
    page = article(99, NOTE)
    assert index.clean(page).body == (article(99).body if cleaned else page.body)  # the story: 27 words


def test_blocks_count_once_per_article():
    blocks = blocks_of(ArticleItem(url="u", canonical_url="u", site="s", body=f"{NOTE}\n\n{NOTE}\n\nOther text."))
    assert set(blocks.values()) == {NOTE, "Other text."}


def test_the_block_hashes_made_with_the_body_clean_as_those_made_anew():
    index = ChromeIndex(min_pages=5, min_share=0.2)
    for n in range(5):
        index.record(article(n, NOTE))
    fingerprint, blocks = body_keys(article(99, NOTE).body)
    extracted = dataclasses.replace(article(99, NOTE), content_fingerprint=fingerprint, body_blocks=blocks)
    cleaned = index.clean(extracted)
    assert cleaned.body == article(99).body
    assert (cleaned.content_fingerprint, cleaned.body_blocks) == body_keys(article(99).body)


def test_counts_persist_and_add_up_across_writers(sessions):
    with sessions.begin() as session:
        add_site_blocks(session, [("ledger.example", blocks_of(article(n, NOTE))) for n in range(3)])
    with sessions.begin() as session:  # another process, another run
        add_site_blocks(session, [("ledger.example", blocks_of(article(n, NOTE))) for n in range(3, 6)])
    with sessions() as session:
        articles, blocks = load_site_blocks(session, "ledger.example")
    assert articles == 6
    assert dict(blocks) == {block_hash(NOTE): 6}  # story paragraphs (seen once) not loaded


def test_a_blocks_text_is_kept_once_a_second_article_shows_it(sessions):
    """A story's own paragraphs (seen once) keep a count, not a second copy of the story's text."""
    with sessions.begin() as session:
        add_site_blocks(session, [("ledger.example", blocks_of(article(1, NOTE)))])
    with sessions() as session:
        texts = dict(session.execute(select(SiteBlock.block_hash, SiteBlock.text)).all())
    assert len(texts) > 2 and set(texts.values()) == {None}
    with sessions.begin() as session:  # the note again, on another article; two more in one batch
        add_site_blocks(session, [("ledger.example", blocks_of(article(2, NOTE)))])
        add_site_blocks(session, [("ledger.example", blocks_of(article(n, NOTE))) for n in (3, 4)])
    with sessions() as session:
        texts = dict(session.execute(select(SiteBlock.block_hash, SiteBlock.text)).all())
        pages = dict(session.execute(select(SiteBlock.block_hash, SiteBlock.pages)).all())
    assert texts[block_hash(NOTE)] == NOTE and pages[block_hash(NOTE)] == 4
    assert {h for h, text in texts.items() if text is not None} == {block_hash(NOTE)}
    with sessions.begin() as session:  # a block met twice within one batch has its text at once
        add_site_blocks(session, [("other.example", blocks_of(article(n, NOTE))) for n in (5, 6)])
    with sessions() as session:
        told = session.scalar(select(SiteBlock.text).where(SiteBlock.site == "other.example",
                                                           SiteBlock.block_hash == block_hash(NOTE)))
    assert told == NOTE


def test_reclean_removes_chrome_and_merges_copies_it_kept_apart(sessions):
    printed = article(1, url="https://ledger.example/print/story-1", canonical_from_page=False)
    pages = [article(n, NOTE) for n in range(1, 7)]
    with sessions.begin() as session:
        store_articles(session, [printed, *pages])
    index = ChromeIndex(min_pages=5, min_share=0.2)
    for page in [printed, *pages]:
        index.record(page)
    with sessions.begin() as session:
        counts = reclean_articles(session, "ledger.example", index.clean)
    assert dict(counts) == {"recleaned": 6, "merged": 1}
    with sessions() as session:
        stored = {a.url: a.body for a in session.scalars(select(Article))}
        urls = {(u.url, u.reason) for u in session.scalars(select(ArticleUrl))}
    assert stored == {p.url: article(n).body for n, p in enumerate(pages, start=1)}
    assert ("https://ledger.example/print/story-1", "duplicate_body") in urls
    with sessions.begin() as session:  # running it again finds nothing to do
        assert not reclean_articles(session, "ledger.example", index.clean)


def test_articles_cleaned_as_stored_counts_only_those_stored(tmp_path):
    """A copy of a stored article, cleaned of the chrome and then found to be a copy, is no article
    "removed from as stored": the run's summary would count work that left nothing behind."""
    settings = project_settings([f"DATABASE_URL=sqlite:///{tmp_path / 'news.db'}", f"NEWS_DB_SPILL_DIR={tmp_path}",
                                 "NEWS_EXTRACT_MIN_BODY_WORDS=10"]).copy_to_dict()
    settings["TWISTED_REACTOR_ENABLED"] = False  # the pipeline alone, on asyncio, no crawl
    crawler = get_crawler(NewsSpider, settings)
    pipeline = build_from_crawler(StorePipeline, crawler)
    pipeline.chrome_reload_interval = 0  # what the first batch taught, known to the second
    copy = dataclasses.replace(article(2, NOTE), url="https://ledger.example/amp/story-2")

    async def crawl():
        await pipeline.open_spider()
        for n in range(5):
            await pipeline.process_item(article(n, NOTE))
        await pipeline.flush()
        assert crawler.stats.get_value("news/store/chrome_removed", 0) == 0  # not known yet
        for item in (copy, article(9, NOTE)):
            await pipeline.process_item(item)
        await pipeline.flush()

    asyncio.run(crawl())
    assert crawler.stats.get_value("news/store/stored") == 6
    assert crawler.stats.get_value("news/store/alias") == 1
    assert crawler.stats.get_value("news/store/chrome_removed") == 1
