"""Author lists a reader can trust: people's names only, each once, with organisations apart.

Bylines arrive as "By Jane Doe and John Roe, Staff Writers", as e-mail addresses, as the
publisher's own name, or as "Redaktion" (the newsroom: an organisation's credit). These rules
are about names in general, in any language, and never about one site.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from crawler.extraction.bodylines import PHOTO_CREDIT

_BY = re.compile(
    r"^\s*(?:written\s+by|reported\s+by|posted\s+by|by|von|par|door|por|av|af|przez|от|"
    r"autor(?:in)?|author|auteur|text|texte|reporter)\s*[:\s]\s*",
    re.IGNORECASE,
)
# Conjunctions in lower case only: "John E Smith" is one person.
_SPLIT = re.compile(r"\s*(?:;|\||/|,|、|，|&|\b(?:and|And|AND|und|et|y|e|og|en|i|och|ja|és)\b)\s*")
_NOISE = re.compile(
    r"\S+@\S+|https?://\S+|www\.\S+|@\w+|\+?\d[\d\s().-]{6,}\d|"
    r"\b(?:updated|published|aktualisiert|veröffentlicht|mis à jour)\b.*$|"
    # A byline glued to its date and time: "Jane Doe - April 10, 2026, 11:28 AM", "Jane Doe 10. März 2026",
    # "Jane Doe am Samstag, 19. Oktober 2019", "Jane Doe, 07 Dezember, 2022", "Jane Doe 20.09.2020".
    r"(?:\b(?:on|am|le|el|il|op|den)\s+(?:[^\W\d_]{3,},?\s+)?)?(?:\b[^\W\d_]{3,}\.?\s+\d{1,2},?\s+\d{4}\b|"
    r"\b\d{1,2}\.?\s+[^\W\d_]{3,}\.?,?\s+\d{4}\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{1,2}:\d{2}\b).*$",
    re.IGNORECASE,
)
# A closing credit line is short, and so is each name in it.
SIGN_OFF_MAX_WORDS = 8
SIGN_OFF_PART_WORDS = 4
# "Source: dpa/AFP" credits where the text came from: organisations, whatever their names.
_SOURCE_LABEL = re.compile(r"^\s*(?:quelle|source|sources|fuente|fonte|bron|kilde|källa|źródło)\s*:\s*", re.IGNORECASE)
# Scripts that write a name without spaces; in the others a one-word part of a longer credit is
# rarely a person (a place, a desk, initials: "Jane Doe, Nairobi"), while a credit of one word
# alone is a pen name or a user name ("flerche", "Limespacer").
_UNSPACED_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# Initials and notes in brackets: "Jane Doe (jd)", "Deutsche Welle (www.dw.com)", a lone "(".
_BRACKETS = re.compile(r"\([^)]*\)?|\[[^\]]*\]?")
# Words that make a credit a role, not a person. A newsroom credited by its name ("Redaktion",
# "Newsroom") is an organisation: ``_ORGANISATION``.
_ROLES = re.compile(
    r"^(?:staff(?:\s+(?:writer|reporter))?|reporter|correspondent|editor|editors|editorial|"
    r"desk|team|admin|"
    r"guest|contributor|author|journalist|online|agencies|agency|"
    # "News" in the languages of the news: a section's name, not a credit.
    r"news|nachrichten|aktuelles|noticias|notícias|notizie|nieuws|nyheter|nyheder|actualités|wiadomości)$",
    re.IGNORECASE,
)
_ROLE_SUFFIX = re.compile(
    r",?\s*\b(?:staff\s+writer|staff\s+reporter|senior\s+\w+|chief\s+\w+|\w+\s+correspondent|"
    r"\w+\s+editor|(?:\w+\s+)?writer|reporter|correspondent|editor|contributor|columnist|for\s+.+)$",
    re.IGNORECASE,
)
# Credits that name an organisation: agencies, desks, domains, all-caps acronyms.
_ORGANISATION = re.compile(
    r"\.(?:com|org|net|de|fr|be|nl|uk|at|ch|it|es)\b|\b(?:news|press|agency|agencies|media|"
    r"times|post|herald|tribune|journal|newsroom|redaktion|rédaction|associated|reuters|afp|"
    r"dpa|apa|ansa|efe|kyodo|xinhua|staff|online|zeitung|nachrichten|welle|radio|tv|blatt|"
    r"magazin|magazine|gazette|courier|daily|redaction|redactie|redazione|redacción|agence|agencia|agenzia|"
    r"agentur|ajans\w*)\b|(?-i:^[A-Z]{2,6}$)",
    re.IGNORECASE,
)

# A word this short in a list of credits is a code: initials or a desk ("srf/hosb, kesm"), in any case.
_CODE = re.compile(r"^[a-z]{2,6}$", re.IGNORECASE)


def _fold(name: str) -> str:
    """A spelling-insensitive key: accents, case and punctuation removed."""
    decomposed = unicodedata.normalize("NFKD", name)
    return " ".join(re.sub(r"[\W_]+", " ", "".join(c for c in decomposed if not unicodedata.combining(c))).casefold().split())


def _clean(part: str, *, keep_role: bool = False) -> str:
    part = _NOISE.sub(" ", part)
    part = _BRACKETS.sub(" ", part)
    part = _BY.sub("", part)
    if not keep_role:
        part = _ROLE_SUFFIX.sub("", part)
    return " ".join(part.strip(" \t\n-–—:,.·|»«›‹→←").split())


def _names_publisher(key: str, publisher_key: str) -> bool:
    """Whether a folded credit is the publisher's name or a part of it ("Courier" for "The Daily Courier")."""
    return bool(key) and bool(publisher_key) and set(key.split()) <= set(publisher_key.split())


def sign_off_credits(line: str, publisher: str | None) -> list[str]:
    """The sources a story's closing credit line names: "Quelle: dpa/AFP", "Courier / Metro Daily".

    Stories taken from agencies or other papers say so in a last line of their own: after a
    source label, or as names joined by slashes that include the publisher, who adapted the
    text. The publisher itself is not the source and is left out.
    """
    words = line.split()
    if not words or len(words) > SIGN_OFF_MAX_WORDS or line.rstrip().endswith((".", "!", "?")):
        return []
    labelled = _SOURCE_LABEL.match(line)
    text = _SOURCE_LABEL.sub("", line) if labelled else line
    parts = [" ".join(p.split()) for p in text.split("/") if p.strip()]
    publisher_key = _fold(publisher or "")
    own = [p for p in parts if _names_publisher(_fold(p), publisher_key)]
    if not labelled and not (len(parts) >= 2 and own):
        return []
    if any(len(p.split()) > SIGN_OFF_PART_WORDS or not p[0].isalpha() for p in parts):
        return []
    return [p for p in parts if p not in own]


def is_organisation(name: str) -> bool:
    return _ORGANISATION.search(name) is not None


def clean_authors(
    sources: Iterable[Iterable[tuple[str, bool]]],
    publisher: str | None = None,
    *,
    printed: Iterable[str] = (),
) -> tuple[list[str], list[str]]:
    """People, else organisations, from author credits ``(text, known_to_be_organisation)``.

    ``sources`` are tried in order, most trusted first; the first that names a person decides,
    so a page's visible byline beats the publisher that its structured data credits. Within a
    source people win over organisations ("Jane Doe and AFP" credits Jane Doe). With no person
    anywhere, the first source crediting an organisation gives the organisations.

    ``printed`` is the byline the page shows its readers. Structured data often credits only
    the lead author; when the printed byline names all the people found and more, the others
    are co-authors and join them.

    Returns:
        ``(people, organisations)``; at most one of them is non-empty.
    """
    first_organisations: list[str] = []
    for credits in sources:
        people, organisations = _people_and_organisations(credits, publisher)
        if people:
            return _with_coauthors(people, _people_and_organisations(((t, False) for t in printed), publisher)[0]), []
        first_organisations = first_organisations or organisations
    return [], first_organisations


def _with_coauthors(people: list[str], printed: list[str]) -> list[str]:
    """``people`` and the printed byline's other names, if it names all of ``people``."""
    keys = {_fold(name) for name in people}
    printed_keys = [_fold(name) for name in printed]
    if not keys < set(printed_keys):
        return people
    return people + [name for name, key in zip(printed, printed_keys, strict=True) if key not in keys]


def _people_and_organisations(
    credits: Iterable[tuple[str, bool]], publisher: str | None
) -> tuple[list[str], list[str]]:
    people: dict[str, str] = {}
    organisations: dict[str, str] = {}
    publisher_key = _fold(publisher or "")
    for text, known_org in credits:
        if PHOTO_CREDIT.match(text):
            continue  # the photographer, not the writer
        if not known_org and _SOURCE_LABEL.match(text):
            text, known_org = _SOURCE_LABEL.sub("", text), True
            parts = _SPLIT.split(_NOISE.sub(" ", text).strip())
        else:
            parts = [text] if known_org else _SPLIT.split(_BY.sub("", _NOISE.sub(" ", text).strip()))
        for part in parts:
            name = _clean(part)
            key = _fold(name)
            desk = _names_publisher(key, publisher_key) and (whole := _clean(part, keep_role=True)) != name
            if desk:
                # "Courier staff reporter": the publisher's newsroom, credited by its role.
                name, key = whole, _fold(whole)
            if not key or _ROLES.match(name) or len(name) > 80 or not any(c.isalpha() for c in name):
                continue
            code = len(parts) > 1 and _CODE.match(name) is not None
            if known_org or desk or code or key == publisher_key or is_organisation(name) or len(key.split()) > 5:
                organisations.setdefault(key, name)
            elif len(key.split()) >= 2 or _UNSPACED_SCRIPT.search(name) or (len(parts) == 1 and " " not in name):
                people.setdefault(key, name)
    return list(people.values()), list(organisations.values())
