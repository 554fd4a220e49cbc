"""Schema 8: ``site_blocks.text`` only for blocks seen on at least two articles.

Every paragraph of every stored article had a row holding its first 500 characters: a second
copy of the articles' text. A story's own paragraphs, seen once, keep their count and lose the
text; a block's text is written when a second article shows it.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("site_blocks") as batch:
        batch.alter_column("text", existing_type=sa.Text(), nullable=True)
    op.execute("UPDATE site_blocks SET text = NULL WHERE pages < 2")


def downgrade() -> None:
    op.execute("UPDATE site_blocks SET text = '' WHERE text IS NULL")
    with op.batch_alter_table("site_blocks") as batch:
        batch.alter_column("text", existing_type=sa.Text(), nullable=False)
