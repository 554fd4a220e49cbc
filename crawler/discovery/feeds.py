"""RSS and Atom feeds: the article links they list, with what they say of each article.

feedparser reads RSS 0.9x/1.0/2.0 and Atom alike and keeps dates as the feed wrote them, so the
page's own dates can still win and the feed's fill in only where the page is silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import feedparser


class NotAFeed(ValueError):
    """The document is no RSS or Atom feed; the message says why."""


@dataclass(frozen=True)
class FeedEntry:
    link: str
    title: str | None = None
    published: str | None = None
    authors: list[str] = field(default_factory=list)

    def hints(self) -> dict[str, Any]:
        hints: dict[str, Any] = {"via": "feed"}
        if self.title:
            hints["title"] = self.title
        if self.published:
            hints["published"] = self.published
        if self.authors:
            hints["authors"] = self.authors
        return hints


def parse_feed(body: bytes) -> list[FeedEntry]:
    """The entries of a feed that have a link.

    Raises:
        NotAFeed: nothing feed-like could be read from ``body``.
    """
    try:
        parsed = feedparser.parse(body)
    except Exception as exc:  # feedparser's own bugs on broken XML: ValueError, IndexError, ...
        raise NotAFeed(f"unreadable ({type(exc).__name__}: {exc})") from exc
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise NotAFeed(str(reason).splitlines()[0])
    entries = []
    for entry in parsed.entries:
        # An element named like one of feedparser's result keys (<links/>, <authors/>) replaces
        # that key's value with a dict or list: every value is checked for its type.
        link = _text(entry.get("link"))
        if not link:
            continue
        authors = [name for a in _list(entry.get("authors")) if isinstance(a, dict) and (name := _text(a.get("name")))]
        if not authors and (author := _text(entry.get("author"))):
            authors = [author]
        entries.append(FeedEntry(
            link=link,
            title=_text(entry.get("title")),
            published=_text(entry.get("published")) or _text(entry.get("updated")),
            authors=authors,
        ))
    return entries


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
