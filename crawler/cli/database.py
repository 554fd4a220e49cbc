"""The database itself: ``db current|upgrade``, ``import`` of spill files and ``reclean``."""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.exc import SQLAlchemyError

from crawler.cli.common import UsageError, project_settings
from crawler.cli.options import Commands, db_option, set_option
from crawler.dedupe import ChromeIndex
from crawler.runner import open_database
from crawler.storage import (
    Site,
    load_site_blocks,
    make_sessionmaker,
    migrate,
    read_only_engine,
    reclean_articles,
    resolve_url,
    spill,
    store_articles,
    story_threshold,
)
from crawler.storage.db import unusable


def add_parsers(commands: Commands) -> None:
    db = commands.add_parser("db", help="the database schema: show its version or upgrade it")
    db.add_argument("action", choices=["current", "upgrade"])
    db_option(db)
    db.set_defaults(func=cmd_db)

    load = commands.add_parser("import", help="store the articles of spill files a crawl left behind")
    load.add_argument("files", nargs="+", metavar="FILE", help="newscrawl-spill-*.jsonl")
    db_option(load)
    load.set_defaults(func=cmd_import)

    reclean = commands.add_parser(
        "reclean", help="remove learned site chrome from articles stored before it was known"
    )
    db_option(reclean)
    reclean.add_argument("--site", action="append", default=[], metavar="HOST",
                         help="only this site (repeatable; default: every site)")
    set_option(reclean)
    reclean.set_defaults(func=cmd_reclean)


def cmd_db(args: argparse.Namespace) -> int:
    url = resolve_url(project_settings(), args.db)
    upgrading = project_settings(["NEWS_DB_AUTO_UPGRADE=true"]) if args.action == "upgrade" else None
    engine = open_database(url, upgrading) if upgrading else read_only_engine(url)
    try:
        with engine.connect() as connection:
            version = migrate.current(connection)
            foreign = version is None and bool(inspect(connection).get_table_names())
    except SQLAlchemyError as exc:
        raise unusable(engine, exc) from exc
    finally:
        engine.dispose()
    if foreign:
        raise UsageError(f"no newscrawl database at {url}: it holds other tables")
    wanted = migrate.head()
    state = "up to date" if version == wanted else f"this newscrawl writes {wanted}"
    print(f"schema {version or 'none (empty database)'}: {state}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    settings = project_settings()
    engine = open_database(resolve_url(settings, args.db), settings)
    sessions = make_sessionmaker(engine)
    totals: Counter[str] = Counter()
    threshold = story_threshold(settings)
    try:
        for path in args.files:
            items = list(spill.read(Path(path)))
            for start in range(0, len(items), 200):
                with sessions.begin() as session:
                    outcomes, _ = store_articles(session, items[start : start + 200], story_threshold=threshold)
                totals.update(outcomes)
            print(f"{path}: {len(items)} articles read")
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        engine.dispose()
    print(f"stored {totals['stored']} new articles; {totals['duplicates']} were stored already")
    return 0


def cmd_reclean(args: argparse.Namespace) -> int:
    settings = project_settings(args.set)
    engine = open_database(resolve_url(settings, args.db), settings)
    index = ChromeIndex(
        settings.getint("NEWS_CHROME_MIN_PAGES"),
        settings.getfloat("NEWS_CHROME_MIN_SHARE"),
        settings.getint("NEWS_EXTRACT_MIN_BODY_WORDS"),
    )
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        sites = args.site or list(session.scalars(select(Site.site).order_by(Site.site)))
    for site in sites:
        with sessions.begin() as session:
            index.load(site, *load_site_blocks(session, site))
            done = reclean_articles(session, site, index.clean)
        print(f"{site}: {len(index.chrome(site))} chrome blocks known, "
              f"{done['recleaned']} bodies cleaned, {done['merged']} copies merged")
    engine.dispose()
    return 0
