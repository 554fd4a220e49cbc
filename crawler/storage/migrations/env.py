"""Alembic environment: migrations run on the connection newscrawl hands over."""

from __future__ import annotations

from alembic import context

from crawler.storage.migrate import include_object
from crawler.storage.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    include_object=include_object,
)
with context.begin_transaction():
    context.run_migrations()
