"""Spill files: articles that could not be stored, one JSON object per line, for ``newscrawl import``.

When the database stays away past the retry window, nothing is dropped: every article still in
hand is written here, and importing the file later stores it as the crawl would have.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from crawler.items import ArticleItem

_DATETIMES = ("published_at", "modified_at", "fetched_at")


def to_json(item: ArticleItem) -> str:
    record = dataclasses.asdict(item)
    del record["body_signature"], record["body_blocks"]  # derived from the body
    del record["lease"]  # the crawl's, not the article's
    for name in _DATETIMES:
        if record[name] is not None:
            record[name] = record[name].isoformat()
    return json.dumps(record, ensure_ascii=False)


def from_json(line: str) -> ArticleItem:
    record: dict[str, Any] = json.loads(line)
    for name in _DATETIMES:
        if record.get(name):
            record[name] = dt.datetime.fromisoformat(record[name])
    return ArticleItem(**record)


class SpillFile:
    """An append-only spill file, created on first write."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0

    def write(self, items: Iterable[ArticleItem]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            for item in items:
                out.write(to_json(item) + "\n")
                self.count += 1


def read(path: Path) -> Iterator[ArticleItem]:
    """The articles of a spill file; a line that does not parse stops with its line number."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield from_json(line)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a spilled article: {exc}") from exc
