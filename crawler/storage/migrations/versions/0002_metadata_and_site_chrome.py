"""Schema 2: author organisations, section, free access; learned site chrome.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: SQLite's table-copying batch mode would trip the foreign keys.
    op.add_column(
        "articles",
        sa.Column("author_organisations", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column("articles", sa.Column("section", sa.String(255), nullable=True))
    op.add_column("articles", sa.Column("accessible_for_free", sa.Boolean(), nullable=True))
    op.create_table(
        "sites",
        sa.Column("site", sa.String(255), primary_key=True),
        sa.Column("articles", sa.Integer(), nullable=False),
    )
    op.create_table(
        "site_blocks",
        sa.Column("site", sa.String(255), primary_key=True),
        sa.Column("block_hash", sa.String(16), primary_key=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("site_blocks")
    op.drop_table("sites")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("accessible_for_free")
        batch.drop_column("section")
        batch.drop_column("author_organisations")
