"""Schema 10: what crawls learn of each site's links, kept across runs and workers: the rewrite
rules of its copies' addresses (AMP, print) and which shapes of link lead to articles.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "copy_rules",
        sa.Column("site", sa.String(255), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("pattern", sa.String(255), primary_key=True),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.Column("refuted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "link_templates",
        sa.Column("site", sa.String(255), primary_key=True),
        sa.Column("template", sa.String(512), primary_key=True),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("yielding", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("link_templates")
    op.drop_table("copy_rules")
