"""Schema 6: near-duplicate story clusters, the ``stories`` view, and article versions.

Articles already stored are stories of their own (``cluster_id`` null); they have no signature,
so later copies of them start stories of their own too.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STORIES_VIEW = """
CREATE VIEW stories AS
SELECT a.id AS cluster_id, a.url, a.canonical_url, a.site, a.source, a.title, a.authors, a.body,
       a.published_at, a.modified_at, a.language, a.fetched_at,
       c.copies, c.sites
FROM articles a
JOIN (SELECT COALESCE(cluster_id, id) AS story, COUNT(*) AS copies, COUNT(DISTINCT site) AS sites
      FROM articles GROUP BY COALESCE(cluster_id, id)) c ON c.story = a.id
WHERE a.cluster_id IS NULL
"""


def upgrade() -> None:
    op.add_column("articles", sa.Column("cluster_id", sa.Integer(), nullable=True))
    op.add_column("articles", sa.Column("similarity", sa.Double(), nullable=True))
    op.create_index("ix_articles_cluster_id", "articles", ["cluster_id"])
    op.create_table(
        "story_heads",
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), primary_key=True),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "story_bands",
        sa.Column("band_key", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), primary_key=True, autoincrement=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), sa.ForeignKey("crawl_runs.id"), nullable=True),
        sa.UniqueConstraint("article_id", "version"),
    )
    op.create_index("ix_article_versions_article_id", "article_versions", ["article_id"])
    op.execute(STORIES_VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW stories")
    op.drop_index("ix_article_versions_article_id", "article_versions")
    op.drop_table("article_versions")
    op.drop_table("story_bands")
    op.drop_table("story_heads")
    op.drop_index("ix_articles_cluster_id", "articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("similarity")
        batch.drop_column("cluster_id")
