"""Slack formatting of the server's answers: ephemeral messages, errors, briefs, watch lists and tests."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from ..deliver.blocks import Block, mrkdwn_escape, section
from ..errors import BriefbotError, describe
from ..match import QueryError
from ..model import Destination, Watch
from ..notify import WatchHitView
from ..render import brief_context, render_slack, slack_link
from .commands import DEFAULT_SINCE, MAX_SINCE

MAX_POSTS = 5  # response_url accepts 5 responses
WATCH_TEST_SHOWN = 10


def message(text: str, *, response_type: str = "ephemeral") -> dict[str, Any]:
    """One message of already-escaped mrkdwn, in sections within Slack's limits."""
    blocks: list[Block] = section(text)
    fallback = text if len(text) <= 3000 else text[:2999] + "…"
    return {"response_type": response_type, "text": fallback, "blocks": blocks}


def code(value: str) -> str:
    """Inline code for user text; backticks would end it early, so they become quotes."""
    return "`" + mrkdwn_escape(" ".join(value.split()).replace("`", "'")) + "`"


def error_message(e: BriefbotError, source: str | None = None) -> dict[str, Any]:
    """An error (a query typo with a caret under its column) as an ephemeral message."""
    lines = describe(e, source)
    head = ":warning: " + ("Query problem: " if isinstance(e, QueryError) else "") + mrkdwn_escape(lines[0])
    out = [head]
    rest = lines[1:]
    if rest and not rest[0].startswith("hint: ") and len(rest) >= 2:
        out.append("```" + mrkdwn_escape(rest[0]) + "\n" + rest[1] + "```")
        rest = rest[2:]
    out += [f"_hint:_ {mrkdwn_escape(line.removeprefix('hint: '))}" for line in rest]
    return message("\n".join(out))


def help_message(command: str) -> dict[str, Any]:
    c = mrkdwn_escape(command or "/brief")
    return message(
        "\n".join(
            [
                "*briefbot*: news briefs and keyword alerts, with who said what.",
                (
                    f'• `{c} ukraine OR "peace talks" since 48h`: a brief of matching stories'
                    " (only you see it;"
                    " add `in_channel` to share it). Without a query: everything new."
                ),
                f"• `{c} watch add NAME QUERY [#channel]`: alerts for QUERY to this channel (or #channel)",
                f"• `{c} watch list` · `{c} watch remove NAME` · `{c} watch test QUERY [since 7d]`",
                (
                    'Queries: words, "exact phrases", `OR`, `AND`, `-word` or `NOT`, (groups), `prefix*`,'
                    " fields `title:` `actor:` `speaker:` `quote:` `source:`. Windows are by arrival, at most"
                    f" {MAX_SINCE.days}d."
                ),
            ]
        )
    )


def dest_text(d: Destination) -> str:
    """A destination for display: a channel id becomes Slack's own channel link."""
    if d.is_channel_id:
        return f"<#{d.target}>"
    return mrkdwn_escape(d.target if d.kind == "slack" else str(d))


def brief_payloads(
    data: dict[str, Any],
    *,
    templates_dir: str | Path | None = None,
    response_type: str = "ephemeral",
    since_text: str = DEFAULT_SINCE,
    max_posts: int = MAX_POSTS,
) -> list[dict[str, Any]]:
    """The brief as response_url posts: all of it when it fits in `max_posts`, else whole
    stories in `max_posts - 1` and a last post saying how many were left out and how to see them."""
    stories = data.get("stories") or []

    def render(k: int) -> list[dict[str, Any]]:
        ctx = brief_context(
            stories[:k], query=data.get("query"), since=data.get("since"), until=data.get("until")
        )
        return [
            {**m.payload(), "response_type": response_type} for m in render_slack("brief", ctx, templates_dir)
        ]

    full = render(len(stories))
    if len(full) <= max_posts:
        return full
    lo, hi = 0, len(stories)  # largest k whose messages fit in max_posts - 1 (k = 0 always does)
    best = render(0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        msgs = render(mid)
        if len(msgs) <= max_posts - 1:
            lo, best = mid, msgs
        else:
            hi = mid - 1
    left = len(stories) - lo
    query = data.get("query")
    cli = "briefbot brief " + (shlex.quote(query) + " " if query else "") + f"--since {since_text}"
    note = (
        f"{left} more {'story' if left == 1 else 'stories'} left out: Slack takes {max_posts} replies to a"
        f" command and this brief has {len(stories)} stories. See them all with {code(cli)}, or narrow"
        " the query (add terms with `AND`, or a shorter `since`)."
    )
    return [*best[: max_posts - 1], message(note, response_type=response_type)]


def watch_added(w: Watch, dest: Destination, token_set: bool) -> dict[str, Any]:
    text = (
        f":white_check_mark: Watch *{mrkdwn_escape(w.name)}* added: {code(w.query)}"
        f" → alerts to {dest_text(dest)}."
    )
    if not token_set:
        text += "\n_note:_ `slack.token` is not set in the config, so alerts cannot be posted yet."
    return message(text)


def watch_list(ws: list[Watch]) -> dict[str, Any]:
    if not ws:
        return message("No watches yet: `/brief watch add NAME QUERY [#channel]`.")
    lines = [f"*{len(ws)} {'watch' if len(ws) == 1 else 'watches'}*"]
    for w in ws:
        origin = (
            "config file"
            if w.origin == "config"
            else ("added by " + mrkdwn_escape(w.created_by) if w.created_by else "added at run time")
        )
        to = ", ".join(dest_text(d) for d in w.to) or "digests only"
        lines.append(f"• *{mrkdwn_escape(w.name)}* {code(w.query)} → {to} ({w.mode}; {origin})")
    return message("\n".join(lines))


def watch_removed(name: str) -> dict[str, Any]:
    return message(f":wastebasket: Watch *{mrkdwn_escape(name)}* removed.")


def watch_test(hits: list[WatchHitView], query: str, since_text: str) -> dict[str, Any]:
    if not hits:
        return message(f"No stored story from the last {mrkdwn_escape(since_text)} matches {code(query)}.")
    n = len(hits)
    lines = [
        (
            f"*{n} {'story' if n == 1 else 'stories'}* from the last {mrkdwn_escape(since_text)}"
            f" would have matched {code(query)}:"
        )
    ]
    for h in hits[:WATCH_TEST_SHOWN]:
        lines.append(f"• *{slack_link(h.url, h.title)}* ({mrkdwn_escape(', '.join(h.sources))})")
        if h.terms:
            lines.append(f"    matched: {code(', '.join(h.terms))}")
        if h.actor:
            lines.append(f"    actor: {mrkdwn_escape(h.actor)}")
        if h.quote:
            lines.append(f"    quote: “{mrkdwn_escape(h.quote)}” — {mrkdwn_escape(str(h.speaker))}")
        if h.sentence:
            lines.append(f"    _{mrkdwn_escape(h.sentence)}_")
    if n > WATCH_TEST_SHOWN:
        lines.append(f"…and {n - WATCH_TEST_SHOWN} more (`briefbot watch test` shows all).")
    return message("\n".join(lines))
