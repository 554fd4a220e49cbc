"""Web archives in: the HTML responses of WARC and ARC files (local or over HTTP), streamed
record by record with warcio, as pages for the same extraction, dedupe and store as a crawl.

Nothing but the record at hand is held in memory. What is not an HTML page of a wanted site is
counted by reason and passed over: other record types, other content types, error statuses,
sites, URL patterns and dates left out, records cut short by the end of a truncated archive; a
record warcio cannot parse ends its file with a warning, the other files are still read.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.downloadermiddlewares.private_networks import AddressPolicy
from crawler.urls import on_site

logger = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class ArchivedPage:
    url: str
    fetched_at: dt.datetime
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class WarcFilter:
    """What to keep: sites (and their subdomains), URL patterns, pages fetched since."""

    domains: Sequence[str] = ()
    patterns: Sequence[re.Pattern[str]] = ()
    since: dt.datetime | None = None

    def refuses(self, url: str, fetched_at: dt.datetime) -> str | None:
        if self.domains and not on_site(url, self.domains):
            return "domain"
        if self.patterns and not any(p.search(url) for p in self.patterns):
            return "pattern"
        if self.since and fetched_at < self.since:
            return "date"
        return None


class _Counting:
    """A read-only stream that counts the bytes read from it, for progress."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.read_bytes += len(data)
        return data


@dataclass
class WarcReader:
    """Reads the pages of archives one after the other, counting what it passes over."""

    locations: Sequence[str]
    keep: WarcFilter = field(default_factory=WarcFilter)
    # Addresses an archive URL, or a redirect from it, may not lead to; None: any.
    policy: AddressPolicy | None = None
    skipped: Counter[str] = field(default_factory=Counter)
    # Archives opened, and those that could not be (missing, refused, an HTTP error).
    opened: int = 0
    unopened: list[str] = field(default_factory=list)
    records: int = 0
    done_bytes: int = 0
    _current: _Counting | None = None

    def total_bytes(self) -> int | None:
        """The archives' size, where known without reading them (local files)."""
        sizes = [os.path.getsize(loc) if os.path.exists(loc) else None for loc in self.locations]
        return None if None in sizes else sum(s for s in sizes if s is not None)

    def read_bytes(self) -> int:
        return self.done_bytes + (self._current.read_bytes if self._current else 0)

    def pages(self) -> Iterator[ArchivedPage]:
        for location in self.locations:
            try:
                opened = _open(location, self.policy)
            except OSError as exc:
                reason = (f"HTTP status {exc.code}" if isinstance(exc, urllib.error.HTTPError)
                          else str(getattr(exc, "reason", None) or exc.strerror or exc))
                self.unopened.append(f"{location}: {reason}")
                logger.error("cannot read %(location)s: %(reason)s", {"location": location, "reason": reason})
                continue
            self.opened += 1
            with opened as stream:
                self._current = _Counting(stream)
                try:
                    yield from self._pages(self._current)
                except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
                    self.skipped["unreadable"] += 1
                    logger.warning("%(location)s unreadable after %(n)d records, the rest of it skipped: %(error)s",
                                   {"location": location, "n": self.records, "error": exc})
                finally:
                    self.done_bytes += self._current.read_bytes
                    self._current = None

    def _pages(self, stream: _Counting) -> Iterator[ArchivedPage]:
        for record in ArchiveIterator(stream, arc2warc=True):
            self.records += 1
            if record.rec_type != "response" or record.http_headers is None:
                self.skipped["not_a_response"] += 1
                continue
            url = record.rec_headers.get_header("WARC-Target-URI") or ""
            status = record.http_headers.get_statuscode()
            content_type = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip().lower()
            if not url.startswith(("http://", "https://")):
                self.skipped["bad_record"] += 1
                continue
            if status != "200":
                self.skipped["status"] += 1
                continue
            if content_type not in HTML_TYPES:
                self.skipped["not_html"] += 1
                continue
            fetched_at = _date(record.rec_headers.get_header("WARC-Date"))
            refused = self.keep.refuses(url, fetched_at)
            if refused:
                self.skipped[f"filtered_{refused}"] += 1
                continue
            body = record.content_stream().read()  # transfer and content encodings undone
            if getattr(record.raw_stream, "limit", 0) > 0:  # the archive ended inside the record
                self.skipped["truncated"] += 1
                logger.warning("truncated record skipped: %(url)s", {"url": url})
                continue
            yield ArchivedPage(url, fetched_at, list(record.http_headers.headers), body)


def _open(location: str, policy: AddressPolicy | None) -> Any:
    if location.startswith(("http://", "https://")):
        return urllib.request.build_opener(_PublicRedirects(policy)).open(location, timeout=60)
    return open(location, "rb")


class _PublicRedirects(urllib.request.HTTPRedirectHandler):
    """Follows an archive URL's redirects where the crawl would: never into a private network."""

    def __init__(self, policy: AddressPolicy | None) -> None:
        self.policy = policy

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> Any:
        if self.policy is not None and (reason := self.policy.refusal(newurl)):
            raise urllib.error.URLError(f"redirected to {newurl}, refused: {reason}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _date(value: str | None) -> dt.datetime:
    if value:
        try:
            parsed = dt.datetime.fromisoformat(value)
            return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    return dt.datetime.now(dt.UTC)
