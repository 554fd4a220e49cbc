"""Schema migrations: an old database with data reaches this version with every row kept."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from crawler.storage import Base, DatabaseError, init_db, make_engine, migrate
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
