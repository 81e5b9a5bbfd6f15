"""Story grouping: do two analysed articles report the same event?

Pure and cheap (no model): the overlap of named actors, a TF-IDF-like overlap of the
headline and lead words (rare and capitalised words and numbers count more), and how close
the publication times are. Shared actors alone are not enough: the same ministers appear in
many different stories, so a minimum of event-word overlap is required as well.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..dates import parse_date
from .lexicon import STOPWORDS

SAME_STORY_THRESHOLD = 0.3
MIN_TEXT_OVERLAP = 0.12
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d[\d,.%]*")
_EXTRA_STOP = frozenset(
    """
would could also year years week weeks day days time times month months percent people officials
monday tuesday wednesday thursday friday saturday sunday told statement reporters
""".split()
)
# generic English frequency is unknown here; these word shapes are informative everywhere
_GENERIC = STOPWORDS | _EXTRA_STOP


@dataclass
class StoryFeatures:
    """What grouping needs from an article (built from an Analysis, its dict, or raw fields)."""

    title_terms: dict[str, float]
    text_terms: dict[str, float]
    actors: dict[str, float]
    published: datetime | None


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


def _terms(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for i, m in enumerate(_WORD.finditer(text or "")):
        raw = m.group(0)
        w = _stem(raw)
        if len(w) < 3 and not w[:1].isdigit():
            continue
        if w in _GENERIC or raw.lower() in _GENERIC:
            continue
        weight = 1.0
        if raw[0].isupper() and i > 0:
            continue  # names are compared as actors; here we compare what happened
        if raw[0].isdigit():
            weight = 1.8  # "4,000", "2-1", "$20" are event-specific
        out[w] = max(out.get(w, 0.0), weight)
    return out


def features(article: Any) -> StoryFeatures:
    """Accepts an Analysis, its to_dict(), or any object/mapping with title/text/actors/published."""
    if isinstance(article, StoryFeatures):
        return article
    title = _get(article, "title") or ""
    text = _get(article, "text") or _get(article, "body") or ""
    points = _get(article, "key_points") or []
    lead = " ".join(points) if points else " ".join(re.split(r"(?<=[.!?])\s+", text)[:4])
    actors: dict[str, float] = {}
    for a in _get(article, "actors") or []:
        name = _get(a, "name") if not isinstance(a, str) else a
        if not name:
            continue
        kind = _get(a, "kind", "person") if not isinstance(a, str) else "person"
        w = {"person": 1.0, "organization": 0.8, "group": 0.5, "place": 0.4}.get(kind or "", 0.5)
        actors[name.lower()] = max(actors.get(name.lower(), 0.0), w)
    published = _get(article, "published")
    if isinstance(published, str):
        published = parse_date(published)
    return StoryFeatures(_terms(title), _terms(lead), actors, published)


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
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


def _weighted_jaccard(a: dict[str, float], b: dict[str, float]) -> float:
    """Weighted overlap of two actor sets, names matched loosely (full name vs short form)."""
    if not a or not b:
        return 0.0
    matched_b: set[str] = set()
    inter = 0.0
    for x, wx in a.items():
        for y, wy in b.items():
            if y not in matched_b and _same_name(x, y):
                matched_b.add(y)
                inter += min(wx, wy)
                break
    union = sum(a.values()) + sum(b.values()) - inter
    return inter / union if union else 0.0


def _time_factor(a: datetime | None, b: datetime | None) -> float:
    if a is None or b is None:
        return 0.5
    if (a.tzinfo is None) != (b.tzinfo is None):
        a, b = a.replace(tzinfo=None), b.replace(tzinfo=None)
    hours = abs((a - b).total_seconds()) / 3600
    if hours <= 36:
        return 1.0
    return max(0.0, 1.0 - (hours - 36) / (7 * 24 - 36))


def components(a: Any, b: Any) -> dict[str, float]:
    """The parts of the score, for debugging and for tests."""
    fa, fb = features(a), features(b)
    ta = {**fa.text_terms, **{k: v * 1.5 for k, v in fa.title_terms.items()}}
    tb = {**fb.text_terms, **{k: v * 1.5 for k, v in fb.title_terms.items()}}
    return {
        "text": _cosine(ta, tb),
        "title": _cosine(fa.title_terms, fb.title_terms),
        "actors": _weighted_jaccard(fa.actors, fb.actors),
        "time": _time_factor(fa.published, fb.published),
    }


def similarity(a: Any, b: Any) -> float:
    """0..1: how likely the two articles report the same event."""
    c = components(a, b)
    score = 0.5 * c["text"] + 0.15 * c["title"] + 0.25 * c["actors"] + 0.1 * c["time"]
    if c["time"] == 0.0:
        score *= 0.5  # a week apart: a follow-up at most
    return round(score, 4)


def same_story(a: Any, b: Any, threshold: float = SAME_STORY_THRESHOLD) -> bool:
    """Same event: similar enough overall AND sharing event words, not just the same actors."""
    c = components(a, b)
    return similarity(a, b) >= threshold and c["text"] >= MIN_TEXT_OVERLAP


def group(articles: Iterable[Any], threshold: float = SAME_STORY_THRESHOLD) -> list[list[int]]:
    """Single-link grouping of articles into stories; returns lists of indices."""
    items = [features(a) for a in articles]
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if same_story(items[i], items[j], threshold):
                parent[find(j)] = find(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


@dataclass
class Candidate:
    """An article taking part in story assignment: its id, its story (None until assigned), its features."""

    id: int
    story_id: int | None
    features: StoryFeatures


def assign(fresh: Iterable[Candidate], pool: Iterable[Candidate]) -> list[tuple[Candidate, Candidate | None]]:
    """Decide, in arrival order, which earlier article each fresh one shares a story with.

    Each fresh article joins the story of the most similar article in the pool (recent
    articles that have a story, and the fresh ones decided before it), or starts a new story
    (None). This is the assignment production runs (``App.group_stories``); decided once, as
    articles arrive, and stored, so alerts and digests agree on what is one event.
    """
    known = list(pool)
    out: list[tuple[Candidate, Candidate | None]] = []
    for art in fresh:
        best, best_score = None, 0.0
        for cand in known:
            if cand.id == art.id or not same_story(art.features, cand.features):
                continue
            score = similarity(art.features, cand.features)
            if score > best_score:
                best, best_score = cand, score
        out.append((art, best))
        known.append(art)
    return out
