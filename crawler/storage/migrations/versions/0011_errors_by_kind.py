"""Schema 11: each run's failed requests and refusals on each site, by kind (403, 429, 5xx
answers, timeouts, ...), so that the console can tell a site that blocks from one that is down.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_run_sites") as batch:
        batch.add_column(sa.Column("error_kinds", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("crawl_run_sites") as batch:
        batch.drop_column("error_kinds")
