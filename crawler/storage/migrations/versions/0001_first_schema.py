"""Schema 1: articles, article_urls, crawl_runs.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from crawler.storage.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("spider", sa.String(100), nullable=False),
        sa.Column("arguments", sa.JSON(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("finish_reason", sa.String(100), nullable=True),
        sa.Column("stats", sa.JSON(), nullable=True),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("canonical_url", sa.String(2048), nullable=False, unique=True),
        sa.Column("canonical_from_page", sa.Boolean(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("site", sa.String(255), nullable=False, index=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True, index=True),
        sa.Column("published_at_raw", sa.String(64), nullable=True),
        sa.Column("modified_at", UTCDateTime(), nullable=True),
        sa.Column("modified_at_raw", sa.String(64), nullable=True),
        sa.Column("date_source", sa.String(16), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("site_name", sa.String(255), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("content_fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("fetched_at", UTCDateTime(), nullable=False, index=True),
        sa.Column("crawl_run_id", sa.Integer(), sa.ForeignKey("crawl_runs.id"), nullable=True, index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "article_urls",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False, unique=True),
        sa.Column("article_id", sa.Integer(), sa.ForeignKey("articles.id"), nullable=False, index=True),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("crawl_run_id", sa.Integer(), sa.ForeignKey("crawl_runs.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("article_urls")
    op.drop_table("articles")
    op.drop_table("crawl_runs")
