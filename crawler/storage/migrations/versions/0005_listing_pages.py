"""Schema 5: listing pages (home, sections, feeds, sitemaps) kept for conditional GET.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_pages",
        sa.Column("url", sa.String(2048), primary_key=True),
        sa.Column("site", sa.String(255), nullable=False),
        sa.Column("etag", sa.String(255), nullable=True),
        sa.Column("last_modified", sa.String(64), nullable=True),
        sa.Column("content_type", sa.String(255), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_listing_pages_site", "listing_pages", ["site"])


def downgrade() -> None:
    op.drop_index("ix_listing_pages_site", "listing_pages")
    op.drop_table("listing_pages")
