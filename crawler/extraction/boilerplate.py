"""Page furniture and publisher boilerplate that trafilatura keeps when it sits inside a story.

Two general methods, neither naming a site: boxes whose class or id says what they are (newsletter
sign-ups, promos, cookie notices, social buttons, related links, bylines), and boxes the page hides
from its readers until a click (a share dialog's "Thank you", an error message), are pruned from
the tree; and lines made of the phrases publishers put around every story are trimmed from the
ends of the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml.html import HtmlElement

from crawler.extraction.htmltext import element_text

_FURNITURE = re.compile(
    r"newsletter|signup|sign-up|promo|blurb|cookie|consent|related|social|skip-link|byline|more-from"
    # A consent management platform's layer, by the abbreviation its vendors' classes share.
    r"|(?:^|[\s_-])cmp(?:$|[\s_-])"
)
# Consent layers never hold the story, whatever their size.
_CONSENT = re.compile(r"cookie|consent|(?:^|[\s_-])cmp(?:$|[\s_-])")
# A box holding more than this share of the page's paragraph text holds the story (a theme's
# "social icons" wrapper around it), not furniture.
_STORY_SHARE = 0.5
# The classes CSS frameworks hide a box with. trafilatura prunes ``class="x hidden"`` but not a
# lone ``class="hidden"``, nor the ``hidden`` attribute.
_HIDDEN_CLASSES = frozenset({"hide", "hidden", "d-none", "is-hidden", "invisible"})
_NEVER_PRUNED = frozenset({"html", "body", "main", "article"})
# A box holding this many paragraphs is more likely the story itself than furniture.
_MAX_PARAGRAPHS = 3

_BOILERPLATE = re.compile(
    r"\b(?:sign up (?:for|to)|subscribe (?:to|now)|newsletters?\b|all rights reserved|"
    r"republish(?:ing)?\b|(?:fill out|complete) (?:this|the|our) form|can be found here|"
    r"skip to (?:main )?content|follow us on|click here to|support our journalism|"
    r"become a (?:member|subscriber)|copyright \d{4}|\u00a9 ?\d{4}|"
    r"(?:do you have|have you got|got) a story (?:to tell|for us)|this is a (?:breaking|developing) (?:news )?story|"
    r"unterstützen sie uns|kostenlos testen|jetzt abonnieren|abonnez-vous|suscríbete)",
    re.IGNORECASE,
)
BOILERPLATE_MAX_WORDS = 70


def prune_furniture(tree: HtmlElement) -> int:
    """Remove furniture boxes from ``tree`` in place; returns how many were removed."""
    removed = 0
    page_text: int | None = None
    for element in tree.xpath("//*[@class or @id or @hidden]"):
        if element.tag in _NEVER_PRUNED:
            continue
        names = f"{element.get('class', '')} {element.get('id', '')}".lower()
        if not _FURNITURE.search(names) and not _is_hidden(element):
            continue
        paragraphs = element.xpath(".//p")
        if len(paragraphs) > _MAX_PARAGRAPHS:
            continue
        if paragraphs and not _CONSENT.search(names):
            page_text = _paragraph_text(tree.iter("p")) if page_text is None else page_text
            if _paragraph_text(paragraphs) > _STORY_SHARE * page_text:
                continue
        element.drop_tree()
        removed += 1
    return removed


def _is_hidden(element: HtmlElement) -> bool:
    return element.get("hidden") is not None or not _HIDDEN_CLASSES.isdisjoint(element.get("class", "").lower().split())


def _paragraph_text(paragraphs: Iterable[HtmlElement]) -> int:
    return sum(len(element_text(p)) for p in paragraphs)


def is_boilerplate(line: str) -> bool:
    """A short line made of the phrases publishers use around every story, not in one."""
    return len(line.split()) <= BOILERPLATE_MAX_WORDS and _BOILERPLATE.search(line) is not None


def body_paragraphs(text: str, title: str | None) -> list[str]:
    """Body lines as paragraphs, without a repeated headline or boilerplate at either end."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and title and lines[0].casefold() == title.strip().casefold():
        lines = lines[1:]
    while lines and is_boilerplate(lines[-1]):
        lines.pop()
    while lines and is_boilerplate(lines[0]):
        lines.pop(0)
    return lines
