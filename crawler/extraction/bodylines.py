"""Lines inside an extracted body that belong to the page around the story, not to the story.

Extraction keeps whole blocks, so the furniture printed in them comes along: the headline again
with its kicker, the byline, a timestamp, "Read more: <other story>" links, lone interface words
("Share", "Advertisement"), photo credits and video teasers ending in their running time. Each is
recognised by its shape and its words in the languages of the news, never by a site's markup;
the ones that also open story paragraphs (a byline, a headline) are only taken from the head of
the body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from crawler.extraction.runningtext import is_running
from crawler.extraction.titles import headline_keys, word_key

# Byline, headline and kicker lines are looked for until this many story lines are kept.
HEAD_LINES = 4
# A kicker over the headline ("World", "MIDDLE EAST CRISIS") is at most this many words.
KICKER_MAX_WORDS = 4
# A headline line may carry this many more characters than the title (kicker, site name).
HEADLINE_EXTRA_CHARS = 40
BYLINE_MAX_WORDS = 20
DATELINE_MAX_WORDS = 15
_SENTENCE_ENDS = (".", "!", "?", "。", "！", "？", "…", "»", "«", "”", '"')
LINK_LINE_MAX_WORDS = 25
STAMP_MAX_CHARS = 80
# Words a timestamp line may hold besides its date and time ("Stand:", "Uhr", "Updated").
STAMP_MAX_WORDS = 3
CREDIT_MAX_WORDS = 12

_BYLINE_LABEL = re.compile(
    r"^[(（]?\s*(?:written\s+by|reported\s+by|by|von|par|door|por|di|av|af|przez|от|autor(?:in|en)?|"
    r"authors?|auteurs?|autore|autori|reporter|text|texte)(?:\s*[:：]\s*|\s+)",
    re.IGNORECASE,
)
# A link to another story: "Read more: ...", "Lesen Sie auch ...", "ALSO READ: ...".
_LINK_LINE = re.compile(
    r"^(?:(?:read\s+more|read\s+also|also\s+read|read\s+next|lesen\s+sie\s+(?:auch|mehr)|mehr\s+zum\s+thema|"
    r"auch\s+interessant|(?:à\s+)?lire\s+aussi|lee\s+también|leia\s+também|leggi\s+anche|"
    r"czytaj\s+(?:więcej|też|także)|les\s+(?:mer|også)|læs\s+(?:mere|også)|läs\s+(?:mer|också)|"
    r"lees\s+(?:ook|meer)|funda\s+(?:olunye|futhi))\b|(?:see\s+also|related(?:\s+post)?|more\s+on\s+this)\s*[:|])",
    re.IGNORECASE,
)
# Interface words standing alone on a line: buttons, labels, ad markers.
_INTERFACE_LINE = re.compile(
    r"^(?:share(?:\s+this)?|teilen|read\s+more|more|mehr|weiterlesen|les\s+mer|czytaj\s+więcej|"
    r"lire\s+la\s+suite|leer\s+más|leia\s+mais|continua\s+a\s+leggere|advertisement|anzeige|"
    r"werbung|publicidad|publicité|reklame|annonse|annons|mainos|summary|zusammenfassung|"
    r"kort\s+fortalt|published|publisert|updated|veröffentlicht|aktualisiert|article\s+content|"
    r"story\s+continues\s+below(?:\s+advertisement)?|passer\s+la\s+publicité|článek)\W*$"
    # A page's settings leaked as a list: "- showPaywall:", "- false".
    r"|^-\s*(?:(?-i:[a-z]+[A-Z]\w*)\s*:|true|false|null)$",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b\d{1,2}\.\s?\d{1,2}\.\s?(?:\d{4}|\d{2})\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|"
    r"\d{4}年\d{1,2}月\d{1,2}日|\b[^\W\d_]{3,}\.? \d{1,2},? \d{4}\b|\b\d{1,2}\.? [^\W\d_]{3,}\.? \d{4}\b"
)
# A video or audio teaser ending in its running time: "... 21.04.2024 | 3:18 min".
_RUNNING_TIME = re.compile(r"\b\d{1,3}:\d{2}(?::\d{2})?\s*min\.?$", re.IGNORECASE)
_CLOCK = re.compile(r"\b\d{1,2}[:.h]\d{2}\b|\d{1,2}時\d{1,2}分")
_WORD = re.compile(r"[^\W\d_]{2,}")
PHOTO_CREDIT = re.compile(
    r"^(?:photo(?:\s+credit)?s?|images?|picture|foto(?:s|grafía)?|bild(?:er)?|credit|photograph|"
    r"kuva|zdjęcie|fotó|фото)\s*:\s*\S",
    re.IGNORECASE,
)
# The desk's credits under a story: "Redaktion: Jane Doe", "Additional reporting by Jane Doe",
# "© Agency", and editors' initials or an agency alone in brackets: "(dmk)", "(jd/dpa)".
_STAFF_CREDIT = re.compile(
    r"^(?:(?:redaktion|schlussredaktion|faktencheck|übersetzung|mitarbeit|recherche|lektorat|"
    r"editing|edited\s+by|fact[-\s]?check(?:ed|ing)?(?:\s+by)?|translation|translated\s+by|rédaction|"
    r"traduction|redacción|traducción)\s*:|additional\s+reporting\s+by\b|©)"
    r"|^\(\s*[^\W\d_]{2,6}(?:\s*[/,]\s*[^\W\d_]{2,6})*\s*\)$",
    re.IGNORECASE,
)
STAFF_CREDIT_MAX_WORDS = 25
# The label over a story's topic tags, which close the page: "Tags:", "Schlagwörter", "- Etiketler :".
_TAGS_LABEL = re.compile(
    r"^[-–•]?\s*(?:tags?|schlagw(?:ö|o)rt(?:e|er)|stichw(?:ö|o)rter|themen|topics|étiquettes|etiquetas|"
    r"etiketler|tagi|emner|ämnen|onderwerpen|argomenti)\s*:?\s*$",
    re.IGNORECASE,
)
TAG_MAX_WORDS = 4
# A caption ending in its credit: "... Kim Jong-un. Foto: Agency/Photographer".
_CAPTION_CREDIT = re.compile(
    r"(?:^|[.!?»”\"]\s)(?:photo|foto|bild|image|credit|kuva)\s*:\s*[^.!?]{1,60}$", re.IGNORECASE
)


def is_timestamp(line: str) -> bool:
    """A short line that is a date (and time) with at most a label: "Stand: 22.04.2024, 06:00 Uhr".

    A tweet's signature ("— Name (@handle) May 5, 2024") quotes a source and stays.
    """
    if len(line) > STAMP_MAX_CHARS or "@" in line or not _DATE.search(line):
        return False
    return len(_WORD.findall(_CLOCK.sub(" ", _DATE.sub(" ", line)))) <= STAMP_MAX_WORDS


def is_interface_line(line: str) -> bool:
    """A link to another story, an interface word, a photo credit or a caption ending in one, or a
    media teaser ending in its running time."""
    words = len(line.split())
    return bool(
        (_LINK_LINE.match(line) and words <= LINK_LINE_MAX_WORDS)
        or _INTERFACE_LINE.match(line)
        or (PHOTO_CREDIT.match(line) and words <= CREDIT_MAX_WORDS)
        or _CAPTION_CREDIT.search(line)
        or _RUNNING_TIME.search(line)
        or (_STAFF_CREDIT.match(line) and words <= STAFF_CREDIT_MAX_WORDS)
    )


def is_byline(line: str, authors: Sequence[str]) -> bool:
    """A byline: a label with names ("Von Jane Doe, Berlin"), or the credited names alone."""
    if len(line.split()) > BYLINE_MAX_WORDS:
        return False
    folded = word_key(line)
    names = [key for key in (word_key(a) for a in authors) if key and key in folded]
    if _BYLINE_LABEL.match(line) and (names or len(line.split()) <= 5):
        return True
    rest = folded
    for key in names:
        rest = rest.replace(key, " ")
    return bool(names) and len(rest.split()) <= 2


def _is_headline(line: str, keys: Sequence[str], title: str) -> bool:
    """The headline again, maybe joined to its kicker or the site's name, or run together with
    the dateline, section and byline printed around it (as a layout table reads): a line that
    holds the headline and a date, adds a byline's worth of words at most, and ends no sentence."""
    folded = word_key(line)
    for at, key in enumerate(keys):
        if not key or key not in folded:
            continue
        if folded == key:
            return True
        # Past the title itself, a key is a part of it, which a sentence of the story may quote.
        sentence = line.rstrip().endswith(_SENTENCE_ENDS)
        if len(line) <= len(title) + HEADLINE_EXTRA_CHARS and not (at and sentence):
            return True
        rest = len(folded.split()) - len(key.split())
        if rest <= BYLINE_MAX_WORDS and _DATE.search(line) and not sentence:
            return True
    return False


def _is_dateline(line: str) -> bool:
    """A line of the story's particulars under its headline: a date with a place, a source or a
    byline ("publié le 3 novembre 2026 par ...", a source and a time in Chinese), no sentence."""
    return (
        len(line.split()) <= DATELINE_MAX_WORDS
        and _DATE.search(line) is not None
        and not line.rstrip().endswith(_SENTENCE_ENDS)
    )


def _is_kicker(line: str) -> bool:
    return len(line.split()) <= KICKER_MAX_WORDS and not line.rstrip().endswith((".", "!", "?"))


def without_stray_lines(paragraphs: Sequence[str], title: str | None, authors: Sequence[str]) -> list[str]:
    """``paragraphs`` without the page furniture among them.

    In the head: bylines, the headline (alone, or run together with its dateline and byline) with
    the kicker and whatever short lines stand above it (a motto, a breadcrumb), and the dateline
    under it. Anywhere: timestamps, links to other stories, lone interface words, photo credits
    and media teasers.
    """
    keys = headline_keys(title)
    kept: list[str] = []
    previous_kept = False
    below_headline = False
    for line in paragraphs:
        # The head is counted in kept lines: furniture (video boxes, timestamps) can fill the first ones.
        if len(kept) < HEAD_LINES:
            if is_byline(line, authors):
                previous_kept = False
                continue
            if _is_headline(line, keys, title or ""):
                if previous_kept and _is_kicker(kept[-1]):
                    kept.pop()
                # Above the headline, nothing of the story: the site's motto, the breadcrumb.
                while kept and not is_running(kept[-1]):
                    kept.pop()
                previous_kept = False
                below_headline = True
                continue
            if below_headline and not kept and _is_dateline(line):
                previous_kept = False
                continue
        if is_timestamp(line) or is_interface_line(line):
            previous_kept = False
            continue
        kept.append(line)
        previous_kept = True
    return _without_tag_list(kept)


def _without_tag_list(lines: list[str]) -> list[str]:
    """``lines`` without the list of topic tags that closes a story page ("Tags:", "Economy", ...)."""
    for at, line in enumerate(lines):
        if _TAGS_LABEL.match(line) and all(len(tag.split()) <= TAG_MAX_WORDS for tag in lines[at + 1 :]):
            return lines[:at]
    return lines
