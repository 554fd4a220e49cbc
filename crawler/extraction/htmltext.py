"""The text of an HTML element as a reader sees it: its words, whitespace collapsed.

Markup spreads a sentence over lines, tabs and nested inline elements; comparing, measuring or
storing an element's text needs one spelling of it.
"""

from __future__ import annotations

from lxml.html import HtmlElement


def element_text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


_SHOWN_TEXT = ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]"


def visible_text(element: HtmlElement) -> str:
    """``element_text`` without what a reader never sees: scripts, styles, templates."""
    return " ".join(" ".join(element.xpath(_SHOWN_TEXT)).split())


def link_density(element: HtmlElement) -> float:
    """The share of an element's text that is link text: near 1 for menus and teaser lists. An
    ``<a>`` without an address (``<a name="q3">``) marks a place in the page, and is no link."""
    return sum(len(element_text(a)) for a in element.iter("a") if a.get("href") is not None) / (len(element_text(element)) or 1)
