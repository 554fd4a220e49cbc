"""The labelled page-kind set of ``tests/fixtures/pagekinds``: article and listing pages of
sixteen invented publishers, each with the address it is served at and its true kind.

Listing pages carry what misleads (a dated address, ``og:type`` "article", a lead story printed
in full); articles are the kinds easy to misjudge (briefs, CJK, tables, ``<br>`` paragraphs, an
address without date or slug). ``labels.json`` says which is which, and for an article the first
words of its story. The pages are written by ``make_pages.py`` beside them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

PAGES = Path(__file__).parent / "fixtures" / "pagekinds"


@dataclass(frozen=True)
class LabelledPage:
    """One page of the set and its labels."""

    name: str
    url: str
    kind: str  # "article" or "listing"
    category: str
    language: str  # ISO 639-1
    publisher: str
    html: str
    # An article's opening words as printed; None for a listing page.
    body_start: str | None


def labels() -> dict[str, dict[str, str]]:
    """``labels.json``: file name to its labels."""
    return json.loads((PAGES / "labels.json").read_text(encoding="utf-8"))


def load_pages() -> list[LabelledPage]:
    """Every labelled page, in file name order."""
    return [
        LabelledPage(
            name=name,
            url=label["url"],
            kind=label["kind"],
            category=label["category"],
            language=label["language"],
            publisher=label["publisher"],
            html=(PAGES / name).read_text(encoding="utf-8"),
            body_start=label.get("body_start"),
        )
        for name, label in sorted(labels().items())
    ]
