"""The standfirst: the summary a story opens with, printed under its headline.

Pages set it apart from the story's paragraphs (in the header block, as a "dek" or "lead"
element), and extraction, looking for the story's main container, often leaves it out. The page's
own description (``og:description``, ``<meta name="description">``) usually says the same words:
when the page prints them as a block of their own and the body lacks them, they open the body.
"""

from __future__ import annotations

from lxml.html import HtmlElement

from crawler.extraction.htmltext import element_text
from crawler.extraction.titles import word_key

# Shorter descriptions are labels or site slogans, not a summary of the story.
STANDFIRST_MIN_WORDS = 8
# The words of the description looked for in the page's text (then compared whole).
_PROBE_WORDS = 4
# How far above the text node holding those words the standfirst's block may be.
_MAX_LEVELS = 3
_NOT_PRINTED = frozenset({"script", "style", "noscript", "template"})


def printed_standfirst(tree: HtmlElement, description: str | None, body: str) -> str | None:
    """The page's printed standfirst, when it matches ``description`` and ``body`` lacks it."""
    key = word_key(description or "")
    if not description or len(key.split()) < STANDFIRST_MIN_WORDS or key in word_key(body):
        return None
    probe = " ".join(description.split()[:_PROBE_WORDS])
    for node in tree.xpath("//body//text()[contains(., $probe)]", probe=probe):
        element = node.getparent()
        if node.is_tail:
            element = element.getparent()
        for _ in range(_MAX_LEVELS):
            if element is None or element.tag in _NOT_PRINTED:
                break
            text = element_text(element)
            if word_key(text) == key:
                return text
            if len(text) > 2 * len(description):
                break
            element = element.getparent()
    return None
