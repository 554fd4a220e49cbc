"""Authors and titles: the general rules, on credits and titles shaped like real pages'."""

import pytest

from crawler.authors import clean_authors
from crawler.titles import choose_title, strip_site_name


@pytest.mark.parametrize(
    ("credits", "people", "organisations"),
    [
        ([("By Jane Doe and John Roe", False)], ["Jane Doe", "John Roe"], []),
        ([("Von Anna Weber, Staff Writer", False)], ["Anna Weber"], []),
        ([("jane.doe@news.example", False), ("Jane Doe (jd)", False)], ["Jane Doe"], []),
        ([("Jane Doe", False), ("JANE DOE", False), ("Jané Doe", False)], ["Jane Doe"], []),
        ([("Autor: Monika Berg; Lea Kurz", False)], ["Monika Berg", "Lea Kurz"], []),
        ([("Jane Doe", False), ("The Daily Courier", True)], ["Jane Doe"], []),
        ([("Reporter", False), ("Redaktion", False)], [], []),
        ([("AFP", False)], [], ["AFP"]),
        ([("Associated Press", True)], [], ["Associated Press"]),
        ([("https://news.example/authors/jane", False), ("105092", False)], [], []),
        ([("John E Smith", False)], ["John E Smith"], []),
    ],
)
def test_clean_authors(credits, people, organisations):
    assert clean_authors([credits], publisher="The Daily Courier") == (people, organisations)


def test_first_source_that_credits_anyone_decides():
    jsonld = [("Harbour Post", True)]
    meta = [("Jane Doe", False)]
    assert clean_authors([[], meta, jsonld]) == (["Jane Doe"], [])
    assert clean_authors([jsonld, meta]) == ([], ["Harbour Post"])


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Ferry terminal approved | The Harbour Post", "Ferry terminal approved"),
        ("The Harbour Post - Ferry terminal approved", "Ferry terminal approved"),
        ("Ferry terminal approved: what happens next", "Ferry terminal approved: what happens next"),
        ("Ferry terminal approved｜ハーバーポスト", "Ferry terminal approved"),
    ],
)
def test_strip_site_name(title, expected):
    assert strip_site_name(title, ["The Harbour Post", "ハーバーポスト"]) == expected


def test_majority_of_independent_sources_wins():
    # Social titles copy one another: one vote, however many tags repeat it.
    assert choose_title(
        "Ferry terminal approved after review",
        ["Why you will love the new ferry", "Why you will love the new ferry", "Why you will love the new ferry"],
        ["Ferry terminal approved after review"],
        ["The Harbour Post"],
    ) == "Ferry terminal approved after review"
    # An <h1> that agrees with nothing declared (a logo) does not vote.
    assert choose_title(None, ["Ferry terminal approved | The Harbour Post"], ["The Harbour Post"], ["The Harbour Post"]) == "Ferry terminal approved"
    # "Story | Section" loses its suffix when another source has the story alone.
    assert choose_title("Ferry terminal approved | Local", ["Ferry terminal approved"], [], []) == "Ferry terminal approved"
    assert choose_title(None, [None, ""], [], []) is None
