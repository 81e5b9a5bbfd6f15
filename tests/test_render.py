"""Templates for the digest, the alert and the brief in Slack, email (HTML, text) and Markdown.

Golden files (tests/golden/) pin each of the 12 renderings of the fictional stories in
tests/fixtures/stories.py; rewrite them with ``BRIEFBOT_UPDATE_GOLDEN=1 pytest
tests/test_render.py`` and review the diff. The other tests check what must hold whatever
the styling: escaping per medium, Slack's limits, loud failures, operator overrides.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from briefbot.deliver.blocks import (
    HEADER_MAX,
    MESSAGE_MAX_BLOCKS,
    MESSAGE_MAX_CHARS,
    SECTION_MAX,
    block_text_length,
)
from briefbot.render import (
    KINDS,
    MEDIA,
    RenderError,
    alert_context,
    also_reported,
    brief_context,
    default_templates_dir,
    digest_context,
    md_escape,
    md_link,
    render,
    render_email,
    render_markdown,
    render_slack,
    template_name,
    top_actors,
    top_positions,
    top_quotes,
    why_from_match,
)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("BRIEFBOT_UPDATE_GOLDEN") == "1"


def _load_stories() -> ModuleType:
    """tests/fixtures has no __init__.py; load the sample stories by path."""
    path = Path(__file__).parent / "fixtures" / "stories.py"
    spec = importlib.util.spec_from_file_location("briefbot_sample_stories", path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


S = _load_stories()


def digest_ctx() -> Any:
    return digest_context(
        "morning",
        {"port-strike": [S.PORT_STRIKE, S.HOSTILE], "library": [S.LIBRARY, S.PORT_STRIKE]},
        since=S.SINCE,
        until=S.UNTIL,
        timezone=S.TIMEZONE,
    )


def alert_ctx() -> Any:
    return alert_context("port-strike", 'title:dock* OR "walk out"', S.PORT_STRIKE, S.PORT_STRIKE_WHY)


def brief_ctx() -> Any:
    return brief_context(S.STORIES, query="port OR mayor", since=S.SINCE, until=S.UNTIL)


CONTEXTS = {"digest": digest_ctx, "alert": alert_ctx, "brief": brief_ctx}


def hostile_contexts() -> dict[str, Any]:
    return {
        "digest": digest_context("hostile", [S.HOSTILE], since=S.SINCE, until=S.UNTIL),
        "alert": alert_context("city-hall", 'mayor OR "fair deal"', S.HOSTILE, S.HOSTILE_WHY),
        "brief": brief_context([S.HOSTILE], query='<!channel> & "x"', since=S.SINCE, until=S.UNTIL),
    }


def rendered(kind: str, medium: str, ctx: Any, templates_dir: Path | None = None) -> str:
    """One rendering as the text stored in a golden file."""
    if medium == "md":
        return render_markdown(kind, ctx, templates_dir)
    if medium == "slack":
        return (
            json.dumps(
                [m.payload() for m in render_slack(kind, ctx, templates_dir)], indent=2, ensure_ascii=False
            )
            + "\n"
        )
    mail = render_email(kind, ctx, templates_dir)
    return f"Subject: {mail.subject}\n\n{mail.text}" if medium == "txt" else mail.html


def slack_texts(node: Any) -> list[str]:
    """Every mrkdwn/plain text string in a message payload or block list."""
    out: list[str] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "text" and isinstance(v, str):
                out.append(v)
            else:
                out.extend(slack_texts(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(slack_texts(v))
    return out


# -- golden files ---------------------------------------------------------------------------


@pytest.mark.parametrize("medium", MEDIA)
@pytest.mark.parametrize("kind", KINDS)
def test_golden(kind: str, medium: str) -> None:
    name = template_name(kind, medium).removesuffix(".j2")
    path = GOLDEN / name
    got = rendered(kind, medium, CONTEXTS[kind]())
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8", newline="")
        return
    assert path.is_file(), f"missing {path}: run BRIEFBOT_UPDATE_GOLDEN=1 pytest tests/test_render.py"
    assert got == path.read_text(encoding="utf-8"), (
        f"{name} differs from its golden file; if the change is intended, rerun with BRIEFBOT_UPDATE_GOLDEN=1"
    )


def test_all_twelve_templates_ship() -> None:
    names = {p.name for p in default_templates_dir().glob("*.j2")}
    for kind in KINDS:
        for medium in MEDIA:
            assert template_name(kind, medium) in names


# -- what a digest shows ----------------------------------------------------------------------


def test_digest_context_groups_counts_and_one_entry_per_event() -> None:
    ctx = digest_ctx()
    # PORT_STRIKE was matched by both watches: listed once, under the first.
    assert [g["watch"] for g in ctx["groups"]] == ["port-strike", "library"]
    assert [s["title"] for s in ctx["groups"][1]["stories"]] == [S.LIBRARY["title"]]
    assert ctx["counts"] == {"stories": 3, "articles": 6, "sources": 5}
    assert ctx["empty_message"] is False


def test_digest_shows_window_in_its_time_zone_and_also_reported_by() -> None:
    md = render_markdown("digest", digest_ctx())
    assert "Mon 30 Nov 2026 07:00 → Mon 30 Nov 2026 19:00 (Europe/Berlin)" in md  # 06:00Z in Berlin
    assert "3 stories · 6 articles · 5 outlets" in md
    assert md.count("Dockworkers at Port Averly walk out over pay") == 1
    assert (
        "Also reported by: [Northgate Courier](https://northgate-courier.example/news/averly-strike), "
        "[The Fenwick Post](https://fenwickpost.example/averly-strike-explainer)"
    ) in md


def test_story_selection() -> None:
    names = [a["name"] for a in top_actors(S.PORT_STRIKE, 5)]
    assert names[0] == "Talia Brennock" and "Averly" not in names  # a place yields to the people
    quotes = top_quotes(S.PORT_STRIKE, 2)
    assert [q["speaker"] for q in quotes] == ["Talia Brennock", "Osric Vell"]  # two sides, no partial
    assert all(not q["partial"] for q in top_quotes(S.PORT_STRIKE, 10))
    assert top_quotes(S.PORT_STRIKE, 10)[-1]["speaker_kind"] == "unnamed"  # unnamed speakers last
    assert len(top_positions(S.PORT_STRIKE, 3)) == 3
    assert [a["source"] for a in also_reported(S.PORT_STRIKE)] == ["Northgate Courier", "The Fenwick Post"]


@pytest.mark.parametrize("medium", MEDIA)
def test_empty_digest_says_nothing_new(medium: str) -> None:
    ctx = digest_context("evening", [], since=S.SINCE, until=S.UNTIL, timezone="Europe/Berlin")
    assert ctx["empty_message"] is True
    out = rendered("digest", medium, ctx)
    assert "Nothing new since Mon 30 Nov" in out


def test_brief_markdown_contract() -> None:
    """tests/test_cli.py relies on these: the heading, and the empty-window sentence."""
    assert render_markdown("brief", brief_ctx()).startswith("# Brief: port OR mayor\n")
    empty = render_markdown("brief", brief_context([], since=S.SINCE, until=S.UNTIL))
    assert empty.startswith("# Brief\n") and "Nothing new in this window." in empty
    # the old entry point still works
    assert render("brief.md.j2", brief_ctx()).startswith("# Brief")


def test_alert_highlights_per_medium() -> None:
    ctx = alert_ctx()
    assert "## **Dockworkers** at Port Averly **walk out** over pay" in render_markdown("alert", ctx)
    mail = render_email("alert", ctx)
    assert re.search(r"<mark[^>]*>Dockworkers</mark> at Port Averly <mark[^>]*>walk out</mark>", mail.html)
    assert "*Dockworkers* at Port Averly *walk out* over pay" in mail.text
    head = render_slack("alert", ctx)[0]
    assert any(
        t.startswith("*Dockworkers* at Port Averly *walk out* over pay") for t in slack_texts(head.blocks)
    )
    # the sentence is highlighted by the terms, accent- and case-insensitively
    assert "**dockworkers**" in render_markdown("alert", ctx)


def test_alert_from_a_real_match() -> None:
    from briefbot.match import MatchDoc, compile_query

    doc = MatchDoc(
        title=S.PORT_STRIKE["title"], text="Crews at the quay voted to walk out. Talks resume Friday."
    )
    match = compile_query('title:dock* AND "walk out"').explain(doc)
    assert match is not None
    why = why_from_match(match)
    assert why["terms"] == ["title:dock*", '"walk out"']
    assert {"field": "title", "start": 0, "end": 11} in why["highlights"]
    assert why["sentence"] == "Crews at the quay voted to walk out."
    md = render_markdown("alert", alert_context("port-strike", "q", S.PORT_STRIKE, match))
    assert "**Dockworkers**" in md and "**walk out**" in md
    assert "> Crews at the quay voted to **walk out**." in md


# -- escaping per medium ---------------------------------------------------------------------

_SLACK_CONTROL = re.compile(r"<([^<>]*)>")


@pytest.mark.parametrize("kind", KINDS)
def test_slack_hostile_text_neither_pings_nor_disguises_links(kind: str) -> None:
    messages = render_slack(kind, hostile_contexts()[kind])
    # headers are plain_text, which Slack never parses for mentions or links
    parsed = [b for m in messages for b in m.blocks if b["type"] != "header"]
    assert all(b["text"]["type"] == "plain_text" for m in messages for b in m.blocks if b["type"] == "header")
    texts = [m.text for m in messages] + slack_texts(parsed)
    joined = "\n".join(texts)
    for seq in _SLACK_CONTROL.findall(joined):
        # the only control sequences left are our own links, to http(s) URLs without a disguise
        assert re.match(r"https?://", seq), seq
        url, _, _label = seq.partition("|")
        assert "evil" not in url and " " not in url and "<" not in url
    assert "<!channel>" not in joined and "<!here>" not in joined and "<@U123>" not in joined
    assert "&lt;!channel&gt;" in joined or kind == "alert"
    assert "javascript:" not in "".join(_SLACK_CONTROL.findall(joined))


def test_slack_json_survives_quotes_backslashes_and_newlines(tmp_path: Path) -> None:
    for kind, ctx in hostile_contexts().items():
        raw = render(template_name(kind, "slack"), ctx)
        data = json.loads(raw)  # valid JSON, whatever the article text holds
        assert data["text"] and data["blocks"]
    texts = "\n".join(slack_texts([m.blocks for m in render_slack("digest", hostile_contexts()["digest"])]))
    assert r'"alert &lt;!channel&gt; and &lt;!here&gt;" &amp; ping &lt;@U123&gt; about C:\temp\new\.' in texts
    assert '"yes" \\o/' in texts


@pytest.mark.parametrize("kind", KINDS)
def test_html_is_escaped_and_links_are_http_only(kind: str) -> None:
    html = render_email(kind, hostile_contexts()[kind]).html
    assert "<script>" not in html and "</script>" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html.replace("[a link](javascript:alert(1))", "")
    assert not re.search(r"href=\"(?!https?://)", html)
    assert "<style" not in html and 'style="' in html  # CSS inlined
    assert "<b>bold</b>" not in html


@pytest.mark.parametrize("kind", KINDS)
def test_markdown_escapes_structure(kind: str) -> None:
    md = render_markdown(kind, hostile_contexts()[kind])
    prose = re.sub(r"`[^`\n]*`", "", md)  # query terms are shown verbatim in code spans
    assert "<script>" not in prose and "<!channel>" not in prose
    assert not re.search(r"(?<!\\)\]\(javascript:", md)
    assert "\\# Not a heading \\*not bold\\*" in md or kind != "brief"
    assert "\r" not in md
    for line in md.splitlines():
        assert not line.startswith("Bcc:")


@pytest.mark.parametrize("kind", KINDS)
def test_email_subject_and_text_have_no_header_injection(kind: str) -> None:
    mail = render_email(kind, hostile_contexts()[kind])
    assert "\r" not in mail.subject and "\n" not in mail.subject
    assert "\r" not in mail.text
    assert not any(line.startswith("Bcc:") for line in mail.text.splitlines())
    if kind == "alert":
        assert mail.subject.startswith('[city-hall] Mayor\'s "fair deal"') and "plan Bcc:" in mail.subject


def test_md_helpers() -> None:
    assert md_link("javascript:alert(1)", "x") == "x"
    assert md_link("https://a.example/p (1)", "[t]") == r"[\[t\]](https://a.example/p%20%281%29)"
    assert md_escape("a\r\nb <c> & *d*") == r"a b \<c\> \& \*d\*"


# -- Slack limits ----------------------------------------------------------------------------


def test_long_digest_continues_in_thread_without_losing_a_story() -> None:
    stories = S.many_stories(60)
    ctx = digest_context("weekly", {"council": stories}, since=S.SINCE, until=S.UNTIL)
    messages = render_slack("digest", ctx)
    assert len(messages) > 1
    for i, m in enumerate(messages):
        assert m.text and m.blocks
        assert len(m.blocks) <= MESSAGE_MAX_BLOCKS
        assert sum(block_text_length(b) for b in m.blocks) <= MESSAGE_MAX_CHARS
        for b in m.blocks:
            if b["type"] == "section":
                assert len(b["text"]["text"]) <= SECTION_MAX
            if b["type"] == "header":
                assert len(b["text"]["text"]) <= HEADER_MAX
        if i:
            assert "(continued" in m.text
    everything = "\n".join(t for m in messages for t in slack_texts(m.blocks))
    missing = [s["title"] for s in stories if s["title"] not in everything]
    assert not missing


def test_long_section_is_split_and_long_header_cut() -> None:
    story = dict(S.LIBRARY, key_points=["word " * 1500])  # 7,500 characters
    ctx = digest_context("d" * 200, [story], since=S.SINCE, until=S.UNTIL)
    blocks = [b for m in render_slack("digest", ctx) for b in m.blocks]
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) >= 3 and all(len(b["text"]["text"]) <= SECTION_MAX for b in sections)
    assert sum(b["text"]["text"].count("word") for b in sections) == 1500  # nothing dropped
    assert all(len(b["text"]["text"]) <= HEADER_MAX for b in blocks if b["type"] == "header")


# -- templates_dir: overrides and loud failures -------------------------------------------------


def test_override_one_template_others_from_defaults(tmp_path: Path) -> None:
    (tmp_path / "alert.md.j2").write_text("CUSTOM ALERT {{ watch }}: {{ story.title | md }}\n")
    assert render_markdown("alert", alert_ctx(), tmp_path) == (
        "CUSTOM ALERT port-strike: Dockworkers at Port Averly walk out over pay\n"
    )
    assert render_markdown("digest", digest_ctx(), tmp_path).startswith("# Digest: morning")
    assert render_markdown("alert", alert_ctx()).startswith("# Alert: port-strike")  # default untouched


def test_override_a_shared_partial(tmp_path: Path) -> None:
    (tmp_path / "_story.md.j2").write_text(
        "{% macro story(s) %}{% set _ = kwargs %}* {{ s.title | md }}{% endmacro %}\n"
    )
    md = render_markdown("brief", brief_ctx(), tmp_path)
    assert "* Fenwick library extends opening hours" in md and "**Who:**" not in md


def test_text_override_without_subject_macro_gets_a_default_subject(tmp_path: Path) -> None:
    (tmp_path / "alert.txt.j2").write_text("{{ story.title | oneline }}\n")
    mail = render_email("alert", alert_context("w", "q", S.HOSTILE), tmp_path)
    assert mail.subject.startswith("[w] Mayor's") and "\n" not in mail.subject
    assert "<script>" not in mail.html


def test_template_typo_fails_loudly(tmp_path: Path) -> None:
    (tmp_path / "digest.md.j2").write_text("# {{ digest }}\n{{ counts.storeis }}\n")
    with pytest.raises(RenderError, match=r"digest\.md\.j2 line 2.*storeis"):
        render_markdown("digest", digest_ctx(), tmp_path)
    (tmp_path / "brief.slack.json.j2").write_text('{"text": {{ quary | tojson }}, "blocks": []}')
    with pytest.raises(RenderError, match=r"brief\.slack\.json\.j2.*quary"):
        render_slack("brief", brief_ctx(), tmp_path)


def test_invalid_slack_json_names_the_template(tmp_path: Path) -> None:
    (tmp_path / "alert.slack.json.j2").write_text('{"text": "x", "blocks": [{"type": "divider"},]}\n')
    with pytest.raises(RenderError, match=r"alert\.slack\.json\.j2 produced invalid JSON"):
        render_slack("alert", alert_ctx(), tmp_path)
    (tmp_path / "alert.slack.json.j2").write_text('{"blocks": [{"type": "divider"}]}\n')
    with pytest.raises(RenderError, match="fallback"):
        render_slack("alert", alert_ctx(), tmp_path)


def test_unknown_kind_or_medium() -> None:
    with pytest.raises(RenderError):
        template_name("memo", "md")
    with pytest.raises(RenderError):
        template_name("digest", "fax")
