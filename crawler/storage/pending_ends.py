"""Run ends the database could not take as the crawl closed: kept in a file beside the spill
files, recorded by the next command that writes to the database.

A run whose end is not recorded looks as if it were still going: ``newscrawl schedule`` would
hold its source back for ``NEWS_RUN_STALE_HOURS``. The file names the database by its URL (an
SQLite file by its absolute path) and the run by its id and start, so that an end is never
recorded in another database, nor over a run that has ended since.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from crawler.storage.db import make_sessionmaker, unusable
from crawler.storage.models import CrawlRun
from crawler.storage.runs import RunEnd, record_end

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

PATTERN = "newscrawl-run-end-*.json"


def database_name(engine: Engine) -> str:
    """The database as a kept end names it: its URL without password, an SQLite file by its
    absolute path (a relative one means another file from another directory)."""
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        url = url.set(database=str(Path(url.database).resolve()))
    return url.render_as_string(hide_password=True)


def keep_end(path: Path, engine: Engine, end: RunEnd) -> None:
    """Write ``end`` to ``path`` (a name matching ``PATTERN``), whole or not at all."""
    data = {
        "database": database_name(engine), "run_id": end.run_id, "started_at": end.started_at.isoformat(),
        "finished_at": end.finished_at.isoformat(), "reason": end.reason, "stats": end.stats, "sites": end.sites,
    }
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data), encoding="utf-8")
    partial.replace(path)


def record_pending_ends(engine: Engine, directory: Path) -> list[int]:
    """Record the run ends kept in ``directory`` for this database, and remove their files; the
    ids of the runs finished. Files of other databases are left alone.

    Raises:
        DatabaseError: the database refused the write (it is still locked, say); the files stay.
    """
    name = database_name(engine)
    sessions = make_sessionmaker(engine)
    finished = []
    for path in sorted(directory.glob(PATTERN)):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data["database"] != name:
                continue
            end = RunEnd(
                data["run_id"], dt.datetime.fromisoformat(data["started_at"]),
                dt.datetime.fromisoformat(data["finished_at"]), data["reason"], data["stats"], data["sites"],
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("%(path)s: not a crawl run's end (%(error)s); left alone", {"path": path, "error": exc})
            continue
        try:
            with sessions.begin() as session:
                run = session.get(CrawlRun, end.run_id)
                # Another run under the same id: the database was made anew since.
                if run is None or run.started_at != end.started_at:
                    continue
                unfinished = run.finished_at is None
                if unfinished:
                    record_end(session, end)
        except SQLAlchemyError as exc:
            raise unusable(engine, exc) from exc
        path.unlink()
        if unfinished:
            finished.append(end.run_id)
            logger.info("recorded the end of crawl run %(id)d (%(reason)s) kept in %(path)s",
                        {"id": end.run_id, "reason": end.reason, "path": path})
    return finished
