import datetime as dt

import pytest

from crawler.dedupe.fingerprints import body_fingerprint
from crawler.extraction import ArticleExtractor, NotAnArticle
from crawler.extraction.dates import parse_date
from tests.conftest import FIXTURES

SITE = FIXTURES / "site"
BRIDGE = SITE / "news" / "bridge-repairs-close-river-crossing-for-six-weeks.html"
BRIDGE_URL = "http://127.0.0.1:8000/news/bridge-repairs-close-river-crossing-for-six-weeks.html"

# The story as written in the fixture page: standfirst, then every paragraph, in order.
BRIDGE_STORY = (FIXTURES / "bridge-story.txt").read_text(encoding="utf-8").strip().split("\n\n")
CHROME = [
    "Skip to main content", "This site uses cookies", "Old Mill bridge seen from the east bank",
    "Ledger archive", "Stay informed with the Ledger's newsletters", "Sign up to get the latest",
    "delivers independent coverage", "republishing this content", "can be found here", "Read more",
    "Library extends opening hours", "Copyright 2026",
]


@pytest.fixture(scope="module")
def extractor():
    return ArticleExtractor(drop_params=["utm_*", "jsessionid"])


def test_body_is_the_story_without_chrome(extractor):
    article = extractor.extract(BRIDGE.read_bytes(), BRIDGE_URL + "?utm_source=feed")
    assert article.body.split("\n\n") == BRIDGE_STORY
    for chrome in CHROME:
        assert chrome.lower() not in article.body.lower(), chrome


def test_metadata_from_structured_data(extractor):
    article = extractor.extract(BRIDGE.read_bytes(), BRIDGE_URL + "?utm_source=feed")
    assert article.title == "Bridge repairs close river crossing for six weeks"
    assert article.authors == ["Priya Nandakumar", "Tom Okafor"]
    assert article.published_at == dt.datetime(2026, 2, 17, 11, 45, tzinfo=dt.UTC)
    assert article.published_at_raw == "2026-02-17T06:45:00-05:00"
    assert article.modified_at_raw == "2026-02-17T11:20:00-05:00"
    assert article.date_source == "jsonld"
    assert article.canonical_url == BRIDGE_URL  # relative rel=canonical, resolved
    assert article.url == BRIDGE_URL + "?utm_source=feed"
    assert article.site == "127.0.0.1"
    assert article.site_name == "The Valley Ledger"
    assert article.language == "en"
    assert article.tags == ["roads", "bridges"]
    assert article.description.startswith("Drivers face a long detour")
    assert article.content_fingerprint == body_fingerprint(article.body)


def test_page_without_structured_data(extractor):
    path = SITE / "2026/03/02/library-extends-opening-hours-for-exam-season.html"
    url = "http://127.0.0.1:8000/2026/03/02/library-extends-opening-hours-for-exam-season.html"
    article = extractor.extract(path.read_text(), url)
    assert article.title == "Library extends opening hours for exam season"
    assert article.authors == ["Grace Liang"]
    assert (article.published_at_raw, article.date_source) == ("2026-03-02", "url")
    assert article.modified_at is None
    assert article.body.startswith("The central library will stay open until ten")
    assert article.body.endswith("serving tea and soup until nine.")
    assert "Bridge repairs" not in article.body and "Home" not in article.body


def test_trafilatura_metadata_fills_what_the_page_does_not_declare(extractor):
    """No structured data, no dated URL, no byline markup of ours: trafilatura's own metadata pass
    (run only for such pages) still finds the site's handle, the printed date and the author.
    Keywords come from the page's own ``<meta>``."""
    story = "".join(
        f"<p>The council's vote on Tuesday settles part {n} of the ring road plan, after years of "
        f"delay, rising costs and objections from residents along the eastern stretch.</p>"
        for n in range(1, 5)
    )
    html = (
        "<html><head><title>Ring road widened</title><meta name='twitter:site' content='@valleyledger'>"
        "<meta name='keywords' content='roads, council'></head>"
        "<body><article><h1>Ring road widened</h1><p>Posted on 4 March 2026</p>"
        f"<span itemprop='author'>Jane Doe</span>{story}</article></body></html>"
    )
    article = extractor.extract(html, "http://127.0.0.1:8000/roads/ring-road")
    assert article.site_name == "Valleyledger"
    assert article.authors == ["Jane Doe"]
    assert (article.published_at, article.date_source) == (dt.datetime(2026, 3, 4, tzinfo=dt.UTC), "htmldate")
    assert article.title == "Ring road widened"
    assert article.tags == ["roads", "council"]


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><body><nav><a href='/'>Home</a></nav><p>Short page.</p></body></html>",
        (SITE / "about.html").read_text(),
    ],
)
def test_pages_without_an_article_are_refused(extractor, html):
    with pytest.raises(NotAnArticle) as refused:
        extractor.extract(html, "http://127.0.0.1:8000/about.html")
    assert refused.value.reason in {"unparsable", "no_body", "short_body", "no_text"}


def _page(head: str, url_date: str = "") -> tuple[str, str]:
    paragraphs = "".join(
        f"<p>Paragraph {i} of a story about the harbour, long enough to count as real article text "
        f"for the extractor, with details on boats, tides and the people who work there.</p>"
        for i in range(6)
    )
    html = f"<html><head>{head}</head><body><article><h1>Harbour story</h1>{paragraphs}</article></body></html>"
    return html, f"http://127.0.0.1:8000/{url_date}harbour-story-about-boats-and-tides"


@pytest.mark.parametrize(
    ("head", "url_date", "published", "source", "modified"),
    [
        # Meta tags; modified kept apart from published.
        (('<meta property="article:published_time" content="2025-06-01T10:00:00+02:00">'
         '<meta property="article:modified_time" content="2025-06-02T09:00:00+02:00">'),
         "", "2025-06-01T10:00:00+02:00", "meta", "2025-06-02T09:00:00+02:00"),
        # JSON-LD in a script that forgot its type is still the page's declaration; other scripts are not.
        (('<script>{"@context": "https://schema.org", "@type": "NewsArticle", '
          '"datePublished": "2025-06-01T10:00:00+02:00"}</script>'
          '<script>var page = {"@context": "https://schema.org", "datePublished": "2025-05-01"};</script>'),
         "", "2025-06-01T10:00:00+02:00", "jsonld", None),
        # A date in the future is not believed; the URL's date is used instead.
        ('<meta property="article:published_time" content="2999-01-01T00:00:00Z">',
         "2024/02/29/", "2024-02-29", "url", None),
        # Before 1990 is not a news date either; <time> is next.
        (('<meta property="article:published_time" content="1970-01-01T00:00:00Z">'
         '</head><body><time datetime="2023-04-05T06:07:08Z">5 April</time>'), "",
         "2023-04-05T06:07:08+00:00", "time", None),
        # A UTC instant is written in the page's own clock when another field shows that clock.
        (('<meta property="article:published_time" content="2025-06-02T03:30:00Z">'
         '<meta name="date" content="2025-06-01 22:30:00">'),
         "", "2025-06-01T22:30:00-05:00", "meta", None),
        (('<meta property="article:published_time" content="2025-06-01T22:30:00Z">'
         '<meta name="date" content="2025-06-02T00:30:00+02:00">'),
         "", "2025-06-02T00:30:00+02:00", "meta", None),
        # Wall time that is no whole quarter hour away is another time, not the local clock.
        (('<meta property="article:published_time" content="2025-06-02T03:30:00Z">'
         '<meta name="date" content="2025-06-01 22:31:00">'),
         "", "2025-06-02T03:30:00+00:00", "meta", None),
        # Early in the UTC day, a URL naming the day before shows the newsroom's own day...
        ('<meta property="article:published_time" content="2025-06-02T03:30:00Z">', "2025/06/01/",
         "2025-06-01", "meta", None),
        # The URL's day as a path segment of its own reads the same.
        ('<meta property="article:published_time" content="2025-06-02T03:30:00Z">', "news/20250601/",
         "2025-06-01", "meta", None),
        ('</head><body><p>No date printed.</p>', "news/20250601/", "2025-06-01", "url", None),
        # ...later in the UTC day, or further off, it is the day the story was drafted.
        ('<meta property="article:published_time" content="2025-06-02T10:30:00Z">', "2025/06/01/",
         "2025-06-02T10:30:00+00:00", "meta", None),
        ('<meta property="article:published_time" content="2025-06-02T03:30:00Z">', "2025/05/31/",
         "2025-06-02T03:30:00+00:00", "meta", None),
        # A <time> that disagrees with the day in the URL dates something else on the page.
        ('</head><body><time datetime="2019-04-05T06:07:08Z">5 April 2019</time>', "2024/02/29/",
         "2024-02-29", "url", None),
        ('</head><body><time datetime="2024-02-29T06:07:08+01:00">29 Feb</time>', "2024/02/29/",
         "2024-02-29T06:07:08+01:00", "time", None),
        # Declared dates on different days: the one the page prints wins; printed neither, the first.
        (('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2025-06-03T07:00:00Z"}'
          '</script><meta property="article:published_time" content="2025-06-05T08:00:00+02:00">'
          '</head><body><p class="date">5.6.2025</p>'), "", "2025-06-05T08:00:00+02:00", "meta", None),
        (('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2025-06-03T07:00:00Z"}'
          '</script><meta property="article:published_time" content="2025-06-05T08:00:00+02:00">'),
         "", "2025-06-03T07:00:00+00:00", "jsonld", None),
        # A day apart, they are one story dated online and by the next morning's edition: the first.
        (('<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2025-06-04T17:30:00Z"}'
          '</script><meta name="date" content="2025-06-05"></head><body><p class="date">05.06.2025</p>'),
         "", "2025-06-04T17:30:00+00:00", "jsonld", None),
        # A modification before publication is dropped.
        (('<meta property="article:published_time" content="2025-06-01T10:00:00+00:00">'
         '<meta property="article:modified_time" content="2025-05-01T10:00:00+00:00">'),
         "", "2025-06-01T10:00:00+00:00", "meta", None),
    ],
)
def test_date_rules(extractor, head, url_date, published, source, modified):
    html, url = _page(head, url_date)
    article = extractor.extract(html, url, fetched_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert (article.published_at_raw, article.date_source, article.modified_at_raw) == (published, source, modified)


def test_a_time_in_another_storys_teaser_does_not_date_the_page(extractor):
    teasers = "".join(
        f"<li><h4><a href='/news/older-story-{n}'>An older story from the harbour desk, number {n}</a></h4>"
        f"<p><time datetime='2019-0{n}-03 07:32:49'>3 March 2019</time></p></li>"
        for n in range(1, 4)
    )
    html, url = _page("</head><body><p class='published'>4 March 2026</p>")
    html = html.replace("</article>", f"</article><ul class='more-stories'>{teasers}</ul>")
    article = extractor.extract(html, url, fetched_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert article.date_source != "time" and article.published_at_raw.startswith("2026-03-04")
    # The story's own <time> still dates it.
    html = html.replace("4 March 2026", "<time datetime='2026-03-04T09:00:00+01:00'>4 March 2026</time>")
    article = extractor.extract(html, url, fetched_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert (article.published_at_raw, article.date_source) == ("2026-03-04T09:00:00+01:00", "time")


def test_text_is_stored_in_one_spelling(extractor):
    decomposed = "gepru\u0308ft"  # "geprüft" as a base letter and a combining accent
    html, url = _page(f"<title>Harbour\u200b story {decomposed}</title>")
    html = html.replace("details on boats", f"details {decomposed} on boats")
    article = extractor.extract(html, url)
    assert "details geprüft on boats" in article.body and "\u0308" not in article.body
    assert article.title == "Harbour story geprüft"


@pytest.mark.parametrize(
    ("value", "utc", "raw"),
    [
        ("2024-03-01", dt.datetime(2024, 3, 1, tzinfo=dt.UTC), "2024-03-01"),
        ("2024-03-01T23:30:00+05:30", dt.datetime(2024, 3, 1, 18, 0, tzinfo=dt.UTC), "2024-03-01T23:30:00+05:30"),
        ("2024-03-01T10:00:00Z", dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC), "2024-03-01T10:00:00+00:00"),
        ("Tue, 05 Mar 2024 08:00:00 GMT", dt.datetime(2024, 3, 5, 8, 0, tzinfo=dt.UTC), "2024-03-05T08:00:00+00:00"),
        # Numeric dates with dashes or dots are day first; slashed ones month first.
        ("01-11-2023 10:29", dt.datetime(2023, 11, 1, 10, 29, tzinfo=dt.UTC), "2023-11-01T10:29:00"),
        ("5.3.2024", dt.datetime(2024, 3, 5, tzinfo=dt.UTC), "2024-03-05T00:00:00"),
        ("03/05/2024", dt.datetime(2024, 3, 5, tzinfo=dt.UTC), "2024-03-05T00:00:00"),
    ],
)
def test_parse_date_keeps_the_offset(value, utc, raw):
    assert parse_date(value) == (utc, raw)


def test_parse_date_rejects_garbage():
    assert parse_date("yesterday-ish") is None
    assert parse_date("") is None


def _story(headline: str, topic: str, paragraphs: int) -> str:
    body = "".join(
        f"<p>{topic} paragraph {i}: the council met again on Tuesday and the {topic} plan moved one step "
        f"further, with residents asking how the work on the {topic} would change their daily routes.</p>"
        for i in range(paragraphs)
    )
    return f"<article><h1>{headline}</h1>{body}</article>"


def test_the_next_story_loaded_below_is_left_out():
    from lxml.html import fromstring

    from crawler.extraction.nextstory import this_story_only

    # Endless scrolling: the next story is in the page in an <article> of its own. Whatever the
    # extractor read, lines found only in the other story go.
    tree = fromstring(
        "<html><body><main>" + _story("Harbour ferry terminal approved", "ferry", 5)
        + "<div class='below'>" + _story("Stadium roof to be replaced", "stadium", 3) + "</div></main></body></html>"
    )
    extracted = [" ".join(p.text_content().split()) for p in tree.iter("p")] + ["A line from no article."]
    kept = this_story_only(tree, extracted, "Harbour ferry terminal approved")
    assert kept == [line for line in extracted if "stadium" not in line]
    # No headline to tell the stories apart: nothing is dropped.
    assert this_story_only(tree, extracted, "Something else entirely") is None


def test_a_header_article_does_not_cut_the_story():
    from lxml.html import fromstring

    from crawler.extraction.nextstory import this_story_only

    # The headline in an <article> of its own, the story in another: the story stays.
    tree = fromstring(
        "<html><body><article><h1>Harbour ferry terminal approved</h1><p>By Jane Doe</p></article>"
        + _story("", "ferry", 5) + "</body></html>"
    )
    extracted = [" ".join(p.text_content().split()) for p in tree.iter("p")]
    assert this_story_only(tree, extracted, "Harbour ferry terminal approved") is None


def test_dropped_story_paragraphs_are_put_back_in_place():
    from lxml.html import fromstring

    from crawler.extraction.recover import dropped_paragraphs_restored

    lines = [
        "The council approved the harbour ferry terminal on Tuesday after a two-year review of the plans.",
        "Residents had asked for a quieter design and a later start to the building work, the minutes show.",
        "Work begins in spring and the first ferries should call at the new terminal within eighteen months.",
    ]
    linked = (
        '<p>The <a href="/r">full planning report</a> and <a href="/m">the minutes of the meeting</a> '
        "are published on the council's website today.</p>"
    )
    tree = fromstring(
        "<html><body><article><div class='story'>"
        f"<p>{lines[0]}</p>{linked}<p>{lines[1]}</p><p>{lines[2].replace('ferries', 'fer&shy;ries')}</p>"
        "</div><aside><div class='teaser'><p>Another story entirely, a teaser in the sidebar that "
        "reads like a sentence too.</p></div></aside></article></body></html>"
    )
    restored = dropped_paragraphs_restored(tree, lines)
    assert restored == [
        lines[0],
        "The full planning report and the minutes of the meeting are published on the council's website today.",
        lines[1],
        lines[2],
    ]
    # Nothing missing: nothing to do.
    assert dropped_paragraphs_restored(tree, restored) is None


def test_a_paragraph_inside_a_named_anchor_is_no_link():
    from lxml.html import fromstring

    from crawler.extraction.recover import dropped_paragraphs_restored

    lines = [
        "The council approved the harbour ferry terminal on Tuesday after a two-year review of the plans.",
        "Residents had asked for a quieter design and a later start to the building work, the minutes show.",
    ]
    # A place in the page that the table of contents links to, not a link itself.
    question = "One question readers asked us most often this week: what will the new ferries cost a family?"
    tree = fromstring(
        f"<html><body><article><div class='story'><p>{lines[0]}</p><p><a name='q3'>{question}</a></p>"
        f"<p>{lines[1]}</p></div></article></body></html>"
    )
    assert dropped_paragraphs_restored(tree, lines) == [lines[0], question, lines[1]]


def test_dropped_subheadings_and_questions_are_put_back_in_place():
    from lxml.html import fromstring

    from crawler.extraction.recover import dropped_paragraphs_restored

    answers = [
        "We opened the first ferry line in the spring, after two years of planning with the council.",
        "Next we want a night service, so that people who work late can get home across the water.",
    ]
    tree = fromstring(
        "<html><body><article><div class='story'>"
        f"<p>{answers[0]}</p><h3>What are you looking forward to next?</h3><p>{answers[1]}</p>"
        "<h3><a href='/other'>Read the other interview of the week</a></h3><h3>Video</h3>"
        f"<p>{answers[1].replace('night', 'weekend')}</p>"
        "</div><h2>More from the harbour desk today</h2></article></body></html>"
    )
    kept = [answers[0], answers[1], answers[1].replace("night", "weekend")]
    # The question comes back in place; a linked heading, a label and a heading outside the
    # story's own paragraphs do not.
    assert dropped_paragraphs_restored(tree, kept) == [answers[0], "What are you looking forward to next?", *kept[1:]]


STORY = [
    "The council approved the harbour ferry terminal on Tuesday after a two-year review of the plans.",
    "Residents had asked for a quieter design and a later start to the building work, the minutes show.",
]


def test_headline_kicker_and_byline_at_the_top_of_the_body_go():
    from crawler.extraction.bodylines import without_stray_lines

    title = "Harbour ferry terminal approved"
    lines = ["Transport", f"Coastal towns: {title}", "By Jane Doe, Riverton", *STORY]
    assert without_stray_lines(lines, title, ["Jane Doe"]) == STORY
    # The names alone, in another language's label, and a lone label.
    assert without_stray_lines(["Jane Doe und John Roe", *STORY], title, ["Jane Doe", "John Roe"]) == STORY
    assert without_stray_lines(["Von Jane Doe", *STORY], title, ["Jane Doe"]) == STORY
    # Furniture lines above the story do not use up the head.
    lines = [title, "Stand: 22.04.2026, 06:00 Uhr", "Share", "Advertisement", STORY[0], "Von Jane Doe", STORY[1]]
    assert without_stray_lines(lines, title, ["Jane Doe"]) == STORY
    # Further down, a line naming the author is the story's.
    story = [*STORY, *STORY, "Jane Doe", "Jane Doe said the terminal would open next year."]
    assert without_stray_lines(story, title, ["Jane Doe"]) == story


def test_timestamps_links_interface_words_and_credits_go():
    from crawler.extraction.bodylines import without_stray_lines

    furniture = [
        "Stand: 22.04.2026, 06:00 Uhr", "March 3, 2026 - 11:28 AM", "2026年3月3日 01時28分",
        "Read more: Stadium roof to be replaced", "Lesen Sie auch Neue Brücke eröffnet",
        "Related: Ten ferries worth the trip", "Share", "Advertisement", "Les mer",
        "Photo: Jane Doe/Agency", "The new terminal seen from the pier. Foto: Agency/John Roe",
        # A video teaser with its date and running time.
        "The mayor explains why the terminal will take two years to build. 03.03.2026 | 2:45 min",
        "READ NEXT: Harbour fees to rise in spring", "Фото: Иван Петров, Агентство", "Article content",
        "Story continues below advertisement",
        # The page's settings leaked as a list.
        "- showPaywall:", "- false",
        # The desk's credits.
        "Redaktion: Jane Doe, John Roe", "Additional reporting by John Roe in Riverton",
        "© Agency-infocom, agency:260303-99-12345/2", "(jd)", "(jd/agency)",
    ]
    kept = [
        "— Jane Doe (@janedoe) March 3, 2026", "4:14 p.m.",
        "Related to the plans, the council also approved a new car park.",
        "Work begins on 3 March 2026, the council said, and the first ferries call within eighteen months.",
        "The crossing takes 12:30 min at most, the operator says, half the time the bridge takes.",
        "- Vertragslaufzeit: 24 Monate", "(1998)",
        "Reporting by the harbour board found that ferries ran late on most days last winter.",
    ]
    lines = [STORY[0], *furniture, *kept, STORY[1]]
    assert without_stray_lines(lines, "Harbour ferry terminal approved", []) == [STORY[0], *kept, STORY[1]]


def test_a_closing_list_of_topic_tags_goes():
    from crawler.extraction.bodylines import without_stray_lines

    title = "Harbour ferry terminal approved"
    assert without_stray_lines([*STORY, "Tags:", "Ferries", "Riverton council"], title, []) == STORY
    assert without_stray_lines([*STORY, "- Schlagwörter :", "- Verkehr"], title, []) == STORY
    # A label followed by the story's own lines is not a tag list.
    topics = [STORY[0], "Topics", STORY[1]]
    assert without_stray_lines(topics, title, []) == topics


def test_publisher_appeals_at_the_ends_of_the_body_go():
    from crawler.extraction.boilerplate import body_paragraphs

    text = "\n".join([
        "This is a breaking news story - more to follow", *STORY,
        "Do you have a story to tell? Email: tips@courier.example", "2 Wochen kostenlos testen",
    ])
    assert body_paragraphs(text, None) == STORY
    # The same words inside the story stay.
    inside = [STORY[0], "Readers who got a story wrong wrote in, and the paper printed every letter.", STORY[1]]
    assert body_paragraphs("\n".join(inside), None) == inside


def test_what_the_page_hides_from_its_readers_is_not_in_the_body(extractor):
    """A share dialog's messages, shown only after a click, sit inside the story's container."""
    hidden = (
        "<p class='hide'>Something went wrong while sending, please try again in a minute or two.</p>"
        "<div class='mail-sent hidden'><p>Thank you</p><p>This story is on its way to your friend now.</p></div>"
        "<div hidden><p>Your reading list is full: remove a story from it before you save this one.</p></div>"
    )
    html = f"<html><body>{_story('Ferry plan moves on', 'ferry', 5).replace('</h1>', '</h1>' + hidden)}</body></html>"
    article = extractor.extract(html, "http://127.0.0.1:8000/news/ferry-plan")
    assert article.body.split("\n\n") == [
        f"ferry paragraph {i}: the council met again on Tuesday and the ferry plan moved one step further, "
        "with residents asking how the work on the ferry would change their daily routes."
        for i in range(5)
    ]
    # A story the page hides until a script shows it is still the story.
    revealed = html.replace("<article>", "<article><div class='story-body hidden'>").replace("</article>", "</div></article>")
    assert extractor.extract(revealed, "http://127.0.0.1:8000/news/ferry-plan").body == article.body


STANDFIRST = ("A long-delayed ferry terminal on the east quay has been cleared for construction, "
              "with the first sailings expected before the end of next year.")


@pytest.mark.parametrize(
    ("page", "body", "expected"),
    [
        # Printed in the header, apart from the story: it opens the body.
        (f"<header><h1>Terminal approved</h1><p class='dek'>{STANDFIRST}</p></header>", STORY[0], STANDFIRST),
        # Already in the body (spacing and punctuation aside): nothing to add.
        (f"<p class='dek'>{STANDFIRST}</p>", f"{STANDFIRST.upper()}\n{STORY[0]}", None),
        # Only in a script, not printed.
        (f"<script>var summary = '{STANDFIRST}';</script>", STORY[0], None),
        # Printed inside a longer block: not a standfirst of its own.
        (f"<div><p>Teaser: {STANDFIRST} Read the full story.</p></div>", STORY[0], None),
    ],
)
def test_printed_standfirst(page, body, expected):
    from lxml.html import document_fromstring

    from crawler.extraction.standfirst import printed_standfirst

    tree = document_fromstring(f"<html><head><title>t</title></head><body>{page}<p>{STORY[1]}</p></body></html>")
    assert printed_standfirst(tree, STANDFIRST, body) == expected


def test_a_standfirst_printed_apart_from_the_story_opens_the_body(extractor):
    lines = [
        *STORY,
        "The harbour board will publish the timetable for the building work in the spring, its chair said.",
        "Ferry operators welcomed the decision and said they would add sailings once the terminal opens.",
    ]
    story = "".join(f"<p>{line}</p>" for line in lines)
    html = (
        f"<html><head><title>Terminal approved</title><meta property='og:description' content='{STANDFIRST}'>"
        "</head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<header class='story-header'><h1>Terminal approved</h1><div class='dek'><p>{STANDFIRST}</p></div></header>"
        f"<main><article><div class='story-body'>{story}</div></article></main></body></html>"
    )
    article = extractor.extract(html, "http://127.0.0.1:8000/news/terminal-approved")
    assert article.body.split("\n\n") == [STANDFIRST, *lines]
