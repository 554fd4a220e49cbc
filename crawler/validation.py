"""Checks of what an operator gives (settings, language codes, domains), made before anything
runs: a wrong value is refused in one line naming it, not met deep inside a crawl that has
already fetched pages, and the sources file is held to the same checks as the command line.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
from typing import TYPE_CHECKING, Any

from babel import Locale
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.settings import default_settings as scrapy_defaults

from crawler import settings as project_defaults
from crawler.downloadermiddlewares.private_networks import AddressPolicy, literal
from crawler.extraction.dates import cutoff
from crawler.extraction.workers import extract_timeout
from crawler.spidermiddlewares.skip_stored import revisit_window
from crawler.storage import story_threshold

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy.settings import BaseSettings

# Settings of scrapy-redis, which a shared crawl sets or an operator may tune.
SHARED_CRAWL_SETTINGS = frozenset({
    "REDIS_HOST", "REDIS_PORT", "REDIS_PARAMS", "REDIS_ENCODING", "SCHEDULER_PERSIST",
    "SCHEDULER_QUEUE_CLASS", "SCHEDULER_QUEUE_KEY", "SCHEDULER_DUPEFILTER_KEY",
    "SCHEDULER_DUPEFILTER_CLASS", "SCHEDULER_IDLE_BEFORE_CLOSE", "SCHEDULER_FLUSH_ON_START",
    "SCHEDULER_SERIALIZER",
})
# Settings naming components: an operator who adds one of their own may give it settings no
# check here can know.
COMPONENT_SETTINGS = ("ADDONS", "DOWNLOADER_MIDDLEWARES", "EXTENSIONS", "ITEM_PIPELINES", "SPIDER_MIDDLEWARES")
# Scrapy's whole-number defaults that it reads as any number.
READ_AS_FLOAT = frozenset({"DOWNLOAD_DELAY", "DOWNLOAD_TIMEOUT", "DNS_TIMEOUT", "CLOSESPIDER_TIMEOUT",
                           "LOGSTATS_INTERVAL"})
# Numbers that stop the crawl from sending anything at 0.
AT_LEAST_ONE = frozenset({"CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_ITEMS"})
_DOMAIN = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*")


@functools.cache
def defaults() -> dict[str, object]:
    """Every setting Scrapy and newscrawl know, with its default (the project's winning)."""
    known: dict[str, object] = {}
    for module in (scrapy_defaults, project_defaults):
        known |= {name: getattr(module, name) for name in dir(module) if name.isupper()}
    return known | {name: None for name in SHARED_CRAWL_SETTINGS if name not in known}


def settings_problems(settings: BaseSettings) -> list[str]:
    """What is wrong with ``settings``: a numeric or yes/no setting that does not read as one
    (its default's type decides), a negative number, and a name set above the project's own
    settings (by the operator) that neither Scrapy nor newscrawl knows, with the known name it
    most resembles."""
    problems = [f"{name}: unknown setting{_suggestion(name)}" for name in _unknown(settings)]
    for name, default in defaults().items():
        if isinstance(default, bool):
            problems += _read(settings, name, bool, "true or false")
        elif isinstance(default, int | float):
            whole = isinstance(default, int) and name not in READ_AS_FLOAT
            problems += _read(settings, name, int if whole else float, "a whole number" if whole else "a number")
    return problems


def check_settings(settings: BaseSettings) -> None:
    """Raise ValueError with the first of ``settings_problems``."""
    if problems := settings_problems(settings):
        raise ValueError(problems[0])


def crawl_settings_problems(settings: BaseSettings, overrides: dict[str, Any]) -> list[str]:
    """What would stop a crawl as it starts, or silently keep nothing: ``settings`` with a
    source's ``overrides`` on top, as its crawl would run with them."""
    merged = settings.copy()
    merged.setdict(overrides, priority="spider")
    problems = settings_problems(merged)
    checks = (
        lambda: _languages(merged.getlist("NEWS_LANGUAGES")),
        lambda: _window(merged.get("NEWS_SINCE")),
        lambda: story_threshold(merged),
        lambda: revisit_window(merged),
        lambda: extract_timeout(merged),
        lambda: AddressPolicy.from_settings(merged),
    )
    for check in checks:
        try:
            check()
        except ValueError as exc:
            problems.append(str(exc))
    return problems


def check_crawl_settings(settings: BaseSettings, overrides: dict[str, Any]) -> None:
    """Raise ValueError with the first of ``crawl_settings_problems``."""
    if problems := crawl_settings_problems(settings, overrides):
        raise ValueError(problems[0])


def _languages(values: list[str]) -> None:
    try:
        language_codes(values)
    except ValueError as exc:
        raise ValueError(f"NEWS_LANGUAGES: {exc}") from None


def _window(since: str | None) -> None:
    try:
        cutoff(since or "1d", dt.datetime.now(dt.UTC))
    except ValueError as exc:
        raise ValueError(f"NEWS_SINCE: {exc}") from None


def _unknown(settings: BaseSettings) -> list[str]:
    given = [name for name in settings if (settings.getpriority(name) or 0) > SETTINGS_PRIORITIES["project"]]
    if any(name in given for name in COMPONENT_SETTINGS):
        return []
    return sorted(name for name in given if name not in defaults())


def _suggestion(name: str) -> str:
    close = difflib.get_close_matches(name, defaults(), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def _read(settings: BaseSettings, name: str, kind: type, what: str) -> list[str]:
    value = settings.get(name)
    reader = {bool: settings.getbool, int: settings.getint, float: settings.getfloat}[kind]
    try:
        number = reader(name)
    except (TypeError, ValueError):
        return [f"{name} must be {what}, not {value!r}"]
    if kind is bool or name.endswith(("_PRIORITY", "_PRIORITY_ADJUST")):
        return []
    least = 1 if name in AT_LEAST_ONE else 0
    return [] if number >= least else [f"{name} must be {'at least 1' if least else 'zero or more'}, not {value!r}"]


@functools.cache
def language_names() -> dict[str, str]:
    """ISO 639-1 codes with their English names."""
    return {code: name for code, name in Locale("en").languages.items() if len(code) == 2 and code.isalpha()}


def language_codes(values: Iterable[str]) -> list[str]:
    """Languages as the articles' ``language`` holds them: lower-case ISO 639-1 codes.

    Raises:
        ValueError: a value is no such code ("english" would silently keep no article).
    """
    codes = [value.strip().lower() for value in values if value.strip()]
    names = {name.lower(): code for code, name in language_names().items()}
    for code in codes:
        if code not in language_names():
            hint = f" ({code.title()} is {names[code]!r})" if code in names else ""
            raise ValueError(f"use ISO 639-1 codes such as 'en', not {code!r}{hint}")
    return codes


def domain(value: str) -> str:
    """A domain name as an operator writes it (``www.`` and capitals allowed, IDNs too), or an
    IP address.

    Raises:
        ValueError: it is no domain name (a URL, words, an empty string).
    """
    name = value.strip().lower().rstrip(".")
    if literal(name.strip("[]")):
        return name.strip("[]")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = ""
    if not _DOMAIN.fullmatch(ascii_name):
        raise ValueError(f"not a domain name: {value!r} (e.g. news.example.org)")
    return name
