"""The command line's argument types and the options several commands share: each checks its
value as it is parsed, so that a bad one is a usage error naming the option.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING, NoReturn, TypeAlias

from crawler.cli.common import BAD_INPUT
from crawler.discovery import DEFAULT_FILE
from crawler.extraction.dates import cutoff
from crawler.validation import domain, language_codes

if TYPE_CHECKING:
    from collections.abc import Callable


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(BAD_INPUT, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


# What each command family adds its commands to.
Commands: TypeAlias = "argparse._SubParsersAction[_Parser]"


def whole_number(least: int) -> Callable[[str], int]:
    """An argument type: a whole number of at least ``least``."""
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
        if number < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, not {number}")
        return number
    return parse


def seconds(value: str) -> float:
    """An argument type: a number of seconds, more than zero."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {value}")
    return number


def domain_name(value: str) -> str:
    try:
        return domain(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def languages(value: str) -> list[str]:
    try:
        return language_codes(value.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def since_point(value: str) -> dt.datetime:
    """``--since``: a date or time (ISO 8601; a date means its midnight UTC), or a window back
    from now such as 7d, as ``crawl --since`` takes it."""
    try:
        return cutoff(value, dt.datetime.now(dt.UTC))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database URL (default: $NEWSCRAWL_DATABASE_URL, "
                   "else setting DATABASE_URL, else sqlite:///news.db)")


def filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", help="only articles of this site (host name, as in articles.site)")
    p.add_argument("--source", help="only articles of this source (as in articles.source)")
    p.add_argument("--since", type=since_point, metavar="DATE|WINDOW",
                   help="only articles published since: YYYY-MM-DD (or ISO 8601), or a window such as 7d, 12h, 2w")


def set_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a Scrapy or newscrawl setting (repeatable)")


def log_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="log Scrapy's start-up report and network tracebacks too")
    p.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], type=str.upper,
                   help="LOG_LEVEL: the least severe lines logged (default INFO: progress, warnings, errors)")


def job_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("urls", nargs="*", metavar="URL", help="start page(s) of the sites to crawl")
    p.add_argument("--allowed-domain", action="append", default=[], metavar="DOMAIN", type=domain_name,
                   help="another domain the crawl may enter (repeatable)")
    p.add_argument("--feed", action="append", default=[], metavar="URL",
                   help="an RSS or Atom feed whose entries to crawl (repeatable)")
    p.add_argument("--sitemap", action="append", default=[], metavar="URL",
                   help="a sitemap, sitemap index or news sitemap to crawl (repeatable; gzip too)")
    p.add_argument("--source", action="append", default=[], metavar="NAME",
                   help="crawl this source of the sources file (repeatable); with URLs, the "
                   "name stored with their articles")
    p.add_argument("--all", action="store_true", help="crawl every source of the sources file")
    p.add_argument("--sources", default=DEFAULT_FILE, metavar="FILE",
                   help=f"the sources file (default: {DEFAULT_FILE})")


def redis_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--redis", metavar="URL",
                   help="share the crawl through this Redis (redis://host:6379/0; default: setting REDIS_URL)")


def private_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-private-networks", action="store_true",
                   help="let the crawl reach loopback, private and link-local addresses "
                   "(NEWS_ALLOW_PRIVATE_NETWORKS; refused by default)")

