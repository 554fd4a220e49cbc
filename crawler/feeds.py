"""RSS and Atom feeds: the article links they list, with what they say of each article.

feedparser reads RSS 0.9x/1.0/2.0 and Atom alike and keeps dates as the feed wrote them, so the
page's own dates can still win and the feed's fill in only where the page is silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import feedparser

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")


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
    parsed = feedparser.parse(body)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise NotAFeed(str(reason).splitlines()[0])
    entries = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        authors = [a.get("name") for a in entry.get("authors", []) if a.get("name")]
        if not authors and entry.get("author"):
            authors = [entry["author"]]
        entries.append(FeedEntry(
            link=link.strip(),
            title=(entry.get("title") or "").strip() or None,
            published=entry.get("published") or entry.get("updated"),
            authors=authors,
        ))
    return entries
