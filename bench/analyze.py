#!/usr/bin/env python3
"""Throughput and memory benchmark for the analyser.

Builds N varied articles from our fictional fixtures (names, numbers and paragraph order
changed per copy), then measures, in one process and on the same texts:
  - plain spaCy: nlp.pipe(texts, batch_size=8) with the same model,
  - ours: Analyser.analyse_many(articles) (one spaCy pass + all rule stages).
Prints words/s for both (median of several repeats), their ratio and the peak RSS.

Usage: python bench/analyze.py [--articles 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from briefbot.analyse import Analyser, ArticleText, load_model  # noqa: E402
from briefbot.analyse.model import BATCH_SIZE, PARAGRAPH_COMPONENT  # noqa: E402
from briefbot.ingest.loader import load_file  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures" / "analyse"
FIRST = [
    "Anna",
    "Ben",
    "Carla",
    "David",
    "Elif",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemal",
    "Lina",
    "Marek",
    "Nora",
    "Oskar",
    "Priya",
    "Rafael",
    "Sofia",
    "Tobias",
    "Uma",
    "Viktor",
    "Wen",
    "Yara",
    "Zoran",
]
LAST = [
    "Albers",
    "Brandt",
    "Castillo",
    "Dufour",
    "Eriksen",
    "Fontaine",
    "Galloway",
    "Horvat",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindgren",
    "Moreau",
    "Nakamura",
    "Oyelaran",
    "Petrakis",
    "Quist",
    "Rinaldi",
    "Sato",
    "Tanaka",
    "Uribe",
    "Varga",
    "Whitaker",
    "Zielinski",
]


def templates() -> list[tuple[ArticleText, list[str]]]:
    out: list[tuple[ArticleText, list[str]]] = []
    for path in sorted((FIXTURES / "articles").glob("*.txt")):
        gold = json.loads(path.with_suffix(".gold.json").read_text(encoding="utf-8"))
        out.append((load_file(str(path)), [p["name"] for p in gold["persons"]]))
    pairs = json.loads((FIXTURES / "story_pairs.json").read_text(encoding="utf-8"))
    for v in pairs["articles"].values():
        out.append((ArticleText(title=v["title"], body=v["text"]), []))
    return out


def vary(art: ArticleText, persons: list[str], rng: random.Random) -> ArticleText:
    body, title = art.body, art.title or ""
    for name in persons:
        parts = name.split()
        new_first, new_last = rng.choice(FIRST), rng.choice(LAST)
        body = body.replace(name, f"{new_first} {new_last}").replace(parts[-1], new_last)
        title = title.replace(parts[-1], new_last)
    body = re.sub(r"\d", lambda m: str(rng.randint(1, 9)), body)
    pars = [p for p in body.split("\n") if p.strip()]
    if len(pars) > 3 and rng.random() < 0.5:
        middle = pars[1:-1]
        rng.shuffle(middle)
        pars = [pars[0], *middle, pars[-1]]
    return ArticleText(title=title or None, body="\n\n".join(pars))


def build(n: int, seed: int = 7) -> list[ArticleText]:
    rng = random.Random(seed)
    temps = templates()
    return [vary(*temps[i % len(temps)], rng) for i in range(n)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    articles = build(args.articles)
    nlp = load_model()
    analyser = Analyser(nlp=nlp)
    from briefbot.analyse.text import prepare

    texts = [prepare(a).text for a in articles]
    words = sum(len(t.split()) for t in texts)
    # warm up both paths once (lazy init inside spaCy/thinc)
    list(analyser.analyse_many(articles[:8]))

    plain_times: list[float] = []
    ours_times: list[float] = []
    for _ in range(args.repeats):
        with nlp.select_pipes(disable=[PARAGRAPH_COMPONENT]):
            t0 = time.perf_counter()
            for _doc in nlp.pipe(texts, batch_size=BATCH_SIZE):
                pass
            plain_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for result in analyser.analyse_many(articles):
            result.to_dict()
        ours_times.append(time.perf_counter() - t0)

    plain = words / statistics.median(plain_times)
    ours = words / statistics.median(ours_times)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"articles: {len(articles)}, words: {words}, repeats: {args.repeats}, batch size: {BATCH_SIZE}")
    print(f"plain spaCy nlp.pipe : {plain:8.0f} words/s")
    print(f"briefbot analyse_many: {ours:8.0f} words/s")
    print(f"ratio                : {ours / plain:8.2f}x  (target >= 0.80)")
    print(f"peak RSS             : {peak_mb:8.0f} MB  (target < 500)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
