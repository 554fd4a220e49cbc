"""Turn one fetched HTML page into an ``ArticleItem``: structured data first for the facts,
trafilatura for the body.

Pure and Scrapy-free so it runs in worker processes and in benchmarks unchanged. Expected failures
(not an article, no body) raise ``NotAnArticle`` with a short reason that becomes a stats key.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any

from lxml.html import HtmlElement
from trafilatura import bare_extraction
from trafilatura.external import justext_rescue
from trafilatura.metadata import extract_metadata
from trafilatura.settings import Document, Extractor
from trafilatura.utils import load_html

from crawler.dedupe import PARAGRAPH_BREAK, body_keys
from crawler.extraction.authors import clean_authors, sign_off_credits
from crawler.extraction.bodylines import without_stray_lines
from crawler.extraction.boilerplate import body_paragraphs, prune_furniture
from crawler.extraction.dates import first_valid, on_local_clock, on_url_day, printed_first
from crawler.extraction.htmltext import element_text, visible_text
from crawler.extraction.nextstory import this_story_only
from crawler.extraction.pagekind import LinkLayout, PageKind
from crawler.extraction.recover import dropped_paragraphs_restored
from crawler.extraction.runningtext import page_running_chars, running_chars, running_chars_in_rows
from crawler.extraction.splitbody import whole_story
from crawler.extraction.standfirst import printed_standfirst
from crawler.extraction.structured import StructuredData
from crawler.extraction.titles import choose_title, printed_title_parts
from crawler.items import ArticleItem
from crawler.textlength import word_count
from crawler.urls import absolute, canonicalize, host_of

logger = logging.getLogger(__name__)

# Extracted text shorter than this share of the page's substantial paragraphs is suspect...
TRUNCATED_SHARE = 0.5
SUBSTANTIAL_PARAGRAPH = 80
# ...and so is extracted running text under this share of the running text the page holds.
FRAGMENT_SHARE = 0.25
# JSON-LD articleBody replaces an extraction holding less than this share of its words...
DECLARED_BODY_GAIN = 0.6
# ...when at least this share of the extracted words are in it.
DECLARED_BODY_OVERLAP = 0.9
# A body under the minimum is a whole short story (a brief, a short post) when the page declares
# an article and holds at least this share of the words of the page's own summary...
SUMMARY_IN_SHORT_BODY = 0.8
# ...and is at least this share of the minimum.
SHORT_STORY_SHARE = 1 / 3
_WORD = re.compile(r"\w+", re.UNICODE)
# A page without a usable body is an article only on its own declaration.
DECLARED = PageKind("article", "declared")


class NotAnArticle(Exception):
    """The page is not an article or has no usable body; ``reason`` is a short stats key.

    ``kind`` is what the page was judged, with its evidence: a listing (``reason`` is then the
    listing's evidence), or an article that has no usable body (``reason`` says what is wrong).
    """

    def __init__(self, reason: str, kind: PageKind | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class ArticleExtractor:
    """Extraction options built once and applied to every page."""

    def __init__(
        self,
        *,
        favor_precision: bool = False,
        min_body_words: int = 35,
        drop_params: Iterable[str] = (),
    ) -> None:
        # Comments are not part of an article; tables and formatting stay as trafilatura sees fit.
        # trafilatura's metadata pass comes apart, as a fallback (``_PageMetadata``).
        self.options = Extractor(output_format="python", precision=favor_precision, comments=False)
        # Precision mode sometimes keeps a single box of a long story; then balanced mode reruns.
        self.fallback = (
            Extractor(output_format="python", comments=False, with_metadata=False)
            if favor_precision
            else None
        )
        self.min_body_words = min_body_words
        self.drop_params = tuple(drop_params)

    def extract(
        self,
        html: str | bytes | HtmlElement,
        url: str,
        *,
        fetched_at: dt.datetime | None = None,
        hints: Mapping[str, Any] | None = None,
    ) -> ArticleItem:
        """Extract the article on ``html`` fetched from ``url``; a parsed tree is pruned in place.

        ``hints`` (from the feed that listed the page) fill in what the page does not say.

        Raises:
            NotAnArticle: the page holds no article body long enough to keep.
        """
        hints = hints or {}
        tree = load_html(html)
        if tree is None:
            raise NotAnArticle("unparsable")
        now = fetched_at or dt.datetime.now(dt.UTC)
        structured = StructuredData(tree)
        declared = bool(structured.articles) or structured.meta("og:type") == "article"
        layout = LinkLayout(tree, url)
        social = [structured.meta("og:title"), structured.meta("twitter:title"), structured.html_title]
        printed = printed_title_parts(tree, [structured.headline(), *social])
        prune_furniture(tree)
        self.options.url = url
        self.options.source = url
        text = self._body_text(tree)
        fallback = _PageMetadata(tree, url, self.options)
        site_name = structured.site_name() or fallback.document.sitename
        title = choose_title(
            structured.headline(),
            social,
            structured.h1s,
            [site_name, structured.meta("og:site_name"), host_of(url)],
            printed,
        ) or hints.get("title")
        paragraphs = body_paragraphs(text, title)
        if story := whole_story(tree, paragraphs):
            paragraphs = body_paragraphs("\n".join(story), title)
        if (own := this_story_only(tree, paragraphs, title)) is not None:
            paragraphs = own
        if (restored := dropped_paragraphs_restored(tree, paragraphs)) is not None:
            paragraphs = restored
        declared_body = structured.article_body()
        if declared_body and _completes(paragraphs, declared_body):
            paragraphs = body_paragraphs(declared_body, title)
        if not paragraphs:
            if kind := layout.bodiless(declared):
                raise NotAnArticle(kind.reason, kind)
            raise NotAnArticle("no_body", DECLARED)
        kind = layout.judge(paragraphs, declared, title)
        if kind.is_listing:
            raise NotAnArticle(kind.reason, kind)
        if sign_off := sign_off_credits(paragraphs[-1] if paragraphs else "", site_name):
            paragraphs = paragraphs[:-1]  # a credit, not the story
        people, organisations = clean_authors(
            _author_sources(structured, hints, fallback, sign_off), publisher=site_name, printed=structured.bylines
        )
        lines = without_stray_lines(paragraphs, title, people)
        description = structured.meta("og:description", "description", "twitter:description")
        # Printed apart from the story, the standfirst is often left out; it opens the story.
        if standfirst := printed_standfirst(tree, description, "\n".join(lines)):
            lines.insert(0, standfirst)
        # One spelling of each letter: "geprüft" with a combining accent would not match in search
        # or dedupe; trafilatura normalises only what ``extract`` returns, not ``bare_extraction``.
        body = unicodedata.normalize("NFC", PARAGRAPH_BREAK.join(lines))
        if word_count(body) < self.min_body_words and not (declared and self._whole_short_story(body, description)):
            if kind := layout.bodiless(declared, lines):
                raise NotAnArticle(kind.reason, kind)
            raise NotAnArticle("short_body", DECLARED)

        declared_dates = printed_first(
            list(structured.published_candidates(url, layout.teaser_times)), lambda: visible_text(tree)
        )
        published, published_raw, date_source = first_valid(_published_candidates(declared_dates, hints, fallback), now)
        published_raw = on_local_clock(published, published_raw, (value for _, value in declared_dates))
        url_day = next((value for source, value in declared_dates if source == "url"), None)
        published_raw = on_url_day(published, published_raw, url_day)
        modified, modified_raw, _ = first_valid(structured.modified_candidates(), now)
        if modified and published and modified < published:
            modified = modified_raw = None

        fingerprint, blocks = body_keys(body)
        canonical = structured.canonical()
        canonical = absolute(url, canonical.strip()) if canonical else None
        if canonical and host_of(canonical) != host_of(url):
            canonical = None  # a canonical on another site is syndication, not this page's URL
        return ArticleItem(
            url=url,
            canonical_url=canonicalize(canonical or url, self.drop_params),
            canonical_from_page=canonical is not None,
            evidence=kind.reason,
            site=host_of(url),
            body=body,
            title=title,
            authors=people,
            author_organisations=organisations,
            published_at=published,
            published_at_raw=published_raw,
            modified_at=modified,
            modified_at_raw=modified_raw,
            date_source=date_source,
            description=description or fallback.document.description,
            language=structured.language(),
            site_name=site_name,
            section=structured.section(),
            accessible_for_free=structured.accessible_for_free(),
            image=structured.meta("og:image", "twitter:image") or fallback.document.image,
            tags=_unique(structured.tags()),
            fetched_at=now,
            content_fingerprint=fingerprint,
            body_blocks=blocks,
        )

    def _whole_short_story(self, body: str, summary: str | None) -> bool:
        """Whether a body under the minimum is a story complete in itself.

        A short post or a brief is summed up by its whole text, so its page's description is
        in the body; a widget, a cookie notice or a caption kept instead of a story shares
        little with the story's summary.
        """
        summary_words = [w.casefold() for w in _WORD.findall(summary or "")]
        if not summary_words or word_count(body) < SHORT_STORY_SHARE * self.min_body_words:
            return False
        in_body = {w.casefold() for w in _WORD.findall(body)}
        return sum(w in in_body for w in summary_words) >= SUMMARY_IN_SHORT_BODY * len(summary_words)

    def _body_text(self, tree: HtmlElement) -> str:
        """The body text, by the first way of extracting that keeps the story.

        The precision pass first. When it keeps less than half the text of the page's
        substantial paragraphs, or is a fragment of the running text the page holds wherever it
        lives (a banner, a box of teasers: little running text, and less text than the page's
        running text), the balanced pass, if it keeps more. When neither keeps any running text
        but in the cells of table rows (a layout table, the story run together with the menus
        and the headline) or keeps nothing, while the page has running text, trafilatura's own
        fallback, jusText, which reads table cells and ``<br>`` runs as paragraphs. jusText
        comes last and only then: on a page with a comment thread or other prose around the
        story, it keeps that too; a table of data is no layout table, and stays. A body short of
        the minimum climbs the same ladder, each rung taken when it holds more words, jusText
        when it reaches the minimum: a story is not dropped while a way to read it is left.
        """
        text = _trafilatura_text(tree, self.options)
        kept, words = running_chars(text.splitlines()), word_count(text)
        short = words < self.min_body_words
        available = page_running_chars(tree)
        fragment = (kept < FRAGMENT_SHARE * available and len(text) < available) or (
            len(text) < TRUNCATED_SHARE * _paragraph_chars(tree)
        )
        if (fragment or short) and self.fallback is not None:
            fuller = _trafilatura_text(tree, self.fallback)
            fuller_kept, fuller_words = running_chars(fuller.splitlines()), word_count(fuller)
            if fuller_kept > kept or (short and fuller_words > words):
                text, kept = fuller, fuller_kept
                short = fuller_words < self.min_body_words
        layout_table = kept == 0 and available and (not text.strip() or running_chars_in_rows(text.splitlines()))
        if layout_table or short:
            body, _ = justext_rescue(copy.deepcopy(tree), self.options)
            rescued = "\n".join(paragraph.text or "" for paragraph in body)
            if (layout_table and running_chars(rescued.splitlines())) or (
                short and word_count(rescued) >= self.min_body_words
            ):
                return rescued
        return text


def _trafilatura_text(tree: HtmlElement, options: Extractor) -> str:
    document = bare_extraction(tree, options=options)
    return (document.text or "") if isinstance(document, Document) else ""


class _PageMetadata:
    """trafilatura's metadata of a page, extracted when first asked for.

    Structured data answers for most pages, and trafilatura's pass (author search on a copy of
    the tree, dates, categories, licence) costs a quarter of an extraction: it runs only for a
    page whose structured data leaves a field empty.
    """

    def __init__(self, tree: HtmlElement, url: str, options: Extractor) -> None:
        self._tree, self._url, self._options = tree, url, options

    @cached_property
    def document(self) -> Document:
        return extract_metadata(
            self._tree, self._url, self._options.date_params, author_blacklist=self._options.author_blacklist
        )


def _author_sources(
    structured: StructuredData, hints: Mapping[str, Any], fallback: _PageMetadata, sign_off: list[str]
) -> Iterator[list[tuple[str, bool]]]:
    """Author credits, most trusted first; ``clean_authors`` stops at the first naming a person."""
    yield from structured.author_sources()
    yield [(name, False) for name in hints.get("authors", [])]
    yield [(fallback.document.author or "", False)]
    # Last: a closing "Source: ..." line credits organisations when nothing else does.
    yield [(name, True) for name in sign_off]


def _published_candidates(
    declared: list[tuple[str, str]], hints: Mapping[str, Any], fallback: _PageMetadata
) -> Iterator[tuple[str, str]]:
    """Publication dates, most trusted first (the page's declared ones, then the feed's, then
    trafilatura's); ``first_valid`` stops at the first that passes."""
    yield from declared
    if hints.get("published"):
        yield hints.get("via", "feed"), hints["published"]
    if fallback.document.date:
        yield "htmldate", fallback.document.date


def _paragraph_chars(tree: HtmlElement) -> int:
    """Characters in the page's substantial paragraphs: what a full extraction roughly holds."""
    lengths = (len(element_text(p)) for p in tree.iter("p"))
    return sum(n for n in lengths if n >= SUBSTANTIAL_PARAGRAPH)


def _completes(paragraphs: list[str], declared: str) -> bool:
    """Whether JSON-LD ``articleBody`` is a fuller version of what was extracted.

    Trusted only when the extracted text is nearly all inside it (consistent) and it is much
    longer (the extraction lost part of the story); otherwise the page's own text wins.
    """
    ours = [w.casefold() for w in _WORD.findall(" ".join(paragraphs))]
    theirs = [w.casefold() for w in _WORD.findall(declared)]
    if not ours or len(ours) >= DECLARED_BODY_GAIN * len(theirs):
        return False
    inside = set(theirs)
    return sum(w in inside for w in ours) >= DECLARED_BODY_OVERLAP * len(ours)


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value.casefold() not in {k.casefold() for k in seen}:
            seen[value] = None
    return list(seen)
