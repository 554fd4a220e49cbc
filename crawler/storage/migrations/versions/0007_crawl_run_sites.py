"""Schema 7: per-site counts of each crawl run, with the warning when a site fell far below its
own recent runs.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COUNTS = ("discovered", "fetched", "blocked", "errors", "paywalled", "empty", "filtered", "extracted", "duplicates",
          "stored")


def upgrade() -> None:
    op.create_table(
        "crawl_run_sites",
        sa.Column("crawl_run_id", sa.Integer(), sa.ForeignKey("crawl_runs.id"), primary_key=True),
        sa.Column("site", sa.String(255), primary_key=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS),
        sa.Column("warning", sa.Text(), nullable=True),
    )
    op.create_index("ix_crawl_run_sites_site", "crawl_run_sites", ["site", "crawl_run_id"])


def downgrade() -> None:
    op.drop_index("ix_crawl_run_sites_site", "crawl_run_sites")
    op.drop_table("crawl_run_sites")
