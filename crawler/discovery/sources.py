"""The sources file: one TOML table per news source, validated on load.

    [sources.mee]
    start_urls = ["https://www.middleeasteye.net/"]
    allow = ['/news/']
    since = "7d"
    max_pages = 2000
    settings = { DOWNLOAD_DELAY = 2 }

Every problem is reported with the file, the source and the key, all of them at once, so an
operator fixes the file in one pass.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from croniter import croniter
from scrapy.settings import Settings

from crawler.extraction.dates import format_window, parse_window
from crawler.urls import is_http_url
from crawler.validation import crawl_settings_problems, language_codes

DEFAULT_FILE = "sources.toml"
# The keys of a source that set a setting.
KEY_OF_SETTING = {"CLOSESPIDER_PAGECOUNT": "max_pages", "NEWS_LANGUAGES": "language", "NEWS_SINCE": "since"}
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}")
_KEYS = frozenset(
    {"name", "start_urls", "feeds", "sitemaps", "allowed_domains", "allow", "deny", "since",
     "max_pages", "language", "schedule", "settings"}
)


class SourcesError(ValueError):
    """The sources file is unusable; the message lists every problem found."""


@dataclass(frozen=True)
class Source:
    name: str
    start_urls: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    allowed_domains: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    # A date, or a window (timedelta) counted back from the start of each crawl.
    since: dt.date | dt.timedelta | None = None
    max_pages: int | None = None
    language: list[str] = field(default_factory=list)
    # How often to crawl it (`newscrawl schedule`): an interval, or a cron expression.
    schedule: dt.timedelta | str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def arguments(self) -> dict[str, Any]:
        """The ``news`` spider's arguments for this source."""
        return {
            "urls": self.start_urls, "feeds": self.feeds, "sitemaps": self.sitemaps,
            "allowed_domains": self.allowed_domains, "source": self.name, "allow": self.allow, "deny": self.deny,
        }

    def overrides(self) -> dict[str, Any]:
        """The settings this source sets for its own crawl."""
        overrides = dict(self.settings)
        if self.language:
            overrides["NEWS_LANGUAGES"] = self.language
        if self.since is not None:
            overrides["NEWS_SINCE"] = (
                format_window(self.since) if isinstance(self.since, dt.timedelta) else self.since.isoformat()
            )
        if self.max_pages:
            overrides["CLOSESPIDER_PAGECOUNT"] = self.max_pages
        return overrides


def written_as(setting: str) -> str:
    """A setting as the sources file names it: ``max_pages`` rather than CLOSESPIDER_PAGECOUNT."""
    return KEY_OF_SETTING.get(setting, setting)


def select_sources(path: Path, names: Iterable[str]) -> list[Source]:
    """The named sources of the sources file, in the order asked; SourcesError naming the first
    unknown one and those there are."""
    known = {source.name: source for source in load_sources(path)}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SourcesError(f"{path}: no source {unknown[0]!r} (known: {', '.join(known) or 'none'})")
    return [known[name] for name in names]


def load_sources(path: Path) -> list[Source]:
    """The sources of ``path``, in file order.

    Raises:
        SourcesError: the file is missing, not TOML, or has invalid entries (all listed).
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SourcesError(f"{path}: no such file (copy sources.example.toml to start one)") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: not valid TOML: {exc}") from exc
    tables = data.get("sources")
    if not isinstance(tables, dict) or not tables:
        raise SourcesError(f"{path}: no [sources.NAME] tables")
    problems = [f"{path}: [{key}]: unknown table or key (the file holds [sources.NAME] tables)"
                for key in sorted(set(data) - {"sources"})]
    sources = []
    project = Settings()
    project.setmodule("crawler.settings", priority="project")
    for name, table in tables.items():
        errors: list[str] = []
        source = _parse(name, table, errors)
        if source is not None:
            errors += [_setting_problem(problem) for problem in crawl_settings_problems(project, source.overrides())]
        problems += [f"{path}: source {name!r}: {error}" for error in errors]
        if source is not None and not errors:
            sources.append(source)
    if problems:
        raise SourcesError("\n".join(problems))
    return sources


def _parse(name: str, table: Any, errors: list[str]) -> Source | None:
    if not isinstance(table, dict):
        errors.append("must be a table ([sources.NAME])")
        return None
    if not _NAME.fullmatch(name):
        errors.append("name: use lower-case letters, digits, '.', '_' or '-'")
    for key in sorted(set(table) - _KEYS):
        errors.append(f"{key}: unknown key (known: {', '.join(sorted(_KEYS))})")
    urls = {key: _strings(table, key, errors) for key in ("start_urls", "feeds", "sitemaps")}
    for key, values in urls.items():
        for index, url in enumerate(values):
            if not is_http_url(url):
                errors.append(f"{key}[{index}]: not an http(s) URL: {url!r}")
    if not any(urls.values()):
        errors.append("start_urls, feeds or sitemaps: give at least one URL")
    patterns = {key: _strings(table, key, errors) for key in ("allow", "deny")}
    for key, values in patterns.items():
        for index, pattern in enumerate(values):
            try:
                re.compile(pattern)
            except re.error as exc:
                errors.append(f"{key}[{index}]: invalid regex {pattern!r}: {exc}")
    max_pages = table.get("max_pages")
    if max_pages is not None and (not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1):
        errors.append(f"max_pages: a positive integer, not {max_pages!r}")
    settings = table.get("settings", {})
    if not isinstance(settings, dict) or not all(isinstance(k, str) and k.isupper() for k in settings):
        errors.append("settings: a table of UPPER_CASE Scrapy or newscrawl settings")
        settings = {}
    return Source(
        name=name,
        **urls,
        allowed_domains=_strings(table, "allowed_domains", errors),
        **patterns,
        since=_since(table.get("since"), errors),
        max_pages=max_pages,
        language=_languages(table, errors),
        schedule=_schedule(table.get("schedule"), errors),
        settings=settings,
    )


def _setting_problem(problem: str) -> str:
    """A problem with a setting, named as the file writes it (``max_pages``, ``settings.NAME``)."""
    name = problem.split(":", 1)[0].split(" ", 1)[0]
    if name in KEY_OF_SETTING:
        return problem.replace(name, KEY_OF_SETTING[name], 1)
    return f"settings.{problem}"


def _strings(table: dict[str, Any], key: str, errors: list[str]) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(f"{key}: a string or a list of strings")
        return []
    return value


def _languages(table: dict[str, Any], errors: list[str]) -> list[str]:
    try:
        return language_codes(_strings(table, "language", errors))
    except ValueError as exc:
        errors.append(f"language: {exc}")
        return []


def _since(value: Any, errors: list[str]) -> dt.date | dt.timedelta | None:
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    if isinstance(value, str) and parse_window(value) is not None:
        return parse_window(value)
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    errors.append(f"since: a date (2025-01-31) or a window such as '7d', '12h', '2w', not {value!r}")
    return None


def _schedule(value: Any, errors: list[str]) -> dt.timedelta | str | None:
    """An interval ("30m", "6h", "1d") or a cron expression ("0 */6 * * *")."""
    if value is None:
        return None
    if isinstance(value, str) and len(value.split()) in (5, 6) and croniter.is_valid(value):
        return value
    window = parse_window(value) if isinstance(value, str) else None
    if window is None:
        errors.append(f"schedule: an interval ('30m', '6h', '1d', '2w') or a cron expression ('0 */6 * * *'), "
                      f"not {value!r}")
    return window
