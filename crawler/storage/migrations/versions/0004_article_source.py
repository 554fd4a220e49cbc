"""Schema 4: the name of the source (the crawl's label, or its entry in the sources file).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("articles", sa.Column("source", sa.String(100), nullable=True))
    op.create_index("ix_articles_source", "articles", ["source"])


def downgrade() -> None:
    op.drop_index("ix_articles_source", "articles")
    op.drop_column("articles", "source")
