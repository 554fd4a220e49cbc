"""Pages that carry the next story too: keep the body to the story the page is about.

Publishers with endless scrolling load the next article into the page below the first, each in an
``<article>`` of its own. Extractors that score containers read both as one long story. When
the page has several top-level ``<article>`` elements and one of them holds the headline, body
lines found only in the others belong to other stories.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from crawler.extraction.htmltext import element_text
from crawler.extraction.titles import agrees

# The headline's article must hold at least this much of the body to be trusted as the story;
# a header-only ``<article>`` (headline, byline) beside the real one must not win.
MIN_OWN_CHARS = 400


def _line(paragraph: str) -> str:
    """A body line as it reads on the page: list markers off, whitespace collapsed."""
    return " ".join(paragraph.removeprefix("- ").split())


def _top_level_articles(tree: HtmlElement) -> list[HtmlElement]:
    return [a for a in tree.iter("article") if not any(p.tag == "article" for p in a.iterancestors())]


def this_story_only(tree: HtmlElement, paragraphs: list[str], title: str | None) -> list[str] | None:
    """``paragraphs`` without the lines of other stories on the page; None when nothing changes."""
    articles = _top_level_articles(tree)
    if len(articles) < 2 or not title:
        return None
    main = next(
        (a for a in articles if any(agrees(element_text(h), title) for h in a.iter("h1") if element_text(h))), None
    )
    if main is None:
        return None
    own = element_text(main)
    others = "\n".join(element_text(a) for a in articles if a is not main)
    if sum(len(p) for p in paragraphs if _line(p) in own) < MIN_OWN_CHARS:
        return None
    kept = [p for p in paragraphs if _line(p) in own or _line(p) not in others]
    return kept if len(kept) < len(paragraphs) else None
