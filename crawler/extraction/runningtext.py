"""How much running text a page holds, wherever it lives: in ``<p>``, in table cells, in
``<br>``-separated runs, in ``<div>``s with no ``<p>``.

A first extraction pass sometimes keeps one box of a story (a table cell, a banner, a column of
teasers). Knowing how much running text the page holds tells a fragment from a body, and so
when to try the next way of extracting. Counting only ``<p>`` text misses every older layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree
from lxml.html import HtmlElement

from crawler.textlength import is_unspaced

# A run of text is running text from this many characters (about fifteen words), or this many
# of a script written without spaces...
RUN_MIN_CHARS = 100
RUN_MIN_CHARS_UNSPACED = 40
# ...when at most this share of it is link text.
RUN_MAX_LINK_SHARE = 0.3

# Elements that end a line of text where they open and close.
LINE_BREAKS = frozenset({
    "p", "li", "dd", "dt", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "div", "article",
    "section", "header", "footer", "aside", "nav", "main", "figure", "figcaption", "blockquote",
    "ul", "ol", "dl", "table", "form", "body", "br", "hr", "pre", "address", "center",
})
_UNREAD = frozenset({"script", "style", "noscript", "template", "head", "select", "button", "svg"})
# Where a story does not live.
_NOT_STORY = frozenset({"nav", "aside", "footer", "header", "li", "form"})
# trafilatura writes a table row as "| cell | cell |".
_TABLE_ROW = re.compile(r"^\|.*\|$")
_CELL_BORDER = re.compile(r"(?<!\\)\|")


def is_running(text: str) -> bool:
    """Whether a run of text is long enough to be prose rather than a label, a link or a line."""
    return len(text) >= RUN_MIN_CHARS or (len(text) >= RUN_MIN_CHARS_UNSPACED and is_unspaced(text))


def text_lines(element: HtmlElement, skipped: frozenset[str] = frozenset()) -> list[tuple[str, int]]:
    """The lines of text in ``element`` as a reader sees them, cut where blocks and ``<br>``
    break them, each with how many of its characters are link text; ``skipped`` elements are
    left out with all they hold."""
    lines: list[tuple[str, int]] = []
    parts: list[str] = []
    linked = 0
    in_link = 0

    def flush() -> None:
        nonlocal linked
        if text := " ".join("".join(parts).split()):
            lines.append((text, linked))
        parts.clear()
        linked = 0

    walker = etree.iterwalk(element, events=("start", "end"))
    for event, node in walker:
        tag = node.tag
        if event == "start":
            if not isinstance(tag, str):
                continue
            if tag in _UNREAD or tag in skipped:
                walker.skip_subtree()
                continue
            if tag in LINE_BREAKS:
                flush()
            if tag == "a":
                in_link += 1
            if node.text:
                parts.append(node.text)
                linked += len(node.text.strip()) if in_link else 0
            continue
        if tag == "a":
            in_link -= 1
        if isinstance(tag, str) and tag in LINE_BREAKS:
            flush()
        if node.tail and node is not element:
            parts.append(node.tail)
            linked += len(node.tail.strip()) if in_link else 0
    flush()
    return lines


def page_running_chars(tree: HtmlElement) -> int:
    """Characters of running text on the page: lines long enough and with little link text,
    outside the page's chrome and lists (menus, related stories, a column of news items)."""
    return sum(len(line) for line, linked in text_lines(tree, _NOT_STORY) if is_running(line) and linked <= RUN_MAX_LINK_SHARE * len(line))


def running_chars(lines: Iterable[str]) -> int:
    """Characters of running text in extracted lines; a table row, as trafilatura writes a layout
    table, is not running text whatever its length."""
    return sum(len(line) for line in lines if is_running(line) and not _TABLE_ROW.match(line.strip()))


def running_chars_in_rows(lines: Iterable[str]) -> int:
    """Characters of running text in the cells of extracted table rows: a story a layout table
    holds, where a table of data holds none."""
    return sum(
        len(cell) for line in lines if _TABLE_ROW.match(line.strip()) for cell in cells(line) if is_running(cell)
    )


def cells(line: str) -> list[str]:
    """The cells of an extracted table row, or the line alone."""
    line = line.strip()
    if not _TABLE_ROW.match(line):
        return [line]
    return [cell.strip() for cell in _CELL_BORDER.split(line.strip("|"))]
