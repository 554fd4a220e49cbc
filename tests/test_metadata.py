"""Authors and titles: the general rules, on credits and titles shaped like real pages'."""

import lxml.html
import pytest

from crawler.extraction.authors import clean_authors
from crawler.extraction.titles import choose_title, printed_title_parts, strip_site_name


@pytest.mark.parametrize(
    ("credits", "people", "organisations"),
    [
        ([("By Jane Doe and John Roe", False)], ["Jane Doe", "John Roe"], []),
        ([("Von Anna Weber, Staff Writer", False)], ["Anna Weber"], []),
        ([("jane.doe@news.example", False), ("Jane Doe (jd)", False)], ["Jane Doe"], []),
        ([("Jane Doe", False), ("JANE DOE", False), ("Jané Doe", False)], ["Jane Doe"], []),
        ([("Autor: Monika Berg; Lea Kurz", False)], ["Monika Berg", "Lea Kurz"], []),
        ([("Jane Doe", False), ("The Daily Courier", True)], ["Jane Doe"], []),
        # A role alone names nobody; the newsroom credited by its name is an organisation.
        ([("Reporter", False), ("Redaktion", False)], [], ["Redaktion"]),
        ([("AFP", False)], [], ["AFP"]),
        ([("Associated Press", True)], [], ["Associated Press"]),
        ([("https://news.example/authors/jane", False), ("105092", False)], [], []),
        ([("John E Smith", False)], ["John E Smith"], []),
        # The ideographic comma lists names in Chinese and Japanese bylines.
        ([("王小明、李华", False)], ["王小明", "李华"], []),
        # Agencies in the languages that name them so.
        ([("Agence Nouvelle", False), ("Anka Ajansı", False)], [], ["Agence Nouvelle", "Anka Ajansı"]),
        # The publisher's newsroom credited by its role: kept whole, as an organisation.
        ([("Daily Courier staff reporter", False)], [], ["Daily Courier staff reporter"]),
        ([("Jane Doe, staff reporter", False)], ["Jane Doe"], []),
        # "News" names a section in any language; a role after an agency's name leaves the agency.
        ([("Nachrichten", False), ("Noticias", False)], [], []),
        ([("Jane Doe", False), ("AP Sports Writer", False)], ["Jane Doe"], []),
        ([("Jane Doe, Sports Writer", False)], ["Jane Doe"], []),
        # Names glued to the date and time the byline prints.
        ([("By JANE DOE - 2026-04-10", False)], ["JANE DOE"], []),
        ([("Jane Doe, April 10, 2026, 11:28 a.m.", False)], ["Jane Doe"], []),
        ([("Von Anna Weber 10. März 2026 um 9.45 Uhr", False)], ["Anna Weber"], []),
        ([("Anna Weber am Samstag, 19. Oktober 2019 um 11:14 Uhr", False)], ["Anna Weber"], []),
        ([("Von Anna Weber, 07 Dezember, 2022", False)], ["Anna Weber"], []),
        ([("harbourfan77 am 20.09.2020", False)], ["harbourfan77"], []),
        ([("Posted by harbourfan » 21.01.2009", False)], ["harbourfan"], []),
        # A credit of one word alone is a pen or user name; one word in a list of parts is not.
        ([("Limespacer", False)], ["Limespacer"], []),
        ([("Nils", False)], ["Nils"], []),
        # Short words in a list of credits are codes: initials, a desk.
        ([("Srf; Hosb; Kesm", False)], [], ["Srf", "Hosb", "Kesm"]),
        ([("Jane Doe, Lille", False)], ["Jane Doe"], []),
        ([("Name *", False)], [], []),
        # A photo credit in the byline box names the photographer, not the writer.
        ([("Foto: Tom Roe", False), ("Jane Doe", False)], ["Jane Doe"], []),
    ],
)
def test_clean_authors(credits, people, organisations):
    assert clean_authors([credits], publisher="The Daily Courier") == (people, organisations)


def test_the_first_source_naming_a_person_decides():
    jsonld = [("Harbour Post", True)]
    meta = [("Jane Doe", False)]
    byline = [("By Tom Fisher", False)]
    assert clean_authors([[], meta, jsonld]) == (["Jane Doe"], [])
    # The publisher credited by structured data gives way to the person the page names.
    assert clean_authors([jsonld, meta, byline]) == (["Jane Doe"], [])
    assert clean_authors([jsonld, [("Harbour Desk", True)]]) == ([], ["Harbour Post"])


def test_printed_byline_adds_coauthors_structured_data_left_out():
    jsonld = [("Jane Doe", False)]
    assert clean_authors([jsonld], printed=["Tom Fisher", "Jane Doe"]) == (["Jane Doe", "Tom Fisher"], [])
    # A printed byline that does not name everyone found is no list of co-authors.
    assert clean_authors([jsonld], printed=["Tom Fisher", "Lea Kurz"]) == (["Jane Doe"], [])


@pytest.mark.parametrize(
    ("credits", "people", "organisations"),
    [
        # A source label credits where the text came from, not who wrote it.
        ([("Quelle: sid/dpa", False)], [], ["sid", "dpa"]),
        ([("Source: Reuters", False)], [], ["Reuters"]),
        # A lone word is a place or a desk, unless the script writes names without spaces.
        ([("Lea Kurz, Nairobi", False)], ["Lea Kurz"], []),
        ([("牛镛", False)], ["牛镛"], []),
    ],
)
def test_credits_that_are_not_people(credits, people, organisations):
    assert clean_authors([credits]) == (people, organisations)


def test_visible_byline_when_nothing_is_declared():
    from lxml.html import fromstring

    from crawler.extraction.structured import StructuredData

    def bylines(html: str) -> list[str]:
        return StructuredData(fromstring(html)).bylines

    assert bylines('<div><p class="meta">von <a href="/autoren/name/max-weber">Dr. Max Weber</a> und '
                   '<a href="/autoren/name/lea-kurz">Lea Kurz</a></p><ul><li><a href="/autoren/x">Other Writer</a>'
                   '</li></ul></div>') == ["Dr. Max Weber", "Lea Kurz"]
    assert bylines('<div><a rel="author" href="/u/1">Jane Doe</a><a href="/author/tom">Tom Fisher</a></div>') == ["Jane Doe"]
    # An author box links the name and more to the author's page: its address spells the name.
    assert bylines('<div class="box"><a href="/author/heiko-sauer/">Heiko Sauer</a>'
                   '<a href="/author/heiko-sauer/">SHOW ALL ARTICLES OFHeiko Sauer</a></div>') == ["Heiko Sauer"]
    assert bylines('<p><a href="/authors/catch-more-fish.2107/">More from Catch More Fish</a></p>') == ["Catch More Fish"]
    assert bylines('<div><a href="/author/jane-doe/">Jane Doe</a> <a href="/author/jane-doe/">Archive →</a></div>') == ["Jane Doe"]
    # An address with a user id or a first name only spells no whole name: the text stays.
    assert bylines('<div><a href="/author/jd4711/">Jane Doe</a></div>') == ["Jane Doe"]
    assert bylines('<div><a href="/author/danilo/">Danilo Berg</a></div>') == ["Danilo Berg"]
    assert bylines('<body><span class="article__author">Von Seb Dunmore, Lille</span>'
                   '<div class="author-box">' + "Long biography. " * 20 + "</div></body>") == ["Von Seb Dunmore, Lille"]
    assert bylines('<body><div class="authorised-dealers">Cars</div><p>No byline.</p></body>') == []
    # rel=author links in teasers further down are other stories' authors.
    teaser = '<article class="teaser"><p>' + "Another story's summary. " * 20 + '</p><a rel="author" href="/a/b">Bo Berg</a></article>'
    assert bylines('<body><article><div class="meta"><a rel="author" href="/a/j">Jane Doe</a> and '
                   '<a rel="author" href="/a/t">Tom Roe</a></div><p>' + "Story text. " * 50 + "</p></article>"
                   + teaser + "</body>") == ["Jane Doe", "Tom Roe"]
    assert bylines('<body><article><a rel="author" href="/a/j">Jane Doe</a><p>' + "Story text. " * 50 + "</p></article>"
                   + teaser + "</body>") == ["Jane Doe"]


def test_closing_credit_line_names_the_sources():
    from crawler.extraction.authors import sign_off_credits

    assert sign_off_credits("Quelle: dpa/AFP", "Harbour Post") == ["dpa", "AFP"]
    # Slashes with the publisher's own name: the publisher adapted, the other paper is the source.
    assert sign_off_credits("Harbour Post / Metro Diario", "The Harbour Post") == ["Metro Diario"]
    # Not credits: slashes without the publisher, a sentence, initials in brackets, a long line.
    assert sign_off_credits("Pros / Cons", "The Harbour Post") == []
    assert sign_off_credits("Source: the council.", "The Harbour Post") == []
    assert sign_off_credits("(jd)", "The Harbour Post") == []
    assert sign_off_credits("Harbour Post / " + "word " * 9, "The Harbour Post") == []
    # With no one credited, the closing line gives the organisations and leaves the body.
    assert clean_authors([[("Nachrichten", False)], [(name, True) for name in ["Metro Diario"]]]) == ([], ["Metro Diario"])


def test_closing_credit_line_credits_the_article():
    from crawler.extraction import ArticleExtractor

    story = "".join(f"<p>{line} The ferry terminal will open in spring, the council said on Tuesday.</p>" for line in STORY_LINES)
    html = (
        '<html><head><meta property="og:site_name" content="Harbour Post"><meta name="author" content="News">'
        "<title>Ferry terminal approved</title></head><body><article><h1>Ferry terminal approved</h1>"
        f"{story}<p>Harbour Post / Metro Diario</p></article></body></html>"
    )
    article = ArticleExtractor().extract(html, "https://harbour.example/news/ferry")
    assert (article.authors, article.author_organisations) == ([], ["Metro Diario"])
    assert "Metro Diario" not in article.body and article.body.startswith(STORY_LINES[0])


STORY_LINES = [
    "The council approved the harbour ferry terminal after a two-year review.",
    "Residents had asked for a quieter design and a later start to the work.",
    "Work begins in spring and the first ferries should call within eighteen months.",
]


def test_jsonld_author_references_and_name_shapes():
    import json

    from lxml.html import fromstring

    from crawler.extraction.structured import StructuredData

    def jsonld_credits(data: object) -> list[tuple[str, bool]]:
        html = f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head></html>'
        return StructuredData(fromstring(html)).author_sources()[0]

    # Graph markup: the article credits an @id, the person is described once in the graph.
    graph = {"@graph": [
        {"@type": "NewsArticle", "headline": "Ferry terminal approved",
         "author": [{"@id": "#p1"}, {"@id": "#org"}]},
        {"@type": "Person", "@id": "#p1", "name": "Jane Doe"},
        {"@type": "Organization", "@id": "#org", "name": "Harbour Post"},
    ]}
    assert jsonld_credits(graph) == [("Jane Doe", False), ("Harbour Post", True)]
    # Names as a list, nested author lists, given and family names.
    article = {"@type": "NewsArticle", "author": [[{"@type": "Person", "name": ["Tom Roe"]}],
                                                  {"@type": "Person", "givenName": "Lea", "familyName": "Kurz"}]}
    assert jsonld_credits(article) == [("Tom Roe", False), ("Lea Kurz", False)]
    # A reference to nothing in the page names nobody.
    assert jsonld_credits({"@type": "NewsArticle", "author": {"@id": "#missing"}}) == []
    # A blog's page declares no article, only the web page and its author (what SEO plugins write).
    page = {"@graph": [{"@type": "WebPage", "name": "Ferry terminal approved", "author": {"@id": "#p1"}},
                       {"@type": "Person", "@id": "#p1", "name": "Jane Doe"}]}
    assert jsonld_credits(page) == [("Jane Doe", False)]
    # An article's own author comes first.
    page["@graph"].append({"@type": "BlogPosting", "author": {"@type": "Person", "name": "Tom Roe"}})
    assert jsonld_credits(page) == [("Tom Roe", False)]


def test_author_meta_tags_of_analytics_and_paywall_tools():
    from lxml.html import fromstring

    from crawler.extraction.structured import StructuredData

    html = ('<html><head><meta property="cXenseParse:author" content="Jane Doe">'
            '<meta name="parsely-author" content="Tom Roe"><meta name="robots" content="index"></head></html>')
    assert StructuredData(fromstring(html)).author_sources()[1] == [("Jane Doe", False), ("Tom Roe", False)]


def test_labelled_byline():
    from lxml.html import fromstring

    from crawler.extraction.structured import StructuredData

    def bylines(html: str) -> list[str]:
        return StructuredData(fromstring(html)).bylines

    # The label in its own element, the names after it in the parent or in its children.
    assert bylines("<ul><li>Datum 3.4.2025</li><li><strong>Autorin/Autor</strong> Jane Doe</li></ul>") == ["Jane Doe"]
    assert bylines('<ul><li>Von: <span><a href="/jane">Jane Doe</a>,</span> <span><a href="/tom">Tom Roe</a></span></li></ul>') == [
        "Jane Doe, Tom Roe"
    ]
    # A label ending in a colon, names in the same text, in brackets.
    assert bylines("<div><p>Story.</p><div>(责编：王小明、李华)</div></div>") == ["王小明、李华"]
    # A sentence that opens with "Von" or "By" is not a byline.
    assert bylines("<div><p>Von der Leyen said the talks would go on.</p><p>By the river.</p></div>") == []


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


def test_kicker_dropped_when_sources_disagree_about_it():
    story = "Ferry terminal approved after long review"
    kicked = f"Harbour works: {story}"
    # A declared title gives the story without the topic line: the topic line is a kicker.
    assert choose_title(kicked, [story, kicked], [kicked], []) == story
    # An <h1> without it is no evidence: layouts set the kicker in its own element.
    assert choose_title(kicked, [kicked], [story], []) == kicked
    # Two unrelated kickers before the same story: neither belongs to the headline.
    assert choose_title(None, [kicked], [f"Council vote - {story}"], []) == story
    # A lead clause merely reworded shares words and stays part of the headline.
    assert choose_title(
        "Harbour ferry plans: what the council approved today",
        ["Harbour ferry scheme: what the council approved today"], [], [],
    ) == "Harbour ferry plans: what the council approved today"


def test_spelling_most_sources_contain_wins():
    # Same words, different punctuation: the spelling the <title> also carries wins.
    assert choose_title(
        "Ferry vote - terminal approved", ["Ferry vote: terminal approved", "Ferry vote: terminal approved - Local news"], [], []
    ) == "Ferry vote: terminal approved"


def _printed(body: str, *titles: str | None) -> dict[str, tuple[str, bool]]:
    return printed_title_parts(lxml.html.fromstring(f"<html><body>{body}</body></html>"), titles)


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        # Parts the page does not print with the headline go, whatever they name and wherever they are.
        ("Sports | Veteran and rookie lead the win | Harbour Times Newspaper",
         "<div>Sports</div><h2>Veteran and rookie lead the win</h2>", "Veteran and rookie lead the win"),
        ("Harbour Times > Ferry terminal approved after review",
         "<table><tr><td><b>Ferry terminal approved after review</b></td></tr></table>", "Ferry terminal approved after review"),
        ("Ferry terminal approved_English_Harbour", "<font size=4>Ferry terminal approved</font>", "Ferry terminal approved"),
        # A <title> declared alone may glue anything to the headline: what the page prints of it counts.
        ("Ferry terminal approved after review (from Harbour Times)",
         "<td class=head>Ferry terminal approved after review</td>", "Ferry terminal approved after review"),
        # A headline the page prints whole, in a heading, keeps every part.
        ("Ferry vote - terminal approved", "<h1>Ferry vote - <span>terminal approved</span></h1><p>Ferry vote</p>",
         "Ferry vote - terminal approved"),
        # A <title> naming only the site and its section gives way to the page's headline.
        ("Harbour Times | Local", "<h1>Ferry terminal approved after review</h1>", "Ferry terminal approved after review"),
        # Nothing printed: the title as declared.
        ("Ferry terminal approved | Harbour Times", "<p>Other news of the day</p>", "Ferry terminal approved | Harbour Times"),
    ],
)
def test_a_title_keeps_what_the_page_prints_of_it(title, body, expected):
    h1s = [" ".join(h1.text_content().split()) for h1 in lxml.html.fromstring(f"<div>{body}</div>").iter("h1")]
    assert choose_title(None, [title], h1s, [], _printed(body, title)) == expected


def test_a_kicker_set_apart_by_a_colon_is_not_a_glued_on_part():
    title = "Harbour works: Ferry terminal approved after review"
    printed = _printed("<p>Harbour works</p><h1>Ferry terminal approved after review</h1>", title, title)
    assert choose_title(None, [title, title], ["Ferry terminal approved after review"], [], printed) == title


def test_a_title_the_jsonld_headline_repeats_is_kept_whole():
    title = "Ferry terminal approved after review - Local news"
    printed = _printed("<h1>Ferry terminal approved after review</h1>", title, title)
    assert choose_title(title, [title], ["Ferry terminal approved after review"], [], printed) == title
    assert choose_title(None, [title, title], ["Ferry terminal approved after review"], [], printed) == "Ferry terminal approved after review"


def test_a_menu_run_into_the_title_is_no_set_of_parts():
    # Broken markup can run a whole menu into <title>: dozens of parts are no title's parts.
    title = " | ".join(f"Section {i} news" for i in range(40))
    assert choose_title(None, [title], [], [], _printed("<p>Section 3 news</p>", title)) == title
