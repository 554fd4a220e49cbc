"""The headline as the reader sees it: the page's ``<h1>`` when it agrees with the declared title,
else the declared title (JSON-LD, Open Graph, ``<title>``) without the site name glued to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]\s+|\s*[|·•»]\s*")
_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def _agrees(candidate: str, declared: str) -> bool:
    """Most of the candidate's words are in the declared title and it covers most of it."""
    mine, theirs = _words(candidate), _words(declared)
    if not mine or not theirs:
        return False
    common = len(set(mine) & set(theirs))
    return common / len(set(mine)) >= 0.8 and common / len(set(theirs)) >= 0.6


def strip_site_name(title: str, site_names: Iterable[str]) -> str:
    """Drop a leading or trailing segment that names the site ("Story | The Paper")."""
    names = {" ".join(_words(n)) for n in site_names if n}
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    for index in (-1, 0):
        segment = " ".join(_words(parts[index]))
        if segment and (segment in names or any(segment in n or n in segment for n in names if n)):
            rest = parts[:-1] if index == -1 else parts[1:]
            # Re-join with the separators as they were.
            start = title.find(rest[0])
            end = title.rfind(rest[-1]) + len(rest[-1])
            return title[start:end].strip()
    return title


def choose_title(
    declared: Iterable[str | None], h1s: Iterable[str], site_names: Iterable[str | None]
) -> str | None:
    """The best headline among the declared titles (best first) and the page's ``<h1>`` texts."""
    names = [n for n in site_names if n]
    candidates = [strip_site_name(t, names) for t in declared if t and t.strip()]
    for h1 in h1s:
        if h1 and any(_agrees(h1, c) for c in candidates):
            return h1
    return candidates[0] if candidates else None
