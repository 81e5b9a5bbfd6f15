"""Story grouping quality on the project's labelled fictional sets, through the grouping
production runs (App.group_stories on a real SQLite store).

Prints precision and recall over labelled pairs (two reports predicted in one story, against
the label "same event"), per set and per kind of pair, with the targets. bench/quality.py
runs it as one of its sections; it also runs alone:

    python bench/story_quality.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SETS = {
    "templated": ROOT / "tests/fixtures/stories/templated.json",
    "story pairs": ROOT / "tests/fixtures/analyse/story_pairs.json",
}
TARGET_PRECISION, TARGET_RECALL = 0.98, 0.9


def group(data: dict[str, Any]) -> dict[str, int]:
    """Analyse and group one set's articles as every fetch does; article id -> story id."""
    from briefbot.app import App
    from briefbot.config import parse_config
    from briefbot.dates import parse_date
    from briefbot.store import ArticleIn

    with tempfile.TemporaryDirectory() as tmp:
        cfg = parse_config(f"database: sqlite:///{Path(tmp) / 'q.db'}\n", base_dir=Path(tmp))
        with App(cfg) as app:
            app.store.sync_sources([("labelled", "file:///dev/null")])
            sid = app.store.source("labelled").id
            items = [
                ArticleIn(
                    k,
                    None,
                    None,
                    v["title"],
                    None,
                    v["text"],
                    True,
                    "e" + k,
                    "c" + k,
                    parse_date(v["published"]),
                )
                for k, v in data["articles"].items()
            ]
            app.store.upsert_articles(sid, items, datetime(2026, 12, 1, tzinfo=UTC))
            app.analyse_pending()
            app.group_stories()
            return {a.key: a.story_id or -a.id for a in app.store.articles()}


def scores(story: dict[str, int], pairs: list[list[Any]]) -> dict[str, tuple[float, float, int]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for a, b, same, *rest in pairs:
        pred = story[a] == story[b]
        for kind in ("all", rest[0] if rest else "pairs"):
            c = counts[kind]
            c[0] += pred and same
            c[1] += pred and not same
            c[2] += (not pred) and same
            c[3] += 1
    out = {}
    for kind, (tp, fp, fn, n) in counts.items():
        out[kind] = ((tp / (tp + fp)) if tp + fp else 1.0, (tp / (tp + fn)) if tp + fn else 1.0, n)
    return out


def section() -> bool:
    """Print the figures; True when every set meets the targets."""
    print("## Story grouping (production App.group_stories, fictional labelled sets)")
    ok = True
    for name, path in SETS.items():
        data = json.loads(path.read_text("utf-8"))
        result = scores(group(data), data["pairs"])
        p, r, n = result.pop("all")
        met = p >= TARGET_PRECISION and r >= TARGET_RECALL
        ok = ok and met
        print(
            f"{name:12s} precision {p:.3f} (target >= {TARGET_PRECISION})  recall {r:.3f} "
            f"(target >= {TARGET_RECALL})  on {n} pairs  {'ok' if met else 'BELOW TARGET'}"
        )
        for kind, (kp, kr, kn) in sorted(result.items()):
            if kind != "pairs":
                print(f"    {kind:14s} precision {kp:.3f}  recall {kr:.3f}  ({kn} pairs)")
    return ok


if __name__ == "__main__":
    sys.exit(0 if section() else 1)
