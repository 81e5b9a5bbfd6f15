#!/usr/bin/env python3
"""Quality benchmark: score `briefbot.analyse` against the gold development set.

Usage: python bench/quality.py [GOLD_DIR]   (default: ../shared/gold relative to the repo root)

Runs the gold folder's own score.py with our analyser as the command, on the gold set, on
our fictional fixtures (tests/fixtures/analyse/articles), on fictional articles written in other
house styles (tests/fixtures/analyse/styles: British single quote marks, quotes split around their
attribution, roles in relative clauses, interview layouts, events named like organisations) and, separately, on the bundled sample
news (tests/fixtures/analyse/samples: the 12 articles of samples/, annotated from
samples/README.md). The samples are a held-out check: the rules are never tuned to a name or
phrase in them, and their targets are reported but do not decide the exit note.
Exits 0 with a note when the gold folder is not there (it is not part of this repository).
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "analyse" / "articles"
SAMPLES = REPO / "tests" / "fixtures" / "analyse" / "samples"
STYLES = REPO / "tests" / "fixtures" / "analyse" / "styles"
TARGETS = {
    "quote_recall": 0.95,
    "attributed_recall": 0.95,
    "quote_precision": 0.95,
    "person_recall": 0.95,
    "role_recall": 0.9,
    "position_recall": 0.85,
}


def run(score: Path, folder: Path) -> dict | None:
    cmd = f"{shlex.quote(sys.executable)} -m briefbot analyze --format jsonl"
    proc = subprocess.run(
        [sys.executable, str(score), str(folder), "--cmd", cmd, "--json"],
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
        mark = ""
        if target is not None:
            mark = "  ok" if value >= target else f"  BELOW {target}"
            ok &= value >= target
        print(f"  {key:22} {value}{mark}")
    if totals.get("false_persons"):
        ok = False
    better = totals["key_fact_recall"] > totals["lead_key_fact_recall"]
    print(f"  key points beat lead:  {'yes' if better else 'NO'}")
    return ok and better


def main() -> int:
    gold = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "gold"
    score = gold / "score.py"
    if not score.exists():
        print(f"no gold set at {gold} (score.py missing); nothing to score")
        return 0
    all_ok = True
    for name, folder in (
        ("gold development set", gold),
        ("own fictional fixtures", FIXTURES),
        ("house styles (fictional)", STYLES),
    ):
        totals = run(score, folder)
        if totals is not None:
            all_ok &= show(f"{name} ({folder})", totals)
    print("all targets met" if all_ok else "some targets missed")
    totals = run(score, SAMPLES)
    if totals is not None:
        held_ok = show(f"held-out sample news ({SAMPLES})", totals)
        print("held-out: all targets met" if held_ok else "held-out: some targets missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
