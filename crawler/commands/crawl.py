"""``scrapy crawl``, with the spider's arguments checked before the crawl starts.

Scrapy makes the spider inside the running crawl, where an exception is a traceback in the log
and exit status 1; checked here, a bad argument, an unknown source or an unusable sources file
is one line of usage error and exit status 2, as for Scrapy's own option errors.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

if TYPE_CHECKING:
    import argparse


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            try:
                spidercls = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                raise UsageError(f"no spider {args[0]!r} (known: {', '.join(self.crawler_process.spider_loader.list())})",
                                 print_help=False) from None
            if (check := getattr(spidercls, "check_arguments", None)) is not None:
                try:
                    check(self.settings, opts.spargs)
                except (ValueError, re.error) as exc:
                    raise UsageError(str(exc), print_help=False) from None
        super().run(args, opts)
