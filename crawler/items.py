"""Items passed from the spider through the pipelines, read with ItemAdapter."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


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
    # The body's near-duplicate signature (crawler.dedupe.neardup), computed beside extraction in a page
    # worker; None where the body was made elsewhere (learned chrome removed, spill file read).
    body_signature: bytes | None = field(default=None, repr=False)
    # The learned-chrome block hash of each paragraph of the body (crawler.dedupe.fingerprints), made
    # with the fingerprint; None where the body was made elsewhere (spill file read).
    body_blocks: list[str] | None = field(default=None, repr=False)
    # What made extraction judge the page an article: "declared" or "running_text" (a stats key).
    evidence: str | None = field(default=None, repr=False)
    # Set by DedupPipeline when this URL repeats an article already seen: "url" or "body".
    duplicate_of: str | None = None
    # In a shared crawl, the lease on the page's request, released once the article is committed.
    lease: str | None = None


@dataclass
class CopyUrls:
    """Links to copies of an article (AMP, print) that a learned rule names, not fetched: stored
    as aliases of the article whose canonical URL is ``canonical_url``, once it is stored."""

    canonical_url: str
    urls: list[str]
    site: str
