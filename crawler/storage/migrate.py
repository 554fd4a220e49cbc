"""Schema versions with Alembic: where a database stands, and bringing it to this version.

The migrations ship in the package (``crawler/storage/migrations``). Databases created before
migrations existed carry no version; their tables tell which schema they hold.
"""

from __future__ import annotations

import atexit
import functools
import importlib.resources
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@functools.cache
def script_location() -> str:
    """The migrations folder. Alembic reads it as files: run from a zipped egg (Scrapyd), the
    package's copy is written to a temporary folder first."""
    if MIGRATIONS.is_dir():
        return str(MIGRATIONS)
    target = Path(tempfile.mkdtemp(prefix="newscrawl-migrations-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    _copy(importlib.resources.files("crawler.storage") / "migrations", target)
    return str(target)


def _copy(source: Any, target: Path) -> None:
    for entry in source.iterdir():
        if entry.is_dir():
            if entry.name != "__pycache__":
                (target / entry.name).mkdir()
                _copy(entry, target / entry.name)
        else:
            (target / entry.name).write_bytes(entry.read_bytes())
# Full-text search objects are written by hand per dialect (migration 0003), not from the models.
SEARCH_OBJECTS = ("articles_fts", "search", "ix_articles_search")


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic filter: leave the hand-written search objects out of model comparisons."""
    return not (reflected and name is not None and name.startswith(SEARCH_OBJECTS))


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location())
    config.attributes["connection"] = connection
    return config


def head() -> str:
    """The schema version this code writes."""
    script = ScriptDirectory.from_config(_config(None))  # type: ignore[arg-type]
    current = script.get_current_head()
    assert current is not None
    return current


def current(connection: Connection) -> str | None:
    """The database's schema version; ``None`` for an empty database."""
    version = MigrationContext.configure(connection).get_current_revision()
    if version is not None:
        return version
    columns = {c["name"] for c in inspect(connection).get_columns("articles")} if _has_articles(connection) else set()
    if not columns:
        return None
    # Created before migrations existed (schemas 0001 and 0002): tell them by their columns.
    return "0002" if "author_organisations" in columns else "0001"


def _has_articles(connection: Connection) -> bool:
    return inspect(connection).has_table("articles")


def is_known(version: str | None) -> bool:
    """Whether this code knows ``version`` (an empty database counts as known)."""
    if version is None:
        return True
    script = ScriptDirectory.from_config(_config(None))  # type: ignore[arg-type]
    return any(rev.revision == version for rev in script.walk_revisions())


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Bring the database to ``revision``, stamping an unversioned one with what it holds first."""
    config = _config(connection)
    if MigrationContext.configure(connection).get_current_revision() is None:
        found = current(connection)
        if found is not None:
            command.stamp(config, found)
    command.upgrade(config, revision)
