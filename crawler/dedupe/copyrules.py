"""Rewrite rules that turn the address of a copy into its article's, learned per site.

A page naming another page of its site as canonical shows one rewrite of the address: a path
prefix (``/amp/story`` -> ``/story``), a path suffix (``/story/amp``), a mark before the file
extension (``story.amp.html``) or query parameters (``story?output=amp``). Seen on a few
different articles and never contradicted, the rewrite becomes a rule of the site, and a link it
fits is known for a copy without being fetched (the DUST problem: Bar-Yossef, Keidar, Schonfeld,
"Do not crawl in the DUST", WWW 2007). A small sample of such links is still fetched to keep
checking the rule; one contradiction drops it for good.

Pure: the spider middleware ``crawler.spidermiddlewares.copy_links`` applies the rules, and the
database keeps them across runs and workers (``copy_rules``, docs/schema.md).
"""

from __future__ import annotations

import dataclasses
import zlib
from collections import Counter
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# A rewrite longer than this is another address, not a copy's mark.
MAX_PATTERN = 40


@dataclasses.dataclass(frozen=True)
class Rewrite:
    """One way a site writes a copy's address: ``kind`` is ``prefix``, ``suffix``, ``infix``
    (before the file extension) or ``params`` (``pattern`` then holds the query pairs)."""

    kind: str
    pattern: str

    def target(self, url: str) -> str | None:
        """The address of the page ``url`` would be a copy of; None when the rewrite does not fit."""
        parts = urlsplit(url)
        path = parts.path
        if self.kind == "params":
            marks = Counter(parse_qsl(self.pattern, keep_blank_values=True))
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            if marks - Counter(pairs):
                return None
            kept = []
            for pair in pairs:
                if marks[pair]:
                    marks[pair] -= 1  # one mark taken off: the rest of the query stays as written
                else:
                    kept.append(pair)
            return urlunsplit(parts._replace(query=urlencode(kept), fragment=""))
        if self.kind == "prefix":
            if not path.startswith(self.pattern + "/"):
                return None
            path = path[len(self.pattern):]
        elif self.kind == "suffix":
            bare = path.rstrip("/")
            if not bare.endswith(self.pattern) or len(bare) == len(self.pattern):
                return None
            path = bare[: -len(self.pattern)] + path[len(bare):]
        else:
            head, dot, extension = path.rpartition(".")
            if not dot or "/" in extension or not head.endswith(self.pattern) or head.endswith("/" + self.pattern):
                return None
            path = head[: -len(self.pattern)] + dot + extension
        return urlunsplit(parts._replace(path=path or "/", fragment=""))


def rewrite_of(copy: str, own: str) -> Rewrite | None:
    """The rewrite that takes the address ``copy`` to ``own``, both on one site; None when no
    single prefix, suffix, extension mark or set of query parameters does."""
    a, b = urlsplit(copy), urlsplit(own)
    if (a.scheme, a.netloc) != (b.scheme, b.netloc) or copy == own:
        return None
    rewrite = None
    if a.path == b.path:
        extra = Counter(parse_qsl(a.query, keep_blank_values=True))
        extra.subtract(parse_qsl(b.query, keep_blank_values=True))
        if extra and all(n >= 0 for n in extra.values()):
            rewrite = Rewrite("params", urlencode(sorted(extra.elements())))
    elif a.query == b.query:
        rewrite = _path_rewrite(a.path, b.path)
    if rewrite is None or not 0 < len(rewrite.pattern) <= MAX_PATTERN or rewrite.target(copy) is None:
        return None
    return rewrite


def _path_rewrite(copy: str, own: str) -> Rewrite | None:
    if own != "/" and copy.endswith(own) and copy[: -len(own)].startswith("/"):
        return Rewrite("prefix", copy[: -len(own)])
    bare_copy, bare_own = copy.rstrip("/"), own.rstrip("/")
    if bare_own and bare_copy.startswith(bare_own) and copy[len(bare_copy):] == own[len(bare_own):]:
        return Rewrite("suffix", bare_copy[len(bare_own):])
    head, dot, extension = own.rpartition(".")
    if dot and "/" not in extension and copy.endswith(dot + extension) and copy.startswith(head):
        return Rewrite("infix", copy[len(head): -len(dot + extension)])
    return None


@dataclasses.dataclass
class RuleState:
    """What is known of one site's rewrite: the articles that confirmed it, and whether a page
    contradicted it."""

    confirmations: int = 0
    refuted: bool = False
    # The own pages seen confirming it this run (a page seen twice counts once).
    seen: set[str] = dataclasses.field(default_factory=set)


class CopyRules:
    """The rewrite rules of the sites of a crawl: learned from copies met, checked by a sample."""

    def __init__(self, confirmations: int = 3, sample: float = 0.05) -> None:
        self.confirmations = max(1, confirmations)
        self.sample = sample
        self.sites: dict[str, dict[Rewrite, RuleState]] = {}
        # Rules whose state changed since ``take_changes``, to be kept in the database.
        self.changed: set[tuple[str, Rewrite]] = set()

    def load(self, site: str, rewrite: Rewrite, confirmations: int, refuted: bool) -> None:
        """A rule as the database holds it: learned by an earlier run or another worker."""
        state = self.sites.setdefault(site, {}).setdefault(rewrite, RuleState())
        state.confirmations = max(state.confirmations, confirmations)
        state.refuted = state.refuted or refuted

    def suspect(self, site: str, rewrite: Rewrite) -> None:
        """A rewrite seen in a link, not yet in a page: an article linking a variant of its own
        address. Known before any copy is fetched, it limits how many are fetched to learn it."""
        self.sites.setdefault(site, {}).setdefault(rewrite, RuleState())

    def confirmed(self, site: str, rewrite: Rewrite) -> bool:
        state = self.sites.get(site, {}).get(rewrite)
        return state is not None and not state.refuted and state.confirmations >= self.confirmations

    def learn(self, site: str, copy: str, own: str) -> Rewrite | None:
        """A page at ``copy`` named ``own`` as its canonical page: the rewrite it confirms."""
        rewrite = rewrite_of(copy, own)
        if rewrite is None:
            return None
        state = self.sites.setdefault(site, {}).setdefault(rewrite, RuleState())
        if own not in state.seen and not state.refuted:
            state.seen.add(own)
            state.confirmations += 1
            self.changed.add((site, rewrite))
        return rewrite

    def refute(self, site: str, rewrite: Rewrite) -> None:
        state = self.sites.setdefault(site, {}).setdefault(rewrite, RuleState())
        if not state.refuted:
            state.refuted = True
            self.changed.add((site, rewrite))

    def match(self, site: str, url: str) -> tuple[Rewrite, str, bool] | None:
        """The rule of the site that fits ``url``, the address it gives and whether the rule is
        confirmed; None when none does. Confirmed rules first, then those still being learned."""
        found = None
        for rewrite, state in self.sites.get(site, {}).items():
            if state.refuted or (target := rewrite.target(url)) is None:
                continue
            confirmed = state.confirmations >= self.confirmations
            if confirmed:
                return rewrite, target, True
            found = found or (rewrite, target, False)
        return found

    def sampled(self, url: str) -> bool:
        """Whether a link a confirmed rule fits is fetched all the same, to check the rule: the
        same links in every run and on every worker."""
        return zlib.crc32(url.encode("utf-8", "replace")) % 10_000 < self.sample * 10_000

    def take_changes(self) -> list[tuple[str, Rewrite, int, bool]]:
        """The rules learned or dropped since the last call, as the database keeps them."""
        changes = []
        for site, rewrite in sorted(self.changed, key=lambda pair: (pair[0], pair[1].kind, pair[1].pattern)):
            state = self.sites[site][rewrite]
            changes.append((site, rewrite, state.confirmations, state.refuted))
        self.changed.clear()
        return changes
