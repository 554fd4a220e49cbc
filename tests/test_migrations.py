"""Schema migrations: an old database with data reaches this version with every row kept."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.orm import Session

from crawler.storage import Base, DatabaseError, init_db, make_engine, migrate, search_articles
from crawler.storage.migrate import include_object


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def fill_first_schema(connection):
    connection.execute(text(
        "INSERT INTO crawl_runs (id, spider, arguments, started_at) VALUES (1, 'news', '{}', '2025-01-02 03:04:05')"
    ))
    for n in range(1, 4):
        connection.execute(text(
            "INSERT INTO articles (id, canonical_url, canonical_from_page, url, site, title, authors, tags, body,"
            " content_fingerprint, fetched_at, crawl_run_id, created_at, updated_at) VALUES"
            f" ({n}, 'https://n.example/{n}', true, 'https://n.example/{n}', 'n.example', 'Story {n}',"
            f" '[\"Jane Doe\"]', '[]', 'Body of story {n}.', 'fp{n}', '2025-01-02 03:04:05', 1,"
            " '2025-01-02 03:04:05', '2025-01-02 03:04:05')"
        ))
        connection.execute(text(
            "INSERT INTO article_urls (url, article_id, reason, created_at) VALUES"
            f" ('https://n.example/{n}', {n}, 'canonical', '2025-01-02 03:04:05')"
        ))


def test_upgrade_from_the_first_schema_keeps_every_row(engine):
    with engine.begin() as connection:
        migrate.upgrade(connection, "0001")
        fill_first_schema(connection)
        assert migrate.current(connection) == "0001"
    init_db(engine)  # what a crawl does when it opens the database
    with engine.connect() as connection:
        assert migrate.current(connection) == migrate.head()
        rows = connection.execute(text(
            "SELECT id, title, body, author_organisations, section FROM articles ORDER BY id"
        )).all()
        assert [(r.id, r.title, r.body, r.section) for r in rows] == [
            (n, f"Story {n}", f"Body of story {n}.", None) for n in range(1, 4)
        ]
        assert all(r.author_organisations in ([], "[]") for r in rows)
        assert connection.execute(text("SELECT count(*) FROM article_urls")).scalar() == 3
        # Schema 0006: each earlier article is a story of its own.
        stories = connection.execute(text("SELECT cluster_id, title, copies, sites FROM stories ORDER BY 1")).all()
        assert [tuple(s) for s in stories] == [(n, f"Story {n}", 1, 1) for n in range(1, 4)]


def test_schema_8_keeps_the_text_of_recurring_blocks_only(engine):
    with engine.begin() as connection:
        migrate.upgrade(connection, "0007")
        connection.execute(text(
            "INSERT INTO site_blocks (site, block_hash, pages, text) VALUES"
            " ('n.example', 'aaaa', 1, 'A story''s own paragraph.'), ('n.example', 'bbbb', 9, 'Sign up now.')"
        ))
        migrate.upgrade(connection, "0008")
        rows = connection.execute(text("SELECT block_hash, pages, text FROM site_blocks ORDER BY 1")).all()
        assert [tuple(r) for r in rows] == [("aaaa", 1, None), ("bbbb", 9, "Sign up now.")]


# How Datasette finds the full-text table of a table (``detect_fts_sql`` in datasette.utils, 0.65):
# an FTS table naming it as content in double quotes or brackets, not in single quotes.
DATASETTE_DETECT_FTS = (
    "SELECT name FROM sqlite_master WHERE rootpage = 0 AND (sql LIKE :double_quoted ESCAPE char(92)"
    " OR sql LIKE :bracketed ESCAPE char(92) OR (tbl_name = :table AND sql LIKE '%VIRTUAL TABLE%USING FTS%'))"
)


def fts_table_of_articles(connection):
    found = connection.execute(text(DATASETTE_DETECT_FTS), {
        "double_quoted": '%VIRTUAL TABLE%USING FTS%content="articles"%',
        "bracketed": "%VIRTUAL TABLE%USING FTS%content=[articles]%",
        "table": "articles",
    }).scalars().all()
    return found[0] if found else None


def test_schema_9_lets_readers_find_the_search_table_and_search_goes_on(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        migrate.upgrade(connection, "0001")
        fill_first_schema(connection)
        migrate.upgrade(connection, "0008")
        assert fts_table_of_articles(connection) is None
        migrate.upgrade(connection, "0009")
        (sql,) = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'articles_fts'")).one()
        assert 'content="articles"' in sql
        assert fts_table_of_articles(connection) == "articles_fts"
        # A title changed after the migration reaches the index through the triggers.
        connection.execute(text("UPDATE articles SET title = 'Glacier retreats' WHERE id = 2"))
    with Session(engine) as session:
        assert [a.id for a in search_articles(session, "glacier")] == [2]
        assert sorted(a.id for a in search_articles(session, "body story")) == [1, 2, 3]  # rebuilt from articles
    engine.dispose()


def test_a_database_from_before_migrations_is_recognised(engine):
    with engine.begin() as connection:
        migrate.upgrade(connection, "0001")
        fill_first_schema(connection)
        connection.execute(text("DROP TABLE alembic_version"))
        assert migrate.current(connection) == "0001"  # told by its columns
    init_db(engine)
    with engine.connect() as connection:
        assert migrate.current(connection) == migrate.head()
        assert connection.execute(text("SELECT count(*) FROM articles")).scalar() == 3


def test_without_upgrade_an_old_database_is_refused_with_the_command_to_run(engine):
    with engine.begin() as connection:
        migrate.upgrade(connection, "0001")
    with pytest.raises(DatabaseError, match=rf"schema 0001, this newscrawl writes {migrate.head()}: run `newscrawl db upgrade"):
        init_db(engine, upgrade=False)


def test_a_newer_database_is_refused(engine):
    init_db(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseError, match="newer than this newscrawl's"):
        init_db(engine)


def test_the_models_match_the_migrations(engine):
    init_db(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
