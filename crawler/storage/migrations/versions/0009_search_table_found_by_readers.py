"""Schema 9: SQLite's full-text table names its content table in double quotes.

Readers find the FTS table of ``articles`` by looking for ``content="articles"`` in its SQL
(Datasette's ``?_search=``, for one); schema 3 wrote ``content='articles'``, which they pass over.
FTS5 reads both spellings alike, but the declaration cannot be altered: the table is made again
and its index rebuilt from ``articles``. The triggers that keep it in step write through the
table's name and stay as they are. PostgreSQL's search column is unchanged.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FTS_TABLE = (
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content={quoted}, content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2')"
)


def _recreate(quoted: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TABLE articles_fts")
    op.execute(FTS_TABLE.format(quoted=quoted))
    op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")


def upgrade() -> None:
    _recreate('"articles"')


def downgrade() -> None:
    _recreate("'articles'")
