"""Preparing the body, quote-mark pairing, result round-trips and story scoring: no model needed.

Reading files and pages into an ArticleText is the loader's job (tests/test_extract.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from briefbot import model
from briefbot.analyse import Analysis, ArticleText, prepare
from briefbot.analyse.quotemarks import find_quote_spans
from briefbot.analyse.stories import components, same_story, similarity
from briefbot.ingest.loader import load_text

REPO = Path(__file__).resolve().parents[1]


def test_import_is_lazy() -> None:
    code = (
        "import sys, briefbot.analyse, briefbot.analyse.stories; "
        "print('spacy' in sys.modules, 'trafilatura' in sys.modules, 'briefbot.ingest' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "False False False"


def test_article_text_is_the_model_type() -> None:
    assert ArticleText is model.ArticleText


def test_date_marker_on_the_lead_line_and_no_headline() -> None:
    art = load_text(" date 2026-02-01 OSLO (Wire): The long first sentence of the story ends here.\n\nMore.")
    assert art.title is None
    assert art.published is not None and art.published.day == 1
    prep = prepare(art)
    assert prep.dateline == "OSLO (Wire)"
    assert prep.text.startswith("The long first sentence")


def test_marker_left_in_a_body_is_dropped() -> None:
    prep = prepare(ArticleText(None, "date 2026-02-01\nThe first paragraph.\n\nThe second."))
    assert prep.text == "The first paragraph.\n\nThe second."


def test_paragraphs_and_headings() -> None:
    prep = prepare(
        ArticleText(None, "First paragraph here.\nSecond one.\n\nA subheading\n\nThird paragraph.")
    )
    texts = [prep.text[p.start : p.end] for p in prep.paragraphs]
    assert texts == ["First paragraph here.", "Second one.", "A subheading", "Third paragraph."]
    assert [p.heading for p in prep.paragraphs] == [False, False, True, False]


def test_dateline_variants() -> None:
    for lead, dl in [
        ("ROTTERDAM, Oct 6 - Workers struck on Monday at the port.", "ROTTERDAM, Oct 6"),
        ("COLUMBUS, Ohio (Wire) -- The company halted work on its plant.", "COLUMBUS, Ohio (Wire)"),
        ("NEW YORK (AP) \u2014 Stocks fell sharply on Tuesday afternoon.", "NEW YORK (AP)"),
    ]:
        assert prepare(ArticleText(None, lead)).dateline == dl


def _quotes(text: str) -> list[str]:
    return [text[q.inner_start : q.inner_end] for q in find_quote_spans(text, [(0, len(text))])]


def test_plural_possessive_does_not_break_pairing() -> None:
    text = 'The employers\' association called it "fair". "We disagree," the union said.'
    assert _quotes(text) == ["fair", "We disagree,"]


def test_two_apostrophes_as_quote_marks() -> None:
    assert _quotes("''We won,'' she said. It's ''over''.") == ["We won,", "over"]


def test_nested_single_quotes_stay_inside() -> None:
    text = "\u201cThere is a lot of \u2018wait and see\u2019 here,\u201d he said."
    assert _quotes(text) == ["There is a lot of \u2018wait and see\u2019 here,"]


def test_unclosed_quote_runs_to_paragraph_end() -> None:
    text = "\u201cWe will not stop here. We go on"
    spans = find_quote_spans(text, [(0, len(text))])
    assert len(spans) == 1 and not spans[0].closed


def test_analysis_round_trip() -> None:
    d = {
        "input": "x.txt",
        "title": "T",
        "url": None,
        "published": "2026-03-04T00:00:00+00:00",
        "key_points": ["A."],
        "actors": [
            {
                "name": "Ann Lee",
                "kind": "person",
                "role": "mayor",
                "aliases": ["Lee"],
                "mentions": 2,
                "unknown": 1,
            }
        ],
        "quotes": [
            {"text": "Hi there all", "speaker": "Ann Lee", "speaker_kind": "person", "partial": False}
        ],
        "positions": [{"holder": "Ann Lee", "statement": "the plan works"}],
    }
    a = Analysis.from_dict(d)
    out = a.to_dict()
    for key in ("input", "title", "url", "published", "key_points"):
        assert out[key] == d[key]
    assert out["actors"][0]["name"] == "Ann Lee" and out["actors"][0]["aliases"] == ["Lee"]
    assert out["quotes"][0]["speaker"] == "Ann Lee"
    assert out["positions"][0] == {
        "holder": "Ann Lee",
        "statement": "the plan works",
        "holder_kind": None,
        "verb": None,
    }
    assert Analysis.from_dict(out).to_dict() == out


def test_story_similarity_pure() -> None:
    a = {
        "title": "Ferry operator cancels crossings as crews strike",
        "published": "2026-01-05T08:00:00+00:00",
        "key_points": [
            "Nordline cancelled all crossings on Monday as 300 crew members began a 24-hour strike."
        ],
        "actors": [{"name": "Nordline", "kind": "organization"}],
    }
    b = {
        "title": "Crossings cancelled in ferry crew strike",
        "published": "2026-01-05T12:00:00+00:00",
        "key_points": ["About 300 Nordline crew walked out for 24 hours, and every crossing was cancelled."],
        "actors": [{"name": "Nordline Ferries", "kind": "organization"}],
    }
    c = {
        "title": "Nordline orders two electric ferries",
        "published": "2026-01-06T12:00:00+00:00",
        "key_points": ["Nordline ordered two battery-powered vessels for its island routes."],
        "actors": [{"name": "Nordline", "kind": "organization"}],
    }
    assert components(a, b)["actors"] > 0.5
    assert similarity(a, b) > similarity(a, c)
    assert same_story(a, b) and not same_story(a, c)
