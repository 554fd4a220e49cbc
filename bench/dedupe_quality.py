"""Near-duplicate story clusters on a labelled set: same-story pair precision and recall.

The labelled set is generated here from a fixed seed: 25 stories about one topic (a city's
transport and budget), each published 2-5 times (the original, and variants with other chrome,
another headline, a trimmed or added paragraph, a byline, or a few words changed, two or three
of these at once), and 25 distinct stories on the same topic, which share vocabulary and stock
phrases as real ones on one subject do and must stay apart. The set is stored through
``store_articles`` into a fresh SQLite file per threshold; each copy's cluster is read back and
same-story pair precision and recall are printed, the default (``NEWS_NEAR_DUP_THRESHOLD``)
marked. The test suite holds the default to >= 0.95 on both.

    python bench/dedupe_quality.py
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from crawler import settings
from crawler.dedupe.fingerprints import body_fingerprint
from crawler.items import ArticleItem
from crawler.storage import (
    Article,
    ArticleUrl,
    init_db,
    make_engine,
    make_sessionmaker,
    store_articles,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

FETCHED = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)



_PEOPLE = ["Amara Osei", "Birgit Lund", "Carlos Mendes", "Dara Whelan", "Elif Kaya", "Farid Haddad",
           "Greta Novak", "Hugo Laurent", "Ines Duarte", "Jonas Berg", "Kemi Adeyemi", "Lukas Meier",
           "Mina Sato", "Nils Holm", "Olga Petrova", "Pavel Dvorak", "Quinn Harper", "Rosa Lindqvist",
           "Samir Nasser", "Tara Quinn", "Umar Farouk", "Vera Sokolova", "Wim de Jong", "Yara Haddad"]
_ROLES = ["the transport commissioner", "the council's finance chief", "a spokesperson for the mayor",
          "the head of the drivers' union", "an opposition councillor", "the chair of the budget committee",
          "a local business leader", "the city's chief engineer", "a residents' association leader"]
_PLACES = ["the northern ring road", "Harbour Street", "the old tram depot", "the central station",
           "the eastern bridge", "Market Square", "the university quarter", "the airport link",
           "the riverside quarter", "the western bus garage", "the cathedral district", "Mill Lane"]
_PROJECTS = ["a new tram line", "an electric bus fleet", "a congestion charge", "a cycle network",
             "a park-and-ride scheme", "a night bus service", "a fare freeze", "a bridge repair",
             "a low-emission zone", "a metro extension", "a car-free centre", "a rail upgrade"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_TEMPLATES = [
    "{person}, {role}, said on {day} that {project} near {place} would cost {n} million euros.",
    "The plan for {project} was approved by {m} votes to {k} after a debate that lasted {h} hours.",
    "Critics argue that {project} will divert money from {place}, where repairs are {n} months late.",
    "According to figures released on {day}, passenger numbers at {place} rose by {p} per cent last year.",
    "{person} warned that without {project} the city would miss its climate targets by {y} years.",
    "Work on {project} is due to begin in {month} and should be finished within {h} months.",
    "Residents near {place} collected {n} hundred signatures against {project} in a single week.",
    "The council expects {project} to carry {n} thousand passengers a day once it opens.",
    "{person} told reporters at {place} that the budget gap had grown to {n} million euros.",
    "Opposition members called for an independent review of {project} before any contract is signed.",
    "A survey of {n} hundred commuters found that {p} per cent would use {project} at least weekly.",
    "The regional government has promised to cover {p} per cent of the cost of {project}.",
    "Traffic around {place} will be diverted for {h} weeks while engineers assess the site.",
    "{person}, {role}, described the decision as {adjective} and promised further consultation.",
    "Shop owners near {place} fear that {project} will keep customers away during construction.",
    "The last comparable scheme, {project} in {year}, ran {p} per cent over budget.",
]
_ADJECTIVES = ["historic", "premature", "reckless", "long overdue", "a compromise", "disappointing"]
_MONTHS = ["January", "March", "April", "June", "September", "October", "November"]
_CHROME = [
    "Sign up for our morning newsletter and get the day's top stories before breakfast.",
    "Read more: the week's other transport stories, all in one place.",
    "This article is available to subscribers. Support independent journalism today.",
    "Follow us on social media for live updates from the council chamber.",
]
_LOCAL = [
    "In our own region, a similar proposal was shelved last spring after objections from farmers.",
    "Readers can send their views on the plan to the letters desk before the end of the month.",
    "Local councillors said they would watch the outcome closely before drafting their own scheme.",
]
_BYLINES = ["By Agence Wire staff", "From our correspondent", "Reporting by Tara Quinn; editing by Nils Holm"]
_SWAPS = {"said": "stated", "would": "will", "rose": "increased", "promised": "pledged", "found": "showed",
          "expects": "anticipates", "fear": "worry", "called": "asked", "cost": "require", "due": "expected"}


@dataclass(frozen=True)
class Copy:
    story: int  # copies of one story share this number
    title: str
    body: str


def _sentence(rng: random.Random) -> str:
    return rng.choice(_TEMPLATES).format(
        person=rng.choice(_PEOPLE), role=rng.choice(_ROLES), place=rng.choice(_PLACES),
        project=rng.choice(_PROJECTS), day=rng.choice(_DAYS), month=rng.choice(_MONTHS),
        adjective=rng.choice(_ADJECTIVES), n=rng.randint(2, 950), m=rng.randint(20, 40), k=rng.randint(3, 19),
        h=rng.randint(2, 30), p=rng.randint(3, 97), y=rng.randint(2, 12), year=rng.randint(1995, 2022),
    )


def _story(rng: random.Random) -> list[str]:
    return [" ".join(_sentence(rng) for _ in range(rng.randint(2, 3))) for _ in range(rng.randint(6, 9))]


def _variant(rng: random.Random, paragraphs: list[str]) -> list[str]:
    changed = list(paragraphs)
    for change in rng.sample(["chrome", "trim", "add", "byline", "words"], rng.randint(2, 3)):
        if change == "chrome":
            changed.append(rng.choice(_CHROME))
        elif change == "trim":
            changed = changed[:-1]
        elif change == "add":
            changed.insert(rng.randint(1, len(changed)), rng.choice(_LOCAL))
        elif change == "byline":
            changed.insert(0, rng.choice(_BYLINES))
        else:
            words = "\n\n".join(changed).split(" ")
            spots = [i for i, w in enumerate(words) if w in _SWAPS]
            for spot in rng.sample(spots, min(len(spots), rng.randint(3, 6))):
                words[spot] = _SWAPS[words[spot]]
            changed = " ".join(words).split("\n\n")
    return changed


def labelled_set(stories: int = 25, distinct: int = 25, seed: int = 7) -> list[Copy]:
    """``stories`` stories in 2-5 copies each, then ``distinct`` stories in one copy each."""
    rng = random.Random(seed)
    copies = []
    for number in range(stories + distinct):
        paragraphs = _story(rng)
        title = f"{_sentence(rng).split(',')[0]} (story {number})"
        copies.append(Copy(number, title, "\n\n".join(paragraphs)))
        for extra in range(rng.randint(1, 4) if number < stories else 0):
            copies.append(Copy(number, f"{title}, copy {extra}", "\n\n".join(_variant(rng, paragraphs))))
    rng.shuffle(copies)
    return copies


def pair_scores(stories: list[int], clusters: list[int]) -> tuple[float, float]:
    """Precision and recall of same-story pairs: copies ``i, j`` are predicted to be one story
    when ``clusters[i] == clusters[j]``, and are one when ``stories[i] == stories[j]``."""
    true_pairs = predicted = both = 0
    for i in range(len(stories)):
        for j in range(i + 1, len(stories)):
            same, joined = stories[i] == stories[j], clusters[i] == clusters[j]
            true_pairs += same
            predicted += joined
            both += same and joined
    return (both / predicted if predicted else 1.0), (both / true_pairs if true_pairs else 1.0)


def items_of(copies: list[Copy]) -> list[ArticleItem]:
    """The copies as articles of seven sites, one URL each."""
    return [
        ArticleItem(url=f"https://site{n % 7}.example/copy/{n}", canonical_url=f"https://site{n % 7}.example/copy/{n}",
                    site=f"site{n % 7}.example", title=copy.title, body=copy.body, fetched_at=FETCHED,
                    content_fingerprint=body_fingerprint(copy.body))
        for n, copy in enumerate(copies)
    ]


def clusters_of(sessions: sessionmaker[Session], items: list[ArticleItem]) -> list[int]:
    """The story cluster each item was stored in (a copy whose text is exactly another's is
    stored as a URL of it, in ``article_urls``)."""
    with sessions() as session:
        story = func.coalesce(Article.cluster_id, Article.id)
        rows = session.execute(select(ArticleUrl.url, story).join(Article, Article.id == ArticleUrl.article_id))
        cluster_of = {url: cluster for url, cluster in rows}
    return [cluster_of[item.url] for item in items]


def clusters_at(threshold: float, folder: Path) -> tuple[list[int], list[int]]:
    """``(story, cluster)`` of every copy of the labelled set, stored at ``threshold``."""
    copies = labelled_set()
    items = items_of(copies)
    engine = make_engine(f"sqlite:///{folder / f'stories-{threshold}.db'}")
    init_db(engine)
    sessions = make_sessionmaker(engine)
    for start in range(0, len(items), 10):
        with sessions.begin() as session:
            store_articles(session, items[start:start + 10], story_threshold=threshold)
    clusters = clusters_of(sessions, items)
    engine.dispose()
    return [copy.story for copy in copies], clusters


def main() -> int:
    copies = labelled_set()
    print(f"labelled set: {len(copies)} copies of {len({c.story for c in copies})} stories "
          f"({sum(1 for s in {c.story for c in copies} if sum(c.story == s for c in copies) > 1)} in 2-5 copies)")
    print(f"{'threshold':>10} {'precision':>10} {'recall':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for threshold in (0.4, 0.5, 0.6, 0.7, 0.8):
            precision, recall = pair_scores(*clusters_at(threshold, Path(folder)))
            mark = "  (default)" if threshold == settings.NEWS_NEAR_DUP_THRESHOLD else ""
            print(f"{threshold:>10.2f} {precision:>10.3f} {recall:>8.3f}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
