"""The headline: the title most of a page's sources agree on, without the site name glued to it."""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping

from lxml import etree
from lxml.html import HtmlElement

_SEPARATORS = re.compile(r"\s+[|\-–—:·•»]\s+|\s*[|｜：·•»]\s*")
_PIPE = re.compile(r"\s*[|｜]\s*")
# Where a kicker ("Topic: Story", "Topic - Story") ends and the story's headline begins.
_KICKER_END = re.compile(r"(?<=\S)[:：]\s+|\s+[-–—]\s+")
_WORD = re.compile(r"\w+", re.UNICODE)
# Zero-width space, word joiner, byte order mark: carried over from CMS fields, never seen.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def agrees(candidate: str, declared: str) -> bool:
    """Most of the candidate's words are in the declared title and it covers most of it."""
    mine, theirs = _words(candidate), _words(declared)
    if not mine or not theirs:
        return False
    common = len(set(mine) & set(theirs))
    return common / len(set(mine)) >= 0.8 and common / len(set(theirs)) >= 0.6


def _agrees_with_any(h1: str, declared: list[str]) -> bool:
    """Whether the ``<h1>`` agrees with a declared title, either of them without its kicker."""
    mine = [h1, *(rest for _, rest in _kicker_splits(h1))]
    theirs = [d for title in declared for d in (title, *(rest for _, rest in _kicker_splits(title)))]
    return any(agrees(m, t) for m in mine for t in theirs)


def strip_site_name(title: str, site_names: Iterable[str]) -> str:
    """Drop a leading or trailing segment that names the site ("Story | The Paper")."""
    names = {" ".join(_words(n)) for n in site_names if n}
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    for index in (-1, 0):
        segment = " ".join(_words(parts[index]))
        if segment and (segment in names or any(segment in n or n in segment for n in names if n)):
            rest = parts[:-1] if index == -1 else parts[1:]
            # Re-join with the separators as they were.
            start = title.find(rest[0])
            end = title.rfind(rest[-1]) + len(rest[-1])
            return title[start:end].strip()
    return title


def choose_title(
    headline: str | None,
    social: Iterable[str | None],
    h1s: Iterable[str],
    site_names: Iterable[str | None],
    printed: Mapping[str, tuple[str, bool]] | None = None,
) -> str | None:
    """The headline most of the page's independent sources agree on.

    Three voters: the JSON-LD ``headline``; the social and search titles (Open Graph, Twitter
    card, ``<title>``), which publishers copy from one another and so get one vote, their own
    majority; and an ``<h1>`` close to either. Publishers rewrite one of them for search or social
    media and keep the story's headline in the others. Ties go to JSON-LD, then the social title.
    A kicker some sources carry and others do not is dropped before the vote, and so is what a
    title adds to the headline the page prints (``printed``, from ``printed_title_parts``).
    """
    names = [n for n in site_names if n]
    printed = printed or {}
    declared = [_clean(t) for t in social if _clean(t)]
    # A page declaring its title once, in <title>, glues anything to it in any way ("Story (from
    # Paper)", "Story on site.com"); the headline is then what the page prints of it.
    loose = not _clean(headline) and len(declared) == 1
    jsonld = [strip_site_name(_clean(headline), names)] if _clean(headline) else []
    # A title the JSON-LD headline repeats whole is the headline, whatever the page prints.
    social_titles = [
        strip_site_name(t if _words(t) == _words(_clean(headline)) else _printed_part(t, printed, loose), names)
        for t in declared
    ]
    h1s = [h for h in map(_clean, h1s) if h]
    if not jsonld and not social_titles:
        return h1s[0] if h1s else None  # a page that declares no title: its first headline
    if loose and not any(_headline_sized(word_key(part)) for part in _TITLE_PARTS.split(social_titles[0])):
        # A <title> naming only the site and its sections: the page's first headline.
        return next((h for h in h1s if _headline_sized(word_key(h))), social_titles[0])
    h1 = next((h for h in h1s if _agrees_with_any(h, jsonld + social_titles)), "")
    everything = _drop_pipe_suffixes([*jsonld, *social_titles, *([h1] if h1 else [])])
    everything = _drop_kickers(everything, declared=len(jsonld) + len(social_titles))
    jsonld, social_titles = everything[: len(jsonld)], everything[len(jsonld) : len(jsonld) + len(social_titles)]
    voters = [*jsonld, *filter(None, [_majority(social_titles), h1 and everything[-1]])]
    if not voters:
        return None
    votes = Counter(word_key(v) for v in voters)
    best = max(votes.values())
    winner = next(word_key(v) for v in voters if votes[word_key(v)] == best)
    # The winning wording, spelled as most sources spell it.
    return _best_spelling([c for c in everything if word_key(c) == winner], everything)


def printed_title_parts(tree: HtmlElement, titles: Iterable[str | None]) -> dict[str, tuple[str, bool]]:
    """What the page prints of its titles as a text of its own (a heading, a bold line, a table
    cell): by word key, the text as printed and whether a heading (``<h1>`` to ``<h3>``) prints it.

    A title adds the site's name, a section or a slogan to the headline, in any order and with
    any separator; the page prints the headline itself above the story and rarely the rest in
    one run. Read before furniture pruning, which may take the headline's row with the menus.
    """
    declared = [_clean(t) for t in titles if t and _few_parts(t)]
    if len(declared) > 1 and not any(_JOINERS.search(title) for title in declared):
        return {}  # several titles, none with parts: nothing printed can shorten them
    keys: set[str] = set()
    for title in declared:
        words = word_key(title).split()
        keys.add(" ".join(words))
        keys.update(key for key, _ in _part_runs(title))
        runs = (" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1))
        keys.update(run for run in runs if _headline_sized(run))
    body = tree.find("body")
    keys.discard("")
    if not keys or body is None:
        return {}
    # Printed, a key's text is about as long (punctuation and spacing aside): the bounds spare
    # reading the words of every other text on the page.
    shortest, longest = min(map(len, keys)) - 2, 2 * max(map(len, keys)) + 40
    printed: dict[str, tuple[str, bool]] = {}
    # Every text node (a headline with no inline markup in it), then each heading's whole text.
    texts = _TEXT_NODES(body, shortest=shortest, longest=longest)
    firsts = {key.split(" ", 1)[0] for key in keys}
    for text, heading in [*((t, False) for t in texts), *((h.text_content(), True) for h in body.iter(*_HEADINGS))]:
        if not shortest <= len(text) <= longest or not (first := _WORD.search(text)) or first.group().casefold() not in firsts:
            continue
        if (key := word_key(text)) in keys and (heading or key not in printed):
            printed[key] = (" ".join(text.split()), heading)
    return printed


def _part_runs(title: str) -> list[tuple[str, str]]:
    """``(word key, text)`` of each run of a title's parts but the whole, long enough to be a
    headline, spelled as the title spells it."""
    joints = [(m.start(), m.end()) for m in _JOINERS.finditer(title)]
    starts, ends = [0, *(end for _, end in joints)], [*(start for start, _ in joints), len(title)]
    runs = []
    for first, start in enumerate(starts):
        for last in range(first, len(ends)):
            if joints and (first, last) != (0, len(ends) - 1) and _headline_sized(key := word_key(text := title[start : ends[last]])):
                runs.append((key, text.strip()))
    return runs


def _printed_part(title: str, printed: Mapping[str, tuple[str, bool]], loose: bool) -> str:
    """The longest run of the title's parts the page prints, unless a heading prints the title.

    ``loose``: any run of the title's words the page prints, as printed.
    """
    whole = word_key(title)
    if not title or printed.get(whole, ("", False))[1] or not _few_parts(title):
        return title
    runs = [(key, text) for key, text in _part_runs(title) if key in printed]
    if loose:
        runs += [(key, text) for key, (text, _) in printed.items() if key != whole and _headline_sized(key)]
    return max(runs, key=lambda run: len(run[0].split()))[1] if runs else title


def _few_parts(title: str) -> bool:
    """Whether a title has no more parts than a title has: dozens are a menu or a page's text run
    into <title> by broken markup."""
    return len(_JOINERS.findall(title)) <= MAX_TITLE_JOINTS


def _headline_sized(key: str) -> bool:
    words = key.split()
    return len(words) >= HEADLINE_PART_WORDS or (
        len(words) == 1 and len(key) >= HEADLINE_PART_CHARS_UNSPACED and not key.isascii()
    )


def _majority(texts: list[str]) -> str | None:
    if not texts:
        return None
    counts = Counter(texts)
    best = max(counts.values())
    return next(t for t in texts if counts[t] == best)


def _drop_pipe_suffixes(titles: list[str]) -> list[str]:
    """"Story | Section" becomes "Story" when another source gives "Story" alone."""
    keys = {word_key(t) for t in titles}
    result = []
    for title in titles:
        head = _PIPE.split(title, maxsplit=1)[0].strip()
        result.append(head if head != title and word_key(head) in keys else title)
    return result


def _kicker_splits(title: str) -> list[tuple[str, str]]:
    """``(kicker, rest)`` at each kicker separator, longest rest first.

    A kicker is shorter than the headline it introduces, so splits leaving a shorter rest
    (a trailing "- Live updates", a section name) are not offered.
    """
    splits = []
    for match in _KICKER_END.finditer(title):
        head, rest = title[: match.start()].strip(), title[match.end() :].strip()
        if head and len(_words(rest)) >= max(2, len(_words(head))):
            splits.append((head, rest))
    return splits


def _drop_kickers(titles: list[str], declared: int) -> list[str]:
    """"Topic: Story" becomes "Story" when the sources disagree about the topic line.

    Publishers put a kicker (the topic line above a headline) into some title fields and not
    others. It is dropped when a declared title (JSON-LD, social, ``<title>``: the first
    ``declared`` of ``titles``) gives the story without it, or when two sources put unrelated
    kickers (not a word in common) before the same story; a lead clause that is merely
    reworded ("Port plans:" / "The port's new plans:") shares words and stays. An
    ``<h1>`` without the kicker is no evidence: layouts often set the kicker apart in its own
    element, whatever the publisher calls the headline.
    """
    declared_keys = {word_key(t) for t in titles[:declared]}
    kickers: dict[str, list[set[str]]] = {}
    for title in titles:
        for head, rest in _kicker_splits(title):
            kickers.setdefault(word_key(rest), []).append(set(_words(head)))
    result = []
    for title in titles:
        for _head, rest in _kicker_splits(title):
            if word_key(rest) in declared_keys or _unrelated(kickers[word_key(rest)]):
                title = rest
                break
        result.append(title)
    return result


def _unrelated(kickers: list[set[str]]) -> bool:
    """Whether two of these kickers have no word in common."""
    return any(not (a & b) for i, a in enumerate(kickers) for b in kickers[i + 1 :])


def _best_spelling(spellings: list[str], sources: list[str]) -> str | None:
    """Of spellings of one wording, the one most sources contain (one may add a suffix)."""
    if not spellings:
        return None
    support = {s: sum(s in source for source in sources) for s in spellings}
    best = max(support.values())
    return next(s for s in spellings if support[s] == best)


def _clean(text: str | None) -> str:
    """Entities decoded (JSON-LD often carries them), invisible characters dropped, whitespace
    collapsed and letters in one (composed) spelling."""
    return unicodedata.normalize("NFC", " ".join(_INVISIBLE.sub("", html.unescape(text or "")).split()))


# Where a title joins its parts, in any writing: "Story - Paper", "Paper :: Story", "故事_报纸".
_TITLE_PARTS = re.compile(r"\s+[|\-–—:·•»]+\s+|\s*(?:[|｜：·•»_]+|::)\s*")
# The same without colons, which end a kicker more often than they join a site name.
_JOINERS = re.compile(r"\s+[|\-–—·•»>]+\s+|\s*(?:[|｜·•»_]+|::)\s*")
_HEADINGS = ("h1", "h2", "h3")
_TEXT_NODES = etree.XPath(".//text()[string-length() >= $shortest and string-length() <= $longest]")
# A title joins a headline to a site's name, section and slogan: a few parts, never dozens.
MAX_TITLE_JOINTS = 6
HEADLINE_PART_WORDS = 3
HEADLINE_PART_CHARS_UNSPACED = 6


def headline_keys(title: str | None) -> list[str]:
    """The word keys a printed headline may match: the title's, and the title's without its
    first or its last part, for a title whose site name was not recognised ("Paper - Story",
    "Story : detail - Paper", "故事_报纸"), when what is left is long enough to be a headline."""
    if not title:
        return []
    parts = [word_key(part) for part in _TITLE_PARTS.split(title)]
    keys = [" ".join(parts)]
    if len(parts) > 1:
        keys.extend(rest for rest in (" ".join(parts[1:]), " ".join(parts[:-1])) if _headline_sized(rest))
    return [key for key in dict.fromkeys(keys) if key]


def word_key(text: str) -> str:
    """Text compared by its words alone: casefolded, punctuation and spacing dropped."""
    return " ".join(_words(text))
