"""Items passed from the spider through the pipelines, read with ItemAdapter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageItem:
    """A fetched page that looks like an article, waiting for extraction.

    The spider yields these instead of extracting inline: extraction is CPU-bound and runs in a
    process pool fed by ``ExtractPipeline``.
    """

    url: str
    html: str = field(repr=False)  # kept out of logs: Scrapy logs dropped items
    fetched_at: dt.datetime
    source: str | None = None
    # What a feed said of the page before it was fetched, used where the page says nothing:
    # "via" ("feed"), "published", "title", "authors".
    hints: dict[str, Any] = field(default_factory=dict)
    # The URLs that redirected here: stored as aliases, so a re-crawl never requests them again.
    redirected_from: list[str] = field(default_factory=list)


@dataclass
class ArticleItem:
    """An extracted article, the unit that is deduplicated and stored."""

    url: str
    canonical_url: str
    site: str
    body: str
    # True when the page named its canonical URL (rel=canonical, og:url), not derived from its URL.
    canonical_from_page: bool = False
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    # Filled only when no person is named: the agency or publisher credited instead.
    author_organisations: list[str] = field(default_factory=list)
    published_at: dt.datetime | None = None
    published_at_raw: str | None = None
    modified_at: dt.datetime | None = None
    modified_at_raw: str | None = None
    date_source: str | None = None
    description: str | None = None
    language: str | None = None
    site_name: str | None = None
    section: str | None = None
    accessible_for_free: bool | None = None
    image: str | None = None
    tags: list[str] = field(default_factory=list)
    fetched_at: dt.datetime | None = None
    source: str | None = None
    content_fingerprint: str = ""
    redirected_from: list[str] = field(default_factory=list)
    # Set by DedupPipeline when this URL repeats an article already seen: "url" or "body".
    duplicate_of: str | None = None
