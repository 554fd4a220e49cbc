"""Schema 3: full-text search over title and body, and an index for per-site date queries.

SQLite gets an external-content FTS5 table kept in step by triggers; PostgreSQL a generated
``tsvector`` column with a GIN index. Both use language-neutral tokenisation (FTS5's
``unicode61`` without stemming, PostgreSQL's ``simple`` configuration), as articles come in
every language.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_UP = [
    ("CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content='articles', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')"),
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
    ("CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN"
    " INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END"),
    ("CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END"),
    ("CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body ON articles BEGIN"
    " INSERT INTO articles_fts(articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);"
    " INSERT INTO articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END"),
]
SQLITE_DOWN = [
    "DROP TRIGGER articles_fts_update",
    "DROP TRIGGER articles_fts_delete",
    "DROP TRIGGER articles_fts_insert",
    "DROP TABLE articles_fts",
]
POSTGRESQL_UP = [
    ("ALTER TABLE articles ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    " setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||"
    " setweight(to_tsvector('simple', body), 'B')) STORED"),
    "CREATE INDEX ix_articles_search ON articles USING gin (search)",
]
POSTGRESQL_DOWN = ["DROP INDEX ix_articles_search", "ALTER TABLE articles DROP COLUMN search"]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRESQL_UP if dialect == "postgresql" else []:
        op.execute(statement)
    op.create_index("ix_articles_site_published_at", "articles", ["site", "published_at"])


def downgrade() -> None:
    op.drop_index("ix_articles_site_published_at", "articles")
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRESQL_DOWN if dialect == "postgresql" else []:
        op.execute(statement)
