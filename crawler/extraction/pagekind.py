"""Whether a page is one story or a list of other pages, judged on what its body is made of.

Neither the address nor the page's declarations can tell: day archives sit at dated paths, and
archive, tag and section pages often declare ``og:type`` "article". What tells is the main
content. A listing's is a column of teasers: a link to another page on a line of its own (the
headline), with a little text that belongs to it (a summary, a section, a time). An article's is
running text under one headline that links nowhere. So the page's teaser blocks are found in the
tree before extraction, and the extracted body is measured against them: a body made mostly of
teasers, or of link text, is a listing's.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit

from lxml.html import HtmlElement

from crawler.extraction.htmltext import element_text
from crawler.extraction.runningtext import LINE_BREAKS, cells, running_chars, text_lines
from crawler.textlength import is_unspaced, word_count
from crawler.urls import NOT_PAGE_HREFS

# A headline holds at least this many words (crawler/textlength.py: in any script) and, in a
# script written with spaces, this many characters: a menu's items ("Local News") and buttons
# ("Lire la suite") hold fewer.
HEADLINE_MIN_WORDS = 3
HEADLINE_MIN_CHARS = 14
# A link is a line of its own when its text is at least this share of the line (a short CJK
# headline with its photo count or date beside it is half of it).
OWN_LINE_SHARE = 0.5
# A teaser (headline, summary, section, time) holds at most this many characters: past it, the
# block around a headline is a story that links to another.
TEASER_MAX_CHARS = 1500
# ...and opens with its headline, after this many characters at most (a time, a kicker).
TEASER_LEAD_CHARS = 40
# A page declaring an article is one when its body opens with this much running text before
# any teaser (the teasers that follow are its related stories).
STORY_LEAD_CHARS = 300
# A body that is, this much of it, one teaser led by another page's headline is a listing's.
LONE_TEASER_SHARE = 0.8
# A body is a listing's when it holds at least this many teasers and they, with the other
# link text in it, make at least this share of it...
LISTING_MIN_TEASERS = 3
LISTING_SHARE = 0.5
# ...or when this share of it is the text of links, on at least this many lines.
LINK_TEXT_SHARE = 0.5
LINK_TEXT_MIN_LINES = 3

_SPACE = re.compile(r"\s+")
# How trafilatura writes a list item: "- item".
_LIST_MARKER = re.compile(r"^(?:[-*•]|\d{1,2}\.)\s+")


@dataclass(frozen=True)
class PageKind:
    """``kind`` "article" or "listing", and ``reason``, the evidence that decided (a stats key)."""

    kind: str
    reason: str

    @property
    def is_listing(self) -> bool:
        return self.kind == "listing"


class LinkLayout:
    """The page's links to other pages, read before extraction prunes the tree: their texts, and
    the teaser blocks around the ones that stand on a line of their own."""

    def __init__(self, tree: HtmlElement, url: str) -> None:
        anchors: list[str] = []
        headlines: list[HtmlElement] = []
        itself = _addresses_of(url)
        for a in tree.iter("a"):
            href = str(a.get("href") or "").strip()
            if not href or href.startswith(NOT_PAGE_HREFS) or href.split("#", 1)[0] in itself:
                continue
            text = element_text(a)
            if not text:
                continue
            anchors.append(text)
            if _headline_like(text) and _own_line(a, text):
                headlines.append(a)
        self.anchor_text = "\n".join(_squeezed(text) for text in anchors)
        # A teaser is led by its headline (after a time or a kicker at most); a block whose link
        # comes later (an answer signed with a link, a story ending in one) is none.
        self._led: dict[HtmlElement, HtmlElement] = {}
        texts: list[str] = []
        for block, a in _teaser_blocks(headlines).items():
            text = element_text(block)
            if 0 <= text.find(element_text(a)) <= TEASER_LEAD_CHARS:
                self._led[block] = a
                texts.append(text)
        self.teasers = [_squeezed(text) for text in texts]
        # Read now: pruning the furniture cuts the teasers from the tree.
        self.teaser_times = {time for block in self._led for time in block.iter("time")}
        self._joined = "\n".join(self.teasers)
        self._starts: list[int] = []
        at = 0
        for text in self.teasers:
            self._starts.append(at)
            at += len(text) + 1

    @functools.cached_property
    def _pieces(self) -> list[list[str]]:
        """Each teaser's lines as long as a headline (headline, summary, time: shorter ones, a
        section name or "Read more", are in running text too), for a body line holding parts of
        several teasers: read when a body line is no teaser whole."""
        return [[_squeezed(line) for line, _ in text_lines(block) if _headline_like(line)] for block in self._led]

    @functools.cached_property
    def _headlines(self) -> list[str | None]:
        """The headline each teaser opens with as a line of its own, after none that could be
        one (a time, a kicker): what a section front's lead story opens with."""
        headlines: list[str | None] = []
        for block, a in self._led.items():
            lines = [line for line, _ in text_lines(block)]
            headline = element_text(a)
            at = lines.index(headline) if headline in lines else -1
            led = at >= 0 and all(not _headline_like(line) for line in lines[:at])
            headlines.append(_squeezed(headline) if led else None)
        return headlines

    def judge(self, paragraphs: Sequence[str], declared_article: bool, title: str | None = None) -> PageKind:
        """The kind of a page titled ``title`` whose extracted body is ``paragraphs``."""
        lines = [line for paragraph in paragraphs for line in _cells(paragraph)]
        total = sum(len(line) for line in lines) or 1
        teasers: set[int] = set()
        covered = link_chars = link_lines = 0
        lead: int | None = None  # running text before the first teaser or link line
        for at, line in enumerate(lines):
            before = covered
            linked = line in self.anchor_text
            if linked:
                link_chars += len(line)
                link_lines += 1
            if (found := self._joined.find(line)) >= 0:
                teasers.add(bisect_right(self._starts, found) - 1)
                covered += len(line)
            else:
                # A table cell or a paragraph holding several teasers, or parts of them, at once.
                found_chars = 0
                for block, pieces in enumerate(self._pieces):
                    if inside := sum(len(piece) for piece in pieces if piece in line):
                        teasers.add(block)
                        found_chars += inside
                covered += len(line) if linked else min(len(line), found_chars)
            if lead is None and covered > before:
                lead = running_chars(lines[:at])
        if declared_article and (lead is None or lead >= STORY_LEAD_CHARS):
            # A story, then teasers of others: the page says it is an article, and reads as one.
            return PageKind("article", "declared")
        # Two teasers do when the page does not claim to be an article: the last page of a section.
        least = LISTING_MIN_TEASERS if declared_article else LISTING_MIN_TEASERS - 1
        if len(teasers) >= least and covered >= LISTING_SHARE * total:
            return PageKind("listing", "teasers")
        lone = len(teasers) == 1 and covered >= LONE_TEASER_SHARE * total
        if not declared_article and lone and self._leads_elsewhere(teasers, title):
            # The body is one teaser of a page of them (a section front's lead story), led by a
            # headline that is not the page's own.
            return PageKind("listing", "teasers")
        if link_lines >= LINK_TEXT_MIN_LINES and link_chars >= LINK_TEXT_SHARE * total:
            return PageKind("listing", "link_text")
        return PageKind("article", "declared" if declared_article else "running_text")

    def _leads_elsewhere(self, teasers: set[int], title: str | None) -> bool:
        """Whether the one teaser hit is led by a headline that is not the page's own title."""
        [at] = teasers
        if len(self.teasers) < LISTING_MIN_TEASERS or (headline := self._headlines[at]) is None:
            return False
        own, headline = _squeezed(title or "").casefold(), headline.casefold()
        return not (own and (own in headline or headline in own))

    def bodiless(self, declared_article: bool, paragraphs: Sequence[str] = ()) -> PageKind | None:
        """The kind of a page extraction found no body, or too short a one, on: None (an article
        that lost its body, counted as such) when the page declares an article, else a listing:
        of teasers, or of nothing but links and labels (a home page, a menu).

        A short body that is a teaser of the page, on a page of teasers, is a listing's whatever
        the page declares: a precision pass keeps one box of a list as readily as of a story.
        """
        lines = [line for paragraph in paragraphs for line in _cells(paragraph)]
        if lines and len(self.teasers) >= LISTING_MIN_TEASERS and all(line in self._joined for line in lines):
            return PageKind("listing", "teasers")
        if declared_article:
            return None
        return PageKind("listing", "teasers" if len(self.teasers) >= LISTING_MIN_TEASERS else "no_text")


def _addresses_of(url: str) -> set[str]:
    """How the page's own links to itself are written: absolute, from the root, or its last
    path segment alone."""
    parts = urlsplit(urldefrag(url)[0])
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    last = path.rsplit("/", 1)[-1]
    return {f"{parts.scheme}://{parts.netloc}{path}", f"//{parts.netloc}{path}", path} | ({last} if last else set())


def _squeezed(text: str) -> str:
    """``text`` without whitespace: markup and extraction space inline elements differently."""
    return _SPACE.sub("", text)


def _cells(paragraph: str) -> list[str]:
    """The squeezed lines of an extracted paragraph: without a list marker, a table row cut into
    its cells."""
    return [squeezed for part in cells(_LIST_MARKER.sub("", paragraph.strip())) if (squeezed := _squeezed(part))]


def _headline_like(text: str) -> bool:
    return word_count(text) >= HEADLINE_MIN_WORDS and (len(text) >= HEADLINE_MIN_CHARS or is_unspaced(text))


def _own_line(a: HtmlElement, text: str) -> bool:
    """Whether the link is a line of its own (a headline), not a phrase linked inside a sentence:
    it wraps a block of its own (a heading), or it holds most of the line it is on, the text
    of its block between line breaks."""
    if any(isinstance(child.tag, str) and child.tag in LINE_BREAKS for child in a.iterdescendants()):
        return True
    block = a.getparent()
    while block is not None and block.tag not in LINE_BREAKS:
        block = block.getparent()
    if block is None:
        return True
    line = _line_around(block, a)
    return len(text) >= OWN_LINE_SHARE * len(line)


def _line_around(block: HtmlElement, a: HtmlElement) -> str:
    """The text of the line of ``block`` that holds ``a``: its inline content, cut at ``<br>``
    and at nested blocks."""
    holders = {a, *a.iterancestors()}
    lines: list[list[str]] = [[block.text or ""]]
    found = 0
    for child in block:
        if child.tag in LINE_BREAKS:
            lines.append([])
        elif isinstance(child.tag, str):
            lines[-1].append(child.text_content())
            if child in holders:
                found = len(lines) - 1
        lines[-1].append(child.tail or "")
    return " ".join("".join(lines[found]).split())


def _teaser_blocks(headlines: list[HtmlElement]) -> dict[HtmlElement, HtmlElement]:
    """Each headline's teaser block, with its headline: the largest element around it that holds
    no other headline and is short enough to be a teaser."""
    counts: dict[HtmlElement, int] = {}
    for a in headlines:
        for element in a.iterancestors():
            counts[element] = counts.get(element, 0) + 1
    blocks: dict[HtmlElement, HtmlElement] = {}
    for a in headlines:
        block = a
        for element in a.iterancestors():
            if counts[element] > 1 or element.tag in ("body", "html") or len(element_text(element)) > TEASER_MAX_CHARS:
                break
            block = element
        blocks.setdefault(block, a)
    return blocks
