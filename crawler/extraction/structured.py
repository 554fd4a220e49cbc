"""Structured data of one page, read once: JSON-LD objects, ``<meta>`` tags and the few elements
(``<time>``, ``<h1>``, ``rel=canonical``) that name an article's facts outright.

Publishers fill these for search engines and social networks, so they are more reliable than
anything inferred from the page layout; extraction asks here first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from typing import Any

from lxml.html import HtmlElement

from crawler.extraction.dates import parse_date
from crawler.extraction.htmltext import element_text

ARTICLE_TYPES = frozenset(
    {"article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "blogposting",
     "opinionnewsarticle", "backgroundnewsarticle", "reviewnewsarticle", "report",
     "liveblogposting", "socialmediaposting", "scholarlyarticle"}
)
PERSON_TYPES = frozenset({"person"})
_PUBLISHED_META = (
    "article:published_time", "og:published_time", "og:article:published_time",
    "datepublished", "pubdate", "publishdate", "publish-date", "publication_date",
    "dc.date.issued", "dcterms.issued", "dcterms.created", "dc.date", "date", "sailthru.date",
    "parsely-pub-date", "article.published", "citation_publication_date",
)
_MODIFIED_META = (
    "article:modified_time", "og:updated_time", "og:article:modified_time", "datemodified",
    "dcterms.modified", "last-modified", "article.updated",
)
_AUTHOR_META = frozenset(
    {"author", "article:author", "dc.creator", "dcterms.creator", "citation_author", "byl",
     "parsely-author", "sailthru.author", "cxenseparse:author", "twitter:creator:name"}
)
_CATALOGUE_AUTHOR_META = frozenset({"dc.creator", "dcterms.creator", "citation_author"})
_SURNAME_FIRST = re.compile(r"[^,\s]+(?:\s[^,\s]+)?,\s*[^,\s]+(?:\s[^,\s]+)?")
# Visible bylines: links to an author's page, and elements whose class names a byline.
_AUTHOR_PAGE = re.compile(
    r"/(?:authors?|autor(?:en|in|innen)?|auteurs?|autori|autores|journalists?|redakteur(?:in|e)?)/([^/?#]+)",
    re.IGNORECASE,
)
# The words of an author page's address that spell a name (a number alone is an id).
_SLUG_WORD = re.compile(r"[^\W_]+")
_BYLINE_CLASS = re.compile(r"(?:^|[\s_-])(?:byline|author|autor|auteur|autore)(?:s|name)?(?:$|\s)", re.IGNORECASE)
_BYLINE_MAX_CHARS = 120
# A byline block naming several authors (with their roles, photos, dates) is at most this long.
_BYLINE_BLOCK_CHARS = 400
# The word a byline opens with, in the languages of the news: "Von:", "Autorin/Autor", "By".
_BYLINE_LABEL = re.compile(
    r"^[(（]?\s*(?:by|von|par|door|por|di|av|af|przez|от|autor(?:in|en)?(?:\s*/\s*autor(?:in)?)?|"
    r"authors?|auteurs?|autore|autori|reporter|作者|记者|責任編集|责编|责任编辑)(?:\s*[:：]\s*|\s+|$)",
    re.IGNORECASE,
)
# The day in an article's address: "/2026/03/02/", "/2026-03-02-slug", or a segment of its own, "/20260302/".
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|$|-)"
    r"|/((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:/|$)"
)


class StructuredData:
    """What the page declares about its article."""

    def __init__(self, tree: HtmlElement) -> None:
        self.tree = tree
        self.metas: dict[str, str] = {}
        for meta in tree.iterfind(".//meta"):
            key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
            content = meta.get("content")
            if key and content and content.strip() and key not in self.metas:
                self.metas[key] = content.strip()
        self.objects = list(_jsonld_objects(tree))
        self.articles = [obj for obj in self.objects if types_of(obj) & ARTICLE_TYPES]
        # Read now: later steps prune the tree, and bylines holding <time> go with them.
        self.times = list(tree.iterfind(".//time[@datetime]"))
        self.h1s = [element_text(h) for h in tree.iterfind(".//h1")]
        self.html_title = " ".join((tree.findtext(".//title") or "").split())
        self.bylines = _visible_bylines(tree)

    def meta(self, *keys: str) -> str | None:
        for key in keys:
            if self.metas.get(key):
                return self.metas[key]
        return None

    def article_value(self, key: str) -> Any:
        for obj in self.articles:
            if obj.get(key):
                return obj[key]
        return None

    def headline(self) -> str | None:
        value = self.article_value("headline") or self.article_value("name")
        return " ".join(value.split()) if isinstance(value, str) and value.strip() else None

    def author_sources(self) -> list[list[tuple[str, bool]]]:
        """Author credits ``(text, is_organisation)`` from JSON-LD, then from ``<meta>`` tags.

        A page declaring no article's author may declare its web page's: a blog post's SEO plugin
        describes the page, not an article, and credits its writer there.
        """
        value = self.article_value("author") or self.article_value("creator") or next(
            (obj["author"] for obj in self.objects if "webpage" in types_of(obj) and obj.get("author")), None
        )
        jsonld: list[tuple[str, bool]] = []
        for entry in _flattened(value):
            if isinstance(entry, dict):
                entry = self._referenced(entry)
                is_org = bool(types_of(entry)) and not (types_of(entry) & PERSON_TYPES)
                jsonld.extend((name, is_org) for name in _entity_names(entry))
            elif isinstance(entry, str) and entry.strip():
                jsonld.append((entry, False))
        meta = []
        for element in self.tree.iterfind(".//meta[@content]"):
            key = (element.get("name") or element.get("property") or "").lower()
            content = (element.get("content") or "").strip()
            if key not in _AUTHOR_META or not content or content.startswith(("http://", "https://")):
                continue
            if key in _CATALOGUE_AUTHOR_META and _SURNAME_FIRST.fullmatch(content):
                surname, given = content.split(",", 1)  # library convention: "Surname, Given"
                content = f"{given.strip()} {surname.strip()}"
            meta.append((content, False))
        return [jsonld, meta, [(text, False) for text in self.bylines]]

    def _referenced(self, entry: dict[str, Any]) -> dict[str, Any]:
        """The object an ``{"@id": ...}`` reference points to elsewhere in the page's JSON-LD.

        Graph-style markup credits ``"author": {"@id": "#person-1"}`` and describes the person once
        in ``@graph``; the reference alone names nobody.
        """
        ref = entry.get("@id")
        if _entity_names(entry) or not isinstance(ref, str):
            return entry
        return next((obj for obj in self.objects if obj is not entry and obj.get("@id") == ref and _entity_names(obj)), entry)

    def published_candidates(self, url: str, elsewhere: Collection[HtmlElement] = ()) -> Iterator[tuple[str, str]]:
        """Publication dates the page declares, most trusted first; ``elsewhere`` are ``<time>``
        elements that date other stories (their teasers)."""
        value = self.article_value("datePublished") or self.article_value("dateCreated")
        if isinstance(value, str):
            yield "jsonld", value
        for key in _PUBLISHED_META:
            if self.metas.get(key):
                yield "meta", self.metas[key]
        match = _URL_DATE.search(url)
        url_day = "{:04d}-{:02d}-{:02d}".format(*(int(g) for g in match.groups() if g)) if match else None
        for value in [t.get("datetime", "") for t in self.times if t not in elsewhere][:1]:
            # A <time> may date a comment or a related story; a day in the article's URL may not.
            if url_day is None or ((parsed := parse_date(value)) is not None and parsed[1][:10] == url_day):
                yield "time", value
        if url_day:
            yield "url", url_day

    def modified_candidates(self) -> Iterator[tuple[str, str]]:
        value = self.article_value("dateModified")
        if isinstance(value, str):
            yield "jsonld", value
        for key in _MODIFIED_META:
            if self.metas.get(key):
                yield "meta", self.metas[key]

    def canonical(self) -> str | None:
        for link in self.tree.iterfind(".//link[@rel]"):
            href = str(link.get("href") or "")
            if str(link.get("rel")).lower() == "canonical" and href:
                return href
        return self.meta("og:url")

    def language(self) -> str | None:
        value = self.article_value("inLanguage") or self.tree.get("lang") or self.meta("og:locale")
        if not isinstance(value, str) or not value.strip():
            return None
        return value.strip().replace("_", "-").split("-")[0].lower()

    def site_name(self) -> str | None:
        publisher = self.article_value("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            return str(publisher["name"]).strip()
        return self.meta("og:site_name", "application-name")

    def section(self) -> str | None:
        value = self.article_value("articleSection")
        if isinstance(value, list):
            value = value[0] if value else None
        return str(value).strip() if isinstance(value, str) and value.strip() else self.meta("article:section")

    def accessible_for_free(self) -> bool | None:
        value = self.article_value("isAccessibleForFree")
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
            return value.strip().lower() == "true"
        return None

    def article_body(self) -> str | None:
        value = self.article_value("articleBody")
        return value if isinstance(value, str) and value.strip() else None

    def tags(self) -> list[str]:
        """Declared keywords: JSON-LD ``keywords``, ``article:tag``, then ``<meta name="keywords">``."""
        declared = [
            self.article_value("keywords"),
            [m.get("content", "") for m in self.tree.iterfind(".//meta[@property='article:tag']")],
            self.meta("news_keywords", "keywords"),
        ]
        tags: list[str] = []
        for keywords in declared:
            if isinstance(keywords, str):
                keywords = keywords.split(",")
            tags += [k.strip() for k in keywords or [] if isinstance(k, str) and k.strip()]
        return tags


_UNTYPED_JSONLD = re.compile(r"\s*[\[{]\s*\{?\s*\"@context\"\s*:\s*\"https?://schema\.org")


def _jsonld_objects(tree: HtmlElement) -> Iterator[dict[str, Any]]:
    """Every JSON object in the page's JSON-LD scripts, ``@graph`` and lists flattened.

    A script that holds schema.org JSON without saying so in its type (a template that forgot
    it) is read too: the page still means it as its declaration.
    """
    for script in tree.iterfind(".//script"):
        kind = (script.get("type") or "").strip().lower()
        if kind != "application/ld+json" and (kind or not _UNTYPED_JSONLD.match(script.text or "")):
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        stack = [data]
        while stack:
            node = stack.pop()
            if isinstance(node, list):
                stack.extend(reversed(node))
            elif isinstance(node, dict):
                if "@graph" in node:
                    stack.append(node["@graph"])
                yield node


def _flattened(value: Any) -> Iterator[Any]:
    """The entries of a JSON-LD value that may be one entry, a list, or lists of lists."""
    if isinstance(value, list):
        for item in value:
            yield from _flattened(item)
    elif value:
        yield value


def _entity_names(entity: dict[str, Any]) -> list[str]:
    """An entity's names: ``name`` as a string or a list, else ``givenName`` with ``familyName``."""
    names = [n.strip() for n in _flattened(entity.get("name")) if isinstance(n, str) and n.strip()]
    if names:
        return names
    given, family = entity.get("givenName"), entity.get("familyName")
    if isinstance(given, str) and isinstance(family, str) and given.strip() and family.strip():
        return [f"{given.strip()} {family.strip()}"]
    return []


def types_of(obj: dict[str, Any]) -> set[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.lower().rsplit("/", 1)[-1] for v in values if isinstance(v, str)}


def _visible_bylines(tree: HtmlElement) -> list[str]:
    """The byline a reader sees, for pages that declare no author: ``rel=author`` links, else
    links to author pages beside the first one, else the first short element classed as a byline.

    Only the first occurrence counts: later ones belong to comments and related-article lists.
    """
    links = _first_block([a for a in tree.iterfind(".//a[@href]") if "author" in (a.get("rel") or "").lower().split()])
    if not links:
        first = next((a for a in tree.iterfind(".//a[@href]") if _AUTHOR_PAGE.search(a.get("href", ""))), None)
        if first is not None:
            parent = first.getparent()
            links = [a for a in parent.iterfind(".//a[@href]") if _AUTHOR_PAGE.search(a.get("href", ""))]
    names = [name for name in dict.fromkeys(_author_link_names(links)) if 0 < len(name) <= _BYLINE_MAX_CHARS]
    # "All articles by Jane Doe" beside "Jane Doe": the link around a name, not another name.
    if names := [name for name in names if not any(other != name and other.casefold() in name.casefold() for other in names)]:
        return names
    for element in tree.xpath(".//*[@class]"):
        if _BYLINE_CLASS.search(element.get("class", "")):
            text = element_text(element)
            if 0 < len(text) <= _BYLINE_MAX_CHARS:
                return [text]
    return _labelled_byline(tree)


def _author_link_names(links: list[HtmlElement]) -> list[str]:
    """The names links to authors' pages show, held against the pages' addresses.

    Author boxes link the name and also "All articles by Jane Doe", "More posts", "Archive →"
    to the same page. The address names the author ("/author/jane-doe/"): the words of a text
    that spell it are the name (a one-word address may be a first name: the text stays whole),
    and once one text spells its address, the texts sharing no word with theirs name nobody.
    Addresses that spell no text (user ids) leave the texts as they are.
    """
    names: list[str] = []
    spells: list[bool] = []  # the text spells its address
    unrelated: list[bool] = []  # the text shares no word with its address
    for link in links:
        text = element_text(link)
        match = _AUTHOR_PAGE.search(link.get("href", ""))
        slug = [w.casefold() for w in _SLUG_WORD.findall(match.group(1)) if not w.isdigit()] if match else []
        words = list(_SLUG_WORD.finditer(text))
        folded = [w.group().casefold() for w in words]
        at = next((i for i in range(len(folded) - len(slug) + 1) if slug and folded[i : i + len(slug)] == slug), None)
        # A one-word address is a user name, maybe the first name only: it spells no whole name.
        names.append(text[words[at].start() : words[at + len(slug) - 1].end()] if at is not None and len(slug) > 1 else text)
        spells.append(at is not None)
        unrelated.append(bool(slug) and not set(folded) & set(slug))
    return [name for name, off in zip(names, unrelated, strict=True) if not (any(spells) and off)]


def _first_block(links: list[HtmlElement]) -> list[HtmlElement]:
    """The first link with the others that share its byline block.

    The block is the smallest element holding the first link and another; when that is long,
    the others sit in teasers and related-article lists further down, and the first stands alone.
    """
    if len(links) < 2:
        return links
    # Sets of the elements themselves: lxml keeps one proxy per node while it is referenced.
    ancestry = [set(link.iterancestors()) for link in links[1:]]
    for block in links[0].iterancestors():
        if any(block in ancestors for ancestors in ancestry):
            if len(element_text(block)) > _BYLINE_BLOCK_CHARS:
                return links[:1]
            return [links[0], *(link for link, ancestors in zip(links[1:], ancestry, strict=True) if block in ancestors)]
    return links[:1]


def _labelled_byline(tree: HtmlElement) -> list[str]:
    """The names after the first byline label ("Von: Jane Doe", "<b>Autor</b> Jane Doe").

    Pages without byline markup still print the label a reader looks for. It counts when it is
    an element of its own (the names follow in the parent or in its children) or ends in a
    colon; a sentence opening with "By" or "Von" is neither.
    """
    for element in tree.iter():
        head = (element.text or "").strip() if isinstance(element.tag, str) else ""
        label = _BYLINE_LABEL.match(head) if head else None
        if label is None:
            continue
        whole = label.end() == len(head)
        if not whole and not label.group().rstrip().endswith((":", "：")):
            continue
        container = element if len(element) or not whole else element.getparent()
        if container is None:
            continue
        text = element_text(container)
        match = _BYLINE_LABEL.match(text)
        names = text[match.end() :].strip(" )）") if match else ""
        if 0 < len(names) <= _BYLINE_MAX_CHARS:
            return [names]
    return []
