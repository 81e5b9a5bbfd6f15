"""Alerts highlight exactly what the matcher matched, however the text folds.

Highlights are the matcher's own spans (``CompiledQuery.spans``), found by ``alert_context``
in the strings an alert shows. So wherever matching folds text in ways that change its
length or its letters (ß → ss, ligatures, accents), the highlight covers exactly the
original word; and an alert matched on another outlet's report never borrows that report's
title offsets for the lead's title. Real matching and real rendering; every name is invented.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefbot.match import Match, MatchDoc, compile_query
from briefbot.render import alert_context, render_email, render_markdown, render_slack, why_spans

LEDGER_URL = "https://velmar-ledger.example/2026/12/01/story"


def story(title: str, *others: str, quotes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A story whose lead report has ``title``; ``others`` are other outlets' titles for it."""
    articles = [
        {"title": title, "url": LEDGER_URL, "source": "Velmar Ledger", "published": None, "full_text": None}
    ]
    articles += [
        {
            "title": t,
            "url": f"https://outlet{i}.example/a",
            "source": f"Outlet {i}",
            "published": None,
            "full_text": None,
        }
        for i, t in enumerate(others, 1)
    ]
    return {
        "title": title,
        "url": LEDGER_URL,
        "published": "2026-12-01T09:00:00+00:00",
        "sources": [a["source"] for a in articles],
        "articles": articles,
        "key_points": [],
        "actors": [],
        "quotes": quotes or [],
        "positions": [],
    }


def explain(query: str, doc: MatchDoc) -> Match:
    cq = compile_query(query)
    assert cq.matches(doc), f"{query!r} should match {doc.title!r} / {doc.text!r}"
    match = cq.explain(doc)
    assert match is not None
    return match


def md_line(md: str, start: str) -> str:
    return next(line for line in md.splitlines() if line.startswith(start))


def html_marked(html: str) -> list[str]:
    return re.findall(r"<mark[^>]*>(.*?)</mark>", html)


def h1(html: str) -> str:
    m = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert m
    return re.sub(r"<mark[^>]*>", "<mark>", m.group(1))


# (query, original word in the title and the text). Each pair folds differently from the
# naive "same length" folding: ß is ss, a ligature is two letters, an accent is dropped.
FOLDING = [
    pytest.param("strasse", "Straße", id="strasse-finds-Straße"),
    pytest.param("STRASSE", "Straße", id="STRASSE-finds-Straße"),
    pytest.param("straße", "STRASSE", id="straße-finds-STRASSE"),
    pytest.param("finance", "ﬁnance", id="finance-finds-ligature-fi"),
    pytest.param("ﬁnance", "Finance", id="ligature-fi-finds-Finance"),
    pytest.param("flood", "ﬂood", id="flood-finds-ligature-fl"),
    pytest.param("zurich", "Zürich", id="zurich-finds-Zürich"),
    pytest.param("Zürich", "ZURICH", id="Zürich-finds-ZURICH"),
    pytest.param("cafe", "Café", id="cafe-finds-Café"),
    pytest.param("café", "CAFE", id="café-finds-CAFE"),
    pytest.param("cafe", "Cafe\u0301", id="cafe-finds-decomposed-é"),
    pytest.param("stras*", "Straßenbahn", id="prefix-over-ß"),
    pytest.param("straßen*", "Strassenbahnen", id="ß-prefix-over-ss"),
    pytest.param('"grosse strasse"', "Große Straße", id="phrase-over-two-ß"),
]


@pytest.mark.parametrize(("query", "word"), FOLDING)
def test_highlight_agrees_with_matching_where_folding_differs(query: str, word: str) -> None:
    title = f"Council closes {word} after storm"
    text = f"Crews worked overnight. The {word} reopens on Friday, officials said."
    match = explain(query, MatchDoc(title=title, text=text))
    assert [h.text for h in match.hits] == [word, word]  # the matcher's own hits: title, then text

    ctx = alert_context("w", query, story(title), match)
    md = render_markdown("alert", ctx)
    assert md_line(md, "## ") == f"## Council closes **{word}** after storm"
    assert md_line(md, "> ") == f"> The **{word}** reopens on Friday, officials said."

    html = render_email("alert", ctx).html
    assert html_marked(html) == [word, word]
    assert h1(html) == f"Council closes <mark>{word}</mark> after storm"

    mail = render_email("alert", ctx)
    assert f"Council closes *{word}* after storm" in mail.text
    slack = str([m.payload() for m in render_slack("alert", ctx)])
    assert f"Council closes *{word}* after storm" in slack


def test_the_old_bug_strasse_highlights_straße() -> None:
    """The query matched "Straße" but the alert highlighted nothing: the filter folded its own way."""
    doc = MatchDoc(title="Straße gesperrt", text="Die Straße bleibt zu.")
    ctx = alert_context("w", "strasse", story(doc.title), explain("strasse", doc))
    assert ctx["why"]["highlights"] == [
        {"field": "title", "start": 0, "end": 6},
        {"field": "sentence", "start": 4, "end": 10},
    ]
    assert "## **Straße** gesperrt" in render_markdown("alert", ctx)


def test_fields_highlight_only_where_the_term_may_match() -> None:
    title = "Straße gesperrt nach Sturm"
    text = "Die Straße ist seit Montag gesperrt."
    quote = {
        "text": "Die Straße gehört uns",
        "speaker": "Anna Feld",
        "speaker_kind": "person",
        "partial": False,
    }
    doc = MatchDoc.from_article(title, text, ["Velmar Ledger"], {"quotes": [quote]})

    # title: highlights the title only; the unfielded term highlights the title and the sentence
    ctx = alert_context("w", "q", story(title), explain("title:strasse AND gesperrt", doc))
    md = render_markdown("alert", ctx)
    assert md_line(md, "## ") == "## **Straße** **gesperrt** nach Sturm"
    assert md_line(md, "> ") == "> Die Straße ist seit Montag **gesperrt**."

    # quote: highlights the quote only (the unfielded term goes everywhere it is shown)
    ctx = alert_context("w", "q", story(title), explain("quote:strasse sturm", doc))
    md = render_markdown("alert", ctx)
    assert md_line(md, "## ") == "## Straße gesperrt nach **Sturm**"
    assert "**Quote:** “Die **Straße** gehört uns” — Anna Feld" in md

    # speaker: matches the speaker, whose name the quote does not contain: nothing in the quote
    ctx = alert_context("w", "q", story(title), explain('speaker:"anna feld" strasse', doc))
    md = render_markdown("alert", ctx)
    assert "**Quote:** “Die **Straße** gehört uns” — Anna Feld" in md  # by the unfielded term


def test_match_in_another_outlets_report_leaves_the_lead_title_intact() -> None:
    lead = "Dockworkers at Port Averly walk out over pay"
    other = "Averly port strike halts container traffic"
    s = story(lead, other)
    doc = MatchDoc(title=other, text="The strike at Averly entered its second day.")

    # "strike" is only in the other report's title: its offsets (12-18) must not land on the
    # lead's, where they would bold "at Por"
    match = explain("title:strike", doc)
    assert [(h.where, h.start, h.end) for h in match.hits] == [("title", 12, 18)]
    ctx = alert_context("port", "title:strike", s, match)
    assert ctx["why"]["highlights"] == []
    md = render_markdown("alert", ctx)
    assert md_line(md, "## ") == f"## {lead}"
    html = render_email("alert", ctx).html
    assert h1(html) == lead and html_marked(html) == []

    # a term in both titles: the lead's title highlights its own occurrence, at its own offset
    match = explain("title:(strike OR averly) OR strike", doc)
    ctx = alert_context("port", "q", s, match)
    md = render_markdown("alert", ctx)
    assert md_line(md, "## ") == "## Dockworkers at Port **Averly** walk out over pay"
    assert md_line(md, "> ") == "> The **strike** at Averly entered its second day."
    html = render_email("alert", ctx).html
    assert h1(html) == "Dockworkers at Port <mark>Averly</mark> walk out over pay"
    assert "<mark>strike</mark> at Averly" in re.sub(r"<mark[^>]*>", "<mark>", html)


def test_why_spans_returns_the_stored_spans_and_nothing_that_does_not_fit() -> None:
    why = {"highlights": [{"field": "title", "start": 0, "end": 6}, {"field": "quote", "start": 2, "end": 4}]}
    assert why_spans(why, "Straße gesperrt", "title") == [(0, 6)]
    assert why_spans(why, "Straße gesperrt", "sentence") == []  # none stored for the sentence
    assert why_spans(why, "Ende", "title") == []  # another string: the spans do not fit it
    assert why_spans({"highlights": []}, "x", "quote") == []


def test_spans_api() -> None:
    q = compile_query('title:dock* OR "walk out" OR quote:fun -port')
    title = "Dockworkers at Port Averly walk out over pay"
    assert q.spans(title, "title") == [(0, 11), (27, 35)]
    assert q.spans(title, "text") == [(27, 35)]  # title: terms only in titles
    assert q.spans("Not for fun, walk-out", "quote") == [(8, 11), (13, 21)]
    assert q.spans("Not for fun", "speaker") == []
    assert q.spans(title, None) == [(0, 11), (27, 35)]  # None: every term, whatever its field
    assert q.spans("port port", None) == []  # negated terms are never highlighted
    assert compile_query("").spans("anything") == []
    assert compile_query("a OR ab*").spans("ab a") == [(0, 2), (3, 4)]
    assert compile_query('"big deal" OR deal').spans("a BIG DEAL") == [(2, 10)]  # overlaps merged
    with pytest.raises(ValueError):
        q.spans(title, "body")


WORDS = [
    "Straße",
    "strasse",
    "STRASSE",
    "ﬁnance",
    "finance",
    "Zürich",
    "zurich",
    "café",
    "Cafe\u0301",
    "ﬂood",
    "x",
]
texts = st.lists(st.sampled_from(WORDS + [" ", ", ", "-", "ß"]), max_size=8).map("".join)
queries = st.sampled_from(
    ["strasse", "straße", "finance", "zurich", "cafe", "stras*", "flood", '"strasse finance"']
)


@settings(max_examples=300, deadline=None)
@given(texts, queries)
def test_spans_agree_with_matches(text: str, query: str) -> None:
    """A term highlights a string exactly when it matches that string, and only whole words."""
    q = compile_query(query)
    spans = q.spans(text, "text")
    assert bool(spans) == q.matches(MatchDoc(text=text))
    for a, b in spans:
        assert 0 <= a < b <= len(text)
        hit = text[a:b]
        assert compile_query(query).matches(MatchDoc(text=hit))  # the highlighted text alone matches
        assert not (a > 0 and text[a - 1].isalnum()) and not (b < len(text) and text[b].isalnum())


@pytest.mark.parametrize(
    "query",
    [
        'title:(strike OR "walk out")',
        '"climate chan*"',
        "e-mail rock&roll c++ 12:30",
        "\u201ccurly quoted\u201d",
        'actor:"Tomás Okonjo" OR speaker:(Okonjo "Ms Marquardt")',
        'quote:"Straße*" -title:ﬁnance',
    ],
)
def test_terms_as_written_parse_back_to_the_same_terms(query: str) -> None:
    """alert_context highlights a Match's hits by parsing its terms (``Hit.term``) back."""
    terms = compile_query(query).terms()
    again = compile_query(" OR ".join(str(t) for t in terms)).terms()
    assert [(t.words, t.prefix, t.field) for t in again] == [(t.words, t.prefix, t.field) for t in terms]
