"""The watch query language: operators, fields, errors, explanations and the many-watch index.

Every article, person and outlet below is invented.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefbot.match import (
    And,
    CompiledQuery,
    Match,
    MatchDoc,
    Not,
    Or,
    QueryError,
    Term,
    WatchIndex,
    compile_query,
    fold,
)

# -- fictional articles -------------------------------------------------------------------------

STRIKE_ANALYSIS: dict[str, Any] = {
    "actors": [
        {
            "name": "Ilse Marquardt",
            "kind": "person",
            "role": "union leader",
            "aliases": ["Marquardt", "Ms Marquardt"],
            "mentions": 4,
        },
        {
            "name": "Port Authority of Velmar",
            "kind": "organization",
            "role": None,
            "aliases": ["the authority"],
            "mentions": 2,
        },
        {
            "name": "Tomás Okonjo",
            "kind": "person",
            "role": "harbour master",
            "aliases": ["Okonjo"],
            "mentions": 1,
        },
    ],
    "quotes": [
        {
            "text": "We will not unload a single container until the pay offer changes",
            "speaker": "Marquardt",
            "speaker_kind": "person",
            "partial": False,
        },
        {
            "text": "The berths stay open",
            "speaker": "Tomás Okonjo",
            "speaker_kind": "person",
            "partial": True,
        },
    ],
    "positions": [{"holder": "Ilse Marquardt", "statement": "rejects the pay offer"}],
    "key_points": ["Dockworkers in Velmar walked out."],
}
STRIKE = MatchDoc.from_article(
    "Dockworkers strike in Velmar as pay talks collapse",
    "Dockworkers at the port of Velmar walked out on Tuesday. Union leader Ilse Marquardt said the "
    'offer was an insult. "We will not unload a single container until the pay offer changes," '
    'Marquardt said. Harbour master Tomás Okonjo said: "The berths stay open." Ukraine\'s grain '
    "exports, shipped through Velmar, face delays; sanctions on Ostrava Freight were not discussed.",
    ["Velmar Courier"],
    STRIKE_ANALYSIS,
)
ZURICH = MatchDoc.from_article(
    "ZÜRICH STARTUP RAISES FUNDS",
    "A start-up in Zürich, founded by Anouk Dubois, raised money from the Straße Fund. "
    "Its star product is a sanctions-screening tool. Nobody mentioned Ukrainetown.",
    ["Northern Ledger", "Meridian Wire"],
    None,
)


def m(query: str, doc: MatchDoc = STRIKE) -> bool:
    """Matches, and checks the slow explaining path agrees."""
    cq = compile_query(query)
    got = cq.matches(doc)
    assert (cq.explain(doc) is not None) == got, query
    return got


# -- folding and whole words ---------------------------------------------------------------------


def test_fold_strips_case_and_accents() -> None:
    assert fold("Zürich São Tomé ÉCOLE") == "zurich sao tome ecole"
    assert fold("Straße") == "strasse"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ukraine", True),  # "Ukraine's"
        ("UKRAINE", True),
        ("ukrainetown", False),
        ("ukrain", False),  # a whole word, not a substring
        ("velmar", True),
        ("tomas", True),  # accent-insensitive: "Tomás"
        ("TOMÁS", True),
        ("grain exports", True),
    ],
)
def test_whole_words_case_and_accents(query: str, expected: bool) -> None:
    assert m(query) is expected


def test_star_does_not_match_start() -> None:
    assert m("star", ZURICH)  # "Its star product"
    assert not m("star", MatchDoc(text="A start-up started."))
    assert m("start", MatchDoc(text="A start-up started."))  # "start-up": the hyphen ends the word


def test_accented_query_and_text() -> None:
    assert m("zurich", ZURICH) and m("Zürich", ZURICH) and m("ZURICH", ZURICH)
    assert m("strasse", ZURICH) and m("straße", ZURICH)


def test_prefix() -> None:
    assert m("sanction*")  # sanctions
    assert m("sanction*", ZURICH)  # sanctions-screening
    assert not m("sanction*", MatchDoc(text="It was unsanctioned."))  # prefix of a word, not inside one
    assert m("dock*")
    assert not m("dockyard*")


def test_phrases() -> None:
    assert m('"grain exports"')
    assert m('"pay talks collapse"')
    assert not m('"exports grain"')
    assert not m('"grain face"')
    assert m('"sanctions screening"', ZURICH)  # punctuation between words is ignored
    assert m('"ostrava freight"') and not m('"ostrava freighter"')
    assert m('"ostrava freig*"')  # a phrase can end with a prefix
    assert m("“grain exports”")  # typographic quotes work too


def test_term_with_punctuation_is_a_phrase() -> None:
    assert m("ukraine's")
    assert m("start-up", ZURICH)
    assert not m("start-up")


# -- operators and precedence -----------------------------------------------------------------------


def test_implicit_and_explicit_and() -> None:
    assert m("dockworkers velmar") and m("dockworkers AND velmar")
    assert not m("dockworkers zurich") and not m("dockworkers AND zurich")


def test_or() -> None:
    assert m("zurich OR velmar")
    assert not m("zurich OR lagos")
    assert m("lagos OR tbilisi OR tuesday")


def test_not_and_minus() -> None:
    assert not m("-velmar") and not m("NOT velmar")
    assert m("-zurich") and m("NOT zurich")
    assert m('dockworkers -"grain imports"') and not m('dockworkers -"grain exports"')
    assert m("dockworkers -(zurich OR lagos)") and not m("dockworkers -(zurich OR velmar)")
    assert m("NOT NOT velmar")
    assert m("e-mail OR velmar")  # a hyphen inside a word is not a minus


def test_lowercase_operators_are_words() -> None:
    assert not m("zurich or lagos")  # three words, all required
    assert compile_query("not").root == Term(("not",), False, None, "not", 1)


def test_precedence_not_and_or() -> None:
    assert str(compile_query("a OR b c")) == "a OR b c"
    assert compile_query("a OR b c").root == compile_query("a OR (b c)").root
    assert compile_query("NOT a b").root == compile_query("(NOT a) b").root
    assert compile_query("-a OR b").root == compile_query("(-a) OR b").root
    assert str(compile_query("(a OR b) c")) == "(a OR b) c"
    assert m("zurich OR dockworkers velmar")  # zurich OR (dockworkers velmar)
    assert not m("(zurich OR dockworkers) lagos")
    assert m("NOT zurich velmar")  # (NOT zurich) velmar


def test_tree_shapes() -> None:
    root = compile_query('title:(strike OR walkout) -actor:"Ilse Marquardt"').root
    assert isinstance(root, And)
    assert isinstance(root.children[0], Or) and isinstance(root.children[1], Not)
    terms = compile_query('title:(strike OR walkout) -actor:"Ilse Marquardt"').terms()
    assert [(t.field, t.words) for t in terms] == [
        ("title", ("strike",)),
        ("title", ("walkout",)),
        ("actor", ("ilse", "marquardt")),
    ]


def test_empty_query_matches_everything() -> None:
    for q in ("", "   ", None):
        cq = compile_query(q)
        assert cq.matches(STRIKE) and cq.matches(MatchDoc())
        assert cq.explain(STRIKE) == Match(())


# -- fields ---------------------------------------------------------------------------------------


def test_title_field() -> None:
    assert m("title:strike") and m("title:velmar")
    assert not m("title:marquardt")  # only in the text
    assert m("title:(strike OR walkout)") and not m("title:(lockout OR walkout)")
    assert m('title:"pay talks"')
    assert m("title:zurich", ZURICH)


def test_actor_field_uses_names_and_aliases() -> None:
    doc = MatchDoc.from_article(
        "Minister visits Velmar",
        "Rubensky toured the docks and praised the workers.",
        [],
        {
            "actors": [
                {
                    "name": "Pavel Rubensky",
                    "kind": "person",
                    "role": "minister",
                    "aliases": ["Rubensky", "Minister Rubensky"],
                    "mentions": 1,
                }
            ],
            "quotes": [],
        },
    )
    assert m('actor:"Pavel Rubensky"', doc)  # the text only says "Rubensky"
    assert not m('"Pavel Rubensky"', doc)  # a plain phrase searches the title and text only
    assert m("actor:rubensky", doc) and m("actor:minister", doc)
    assert not m("actor:pavel", MatchDoc(text="Pavel spoke."))
    assert m('actor:"port authority"') and m('actor:"Tomas Okonjo"')
    assert not m('actor:"Marquardt Okonjo"')  # a phrase never spans two names


def test_speaker_field_resolves_aliases() -> None:
    assert m("speaker:marquardt")
    assert m('speaker:"Ilse Marquardt"')  # the quote names her only as "Marquardt"
    assert m('speaker:"tomas okonjo"')
    assert not m("speaker:authority")  # an actor, but never quoted


def test_quote_field() -> None:
    assert m('quote:"single container"') and m("quote:berths")
    assert not m("quote:dockworkers")  # in the text, not in a quote
    assert m("quote:(berths OR lockout) speaker:okonjo")


def test_source_field() -> None:
    assert m("source:courier") and m('source:"Velmar Courier"')
    assert not m("source:ledger")
    assert m("source:ledger", ZURICH) and m('source:"meridian wire"', ZURICH)
    assert not m('source:"ledger meridian"', ZURICH)


def test_field_names_are_case_insensitive() -> None:
    assert m("Title:strike") and m("SOURCE:courier")


def test_without_analysis_analysis_fields_match_nothing() -> None:
    assert m("dubois", ZURICH)  # plain terms still search title and text
    assert not m("actor:dubois", ZURICH) and not m("speaker:dubois", ZURICH) and not m("quote:star", ZURICH)
    assert m("-actor:dubois", ZURICH)
    assert MatchDoc.from_article(None, None).title == ""


def test_field_on_group_with_not_inside() -> None:
    assert m("title:(strike -walkout)") and not m("title:(strike -velmar)")


# -- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "column", "fragment"),
    [
        ("ukraine OR", 11, 'expected a term or "(" after OR'),
        ("sanctions OR )", 14, 'expected a term or "(" after OR, found ")"'),
        ("ukraine AND", 12, 'expected a term or "(" after AND'),
        ("ukraine NOT", 12, 'expected a term or "(" after NOT'),
        ("OR ukraine", 1, 'expected a term or "(" before OR'),
        ("a OR OR b", 6, 'expected a term or "(" after OR, found OR'),
        ('velmar "grain exports', 8, "unclosed quote"),
        ("(strike OR walkout", 19, 'expected ")" to close the "(" at column 1'),
        ("strike)", 7, 'unbalanced parenthesis: ")" without a matching "("'),
        ("()", 2, 'expected a term or "(" after "("'),
        ("autor:Marquardt", 1, 'unknown field "autor:"; did you mean "actor:"?'),
        ("velmar speeker:x", 8, 'did you mean "speaker:"?'),
        ("zzz:x", 1, 'unknown field "zzz:"'),
        ("title: strike", 7, "right after title:"),
        ("title:", 7, "right after title:"),
        ("title:-strike", 7, 'expected a term, phrase or "(" after title:'),
        ("title:(actor:x)", 8, "fields cannot be nested"),
        ("a - b", 3, 'right after "-"'),
        ("a -", 3, 'right after "-"'),
        ("san*ctions", 4, '"*" can only end a term'),
        ("*", 1, "no letters or digits"),
        ("rock & roll", 6, "no letters or digits"),
        ('""', 1, "empty phrase"),
        ("(" * 70 + "x" + ")" * 70, 65, "nested too deeply"),
        ("-" * 70 + "x", 65, "nested too deeply"),
    ],
)
def test_errors_have_column_and_expectation(query: str, column: int, fragment: str) -> None:
    with pytest.raises(QueryError) as info:
        compile_query(query)
    assert info.value.column == column
    assert str(info.value).startswith(f"column {column}: ")
    assert fragment in str(info.value)


def test_unknown_field_hint_lists_fields() -> None:
    with pytest.raises(QueryError) as info:
        compile_query("autor:x")
    assert info.value.hint and "actor:" in info.value.hint and '"autor:x"' in info.value.hint
    assert m('"autor:x"', MatchDoc(text="See autor: x."))  # quoted, it is searched as text


def test_colon_after_digits_is_text() -> None:
    assert m("10:30", MatchDoc(text="The ferry leaves at 10:30 sharp."))


# -- explanations -----------------------------------------------------------------------------------


def test_explain_spans_point_into_the_original_text() -> None:
    ex = compile_query("zurich sanction*").explain(ZURICH)
    assert ex is not None
    assert [(h.where, h.text) for h in ex.hits] == [
        ("title", "ZÜRICH"),
        ("text", "Zürich"),
        ("text", "sanctions"),
    ]
    title_hit = ex.hits[0]
    assert ZURICH.title[title_hit.start : title_hit.end] == "ZÜRICH"
    assert ex.sentence == "A start-up in Zürich, founded by Anouk Dubois, raised money from the Straße Fund."
    assert ex.spans("text") == [(h.start, h.end) for h in ex.hits[1:]]


def test_explain_spans_survive_expanding_folds() -> None:
    doc = MatchDoc(text="Die Straße in Köln ist zu.")
    ex = compile_query("koln").explain(doc)
    assert ex is not None and ex.hits[0].text == "Köln"
    ex = compile_query('"strasse in koln"').explain(doc)
    assert ex is not None and ex.hits[0].text == "Straße in Köln"


def test_explain_actor_quote_and_sentence() -> None:
    ex = compile_query('actor:"Ilse Marquardt" container').explain(STRIKE)
    assert ex is not None
    assert ex.actor is not None and ex.actor["name"] == "Ilse Marquardt"
    assert ex.sentence is not None and ex.sentence.startswith('"We will not unload a single container')
    ex = compile_query('speaker:"ilse marquardt"').explain(STRIKE)
    assert ex is not None and ex.quote is STRIKE.quotes[0] and ex.sentence is None
    assert ex.hits[0].where == "speaker"
    ex = compile_query("quote:berths").explain(STRIKE)
    assert ex is not None and ex.quote is STRIKE.quotes[1] and ex.hits[0].text == "berths"


def test_explain_keeps_only_satisfied_branches() -> None:
    ex = compile_query("(velmar lagos) OR tuesday -zurich").explain(STRIKE)
    assert ex is not None
    assert {h.text for h in ex.hits} == {"Tuesday"}  # velmar's branch failed; negated terms never show
    assert compile_query("velmar lagos").explain(STRIKE) is None
    ex = compile_query("-zurich").explain(STRIKE)
    assert ex is not None and ex.hits == ()


def test_spans_merge_overlaps() -> None:
    ex = compile_query('velmar OR "port of velmar"').explain(STRIKE)
    assert ex is not None
    text_spans = ex.spans("text")
    assert all(a[1] < b[0] for a, b in itertools.pairwise(text_spans))
    assert STRIKE.text[slice(*text_spans[0])] == "port of Velmar"


def test_callable_with_a_string_for_brief_py() -> None:
    match = compile_query("velmar -zurich")
    assert match("Dockworkers of Velmar") and not match("Zürich and Velmar")
    assert isinstance(match, CompiledQuery)


# -- the index ---------------------------------------------------------------------------------------


def test_watch_index_small() -> None:
    index = WatchIndex(
        {
            "strikes": "title:(strike OR walkout)",
            "marquardt": 'actor:"Ilse Marquardt"',
            "zurich": "zurich -dubois",
            "not-zurich": "-zurich",
            "everything": "",
            "courier-grain": 'source:courier "grain exports"',
            "startups": "start* zurich",
        }
    )
    assert index.match(STRIKE) == ["strikes", "marquardt", "not-zurich", "everything", "courier-grain"]
    assert index.match(ZURICH) == ["everything", "startups"]
    assert index.stats()["always_evaluated"] == 1 and index.stats()["match_all"] == 1
    why = index.explain(STRIKE)
    assert why["strikes"].hits[0].text == "strike"


def test_watch_index_names_the_bad_watch() -> None:
    with pytest.raises(QueryError) as info:
        WatchIndex({"ok": "velmar", "bad": "velmar OR"})
    assert "watch 'bad'" in str(info.value) and info.value.column == 10


def test_watch_index_with_no_terms_and_tuning_sample() -> None:
    assert WatchIndex({}).match(STRIKE) == []
    assert WatchIndex({"all": None}).match(STRIKE) == ["all"]
    tuned = WatchIndex({"a": "velmar tuesday", "b": "zurich OR lagos"}, sample=[STRIKE, ZURICH])
    assert tuned.match(STRIKE) == ["a"] and tuned.match(ZURICH) == ["b"]


# -- properties -----------------------------------------------------------------------------------

VOCAB = [
    "velmar",
    "strike",
    "Zürich",
    "zurich",
    "Ostrava",
    "grain",
    "pay",
    "offer",
    "Okonjo",
    "Marquardt",
    "straße",
    "strasse",
    "start",
    "star",
    "café",
    "cafe",
    "ÉCOLE",
    "10",
]
FIELD_NAMES = ["title", "actor", "speaker", "quote", "source"]

words = st.sampled_from(VOCAB)
seps = st.sampled_from([" ", " ", ", ", "-", "'s ", ". ", "\n", " — ", "\u00a0", "_", "x"])


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.tuples(words, seps), max_size=12))
    noise = draw(st.text(max_size=5))
    return "".join(w + s for w, s in parts) + noise


@st.composite
def docs(draw: st.DrawFn) -> MatchDoc:
    analysis = None
    if draw(st.booleans()):
        names = draw(st.lists(texts(), max_size=3))
        analysis = {
            "actors": [
                {"name": n, "kind": "person", "aliases": draw(st.lists(texts(), max_size=2))} for n in names
            ],
            "quotes": [
                {"text": draw(texts()), "speaker": draw(st.one_of(st.none(), texts(), words))}
                for _ in range(draw(st.integers(0, 2)))
            ],
        }
    return MatchDoc.from_article(draw(texts()), draw(texts()), draw(st.lists(texts(), max_size=2)), analysis)


term_text = st.one_of(
    words,
    words.map(lambda w: w[: max(1, len(w) - 2)] + "*"),
    st.lists(words, min_size=1, max_size=3).map(lambda ws: '"' + " ".join(ws) + '"'),
)
atoms = st.one_of(
    term_text, st.tuples(st.sampled_from(FIELD_NAMES), term_text).map(lambda p: f"{p[0]}:{p[1]}")
)
queries = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(" ".join),
        st.lists(inner, min_size=2, max_size=3).map(" OR ".join),
        st.lists(inner, min_size=2, max_size=3).map(" AND ".join),
        inner.map(lambda q: f"({q})"),
        inner.map(lambda q: f"-({q})"),
        inner.map(lambda q: f"NOT ({q})"),
        st.tuples(st.sampled_from(FIELD_NAMES), st.lists(term_text, min_size=1, max_size=3)).map(
            lambda p: f"{p[0]}:({' OR '.join(p[1])})"
        ),
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(queries, min_size=1, max_size=8), st.lists(docs(), min_size=1, max_size=4))
def test_index_agrees_with_each_query(qs: list[str], ds: list[MatchDoc]) -> None:
    named = {f"w{i}": q for i, q in enumerate(qs)}
    index = WatchIndex(named)
    tuned = WatchIndex(named, sample=ds[:1])
    compiled = {n: compile_query(q) for n, q in named.items()}
    for d in ds:
        expected = [n for n, cq in compiled.items() if cq.matches(d)]
        assert index.match(d) == expected
        assert tuned.match(d) == expected
        for n, cq in compiled.items():  # the regex path (explain) agrees with the substring path
            assert (cq.explain(d) is not None) == (n in expected), (named[n], d)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40), texts())
def test_matches_and_explain_agree_on_any_text(term: str, text: str) -> None:
    try:
        cq = compile_query(term)
    except QueryError:
        return
    doc = MatchDoc(title=text[:7], text=text)
    assert (cq.explain(doc) is not None) == cq.matches(doc)


query_alphabet = st.sampled_from(
    list('()"-*: ') + ["OR", "AND", "NOT", "title:", "autor:", "a", "é", "\u201c", "ß"]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(query_alphabet, max_size=20).map("".join)))
def test_any_string_parses_or_raises_query_error(q: str) -> None:
    try:
        cq = compile_query(q)
    except QueryError as e:
        assert e.column is not None and 1 <= e.column <= len(q) + 1
        return
    assert cq.matches(STRIKE) in (True, False)
    assert isinstance(str(cq), str)


def test_canonical_form_reparses_to_the_same_tree() -> None:
    for q in ['title:(strike OR walkout) -actor:"Ilse Marquardt"', "a OR b c", "-(a OR b) c*", "NOT NOT a"]:
        cq = compile_query(q)
        assert compile_query(str(cq)).root == cq.root
