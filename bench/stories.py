"""Story grouping benchmark: 1,000 new reports grouped against 20,000 stored ones.

Fills a fresh SQLite store with N synthetic analysed reports spread over 30 days (templated
events: several outlets per event, many events per template, so word overlap is high across
events), all already grouped, then stores M new analysed reports and times:

  ours      App.group_stories(): candidate stories found through rare words and names, each
            report compared with the candidate stories as a whole
  baseline  the previous rule (every new report against every recent report, nearest wins),
            on the same reports, in the same process

and prints the median per-report cost of --repeats runs and the ratio (target: ours no more
than the baseline per report).

    python bench/stories.py [--stored 20000] [--new 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import math
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import update  # noqa: E402

from briefbot.analyse.results import Actor, Analysis  # noqa: E402
from briefbot.app import App  # noqa: E402
from briefbot.config import parse_config  # noqa: E402
from briefbot.store import ArticleIn  # noqa: E402
from briefbot.store.schema import articles, stories  # noqa: E402

TEMPLATES = [
    (
        "{town} council votes on the {thing} after months of delay",
        "Councillors in {town} voted {n} to {m} on Tuesday to approve the {thing}, ending a dispute that began in spring. "
        "Mayor {person} said the decision would cost {amount} over two years.",
    ),
    (
        "{team} beat {team2} {n}-{m} to stay top of the league",
        "{team} beat {team2} {n}-{m} on Saturday in front of {amount} fans. Coach {person} praised the defence.",
    ),
    (
        "{company} reports quarterly profit of {amount} as sales rise",
        "{company} said on Thursday its quarterly profit reached {amount}, up {n} percent, as sales in {town} grew. "
        "Chief executive {person} said demand stayed strong.",
    ),
    (
        "Storm warning issued for {town} as winds reach {n} mph",
        "Forecasters issued a storm warning for {town} and nearby districts, with gusts of {n} mph expected overnight. "
        "{person} of the weather service urged drivers to stay home.",
    ),
]
TOWNS = [
    f"{a}{b}"
    for a in ("Ash", "Bren", "Cal", "Dun", "Elm", "Fern", "Glen", "Hal", "Ing", "Kel")
    for b in ("ford", "ton", "by", "wick", "mere", "stow", "field", "bury", "holm", "wood")
]
PEOPLE = [
    f"{f} {s}"
    for f in ("Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo")
    for s in ("Marsh", "Quill", "Rook", "Tamm", "Vesk", "Wynne", "Yarr", "Zell", "Orme", "Pike")
]
THINGS = ["ferry timetable", "bus depot", "library budget", "harbour wall", "school merger", "parking plan"]


def report(rng: random.Random, event: dict[str, Any], outlet: int) -> tuple[str, str, Analysis]:
    title_t, text_t = TEMPLATES[event["template"]]
    title = title_t.format(**event)
    text = text_t.format(**event)
    if outlet:  # another outlet: other wording around the same facts
        title = f"{event['town']}: " + title.split(" ", 1)[1]
        text = text.replace(" said ", " told reporters ")
    actors = [Actor(event["person"], "person", mentions=2), Actor(event["town"], "place", mentions=2)]
    if event["template"] == 1:
        actors += [Actor(event["team"], "organization", mentions=2), Actor(event["team2"], "organization")]
    if event["template"] == 2:
        actors.append(Actor(event["company"], "organization", mentions=2))
    points = re.split(r"(?<=\.)\s+", text)
    return (
        title,
        text,
        Analysis(input=None, title=title, url=None, published=None, key_points=points, actors=actors),
    )


def events(rng: random.Random, n: int, start: datetime, days: float) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        out.append(
            {
                "template": rng.randrange(len(TEMPLATES)),
                "town": rng.choice(TOWNS),
                "person": rng.choice(PEOPLE),
                "thing": rng.choice(THINGS),
                "team": rng.choice(TOWNS) + " United",
                "team2": rng.choice(TOWNS) + " Rovers",
                "company": rng.choice(TOWNS) + " Holdings",
                "n": rng.randint(2, 90),
                "m": rng.randint(0, 9),
                "amount": f"${rng.randint(2, 900)}m",
                "when": start + timedelta(days=days * i / max(n, 1)),
                "id": i,
            }
        )
    return out


def fill(app: App, rng: random.Random, evs: list[dict[str, Any]], prefix: str, grouped: bool) -> int:
    store = app.store
    store.sync_sources([("bench", "file:///dev/null")])
    sid = store.source("bench").id
    stored = 0
    for ev in evs:
        items, analyses = [], []
        for outlet in range(rng.choice((1, 2, 3))):
            title, text, an = report(rng, ev, outlet)
            key = f"{prefix}-{ev['id']}-{outlet}"
            items.append(
                ArticleIn(
                    key,
                    None,
                    None,
                    title,
                    None,
                    text,
                    True,
                    "e" + key,
                    "c" + key,
                    ev["when"] + timedelta(minutes=17 * outlet),
                )
            )
            analyses.append(an)
        changes = store.upsert_articles(sid, items, ev["when"])
        with store.engine.begin() as conn:
            story_id = None
            for (_, aid), an, item in zip(changes, analyses, items, strict=True):
                conn.execute(
                    update(articles)
                    .where(articles.c.id == aid)
                    .values(
                        analysis=__import__("json").dumps(an.to_dict()),
                        analysis_hash=item.content_hash,
                        alert_checked=True,
                    )
                )
                if grouped:
                    if story_id is None:
                        story_id = conn.execute(
                            stories.insert()
                            .values(
                                title=item.title,
                                created_at=ev["when"].replace(tzinfo=None),
                                updated_at=ev["when"].replace(tzinfo=None),
                                lead_article_id=aid,
                            )
                            .returning(stories.c.id)
                        ).scalar_one()
                    conn.execute(update(articles).where(articles.c.id == aid).values(story_id=story_id))
        stored += len(items)
    return stored


# -- the previous rule, kept here as the baseline ----------------------------------------------

_OLD_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d[\d,.%]*")


def _old_terms(text: str) -> dict[str, float]:
    from briefbot.analyse.stories import _GENERIC, _stem

    out: dict[str, float] = {}
    for i, m in enumerate(_OLD_WORD.finditer(text or "")):
        raw = m.group(0)
        w = _stem(raw)
        if (len(w) < 3 and not w[:1].isdigit()) or w in _GENERIC or raw.lower() in _GENERIC:
            continue
        if raw[0].isupper() and i > 0:
            continue
        out[w] = max(out.get(w, 0.0), 1.8 if raw[0].isdigit() else 1.0)
    return out


def _old_features(a: Any) -> tuple[dict[str, float], dict[str, float], dict[str, float], datetime]:
    an = a.analysis
    lead = " ".join(an.key_points) if an.key_points else a.text
    weights = {"person": 1.0, "organization": 0.8, "group": 0.5, "place": 0.4}
    actors = {x.name.lower(): weights.get(x.kind, 0.5) for x in an.actors}
    return _old_terms(a.title or ""), _old_terms(lead), actors, a.when


def _old_jaccard(a: dict[str, float], b: dict[str, float]) -> float:
    from briefbot.analyse.stories import _same_name

    if not a or not b:
        return 0.0
    matched: set[str] = set()
    inter = 0.0
    for x, wx in a.items():
        for y, wy in b.items():
            if y not in matched and _same_name(x, y):
                matched.add(y)
                inter += min(wx, wy)
                break
    union = sum(a.values()) + sum(b.values()) - inter
    return inter / union if union else 0.0


def baseline(app: App) -> None:
    """The previous rule: every new report against every recent grouped report, nearest wins."""
    from briefbot.analyse.stories import _cosine

    def old_score(fa: Any, fb: Any) -> tuple[float, float]:
        ta = {**fa[1], **{k: v * 1.5 for k, v in fa[0].items()}}
        tb = {**fb[1], **{k: v * 1.5 for k, v in fb[0].items()}}
        text = _cosine(ta, tb)
        hours = abs((fa[3] - fb[3]).total_seconds()) / 3600
        t = 1.0 if hours <= 36 else max(0.0, 1.0 - (hours - 36) / (7 * 24 - 36))
        s = 0.5 * text + 0.15 * _cosine(fa[0], fb[0]) + 0.25 * _old_jaccard(fa[2], fb[2]) + 0.1 * t
        return (s * 0.5 if t == 0 else s), text

    fresh = app.store.articles(ungrouped=True)
    since = min(a.first_seen for a in fresh) - timedelta(days=3)
    pool = [a for a in app.store.articles(since=since, limit=5000) if a.story_id is not None]
    pf = [(a.story_id, _old_features(a)) for a in pool]
    for a in fresh:
        f = _old_features(a)
        best, best_score = None, 0.0
        for sid, g in pf:
            s, text = old_score(f, g)
            if s >= 0.3 and text >= 0.12 and s > best_score:
                best, best_score = sid, s
        pf.append((best, f))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stored", type=int, default=20_000)
    ap.add_argument("--new", type=int, default=1_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    start = datetime(2026, 10, 1, tzinfo=UTC)
    ours, base = [], []
    for rep in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            cfg = parse_config(f"database: sqlite:///{Path(tmp) / 'bench.db'}\n", base_dir=Path(tmp))
            with App(cfg) as app:
                r = random.Random(rep)
                stored = fill(app, r, events(r, math.ceil(args.stored / 2), start, 30), "old", grouped=True)
                new = fill(
                    app,
                    r,
                    events(r, math.ceil(args.new / 2), start + timedelta(days=30), 1),
                    "new",
                    grouped=False,
                )
                # the baseline only decides (it writes nothing), so both run on the same store
                t = time.perf_counter()
                baseline(app)
                base.append((time.perf_counter() - t) / new)
                t = time.perf_counter()
                app.group_stories()
                ours.append((time.perf_counter() - t) / new)
                print(
                    f"  run {rep + 1}: {stored} stored, {new} new: ours {ours[-1] * 1000:.2f} ms per report, "
                    f"baseline {base[-1] * 1000:.2f} ms per report",
                    flush=True,
                )
    o, b = statistics.median(ours), statistics.median(base)
    print(
        f"median of {args.repeats}: ours {o * 1000:.2f} ms per report | baseline {b * 1000:.2f} ms per report"
    )
    print(f"ratio ours / baseline: {o / b:.2f} (target <= 1.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
