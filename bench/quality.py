#!/usr/bin/env python3
"""Quality benchmark: score `briefbot.analyse` against every annotated set we have, in one run.

Usage: python bench/quality.py [GOLD_DIR] [--polnear PATH] [--limit N]

The run is a list of independent sections (see SECTIONS at the bottom); each prints its own
figures beside their targets and returns whether its targets were met. A new section is a
function ``(args) -> bool | None`` added to that list (None: nothing to score, e.g. its data is
missing).

- project gold sets: the gold folder's own score.py (default ../shared/gold) with our analyser as
  the command, on the gold set, on our fictional fixtures (tests/fixtures/analyse/articles), on
  fictional articles written in other house styles (tests/fixtures/analyse/styles: British single
  quote marks, quotes split around their attribution, roles in relative clauses, interview
  layouts, events named like organisations) and, separately, on the bundled sample news
  (tests/fixtures/analyse/samples: the 12 articles of samples/, annotated from samples/README.md).
  The samples are a held-out check: the rules are never tuned to a name or phrase in them, and
  their targets are reported but do not decide the exit note.
- PolNeAR train split (real US political news, every attribution annotated): the scorer in
  ../shared/polnear (polnear_eval.py, then polnear_extra.py on a second pass with every quote
  counted), when a checkout or bare git mirror of github networkdynamics/PolNeAR is given by
  --polnear PATH or $POLNEAR. Its text has no licence: everything the scorer writes goes to a
  fresh folder under /tmp, never into this repository. Train split only (dev and test are the
  project's held-out check). --limit N scores a round-robin sample over the outlets.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "analyse" / "articles"
SAMPLES = REPO / "tests" / "fixtures" / "analyse" / "samples"
STYLES = REPO / "tests" / "fixtures" / "analyse" / "styles"
POLNEAR_SCRIPTS = REPO.parent / "shared" / "polnear"
ANALYZE = f"{shlex.quote(sys.executable)} -m briefbot analyze --format jsonl"
TARGETS = {
    "quote_recall": 0.95,
    "attributed_recall": 0.95,
    "quote_precision": 0.95,
    "person_recall": 0.95,
    "role_recall": 0.9,
    "position_recall": 0.85,
}
# PolNeAR train split (issue 10): name, (value getter, target, higher is better)
POLNEAR_TARGETS: list[tuple[str, str, float, bool]] = [
    ("direct quotes, F1 (lenient@0.3)", "f1", 0.88, True),
    ("split-tolerant precision", "precision_split_tolerant", 0.96, True),
    ("named source: right speaker", "named_right", 0.93, True),
    ("named source: no speaker", "named_none", -1.0, True),
    ("named source: wrong speaker", "named_wrong", 0.03, False),
    ("reported speech found (speech/belief cue)", "speech_indirect_recall", 0.80, True),
    ("precision of positions", "precision_positions", 0.93, True),
]


def mark(value: float | None, target: float, higher: bool = True) -> tuple[str, bool]:
    if value is None:
        return "  (no data)", False
    if target < 0:
        return "", True
    ok = value >= target if higher else value <= target
    sign = ">=" if higher else "<="
    return ("  ok" if ok else "  MISSED") + f" (target {sign} {target})", ok


# -- section: the project's own gold sets -----------------------------------------------------


def run_score(score: Path, folder: Path) -> dict | None:
    proc = subprocess.run(
        [sys.executable, str(score), str(folder), "--cmd", ANALYZE, "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if proc.returncode != 0:
        print(f"score.py failed on {folder}: {proc.stderr.strip()[-1000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def show(name: str, totals: dict) -> bool:
    ok = True
    print(f"== {name}")
    for key, value in totals.items():
        if key == "counts":
            continue
        target = TARGETS.get(key)
        note = ""
        if target is not None:
            note = "  ok" if value >= target else f"  BELOW {target}"
            ok &= value >= target
        print(f"  {key:22} {value}{note}")
    if totals.get("false_persons"):
        ok = False
    better = totals["key_fact_recall"] > totals["lead_key_fact_recall"]
    print(f"  key points beat lead:  {'yes' if better else 'NO'}")
    return ok and better


def section_gold(args: argparse.Namespace) -> bool | None:
    gold = Path(args.gold) if args.gold else REPO.parent / "shared" / "gold"
    score = gold / "score.py"
    if not score.exists():
        print(f"== project gold sets: no gold set at {gold} (score.py missing); nothing to score")
        return None
    all_ok = True
    for name, folder in (
        ("gold development set", gold),
        ("own fictional fixtures", FIXTURES),
        ("house styles (fictional)", STYLES),
    ):
        totals = run_score(score, folder)
        if totals is not None:
            all_ok &= show(f"{name} ({folder})", totals)
        else:
            all_ok = False
    print("project gold sets: all targets met" if all_ok else "project gold sets: some targets missed")
    totals = run_score(score, SAMPLES)
    if totals is not None:
        held_ok = show(f"held-out sample news ({SAMPLES})", totals)
        print("held-out: all targets met" if held_ok else "held-out: some targets missed")
    return all_ok


# -- section: PolNeAR train split ---------------------------------------------------------------


def polnear_figures(polnear: str, limit: int | None) -> dict[str, float | None] | None:
    """Run the PolNeAR scorer twice (as printed; every quote counted) and the extra figures."""
    evaluate = POLNEAR_SCRIPTS / "polnear_eval.py"
    extra = POLNEAR_SCRIPTS / "polnear_extra.py"
    work = Path(tempfile.mkdtemp(prefix="polnear-train-", dir="/tmp"))
    lim = ["--limit", str(limit)] if limit else []
    base = [sys.executable, str(evaluate), "--polnear", polnear, "--split", "train", "--json", *lim]
    raw = subprocess.run(
        [*base, "--workdir", str(work / "raw"), "--cmd", ANALYZE],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if raw.returncode != 0:
        print(f"polnear_eval.py failed: {raw.stderr.strip()[-1000:]}", file=sys.stderr)
        return None
    res = json.loads(raw.stdout)
    # second pass: the same predictions with every quote counted (partial flags cleared)
    with (
        open(work / "raw" / "predictions.jsonl", encoding="utf-8") as src,
        open(work / "all.jsonl", "w", encoding="utf-8") as out,
    ):
        for line in src:
            d = json.loads(line)
            for q in d.get("quotes") or []:
                q["partial"] = False
            out.write(json.dumps(d) + "\n")
    every = subprocess.run(
        [*base, "--workdir", str(work / "all"), "--pred-file", str(work / "all.jsonl")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    more = subprocess.run(
        [
            sys.executable,
            str(extra),
            polnear,
            "train",
            str(work / "raw" / "details.jsonl"),
            str(work / "all" / "details.jsonl"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    if every.returncode != 0 or more.returncode != 0:
        print(f"polnear_extra.py failed: {(every.stderr + more.stderr).strip()[-1000:]}", file=sys.stderr)
        return None
    ext = json.loads(more.stdout.strip().splitlines()[-1])
    lenient = res["direct_quotes"]["lenient@0.3"]
    figures: dict[str, float | None] = {
        "f1": lenient["f1"],
        "precision_split_tolerant": lenient["precision_split_tolerant"],
        "precision_positions": res["all_attributions"]["precision_positions"],
        "articles": res["corpus"]["articles_scored"],
    }
    figures.update(
        {k: ext.get(k) for k in ("named_right", "named_none", "named_wrong", "speech_indirect_recall")}
    )
    print(f"  (scorer output in {work})")
    return figures


def section_polnear(args: argparse.Namespace) -> bool | None:
    polnear = args.polnear or os.environ.get("POLNEAR")
    if not polnear:
        print(
            "== PolNeAR train split: no checkout given. Get one outside the repository, e.g.\n"
            "     git clone --bare https://github.com/networkdynamics/PolNeAR /tmp/PolNeAR.git\n"
            "   then: python bench/quality.py --polnear /tmp/PolNeAR.git [--limit 120]\n"
            "   (or set POLNEAR=/tmp/PolNeAR.git; its text has no licence: keep it under /tmp)"
        )
        return None
    if not (POLNEAR_SCRIPTS / "polnear_eval.py").exists():
        print(f"== PolNeAR train split: scorer missing ({POLNEAR_SCRIPTS}/polnear_eval.py); nothing to score")
        return None
    print(
        f"== PolNeAR train split ({polnear}{f', sample of {args.limit}' if args.limit else ', all articles'})"
    )
    figures = polnear_figures(polnear, args.limit)
    if figures is None:
        return False
    print(f"  articles scored: {figures['articles']}")
    all_ok = True
    for label, key, target, higher in POLNEAR_TARGETS:
        value = figures.get(key)
        note, ok = mark(value, target, higher)
        all_ok &= ok
        print(f"  {label:44} {value}{note}")
    print("PolNeAR train: all targets met" if all_ok else "PolNeAR train: some targets missed")
    return all_ok


def section_stories(args: argparse.Namespace) -> bool | None:
    """Story grouping on the labelled fictional sets, through production grouping (bench/story_quality.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from story_quality import section

    return section()


# Independent sections, run in this order; each prints its figures and targets.
SECTIONS: list[Callable[[argparse.Namespace], bool | None]] = [section_gold, section_polnear, section_stories]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("gold", nargs="?", help="gold folder with score.py (default ../shared/gold)")
    ap.add_argument("--polnear", help="PolNeAR checkout or bare git mirror (default $POLNEAR)")
    ap.add_argument("--limit", type=int, help="PolNeAR: score a round-robin sample of N articles")
    args = ap.parse_args(argv)
    results = [section(args) for section in SECTIONS]
    scored = [r for r in results if r is not None]
    print("all scored sections met their targets" if all(scored) else "some targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
