"""The ``newscrawl`` command line: one module per command family, wired here.

``crawl`` (crawl, demo), ``shared`` (enqueue, worker), ``schedule``, ``archives`` (warc),
``sources``, ``reading`` (export, search, stats, runs, history, duplicates), ``console`` (serve,
alarms) and ``database`` (db, import, reclean); ``options`` and ``common`` hold what they share. The top of the layers: may
import every other part of newscrawl, and nothing imports it.

Exit statuses, for cron and scripts: 0 the command ran to its end (a crawl whatever pages failed
on the way); 1 interrupted, or stopped by the database (``alarms``: an alarm is open); 2 bad input (an argument, a setting, the
sources file, a database that cannot be used), said in one line; 3 a crawl that could reach none
of its start URLs. Commands that only read open the database read-only and never create one.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import version as package_version
from typing import TYPE_CHECKING

from crawler.cli import archives, console, crawl, database, reading, schedule, shared, sources
from crawler.cli.common import BAD_INPUT, OK, STOPPED, UsageError
from crawler.cli.options import _Parser
from crawler.discovery import SourcesError
from crawler.storage import DatabaseError

if TYPE_CHECKING:
    from collections.abc import Sequence

# The order `newscrawl --help` lists them in.
FAMILIES = (crawl, shared, schedule, archives, sources, reading, console, database)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="newscrawl", description="Crawl news sites into a SQL database.",
                     epilog="exit status: 0 done, 1 interrupted or stopped by the database, 2 bad input, "
                     "3 no start URL could be reached. `newscrawl COMMAND --help` for a command's options.")
    parser.add_argument("--version", action="version", version=f"newscrawl {package_version('newscrawl')}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="COMMAND")
    for family in FAMILIES:
        family.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:
        parser.print_help(sys.stderr)
        return BAD_INPUT
    args = parser.parse_args(argv)
    try:
        status = int(args.func(args))
        sys.stdout.flush()
        return status
    except (UsageError, DatabaseError, SourcesError) as exc:
        print(f"newscrawl: error: {exc}", file=sys.stderr)
        return BAD_INPUT
    except BrokenPipeError:
        # The reader stopped reading (`newscrawl export | head`): what it took was written.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"newscrawl: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return BAD_INPUT
    except KeyboardInterrupt:
        print("newscrawl: interrupted", file=sys.stderr)
        return STOPPED
