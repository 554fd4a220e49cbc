"""Stories split over several sibling containers: collect every part, not only the one found.

Publishers cut long stories into chunks between ads or newsletter boxes, each chunk a copy of
the same container (same tag, same class). Extractors score containers one by one and keep the
best; here the chunks that share the signature of the one kept are read back in page order.
A subscription box or a sign-up form wrapped in the story's class is no chunk: what it adds is
short lines, not the running text a story goes on with.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from crawler.extraction.htmltext import element_text, link_density
from crawler.extraction.runningtext import is_running

_BLOCKS = ("p", "h2", "h3", "h4", "blockquote", "li")
# The other chunks must add at least this share of text to be trusted as the story's rest.
MIN_GAIN = 0.2
MAX_CHUNKS = 6
# A chunk mostly made of links is a teaser list that borrowed the story's class.
MAX_LINK_DENSITY = 0.3
# The rest of a story reads as the story does: at least this share of its text in running text,
# not in the short lines of a subscription box or a sign-up form.
MIN_RUNNING_SHARE = 0.5


def _signature(element: HtmlElement) -> tuple[str, str] | None:
    for ancestor in element.iterancestors():
        if ancestor.get("class"):
            return ancestor.tag, ancestor.get("class", "")
    return None


def _grandparent(element: HtmlElement) -> HtmlElement | None:
    parent = element.getparent()
    return parent.getparent() if parent is not None else None


def _blocks(container: HtmlElement) -> list[str]:
    texts = []
    for element in container.iter(*_BLOCKS):
        if element.tag == "li" and element.find(".//p") is not None:
            continue
        if any(a.tag in _BLOCKS and a is not element for a in element.iterancestors()):
            continue
        if element.find(".//script") is not None:
            continue  # a form field's code, not the story's text
        text = element_text(element)
        if text:
            texts.append(text)
    return texts


def whole_story(tree: HtmlElement, paragraphs: list[str]) -> list[str] | None:
    """All chunks' paragraphs when ``paragraphs`` came from one of several same-class chunks."""
    wanted = set(paragraphs)
    signatures: dict[tuple[str, str], int] = {}
    for p in tree.iter("p"):
        if element_text(p) in wanted and (sig := _signature(p)) is not None:
            signatures[sig] = signatures.get(sig, 0) + 1
    if not signatures:
        return None
    tag, cls = max(signatures, key=lambda s: signatures[s])
    same = [el for el in tree.iter(tag) if el.get("class") == cls]
    # A layout class (grid rows, generic components) recurs everywhere and nests; a body
    # container recurs a few times, side by side.
    if len(same) > MAX_CHUNKS or any(
        a.tag == tag and a.get("class") == cls for el in same for a in el.iterancestors()
    ):
        return None
    main = max(same, key=lambda el: sum(element_text(p) in wanted for p in el.iter("p")))
    # Chunks of one story sit side by side: same parent, or same grandparent.
    family = {id(a) for a in (main.getparent(), _grandparent(main)) if a is not None}
    chunks = [
        el for el in same
        if el is main
        or ({id(a) for a in (el.getparent(), _grandparent(el)) if a is not None} & family
            and link_density(el) < MAX_LINK_DENSITY)
    ]
    if len(chunks) < 2:
        return None
    story = [text for chunk in chunks for text in _blocks(chunk)]
    added = [t for t in story if t not in wanted]
    extra = sum(map(len, added))
    if extra < MIN_GAIN * sum(len(p) for p in paragraphs):
        return None
    if sum(len(t) for t in added if is_running(t)) < MIN_RUNNING_SHARE * extra:
        return None
    return list(dict.fromkeys(story))
