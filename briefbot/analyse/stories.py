"""Story grouping: which reports are one event.

A story is what a digest lists once and what a watch alerts on once, so two events merged
hide one of them. Evidence that two reports are one event: the words of their headlines and
leads, the actors they name and how close in time they are -- each word and name weighted by
how rare it is in the recent corpus (inverse document frequency over the articles of the last
days), so the phrases every report of a template shares ("council votes on", "quarterly
results", "weather warning") weigh little, whatever the template. Evidence that they are two
events (conflicts that keep them apart whatever the wording): different places at the centre
of the reports, different organisations or people acting, different numbers that describe the
event (a score, an amount).

A report joins a story only when it agrees with the story as a whole -- with every report of
it, not its nearest one -- so A~B and B~C never chain A and C into one story when A and C are
different events. A story ends: a report more than ``window`` after the story's latest report
starts a new one. Pure and cheap (no model): features come from the analysis.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..dates import parse_date
from .lexicon import STOPWORDS

SAME_STORY_THRESHOLD = 0.16  # default of the `stories.threshold` setting
WINDOW = timedelta(days=3)  # default of the `stories.window` setting
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d[\d,.%]*")
_TOKEN = re.compile(r"[\w'\u2019-]+")
_NAME = re.compile(r"\b[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)*")
# numbers that describe an event, by kind: a score (3-1), a share (4.5%), an amount ($3m), a count
_NUMBER = re.compile(
    r"(?<![\w.])([$\u20ac\u00a3]\s?)?(\d+(?:[.,]\d+)*)(\s?[-\u2013]\s?\d+(?![\w.]))?"
    r"(\s?(?:%|per ?cent\b|percent\b|m\b|bn\b|million\b|billion\b|k\b))?",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_EXTRA_STOP = frozenset(
    """
would could also year years week weeks day days time times month months percent people officials
monday tuesday wednesday thursday friday saturday sunday told statement reporters
""".split()
)
_GENERIC = STOPWORDS | _EXTRA_STOP
TITLE_WEIGHT = 3.0  # a headline word counts as this many words of the body
MAX_CANDIDATES = 40  # candidate stories a report is compared with, the most alike first
MAX_MEMBERS = 25  # a long developing story is compared through its latest reports


@dataclass
class StoryFeatures:
    """What grouping needs from a report (built from an Analysis, its dict, or raw fields)."""

    terms: dict[str, float]  # stemmed words of the headline and text -> 1 + log(count)
    actors: dict[str, str]  # lowercased name -> kind
    published: datetime | None
    title_names: frozenset[str] = frozenset()  # name words of the headline ("oxenholt", "wenlow")
    words: frozenset[str] = frozenset()  # every lowercased word, to ask "does the other report name it?"
    title_numbers: frozenset[tuple[str, str]] = frozenset()  # (kind, value) of the headline's numbers

    def keys(self) -> set[str]:
        """Every term and name, for document frequencies and for finding candidate stories."""
        return {"t:" + t for t in self.terms} | {"n:" + n for n in self.title_names}


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _stem(w: str) -> str:
    w = w.lower().strip("'-.,").replace("\u2019", "'")
    if w.endswith("'s"):
        w = w[:-2]
    for suf in ("ing", "ed", "es", "s"):
        if len(w) > len(suf) + 3 and w.endswith(suf):
            return w[: -len(suf)]
    return w


def _terms(title: str, text: str) -> dict[str, float]:
    counts: dict[str, float] = {}
    for src, weight in ((title, TITLE_WEIGHT), (text, 1.0)):
        for m in _WORD.finditer(src or ""):
            raw = m.group(0)
            w = _stem(raw)
            if len(w) < 3 and not w[:1].isdigit():
                continue
            if w in _GENERIC or raw.lower() in _GENERIC or _YEAR.match(w):
                continue
            counts[w] = counts.get(w, 0.0) + weight
    return {t: 1.0 + math.log(c) for t, c in counts.items()}


def _numbers(text: str) -> frozenset[tuple[str, str]]:
    """The numbers of a headline with their kind: a score, a share, an amount or a count. A
    year dates a report rather than telling one event from another, and a number right after a
    name is part of the name ("Ember 2", "Phase 3"); both are left out."""
    found = set()
    for m in _NUMBER.finditer(text or ""):
        cur, n, score, unit = m.groups()
        before = text[: m.start()].rstrip().rsplit(" ", 1)[-1] if m.start() else ""
        if not (cur or unit or score) and before[:1].isupper() and text[: m.start()].strip() != before:
            continue
        n = n.replace(",", "")
        unit = (unit or "").strip().lower()
        if score:
            found.add(("score", n + "-" + re.sub(r"\D", "", score)))
        elif "%" in unit or "cent" in unit:
            found.add(("share", n))
        elif cur or unit:
            found.add(("amount", n + unit[:1]))
        elif not _YEAR.match(n):
            found.add(("count", n))
    return frozenset(found)


def _title_names(title: str, text: str, actors: Iterable[str]) -> frozenset[str]:
    """The name words of a headline: its capitalised words. A headline's first word is
    capitalised anyway, so it counts only when the analyser found it as an actor or the text
    writes it capitalised inside a sentence too."""
    known = {w for a in actors for w in a.split()}
    out: set[str] = set()
    for m in _NAME.finditer(title or ""):
        words = [w for w in m.group(0).lower().split()]
        if m.start() == 0 and words and words[0] not in known:
            first = m.group(0).split()[0]
            if not re.search(r"[a-z0-9,;:]\s+" + re.escape(first) + r"\b", text or ""):
                words = words[1:]
        out.update(
            w
            for w in words
            if (len(w) > 2 or any(c.isdigit() for c in w)) and w not in _GENERIC and not w[:1].isdigit()
        )  # "K7", "R12": a road or a route is a name too
    return frozenset(out)


def features(article: Any) -> StoryFeatures:
    """Accepts an Analysis, its to_dict(), or any object/mapping with title/text/actors/published."""
    if isinstance(article, StoryFeatures):
        return article
    title = _get(article, "title") or ""
    text = _get(article, "text") or _get(article, "body") or ""
    if not text:
        text = " ".join(_get(article, "key_points") or [])
    actors: dict[str, str] = {}
    for a in _get(article, "actors") or []:
        name = _get(a, "name") if not isinstance(a, str) else a
        if name:
            actors[name.lower()] = (
                _get(a, "kind", "person") if not isinstance(a, str) else "person"
            ) or "person"
    published = _get(article, "published")
    if isinstance(published, str):
        published = parse_date(published)
    return StoryFeatures(
        _terms(title, text),
        actors,
        published,
        _title_names(title, text, actors),
        frozenset(w.lower().replace("\u2019", "'") for w in _TOKEN.findall(f"{title} {text}")),
        _numbers(title),
    )


# -- weights from the recent corpus -------------------------------------------------------------


class Corpus:
    """Document frequencies of terms and names over the recent reports: the words every report
    of a template uses are in many documents and weigh little; an event's own words are rare."""

    def __init__(self, docs: Iterable[StoryFeatures] = ()) -> None:
        self.df: Counter[str] = Counter()
        self.n = 0
        for f in docs:
            self.add(f)

    def add(self, f: StoryFeatures) -> None:
        self.df.update(f.keys())
        self.n += 1

    def idf(self, key: str) -> float:
        """ln((N + 1) / (df + 1)): high for a word few reports use. With no corpus every
        word weighs the same."""
        if self.n == 0:
            return 1.0
        return math.log((self.n + 1) / (self.df.get(key, 0) + 1)) + 0.01

    def rare(self, key: str) -> bool:
        """Used by at most a tenth of the reports (or 3): a name that can tell events apart."""
        return self.n == 0 or self.df.get(key, 0) <= max(3, self.n // 10)


_FLAT = Corpus()


def _cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if not a or not b:
        return 0.0
    dot = sum(w * b[t] for t, w in a.items() if t in b)
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def _same_name(x: str, y: str) -> bool:
    """ "vantel" ~ "vantel semiconductor", "okonkwo" ~ "samuel okonkwo": one name inside the other."""
    if x == y:
        return True
    tx, ty = x.split(), y.split()
    if len(tx) > len(ty):
        tx, ty = ty, tx
    n = len(tx)
    return ty[:n] == tx or ty[-n:] == tx


def _overlap(a: Iterable[str], b: Iterable[str]) -> list[str]:
    bs = list(b)
    return [x for x in a if any(_same_name(x, y) for y in bs)]


def _hours(a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    return abs((a - b).total_seconds()) / 3600


def _time_factor(hours: float | None) -> float:
    """Reports a day apart may well be one event; a week apart, hardly."""
    if hours is None or hours <= 24:
        return 1.0
    return max(0.3, 1.0 - 0.5 * (hours - 24) / 48)


def components(a: Any, b: Any, corpus: Corpus = _FLAT) -> dict[str, float]:
    """The parts of the score, for explanations and for tests."""
    fa, fb = features(a), features(b)
    wa = {t: w * corpus.idf("t:" + t) for t, w in fa.terms.items()}
    wb = {t: w * corpus.idf("t:" + t) for t, w in fb.terms.items()}
    return {
        "text": _cosine(wa, wb),
        "time": _time_factor(_hours(fa.published, fb.published)),
        "actors": _actor_overlap(fa.actors, fb.actors),  # shown, not scored: the names are in the words
    }


def _actor_overlap(a: Mapping[str, str], b: Mapping[str, str]) -> float:
    """The share of the smaller cast also named in the other report (names matched loosely)."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(_overlap(small, large)) / len(small)


def _score(c: Mapping[str, float]) -> float:
    return c["text"] * c["time"]


def similarity(a: Any, b: Any, corpus: Corpus = _FLAT) -> float:
    """0..1: how much the two reports' words (rare ones most) say they tell the same event."""
    return round(_score(components(a, b, corpus)), 4)


def conflicts(a: StoryFeatures, b: StoryFeatures, corpus: Corpus = _FLAT) -> list[str]:
    """Why two reports cannot be one event, whatever their wording (empty: no conflict).

    - Different names in the headlines: most of the places, teams, companies or people each
      headline names are missing from the other report ("Oxenholt Town beat Wenlow United" vs "Corringdale
      Wanderers beat Marrowfield FC") -- only names rare in the corpus count, so "United" or
      "Council" never decide.
    - Different numbers of the same kind in the headlines: another score, another amount,
      another district or junction.
    """
    out: list[str] = []
    na = {n for n in a.title_names if corpus.rare("n:" + n)}
    nb = {n for n in b.title_names if corpus.rare("n:" + n)}
    if na and nb and len(na & b.words) * 2 < len(na) and len(nb & a.words) * 2 < len(nb):
        out.append(f"different names in the headlines ({', '.join(sorted(na))} / {', '.join(sorted(nb))})")
    kinds = {k for k, _ in a.title_numbers} & {k for k, _ in b.title_numbers}
    for kind in sorted(kinds):
        va = {v for k, v in a.title_numbers if k == kind}
        vb = {v for k, v in b.title_numbers if k == kind}
        if not (va & vb):
            out.append(
                f"different {kind}s in the headlines ({', '.join(sorted(va))} / {', '.join(sorted(vb))})"
            )
    return out


def same_story(a: Any, b: Any, threshold: float = SAME_STORY_THRESHOLD, corpus: Corpus = _FLAT) -> bool:
    """Same event: their words agree enough, and nothing keeps them apart."""
    fa, fb = features(a), features(b)
    return similarity(fa, fb, corpus) >= threshold and not conflicts(fa, fb, corpus)


def group(articles: Iterable[Any], threshold: float = SAME_STORY_THRESHOLD) -> list[list[int]]:
    """Reports into stories, in the given order (indices), by the rule production runs."""
    items = [features(a) for a in articles]
    cands = [Candidate(i, None, f, f.published) for i, f in enumerate(items)]
    decided = assign(cands, [], Settings(threshold=threshold), Corpus(items))
    groups: dict[int, list[int]] = {}
    for cand, story, _ in decided:
        groups.setdefault(story, []).append(cand.id)
    return list(groups.values())


# -- assignment ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """How strict grouping is (`stories:` in the config)."""

    threshold: float = SAME_STORY_THRESHOLD  # higher: stricter (fewer, smaller stories)
    window: timedelta = WINDOW  # a report this long after a story's latest one starts a new story


@dataclass
class Candidate:
    """A report taking part in assignment: its id, its story (None until assigned), its features."""

    id: int
    story_id: int | None
    features: StoryFeatures
    when: datetime | None = None  # published, else first seen


@dataclass
class Why:
    """Why a report joined its story (shown by `briefbot stories show` and the JSON brief)."""

    score: float
    compared_with: int
    shared_actors: list[str] = field(default_factory=list)
    event_words: list[str] = field(default_factory=list)
    hours_apart: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 3),
            "compared_with": self.compared_with,
            "shared_actors": self.shared_actors,
            "event_words": self.event_words,
            "hours_apart": None if self.hours_apart is None else round(self.hours_apart, 1),
        }


def _agrees(art: Candidate, members: Sequence[Candidate], settings: Settings, corpus: Corpus) -> float | None:
    """The report's score against the story as a whole, or None when any member rules it out:
    a conflict with one report of the story, or one report too unlike it, keeps it out (so
    A~B and B~C never chain A and C when A and C are different events)."""
    scores = []
    for m in members:
        if conflicts(art.features, m.features, corpus):
            return None
        s = _score(components(art.features, m.features, corpus))
        if s < settings.threshold * 0.6:
            return None
        scores.append(s)
    mean = sum(scores) / len(scores)
    return mean if mean >= settings.threshold else None


def explain(art: Candidate, members: Sequence[Candidate], corpus: Corpus) -> Why:
    scores = [_score(components(art.features, m.features, corpus)) for m in members]
    shared = sorted({x for m in members for x in _overlap(art.features.actors, m.features.actors)})
    words: Counter[str] = Counter()
    for m in members:
        for t in art.features.terms.keys() & m.features.terms.keys():
            words[t] += 1
    event_words = sorted(words, key=lambda t: (-corpus.idf("t:" + t) * words[t], t))[:8]
    hours = [h for m in members if (h := _hours(art.when, m.when)) is not None]
    return Why(sum(scores) / len(scores), len(members), shared, event_words, min(hours) if hours else None)


def assign(
    fresh: Iterable[Candidate],
    pool: Iterable[Candidate],
    settings: Settings = Settings(),
    corpus: Corpus | None = None,
) -> list[tuple[Candidate, int, Why | None]]:
    """Decide each fresh report's story, oldest first; returns (report, story key, why it joined).

    The key is an existing story's id, or ``-N`` for the N-th new story of this call (the
    caller creates it and gives later reports the real id). A report joins the story whose
    reports it agrees with as a whole (``_agrees``) with the best score, among the stories
    whose latest report is within ``settings.window`` of it; else it starts a new story.
    This is what production runs (``App.group_stories``).
    """
    fresh = sorted(fresh, key=lambda c: (c.when.timestamp() if c.when else 0.0, c.id))
    pool = list(pool)
    corpus = corpus or Corpus([c.features for c in pool] + [c.features for c in fresh])
    stories: dict[int, list[Candidate]] = {}
    for c in pool:
        if c.story_id is not None:
            stories.setdefault(c.story_id, []).append(c)
    by_key: dict[str, set[int]] = {}  # term or name -> stories holding it, to find candidates fast
    for sid, members in stories.items():
        for m in members:
            for k in _index_keys(m.features, corpus):
                by_key.setdefault(k, set()).add(sid)
    out: list[tuple[Candidate, int, Why | None]] = []
    new = 0
    for art in fresh:
        best: int | None = None
        best_score = 0.0
        # Candidate stories: those sharing the report's rarer words and names, the most shared
        # weight first, at most MAX_CANDIDATES -- so a report's cost does not grow with history
        # or with a feed full of alike reports.
        weight: dict[int, float] = {}
        for k in _index_keys(art.features, corpus):
            holders = by_key.get(k, ())
            if len(holders) > 4 * MAX_CANDIDATES:
                continue  # a key this many stories share tells none of them apart
            w = corpus.idf(k)
            for sid in holders:
                weight[sid] = weight.get(sid, 0.0) + w
        cands = sorted(weight, key=lambda sid: (-weight[sid], sid))[:MAX_CANDIDATES]
        for sid in cands:
            members = stories[sid][-MAX_MEMBERS:]
            latest = max((m.when for m in members if m.when is not None), default=None)
            hours = _hours(art.when, latest)
            if hours is not None and hours > settings.window.total_seconds() / 3600:
                continue  # the story has ended
            score = _agrees(art, members, settings, corpus)
            if score is not None and score > best_score:
                best, best_score = sid, score
        why = None
        if best is None:
            new += 1
            best = -new
            stories[best] = []
        else:
            why = explain(art, stories[best][-MAX_MEMBERS:], corpus)
        stories[best].append(art)
        for k in _index_keys(art.features, corpus):
            by_key.setdefault(k, set()).add(best)
        out.append((art, best, why))
    return out


def _index_keys(f: StoryFeatures, corpus: Corpus) -> set[str]:
    """The keys a report is found by: its rarer words and headline names (a word in more than a
    fifth of the corpus finds nothing its rarer words would not)."""
    keys = f.keys()
    if corpus.n < 30:
        return keys
    return {k for k in keys if corpus.df.get(k, 0) <= max(3, corpus.n // 5)}
