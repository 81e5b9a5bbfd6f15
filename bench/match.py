"""Watch matching benchmark: ``WatchIndex`` against a naive loop over every watch, same run.

Generates N watches and M articles from one vocabulary (topic words, invented people with
aliases, places with accents, outlets), so a realistic small share of (watch, article)
pairs match, then times:

  index     ``WatchIndex.match`` on every article (folding the article included)
  naive     every watch's per-term regexes evaluated on an article (the article folded
            once), on a random sample of articles, extrapolated to all of them
  naive-fast  the same loop with ``CompiledQuery.matches`` (substring tests), also sampled

and checks on the sample that the three give exactly the same matches. Medians of
--repeats runs.

    python bench/match.py [--watches 10000] [--articles 10000] [--sample 100] [--repeats 3] [--seed 1] [--tune 300]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from briefbot.match import (
    _ANY,
    _FIELD_SLOT,
    _SLOT_WHERE,
    _TEXT,
    _TITLE,
    And,
    CompiledQuery,
    MatchDoc,
    Node,
    Not,
    Or,
    Term,
    WatchIndex,
)

TOPICS: dict[str, str] = {
    "labour": "strike walkout union wages pay dockworkers picket bargaining overtime layoffs pension "
    "shift contract negotiators employers workforce factory warehouse stoppage mediator grievance",
    "energy": "pipeline gas electricity grid tariff turbines solar refinery outage reactor nuclear coal "
    "emissions drilling offshore barrels crude subsidy storage hydrogen blackout",
    "diplomacy": "ceasefire talks summit envoy embassy treaty sanctions delegation negotiations ambassador "
    "truce accord mediation ministers communique border annexation referendum recognition",
    "economy": "inflation interest rates bank bonds currency deficit budget recession growth exports imports "
    "tariffs investors markets shares earnings unemployment mortgage lending",
    "health": "hospital vaccine outbreak clinic nurses doctors pandemic virus infections ward patients "
    "surgery shortage medicines pharmacy epidemic quarantine screening",
    "climate": "flooding drought heatwave wildfire storm rainfall glacier emissions warming coastline "
    "evacuation reservoir harvest irrigation cyclone landslide",
    "tech": "chips semiconductor startup software platform algorithm cyberattack ransomware data privacy "
    "satellites broadband robotics telecom outage encryption",
    "courts": "court judge verdict trial appeal prosecutors lawsuit ruling testimony jury indictment "
    "sentence acquittal tribunal injunction hearing",
    "elections": "election ballot candidate campaign polls coalition parliament vote turnout opposition "
    "minister mandate constituency runoff primaries manifesto",
    "transport": "railway airport airline strike ferry port shipping freight tolls motorway bridge tunnel "
    "delays cancellations timetable container",
}


def words(s: str) -> list[str]:
    return s.split()


FIRST = words(
    "Ilse Tomas Mirela Anouk Radu Kasia Oren Lucia Bastien Femi Yara Dmitri Agnes Selin Matteo Zofia "
    "Emeka Ines Joaquim Hedda Pavel Noor Ruben Signe Teodor Amara Lars Vesna Kofi Elif"
)
LAST = words(
    "Marquardt Okonjo Vasquez Lindqvist Petrović Halloran Nakamura Brennan Osei Dubois Kowalczyk Ferreira "
    "Haddad Novák Rasmussen Ivanova Costa Adeyemi Moreau Szabó Lindgren Mbeki Quintero Horvath Castellano "
    "Yilmaz Sørensen Barros Kaminski Delacroix Achterberg Oyelaran Grünewald Valdés Tanaka Whitlock"
)
PLACES = [
    p.replace("_", " ")
    for p in words(
        "Velmar Ostrava Zürich Kraków São_Paulo Montréal Brønderslev Aarhus Porto Lagos Tbilisi Valparaíso "
        "Gdańsk Thessaloniki Cluj Rijeka Nordhavn Kessington Marrowgate Port_Elin Dunmore Saltbridge "
        "Lisbon Antwerp Tallinn Mombasa Izmir Medellín Córdoba Trondheim"
    )
]
OUTLETS = [
    "Velmar Courier",
    "Northern Ledger",
    "Harbour Post",
    "The Daily Lantern",
    "Coastline Times",
    "Meridian Wire",
    "Eastfield Gazette",
    "Radio Solenne",
    "The Morning Quill",
    "Brightwater News",
]
FILLER = words(
    "the a of to in and said on for with that was at by from it as after has have will is were "
    "would be not their but which who its more than also over about they week on tuesday monday "
    "friday officials people city government year new last says told according report local "
    "statement plans early meeting later group spokesperson agency percent million second"
)
GENERIC = words(
    "region council decision pressure support crisis response question issue future record level "
    "process policy public services costs prices rights security pressure funding program project "
    "industry workers families residents communities leaders experts analysts critics officials "
    "authorities companies firms sector market system network centre district province capital "
    "northern southern eastern western national international regional federal municipal weekend "
    "morning evening night hours days months decade increase decline rise fall changes reforms "
    "proposal measures rules law bill agreement deal talks plan strategy review inquiry investigation "
    "report survey figures data evidence concerns warnings demands protests calls appeals"
)
TITLES = ["minister", "president", "mayor", "chief executive", "senator", "governor"]


def make_people(rng: random.Random, n: int) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    while len(people) < n:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if (first, last) in seen:
            continue
        seen.add((first, last))
        role = rng.choice(TITLES)
        people.append(
            {
                "name": f"{first} {last}",
                "kind": "person",
                "role": role,
                "aliases": [last, f"{role.title()} {last}"],
                "topic": rng.choice(list(TOPICS)),
            }
        )
    return people


def zipf_pick(rng: random.Random, items: list[str], s: float = 1.3) -> str:
    """Earlier items are more frequent, as in real text."""
    weights = [1 / (i + 1) ** s for i in range(len(items))]
    return rng.choices(items, weights)[0]


def make_article(rng: random.Random, people: list[dict[str, Any]]) -> MatchDoc:
    topics = rng.sample(list(TOPICS), rng.choice([1, 1, 2, 2, 3]))
    vocab = {t: TOPICS[t].split() for t in topics}
    cast = rng.sample([p for p in people if p["topic"] in topics] or people, 3)
    place = rng.choice(PLACES)
    sentences: list[str] = []
    quotes: list[dict[str, Any]] = []
    for _ in range(rng.randint(18, 30)):
        n = rng.randint(10, 18)
        ws = []
        for _ in range(n):
            r = rng.random()
            if r < 0.50:
                ws.append(zipf_pick(rng, FILLER))
            elif r < 0.87:
                ws.append(rng.choice(GENERIC))
            elif r < 0.92:
                ws.append(zipf_pick(rng, vocab[rng.choice(topics)]))
            elif r < 0.96:
                p = rng.choice(cast)
                ws.append(rng.choice([p["name"], p["aliases"][0], p["aliases"][0] + "'s"]))
            else:
                ws.append(place if rng.random() < 0.7 else rng.choice(PLACES))
        s = " ".join(ws)
        if rng.random() < 0.12:
            p = rng.choice(cast)
            q = " ".join(
                zipf_pick(rng, vocab[rng.choice(topics)] + FILLER) for _ in range(rng.randint(5, 12))
            )
            quotes.append({"text": q, "speaker": p["aliases"][0], "speaker_kind": "person", "partial": False})
            s = f'"{q.capitalize()}," said {p["name"]}'
        sentences.append(s[0].upper() + s[1:] + ".")
    title_words = [zipf_pick(rng, vocab[topics[0]]) for _ in range(rng.randint(3, 6))] + [place]
    title = " ".join(title_words).capitalize()
    analysis = {
        "actors": [
            {"name": p["name"], "kind": "person", "role": p["role"], "aliases": p["aliases"], "mentions": 2}
            for p in cast
        ],
        "quotes": quotes,
        "positions": [],
        "key_points": sentences[:2],
    }
    return MatchDoc.from_article(title, " ".join(sentences), [rng.choice(OUTLETS)], analysis)


def place_term(rng: random.Random) -> str:
    place = rng.choice(PLACES)
    return f'"{place}"' if " " in place else place


def make_watch(rng: random.Random, people: list[dict[str, Any]]) -> str:
    topic = rng.choice(list(TOPICS))
    topic_words = TOPICS[topic].split()

    def word() -> str:
        return rng.choice(topic_words[4:])  # people watch for specific things, not the commonest words

    def name() -> str:
        p = rng.choice([p for p in people if p["topic"] == topic] or people)
        return rng.choice([f'"{p["name"]}"', p["aliases"][0]])

    r = rng.random()
    if r < 0.15:
        return f"{word()} {word()} {place_term(rng)}"
    if r < 0.30:
        return f"{name()} {word()}"
    if r < 0.45:
        return f"{word()} {word()} {word()}"
    if r < 0.55:
        return f'"{word()} {word()}" {word()}'
    if r < 0.65:
        return f"({word()} OR {word()}) {name()}"
    if r < 0.72:
        return f"{word()} {word()} -{word()} NOT {zipf_pick(rng, FILLER)}"
    if r < 0.79:
        return f"{word()[:5]}* {name()}"
    if r < 0.84:
        return f"title:({word()} OR {word()}) {word()}"
    if r < 0.88:
        return f'actor:"{rng.choice(people)["name"]}" {word()}'
    if r < 0.91:
        p = rng.choice(people)
        return f"speaker:{p['aliases'][0]}" if rng.random() < 0.3 else f'speaker:"{p["name"]}"'
    if r < 0.94:
        return f'source:"{rng.choice(OUTLETS)}" {word()} {word()}'
    if r < 0.97:
        return f"quote:{word()} {place_term(rng)}"
    if r < 0.999:
        return f'actor:"{rng.choice(people)["name"]}" OR title:{word()}'
    return f"-{word()}"  # pure NOT: evaluated for every article


def naive_eval(node: Node, folded: dict[int, list[str]]) -> bool:
    """The naive way: each term's regex over the folded fields."""
    if isinstance(node, Term):
        slot = _FIELD_SLOT[node.field]
        slots = (_TITLE, _TEXT) if slot == _ANY else (slot,)
        return any(node.regex.search(s) for sl in slots for s in folded[sl])
    if isinstance(node, Not):
        return not naive_eval(node.child, folded)
    if isinstance(node, And):
        return all(naive_eval(c, folded) for c in node.children)
    assert isinstance(node, Or)
    return any(naive_eval(c, folded) for c in node.children)


def naive_match(queries: list[tuple[str, CompiledQuery]], doc: MatchDoc) -> list[str]:
    from briefbot.match import fold

    folded = {sl: [fold(s) for s, _ in part] for sl, part in enumerate(doc.prepared().parts)}
    return [n for n, q in queries if q.root is None or naive_eval(q.root, folded)]


def fresh(docs: list[MatchDoc]) -> list[MatchDoc]:
    """Copies with no cached folding, so every timed run folds its articles itself."""
    return [MatchDoc(d.title, d.text, d.source_names, d.actors, d.quotes) for d in docs]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--watches", type=int, default=10_000)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tune", type=int, default=300, help="other articles to tune the index on (0: none)")
    args = ap.parse_args()
    assert {_SLOT_WHERE[_TITLE], _SLOT_WHERE[_TEXT]} == {"title", "text"}

    rng = random.Random(args.seed)
    people: list[dict[str, Any]] = make_people(rng, 300)
    t0 = time.perf_counter()
    watch_texts = {f"w{i}": make_watch(rng, people) for i in range(args.watches)}
    articles = [make_article(rng, people) for _ in range(args.articles)]
    n_words = statistics.mean(len(d.text.split()) for d in articles)
    print(
        f"generated {args.watches} watches and {args.articles} articles ({n_words:.0f} words each on average) "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    # A few hundred other articles, as the bot would have from the last day, to tune anchors on.
    tune_rng = random.Random(args.seed + 2)
    tuning = [make_article(tune_rng, people) for _ in range(args.tune)]
    t0 = time.perf_counter()
    index = WatchIndex(watch_texts, sample=tuning)
    build = time.perf_counter() - t0
    print(f"index built in {build:.2f} s (tuned on {len(tuning)} other articles): {index.stats()}")
    compiled = [(n, index.queries[n]) for n in index.names]

    ours: list[float] = []
    results: list[list[str]] = []
    for _ in range(args.repeats):
        docs = fresh(articles)
        t0 = time.perf_counter()
        results = [index.match(d) for d in docs]
        ours.append(time.perf_counter() - t0)
    total = sum(len(r) for r in results)
    print(
        f"matches: {total} of {args.watches * args.articles} pairs "
        f"({100 * total / (args.watches * args.articles):.3f}%), {total / args.articles:.1f} per article, "
        f"{sum(1 for r in results if r) / args.articles:.0%} of articles match at least one watch"
    )

    sample_idx = random.Random(args.seed + 1).sample(range(args.articles), min(args.sample, args.articles))
    naive: list[float] = []
    fast: list[float] = []
    for _ in range(args.repeats):
        docs = fresh([articles[i] for i in sample_idx])
        t0 = time.perf_counter()
        naive_res = [naive_match(compiled, d) for d in docs]
        naive.append((time.perf_counter() - t0) * args.articles / len(docs))
        docs = fresh([articles[i] for i in sample_idx])
        t0 = time.perf_counter()
        fast_res = [[n for n, q in compiled if q.matches(d)] for d in docs]
        fast.append((time.perf_counter() - t0) * args.articles / len(docs))
    same = all(naive_res[k] == results[i] == fast_res[k] for k, i in enumerate(sample_idx))
    sample_matches = sum(len(r) for r in naive_res)
    print(
        f"sample check: {len(sample_idx)} articles x {args.watches} watches, {sample_matches} matches, "
        f"index == naive == naive-fast: {same}"
    )
    if not same:
        sys.exit("MISMATCH between the index and the naive loop")

    o, n, f = statistics.median(ours), statistics.median(naive), statistics.median(fast)
    print(f"\nmedians of {args.repeats} runs, {args.articles} articles x {args.watches} watches:")
    print(
        f"  index (WatchIndex.match, all articles, measured)      {o:8.2f} s   ({o / args.articles * 1e3:.3f} ms/article)"
    )
    print(
        f"  naive regex loop (extrapolated from {len(sample_idx)} articles)  {n:8.2f} s   ratio {n / o:6.1f}x"
    )
    print(f"  naive loop of CompiledQuery.matches (extrapolated)    {f:8.2f} s   ratio {f / o:6.1f}x")


if __name__ == "__main__":
    main()
