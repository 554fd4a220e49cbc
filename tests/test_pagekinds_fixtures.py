"""The labelled page-kind set itself: enough pages of each kind, every category the issue asks
for, addresses that fit their category, and true openings that are on their pages."""

import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from lxml import html as lxml_html

from tests.pagekinds import PAGES, labels, load_pages

PAGE_SET = load_pages()
LISTING_CATEGORIES = {"date_archive", "tag", "author", "search", "most_read", "section_front_with_lead",
                      "gallery_index", "liveblog_index"}
ARTICLE_CATEGORIES = {"brief", "cjk", "table_layout", "br_paragraphs", "one_paragraph", "related_links_tail",
                      "opaque_url", "div_without_p"}
# A day in the path: /2026/11/03/, /archiv/2026/11/03, /archives/20261103/.
DATED_PATH = re.compile(r"/20\d\d/(0[1-9]|1[0-2])/(0[1-9]|[12]\d|3[01])(/|$)|/20\d\d(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(/|$)")


def page_text(html: str) -> str:
    tree = lxml_html.fromstring(html)
    for junk in tree.xpath("//script|//style"):
        junk.drop_tree()
    return " ".join(tree.text_content().split())


def test_every_file_is_labelled_and_every_label_has_a_file():
    files = {path.name for path in PAGES.glob("*.html")}
    assert files == set(labels())


def test_enough_pages_of_each_kind():
    kinds = Counter(page.kind for page in PAGE_SET)
    assert set(kinds) == {"article", "listing"}
    assert kinds["article"] >= 40
    assert kinds["listing"] >= 40


def test_every_category_the_issue_names_is_there():
    by_kind = {kind: {p.category for p in PAGE_SET if p.kind == kind} for kind in ("article", "listing")}
    assert by_kind["listing"] == LISTING_CATEGORIES
    assert by_kind["article"] == ARTICLE_CATEGORIES


def test_languages():
    listing_languages = {p.language for p in PAGE_SET if p.kind == "listing"}
    assert len(listing_languages) >= 4
    languages = {p.language for p in PAGE_SET}
    assert {"en", "de", "fr", "es", "ja", "zh", "ko"} <= languages
    assert languages - {"en", "de", "fr", "es", "ja", "zh", "ko"}, "one more language"
    assert all(re.fullmatch(r"[a-z]{2}", p.language) for p in PAGE_SET)


def test_many_publishers():
    assert len({p.publisher for p in PAGE_SET}) >= 12


@pytest.mark.parametrize("page", PAGE_SET, ids=lambda p: p.name)
def test_address_fits_the_category(page):
    parts = urlsplit(page.url)
    assert parts.scheme in ("http", "https") and parts.netloc
    if page.category == "date_archive":
        assert DATED_PATH.search(parts.path), page.url
    elif page.category in ("search", "most_read"):
        assert parts.query, page.url
    elif page.category == "opaque_url":
        # No date and no slug: the last part is a number or a short code.
        last = re.sub(r"\.\w+$", "", parts.path.rstrip("/").rsplit("/", 1)[-1])
        assert not DATED_PATH.search(parts.path) and "-" not in last and len(last) <= 12, page.url


@pytest.mark.parametrize("page", [p for p in PAGE_SET if p.kind == "article"], ids=lambda p: p.name)
def test_article_opening_is_on_the_page(page):
    assert page.body_start and len(page.body_start) >= 10
    assert page.body_start in page_text(page.html)


@pytest.mark.parametrize("page", [p for p in PAGE_SET if p.kind == "listing"], ids=lambda p: p.name)
def test_listing_links_to_several_stories(page):
    tree = lxml_html.fromstring(page.html)
    main_links = {a.get("href") for a in tree.iter("a") if len((a.text_content() or "").strip()) >= 8}
    assert len(main_links) >= 5
    assert page.body_start is None
