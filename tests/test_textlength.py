"""The length of a text in words whatever its script, and the minimum body length it measures."""

import pytest

from crawler import settings
from crawler.extraction import ArticleExtractor, NotAnArticle
from crawler.textlength import word_count

# A whole news story of 237 characters: 109 kanji, 103 kana, the rest digits and punctuation.
LEAD_JA = (
    "南浜市は４日、市立図書館の開館時間を来年１月から平日は午後９時まで延長すると発表した。"
    "仕事帰りの利用者から要望が多く、昨年実施したアンケートでは回答者の６割が夜間の利用を希望していた。"
    "延長に合わせて自習室の座席を４０席増やし、閉館後も返却ポストを使えるようにする。"
    "必要な人件費は約１２００万円で、市は１２月の議会に補正予算案を提出する。"
    "市の担当者は「学生や働く世代にもっと図書館を使ってほしい」と話している。"
    "同様の取り組みは県内の他の市にも広がりつつあり、注目を集めている。"
)
# A photo caption of 45 characters (42 of them Han), and an English sentence of 30 words.
FRAGMENT_ZH = "图为南滨市民在新开放的滨江步道上散步。步道全长约三公里，沿途设有十二处观景平台和休息座椅。"
FRAGMENT_EN = (
    "Residents queued outside the town hall on Monday morning to sign a petition against the planned "
    "closure of the swimming pool, which the council says it can no longer afford."
)
URL = "https://news.example/2026/12/05/story"
# The extractor as a crawl builds it.
EXTRACTOR = ArticleExtractor(
    favor_precision=settings.NEWS_EXTRACT_FAVOR_PRECISION, min_body_words=settings.NEWS_EXTRACT_MIN_BODY_WORDS
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # Words between spaces; the dash is none, "3" is one.
        ("The council voted on Tuesday to close the bridge — for six weeks, from 3 March.", 15),
        ("Der Gemeinderat hat am Dienstag beschlossen, die Brücke für sechs Wochen zu sperren.", 13),
        # 14 kanji / 1.6 + 9 kana / 4.5 = 10.75
        ("市議会は火曜日、橋を六週間通行止めにすると決めた。", 11),
        # 18 hanzi / 1.6 + "3" + "2" = 13.25
        ("市议会周二决定，大桥将于3月2日起封闭六周。", 13),
        # Hangul is written with spaces: its words are words.
        ("시의회는 화요일 다리를 6주 동안 폐쇄하기로 했다.", 7),
        # 57 Thai characters / 5 + "3" = 12.4
        ("สภาเมืองมีมติปิดสะพานเป็นเวลาหกสัปดาห์ ตั้งแต่วันที่ 3 มีนาคม", 12),
        # 47 Myanmar characters / 5.5 = 8.5
        ("မြို့တော်ကောင်စီက တံတားကို ပိတ်ရန် ဆုံးဖြတ်ခဲ့သည်။", 9),
        # Devanagari vowel signs belong to their word.
        ("नगर परिषद ने पुल छह हफ़्ते के लिए बंद किया।", 10),
        # Each run by its script: 3 kanji / 1.6 + 4 kana / 4.5 + "iPhone" + "16" = 4.76
        ("東京でiPhone 16を買った", 5),
        ("— • | ...", 0),
        ("", 0),
    ],
)
def test_word_count(text, words):
    assert word_count(text) == words


def test_the_fixtures_are_what_they_say():
    assert (len(LEAD_JA), len(FRAGMENT_ZH), len(FRAGMENT_EN.split())) == (237, 45, 30)
    assert (word_count(LEAD_JA), word_count(FRAGMENT_ZH), word_count(FRAGMENT_EN)) == (98, 26, 30)


def test_the_extractor_and_the_crawl_share_the_default():
    assert ArticleExtractor().min_body_words == settings.NEWS_EXTRACT_MIN_BODY_WORDS == 35


def page(language: str, title: str, text: str) -> str:
    return (
        f'<html lang="{language}"><head><meta charset="utf-8"><title>{title}</title>'
        '<meta property="og:type" content="article"></head>'
        f'<body><nav><a href="/">Home</a></nav><article><h1>{title}</h1><p>{text}</p></article>'
        "<footer>© 2026 News Example</footer></body></html>"
    )


def test_a_short_japanese_story_is_kept_whole():
    article = EXTRACTOR.extract(page("ja", "図書館、平日の開館を午後９時まで延長", LEAD_JA), URL)
    assert article.body == LEAD_JA
    assert article.title == "図書館、平日の開館を午後９時まで延長"


@pytest.mark.parametrize(
    ("language", "title", "text"), [("zh", "滨江步道开放", FRAGMENT_ZH), ("en", "Pool petition", FRAGMENT_EN)]
)
def test_fragments_are_short_bodies(language, title, text):
    html = page(language, title, text)
    # Kept with no minimum: the page has a body, only too short a one.
    assert ArticleExtractor(favor_precision=True, min_body_words=0).extract(html, URL).body == text
    with pytest.raises(NotAnArticle) as refused:
        EXTRACTOR.extract(html, URL)
    assert refused.value.reason == "short_body"


# A whole post of 21 words, and a line of 7.
SHORT_POST = (
    "The ferry to the island runs again from Saturday after the storm repairs; the first boat leaves "
    "the harbour at seven."
)
WIDGET_LINE = "Ferry timetable changes from Saturday: see below."


def short_page(text: str, description: str | None) -> str:
    summary = f'<meta property="og:description" content="{description}">' if description else ""
    return page("en", "Ferry back", text).replace("</head>", f"{summary}</head>")


def test_a_short_post_that_its_page_sums_up_is_a_whole_story():
    assert (word_count(SHORT_POST), word_count(WIDGET_LINE)) == (21, 7)
    assert EXTRACTOR.extract(short_page(SHORT_POST, SHORT_POST), URL).body == SHORT_POST


@pytest.mark.parametrize(
    ("text", "description"),
    [
        (SHORT_POST, None),  # no summary to agree with
        (SHORT_POST, "Repairs to the pier will keep the storm-damaged boats in dock until the spring."),
        (WIDGET_LINE, WIDGET_LINE),  # under a third of the minimum
    ],
)
def test_a_short_body_its_page_does_not_sum_up_stays_short(text, description):
    with pytest.raises(NotAnArticle) as refused:
        EXTRACTOR.extract(short_page(text, description), URL)
    assert refused.value.reason == "short_body"
