"""Paragraphs of the story that the extractor dropped: whole sentences back in their place.

Precision mode drops a paragraph when links make up much of it, or when it opens a container
of its own; the story then loses its lead or a paragraph citing sources. A paragraph comes back,
after the kept one before it, when it sits inside the story's container between the first and
last kept paragraphs, in the same kind of parent as a kept one, reads as a sentence, is not
mostly links and is not already in the body in another form.
"""

from __future__ import annotations

import itertools
import re

from lxml.html import HtmlElement

from crawler.extraction.boilerplate import is_boilerplate
from crawler.extraction.htmltext import element_text, link_density

# What a restored paragraph must be: a sentence of some length, not mostly link text.
MIN_CHARS = 80
# Subheadings and questions are short; shorter than this they are labels ("Video", "Anzeige").
MIN_HEADING_CHARS = 12
_HEADINGS = ("h2", "h3", "h4")
MAX_LINK_DENSITY = 0.5
# A paragraph with this share of its word pairs already in the body is there in another form
# (split at a line break, a hidden "opens in a new tab" inside a link, other punctuation).
MAX_KNOWN_PAIRS = 0.5
_SENTENCE_END = re.compile(r"[.!?…»“”\"')]\s*$")
_WORD = re.compile(r"\w+", re.UNICODE)


def _key(text: str) -> str:
    """Words only: extractors differ from the page in spaces, soft hyphens and punctuation."""
    return " ".join(_WORD.findall(text.replace("\u00ad", "").casefold()))


def _pairs(key: str) -> set[tuple[str, str]]:
    words = key.split()
    return set(itertools.pairwise(words))


def _share_known(key: str, known: set[tuple[str, str]]) -> float:
    pairs = _pairs(key)
    return len(pairs & known) / max(len(pairs), 1)


def _common_ancestor(first: HtmlElement, last: HtmlElement) -> HtmlElement | None:
    """The deepest element holding ``first`` and ``last``, and so everything between them."""
    around_last = set(last.iterancestors())
    return next((a for a in first.iterancestors() if a in around_last), None)


def _signature(p: HtmlElement) -> tuple[str, ...]:
    """Where a paragraph sits: its parent's and grandparent's tags and classes."""
    parent = p.getparent()
    grandparent = parent.getparent() if parent is not None else None
    return tuple(
        part for e in (parent, grandparent) if e is not None for part in (str(e.tag), e.get("class", ""))
    )


def _is_prose(p: HtmlElement) -> bool:
    """A sentence, not mostly links, not a publisher's stock phrase."""
    text = element_text(p)
    return (
        _SENTENCE_END.search(text) is not None
        and link_density(p) < MAX_LINK_DENSITY
        and not is_boilerplate(text)
    )


def _is_heading(h: HtmlElement) -> bool:
    """A subheading's text, not a link to another story or a publisher's stock phrase."""
    return link_density(h) < MAX_LINK_DENSITY and not is_boilerplate(element_text(h))


def dropped_paragraphs_restored(tree: HtmlElement, paragraphs: list[str]) -> list[str] | None:
    """``paragraphs`` with the story's dropped prose paragraphs back; None when none are missing."""
    wanted = {_key(p) for p in paragraphs}
    keys = {p: _key(element_text(p)) for p in tree.iter("p")}
    kept = [p for p, key in keys.items() if key in wanted]
    if len(kept) < 2:
        return None
    container = _common_ancestor(kept[0], kept[-1])
    if container is None or container.tag in ("html", "body"):
        return None
    inside = list(container.iter("p", *_HEADINGS))
    start, end = inside.index(kept[0]), inside.index(kept[-1])
    known = _pairs(" ".join(_key(p) for p in paragraphs))
    signatures = {_signature(p) for p in kept}
    parents = {p.getparent() for p in kept}
    restored: dict[str, list[str]] = {}
    previous = None
    for p in inside[start : end + 1]:
        key = keys[p] if p.tag == "p" else _key(element_text(p))
        if key in wanted:
            previous = key
            continue
        if previous is None or _share_known(key, known) >= MAX_KNOWN_PAIRS:
            continue
        if p.tag == "p":
            story = len(key) >= MIN_CHARS and p.find(".//p") is None and _signature(p) in signatures and _is_prose(p)
        else:  # a subheading or an interview's question, set among the story's own paragraphs
            story = len(key) >= MIN_HEADING_CHARS and p.getparent() in parents and _is_heading(p)
        if story:
            restored.setdefault(previous, []).append(element_text(p))
    if not restored:
        return None
    result = []
    for paragraph in paragraphs:
        result.append(paragraph)
        result.extend(restored.pop(_key(paragraph), []))
    return result
