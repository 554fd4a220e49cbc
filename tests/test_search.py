"""Full-text search on both databases: every word must match, titles weigh more, filters apply."""

import datetime as dt

import pytest
from sqlalchemy import update

from crawler.dedupe.fingerprints import body_fingerprint
from crawler.items import ArticleItem
from crawler.storage import (
    Article,
    search_articles,
    store_articles,
)


def item(slug, title, body, site="news.example", published=(2026, 1, 1)):
    url = f"https://{site}/{slug}"
    return ArticleItem(url=url, canonical_url=url, site=site, title=title, body=body,
                       published_at=dt.datetime(*published, tzinfo=dt.UTC),
                       fetched_at=dt.datetime(2026, 5, 1, tzinfo=dt.UTC), content_fingerprint=body_fingerprint(body))


ITEMS = [
    item("ferry", "Harbour approves ferry terminal", "The board voted for the new terminal on the quay."),
    item("tides", "Record tides expected", "Harbour officials warn of flooding near the ferry slipway.",
         published=(2025, 3, 1)),
    item("rail", "Mountain rail line to reopen", "Trains will run again through the pass next year."),
    item("other", "Ferry strike ends", "Crews return to work on the island ferry.", site="other.example"),
]


@pytest.fixture
def sessions(sessions):
    with sessions.begin() as session:
        store_articles(session, ITEMS)
    return sessions


def titles(sessions, query, **filters):
    with sessions() as session:
        return [a.title for a in search_articles(session, query, **filters)]


def test_every_word_must_match_and_titles_rank_first(sessions):
    found = titles(sessions, "ferry")
    assert set(found) == {"Harbour approves ferry terminal", "Ferry strike ends", "Record tides expected"}
    assert found[-1] == "Record tides expected"  # the word only in its body: ranked last
    assert titles(sessions, "harbour ferry") == ["Harbour approves ferry terminal", "Record tides expected"]
    assert titles(sessions, "trains pass") == ["Mountain rail line to reopen"]
    assert titles(sessions, "submarine") == []


def test_filters(sessions):
    assert set(titles(sessions, "ferry", site="news.example")) == {
        "Harbour approves ferry terminal", "Record tides expected",
    }
    assert "Record tides expected" not in titles(sessions, "ferry", since=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    assert len(titles(sessions, "ferry", limit=1)) == 1


@pytest.mark.parametrize("query", ['"ferry', "ferry*", "-ferry", "(ferry)", "ferry:", "terminal^ {ferry"])
def test_query_syntax_in_user_input_is_just_words(sessions, query):
    assert "Harbour approves ferry terminal" in titles(sessions, query)


def test_search_follows_updates(sessions):
    with sessions.begin() as session:
        session.execute(update(Article).where(Article.title == "Mountain rail line to reopen")
                        .values(body="Buses replace the trains for a month."))
    assert titles(sessions, "buses") == ["Mountain rail line to reopen"]
    assert titles(sessions, "pass next year") == []
