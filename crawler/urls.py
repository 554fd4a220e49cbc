"""Pure URL helpers: canonical forms, site membership, article-shaped URLs and crawler traps."""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections import Counter
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Path segments, last or first, and query flags that mark an AMP or print copy of an article.
_VARIANT_PATH = re.compile(r"/(?:amp|print)/?$", re.IGNORECASE)
_VARIANT_PREFIX = re.compile(r"^/(?:amp|print)(?=/.)", re.IGNORECASE)
_VARIANT_PARAMS = frozenset({"amp", "outputtype", "output", "print", "view"})
_VARIANT_VALUES = frozenset({"", "1", "true", "amp", "print", "printable"})
# How a link that leads to no other page begins: a fragment, a script, an address, inline data.
NOT_PAGE_HREFS = ("#", "javascript:", "mailto:", "tel:", "data:")
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(1\d{3}|2\d{3})(?!\d)")
_CALENDAR_WORDS = re.compile(r"calendar|archive|events?|date|month|day|year", re.IGNORECASE)


def _matches(name: str, patterns: Iterable[str]) -> bool:
    name = name.lower()
    return any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in patterns)


def strip_params(url: str, patterns: Iterable[str]) -> str:
    """Remove query parameters whose names match any glob in ``patterns`` (e.g. ``utm_*``)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not _matches(k, patterns)]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def absolute(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``; None when the result is no URL a request can be made
    for (an unbalanced "[", a port out of range): one such link must cost only itself."""
    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return None
    return url


def clean_url(url: str, drop_params: Iterable[str]) -> str:
    """The URL to request: fragment, tracking and session parameters removed, otherwise intact.

    Stripping session ids before scheduling is what keeps ``?sid=`` link farms from turning one
    article into thousands of requests. Raises ValueError for what urllib cannot parse.
    """
    path, query_mark, query = url.split("#", 1)[0].partition("?")
    return strip_params(_PATH_SESSION.sub("", path) + query_mark + query, drop_params)


def canonicalize(url: str, drop_params: Iterable[str]) -> str:
    """The key under which an article is stored: cleaned, w3lib-canonical, AMP/print folded
    (``/story/amp``, ``/print/story``, ``/story?print=1``; stacked ones too: an AMP copy of a
    print copy). Raises ValueError for a malformed URL."""
    key = _canonical_once(clean_url(url, drop_params))
    while _VARIANT_PATH.search(path := urlsplit(key).path) or _VARIANT_PREFIX.match(path):
        key = _canonical_once(key)
    return key


def _canonical_once(url: str) -> str:
    parts = urlsplit(url)
    path = _VARIANT_PATH.sub("/", _VARIANT_PREFIX.sub("", parts.path)) or "/"
    pairs = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not (k.lower() in _VARIANT_PARAMS and v.lower() in _VARIANT_VALUES)
    ]
    url = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(pairs), ""))
    return canonicalize_url(url, keep_fragments=False)


def is_http_url(url: str) -> bool:
    """Whether ``url`` is an http(s) URL with a host and a valid port (a bracket left open or a
    port past 65535 makes ``urlsplit`` raise, later and elsewhere)."""
    try:
        return url.startswith(("http://", "https://")) and bool(host_of(url)) and (urlsplit(url).port or 0) >= 0
    except ValueError:
        return False


def address_key(url: str, drop_params: Iterable[str]) -> str:
    """A page's own address as ``canonicalize`` writes keys, but with nothing folded: a page
    whose canonical URL is not its address key is a copy (AMP, print, another address) of the
    page at that URL."""
    parts = urlsplit(clean_url(url, drop_params))
    own = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))
    return canonicalize_url(own, keep_fragments=False)


def host_of(url: str) -> str:
    """Host name without port or a leading ``www.``."""
    return normal_host(urlsplit(url).hostname or "")


def normal_host(name: str) -> str:
    """A host name as given (an allowed domain, a ``--domain``) written as ``host_of`` writes
    hosts, so that the two compare."""
    return name.strip().lower().removeprefix("www.")


def site_hosts(urls: Iterable[str], domains: Iterable[str]) -> list[str]:
    """The sites of a crawl: the hosts of its start, feed and sitemap URLs and its allowed
    domains. The spider and a shared crawl's jobs (``crawler.distributed.frontier``) name sites by these."""
    return sorted({host_of(url) for url in urls} | {normal_host(domain) for domain in domains})


def on_site(url: str, hosts: Iterable[str]) -> bool:
    """True when ``url`` is on one of ``hosts`` or a subdomain of one; IP hosts match exactly."""
    return site_of(url, hosts) is not None


def site_of(url: str, hosts: Iterable[str]) -> str | None:
    """The one of ``hosts`` that ``url`` is on, the nearest when several match (a subdomain
    crawled as a site of its own); None when it is on none."""
    host = host_of(url)
    return max((h for h in hosts if host == h or host.endswith("." + h)), key=len, default=None)


_PAGE_NUMBER = re.compile(r"/page/\d+/?$|[?&](?:page|p|pg)=\d+(?:&|$)", re.IGNORECASE)


def path_template(url: str) -> str:
    """The shape of a link, as a site's links of one kind share it: the first path segment as
    written, then ``{n}`` for each further segment of digits and ``{w}`` for any other, the last
    one's file extension kept, and the names of the query's parameters (``/news/{n}/{n}/{w}.html``,
    ``/help/{w}``, ``/search?q``)."""
    parts = urlsplit(url)
    segments = parts.path.split("/")[1:]
    shaped = []
    for position, segment in enumerate(segments):
        stem, dot, extension = segment.rpartition(".") if "." in segment else (segment, "", "")
        if position == 0 or not stem:
            shaped.append(segment.lower())
        else:
            shaped.append(("{n}" if stem.isdigit() else "{w}") + dot + extension.lower())
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return "/" + "/".join(shaped) + ("?" + "&".join(names) if names else "")


def is_pagination(url: str) -> bool:
    """A numbered listing page: ``/world/page/3/``, ``/world?page=3``."""
    return _PAGE_NUMBER.search(url) is not None


def is_trap(url: str, *, max_segment_repeats: int = 3, today: dt.date | None = None) -> str | None:
    """Why ``url`` looks like an endless crawler trap, or ``None`` when it looks sane.

    Catches paths that repeat a segment (relative-link loops) and calendar pages for years that
    cannot hold news yet (or anymore), which endless "next month" links walk into.
    """
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if segments:
        _, repeats = Counter(segments).most_common(1)[0]
        if repeats >= max_segment_repeats:
            return "repeated_path"
    year_now = (today or dt.date.today()).year
    text = parts.path + "?" + parts.query
    if _CALENDAR_WORDS.search(text):
        for match in _YEAR.finditer(text):
            year = int(match.group(1))
            if year > year_now + 1 or year < 1990:
                return "calendar"
    return None


def split_arguments(value: str | list[str] | None) -> list[str]:
    """Spider arguments that list URLs, domains or patterns: a list, or one comma-separated
    string as ``scrapy crawl -a`` passes them."""
    if not value:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [item.strip() for item in items if item.strip()]
