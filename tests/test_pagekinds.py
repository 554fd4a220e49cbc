"""Every page of the labelled page-kind set judged right: listings are never kept, articles are
kept with their story, whatever their layout, language or address."""

import pytest

from crawler import settings
from crawler.dedupe import PARAGRAPH_BREAK
from crawler.extraction import ArticleExtractor
from crawler.extraction.analysis import LinkRules, PageAnalyser
from tests.pagekinds import load_pages

PAGE_SET = load_pages()
# As a crawl builds it, with the shipped defaults.
ANALYSER = PageAnalyser(
    ArticleExtractor(favor_precision=settings.NEWS_EXTRACT_FAVOR_PRECISION,
                     min_body_words=settings.NEWS_EXTRACT_MIN_BODY_WORDS),
    LinkRules(()),
)


@pytest.mark.parametrize("page", [p for p in PAGE_SET if p.kind == "listing"], ids=lambda p: p.name)
def test_listing_pages_are_judged_listings(page):
    analysis = ANALYSER.analyse(page.html, page.url)
    assert analysis.article is None
    assert analysis.kind is not None and analysis.kind.kind == "listing", analysis.counts
    assert analysis.counts[f"news/page/listing/{analysis.kind.reason}"] == 1


@pytest.mark.parametrize("page", [p for p in PAGE_SET if p.kind == "article"], ids=lambda p: p.name)
def test_articles_are_kept_with_their_story(page):
    analysis = ANALYSER.analyse(page.html, page.url)
    assert analysis.article is not None, analysis.counts
    assert analysis.kind is not None and analysis.kind.kind == "article"
    assert analysis.counts[f"news/page/article/{analysis.kind.reason}"] == 1
    # The story opens the body: before it, one paragraph at most (its standfirst, or a headline
    # run together with its byline where nothing names the headline).
    body = analysis.article.body
    assert page.body_start in body
    assert body[: body.index(page.body_start)].count(PARAGRAPH_BREAK) <= 1, body[:300]
