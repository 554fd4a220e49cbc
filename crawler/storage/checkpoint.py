"""SQLite write-ahead-log checkpoints on a thread of their own, as PostgreSQL does them.

Left to itself, SQLite checkpoints inside whichever commit pushes the log past 1,000 pages: that
commit copies the whole log back into the database file first. A writer placing articles in
stories dirties dozens of band-index pages per commit, spread over a B-tree that grows with the
store, so the log fills faster as the store grows and more and more commits pay for a checkpoint:
the slow tail of storing grew with the table. A passive checkpoint runs beside writers without
blocking them, so a thread doing one every second keeps the log short and the commits cheap.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)

INTERVAL_SECONDS = 1.0


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


class BackgroundCheckpoint:
    """Checkpoints ``engine``'s SQLite file every ``interval`` seconds while started; its own
    connections no longer checkpoint when they commit."""

    def __init__(self, engine: Engine, interval: float = INTERVAL_SECONDS) -> None:
        self.engine = engine
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        event.listen(engine, "connect", _no_autocheckpoint)
        engine.dispose()  # connections opened before still checkpoint on commit

    @classmethod
    def for_engine(cls, engine: Engine) -> BackgroundCheckpoint | None:
        """One for a SQLite file; None elsewhere (PostgreSQL checkpoints in the background
        already, and an in-memory SQLite database has no log)."""
        if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
            return None
        return cls(engine)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread; the last connection to close checkpoints what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                with self.engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except SQLAlchemyError as exc:  # the writers see and report the database's trouble
                logger.debug("checkpoint skipped: %(error)s", {"error": exc})
