"""Slack delivery against a Slack-compatible server on 127.0.0.1 (tests/slackserver.py)."""

from __future__ import annotations

import logging
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefbot.deliver import DeliveryError, Message, SlackSender
from briefbot.deliver.blocks import (
    HEADER_MAX,
    SECTION_MAX,
    block_text_length,
    context,
    divider,
    header,
    link,
    mrkdwn_escape,
    section,
    split_messages,
)
from briefbot.errors import ConfigError
from slackserver import SlackServer, check_blocks

HOSTILE = "Read <!channel> and <!here> <!everyone>, ask <@U123>, log in at <https://evil.example|bank> & win"


def sender_for(slack: SlackServer, **kw: object) -> SlackSender:
    kw.setdefault("backoff", 0.01)
    return SlackSender(slack.token, base_url=slack.base_url, timeout=5, **kw)  # type: ignore[arg-type]


def digest_blocks(stories: int = 60) -> list[dict[str, object]]:
    """Something shaped like a morning digest: a header, then per story a header, a long
    summary, who said what, sources."""
    blocks: list[dict[str, object]] = [header("Morning briefing — 29 November 2026")]
    for i in range(stories):
        blocks.append(header(f"Story {i}: council votes on the bike lane plan, again"))
        summary = " ".join(f"Sentence {j} of story {i} with a fact & a <tag>." for j in range(12))
        blocks.extend(section(mrkdwn_escape(summary)))
        blocks.append(context([link(f"https://news.example/{i}", f"Outlet {k}") for k in range(3)]))
        blocks.append(divider())
    return blocks


# -- escaping and block helpers ------------------------------------------------------------


def test_escape_neutralises_pings_and_disguised_links() -> None:
    out = mrkdwn_escape(HOSTILE)
    assert "<" not in out and ">" not in out
    assert "&lt;!channel&gt;" in out and "&lt;@U123&gt;" in out
    assert "&lt;https://evil.example|bank&gt;" in out
    assert "&amp; win" in out
    assert mrkdwn_escape("a &amp; b") == "a &amp;amp; b"  # escaping is not idempotent on purpose


def test_link_is_safe() -> None:
    assert (
        link("https://ex.com/a?x=1&y=2", "A <b> & c") == "<https://ex.com/a?x=1&amp;y=2|A &lt;b&gt; &amp; c>"
    )
    # a | or > in the URL cannot end it early or start a label
    bent = link("https://ex.com/a|<!channel>", "ok")
    assert bent.startswith("<https://ex.com/a%7C%3C!channel%3E|ok>")
    assert bent.count("|") == 1 and bent.count("<") == 1 and bent.count(">") == 1
    # only http(s): anything else becomes just the (escaped) label
    assert link("javascript:alert(1)", "click <me>") == "click &lt;me&gt;"
    assert link("slack://channel?id=C1", "x") == "x"
    assert link("https://ex.com/", "") == "<https://ex.com/>"
    assert link("https://ex.com/", "two\nlines") == "<https://ex.com/|two lines>"


def test_header_truncated_to_150_with_ellipsis() -> None:
    b = header("x" * 400)
    text = b["text"]["text"]
    assert b["type"] == "header" and b["text"]["type"] == "plain_text"
    assert len(text) == HEADER_MAX and text.endswith("…")
    assert header("short\ntitle")["text"]["text"] == "short title"
    assert header("   ")["text"]["text"]  # never empty: Slack refuses it


def test_section_splits_at_boundaries_never_mid_entity() -> None:
    para = ("Tom &amp; Jerry said &lt;nothing&gt; " * 40).strip()  # ~1,400 chars
    text = "\n\n".join([para] * 5)
    blocks = section(text)
    assert len(blocks) > 1
    chunks = [b["text"]["text"] for b in blocks]
    assert all(0 < len(c) <= SECTION_MAX for c in chunks)
    for c in chunks:  # no chunk starts or ends inside an entity
        assert not c.startswith(("amp;", "lt;", "gt;", "mp;", "t;"))
        assert not c.rstrip().endswith(("&", "&a", "&am", "&l", "&g", "&lt", "&gt", "&amp"))
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    # a wall of entities with no spaces still never cuts one in half
    wall = "&amp;" * 1000
    chunks = [b["text"]["text"] for b in section(wall)]
    assert all(len(c) <= SECTION_MAX and len(c) % 5 == 0 for c in chunks)
    assert "".join(chunks) == wall
    # links are not cut either, even at a space inside a label
    linky = " ".join(link(f"https://ex.com/{i}", f"label number {i}") for i in range(200))
    for c in (b["text"]["text"] for b in section(linky)):
        assert c.count("<") == c.count(">")
    assert section("   ") == []


_PIECES = st.sampled_from(
    ["word", "&amp;", "&lt;", "&gt;", " ", " ", "\n", "\n\n", "x" * 7, link("https://ex.com/p", "a label")]
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_PIECES, max_size=80), st.integers(min_value=12, max_value=40))
def test_section_split_property(pieces: list[str], limit: int) -> None:
    """Whatever the text: chunks fit, no entity or link is cut, nothing but whitespace is lost."""
    text = "".join(pieces)
    chunks = [b["text"]["text"] for b in section(text, limit=limit)]
    assert all(0 < len(c) <= limit for c in chunks)
    assert "".join(chunks).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    if limit >= len(link("https://ex.com/p", "a label")):  # only a link longer than the limit is cut
        for c in chunks:
            assert re.fullmatch(r"([^&<>]|&amp;|&lt;|&gt;|<https://ex\.com/p\|a label>)*", c, re.DOTALL), c


def test_context_limited_to_ten_elements_without_loss() -> None:
    b = context([f"e{i}" for i in range(14)])
    assert len(b["elements"]) == 10
    assert b["elements"][-1]["text"] == "e9 · e10 · e11 · e12 · e13"
    assert check_blocks([b]) is None


def test_split_messages_keeps_every_block_within_limits() -> None:
    blocks = digest_blocks(60)
    messages = split_messages(blocks, "Morning briefing: 60 stories")
    assert len(messages) > 1
    flat = [b for m in messages for b in m.blocks]
    assert flat == blocks  # nothing dropped, order kept
    for m in messages:
        assert len(m.blocks) <= 50
        assert block_text_length(m.blocks) <= 11_000
        assert check_blocks(m.blocks) is None  # the server's independent limits
        assert m.text and len(m.text) < 40_000
        assert m.blocks[-1]["type"] != "header"  # a header stays with its story
    assert messages[0].text == "Morning briefing: 60 stories"
    assert messages[1].text.endswith(f"(continued 2/{len(messages)})")


def test_split_messages_block_count_limit_and_empty() -> None:
    many = [divider() for _ in range(120)]
    messages = split_messages(many, "x")
    assert [len(m.blocks) for m in messages] == [50, 50, 20]
    only = split_messages([], "Nothing new")
    assert len(only) == 1 and only[0].text == "Nothing new" and only[0].blocks == []
    long_fallback = split_messages([divider()], "y" * 100_000)[0].text
    assert len(long_fallback) <= 3000 and long_fallback.endswith("…")
    escaped = split_messages([divider()], "&amp;" * 2000)[0].text
    assert escaped.endswith("&amp;…")  # never half an entity


# -- posting -------------------------------------------------------------------------------


def test_digest_is_threaded_and_complete(slack: SlackServer) -> None:
    blocks = digest_blocks(60)
    messages = split_messages(blocks, "Morning briefing")
    result = sender_for(slack).send("#news", messages)
    assert len(result.ts) == len(messages) == len(slack.posts)
    head, *replies = slack.posts
    assert head.thread_ts is None and head.ts == result.ts[0] == result.thread_ts
    assert all(r.thread_ts == head.ts for r in replies)
    assert result.channel == head.channel  # the channel ID Slack answered with
    assert [b for p in slack.posts for b in p.blocks] == blocks
    assert all(p.text for p in slack.posts)
    for req in slack.calls():
        assert req.headers["authorization"] == f"Bearer {slack.token}"
        assert req.payload["unfurl_links"] is False


def test_hostile_text_reaches_slack_escaped(slack: SlackServer) -> None:
    messages = split_messages(section(mrkdwn_escape(HOSTILE)), mrkdwn_escape(HOSTILE))
    sender_for(slack).send("#news", messages)
    posted = slack.posts[0]
    assert "<!channel>" not in posted.blocks[0]["text"]["text"]
    assert "<!channel>" not in (posted.text or "")


def test_not_threaded_and_resume_in_thread(slack: SlackServer) -> None:
    messages = split_messages([divider() for _ in range(120)], "x")
    sender = sender_for(slack)
    flat = sender.send("#news", messages, thread=False)
    assert [p.thread_ts for p in slack.posts] == [None, None, None]
    resumed = sender.send("#news", messages[1:], thread_ts=flat.ts[0])
    assert [p.thread_ts for p in slack.posts[3:]] == [flat.ts[0]] * 2
    assert len(resumed.ts) == 2


def test_rate_limit_is_retried_after_retry_after(slack: SlackServer) -> None:
    slack.fail(times=1, status=429, retry_after=1)
    start = time.monotonic()
    result = sender_for(slack).send("#news", [Message("hi", [divider()])])
    assert time.monotonic() - start >= 1.0
    assert len(slack.calls()) == 2 and len(result.ts) == 1


def test_long_retry_after_is_left_to_the_outbox(slack: SlackServer) -> None:
    slack.fail(times=1, status=429, retry_after=120)
    start = time.monotonic()
    with pytest.raises(DeliveryError) as ei:
        sender_for(slack).send("#news", [Message("hi", [divider()])])
    assert time.monotonic() - start < 5
    err = ei.value
    assert err.retryable and err.status == 429 and err.retry_after == 120 and err.code == "ratelimited"


def test_server_error_is_retried(slack: SlackServer) -> None:
    slack.fail(times=1, status=500)
    slack.fail(times=1, status=503, body="<html>upstream down</html>")
    result = sender_for(slack).send("#news", [Message("hi", [divider()])])
    assert len(slack.calls()) == 3 and len(result.ts) == 1


def test_server_errors_beyond_retries_are_retryable(slack: SlackServer) -> None:
    slack.fail(times=5, status=500)
    with pytest.raises(DeliveryError) as ei:
        sender_for(slack, max_retries=2).send("#news", [Message("hi", [divider()])])
    assert ei.value.retryable and ei.value.status == 500 and ei.value.posted == []
    assert len(slack.calls()) == 3

    slack.fail(times=1, status=502, body="<html><h1>502 Bad Gateway</h1></html>")  # not retried in-process
    with pytest.raises(DeliveryError) as ei:
        sender_for(slack).send("#news", [Message("hi", [divider()])])
    assert ei.value.retryable and ei.value.code == "http_502" and "<html>" not in str(ei.value)


def test_channel_not_found_is_permanent_with_hint(slack: SlackServer) -> None:
    slack.channels = {"#news": "CNEWS00001"}
    with pytest.raises(DeliveryError) as ei:
        sender_for(slack).send("#nope", [Message("hi", [divider()])])
    err = ei.value
    assert not err.retryable and err.code == "channel_not_found"
    assert err.hint and "#nope" in err.hint and "/invite @briefbot" in err.hint
    assert len(slack.calls()) == 1  # not retried


def test_not_in_channel_hint(slack: SlackServer) -> None:
    slack.not_in_channel.add("#private")
    with pytest.raises(DeliveryError) as ei:
        sender_for(slack).send("#private", [Message("hi", [divider()])])
    assert ei.value.hint == "invite the bot to #private: /invite @briefbot"
    assert not ei.value.retryable


def test_bad_token_is_invalid_auth_and_never_leaks(
    slack: SlackServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "xoxb-0000-secret-token-do-not-print"
    caplog.set_level(logging.DEBUG)
    sender = SlackSender(secret, base_url=slack.base_url, timeout=5)
    with pytest.raises(DeliveryError) as ei:
        sender.send("#news", [Message("hi", [divider()])])
    err = ei.value
    assert err.code == "invalid_auth" and not err.retryable
    assert err.hint and "slack.token" in err.hint
    for text in (str(err), repr(err), err.hint, repr(sender), caplog.text):
        assert secret not in text
    assert err.__cause__ is None and err.__context__ is not None  # chain suppressed when shown


def test_reply_failure_after_head_lists_posted_ts(slack: SlackServer) -> None:
    messages = split_messages([divider() for _ in range(120)], "x")  # 3 messages
    slack.fail(times=4, status=503, after=1)  # the head goes through, then Slack is down
    sender = sender_for(slack, max_retries=3)
    with pytest.raises(DeliveryError) as ei:
        sender.send("#news", messages)
    err = ei.value
    assert err.retryable and err.posted == [slack.posts[0].ts]
    assert "posted 1 of 3 messages to #news; message 2 failed" in err.message
    # the outbox resumes in the same thread without repeating the head
    rest = sender.send("#news", messages[len(err.posted) :], thread_ts=err.posted[0])
    assert len(rest.ts) == 2
    assert [p.thread_ts for p in slack.posts] == [None, err.posted[0], err.posted[0]]


def test_permanent_reply_failure_is_not_retried(slack: SlackServer) -> None:
    messages = split_messages([divider() for _ in range(120)], "x")
    slack.fail(times=1, error="msg_blocks_too_long", after=2)
    with pytest.raises(DeliveryError) as ei:
        sender_for(slack).send("#news", messages)
    assert not ei.value.retryable and len(ei.value.posted) == 2
    assert len(slack.calls()) == 3


def test_webhook_mode_posts_in_order_without_threads(slack: SlackServer) -> None:
    sender = SlackSender(None, webhook_url=slack.webhook_url, timeout=5, backoff=0.01)
    messages = split_messages([divider() for _ in range(60)], "hook")
    result = sender.send("#ignored", messages)
    assert result.channel == "webhook" and result.count == 2 and result.ts == []
    assert [p.webhook for p in slack.posts] == [True, True]
    assert [len(p.blocks) for p in slack.posts] == [50, 10]
    assert all(p.text for p in slack.posts) and all("thread_ts" not in p.payload for p in slack.posts)
    assert all("authorization" not in r.headers for r in slack.requests)


def test_webhook_errors(slack: SlackServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    slack.fail(times=1, status=500)
    ok = SlackSender(None, webhook_url=slack.webhook_url, timeout=5, backoff=0.01)
    assert ok.send("#x", [Message("hi", [divider()])]).count == 1  # 500 retried
    assert len(slack.requests) == 2

    slack.fail(times=1, status=400, error="invalid_blocks")
    with pytest.raises(DeliveryError) as ei:
        ok.send("#x", [Message("hi", [divider()])])
    assert ei.value.code == "invalid_blocks" and not ei.value.retryable

    gone = SlackSender(None, webhook_url=slack.webhook_url + "revoked", timeout=5)
    with pytest.raises(DeliveryError) as ei:
        gone.send("#x", [Message("hi", [divider()])])
    assert ei.value.code == "no_service" and not ei.value.retryable
    assert "slack.webhook_url" in (ei.value.hint or "")
    for text in (str(ei.value), caplog.text):
        assert slack.webhook_path not in text


def test_connection_error_is_retryable(slack: SlackServer) -> None:
    sender = SlackSender("xoxb-x", base_url="http://127.0.0.1:9/api/", timeout=2, max_retries=1, backoff=0.01)
    with pytest.raises(DeliveryError) as ei:
        sender.send("#news", [Message("hi", [divider()])])
    assert ei.value.retryable and ei.value.code == "connection_error"
    assert "xoxb-x" not in str(ei.value)


def test_server_enforces_slack_limits(slack: SlackServer) -> None:
    """The fake Slack refuses what Slack refuses, so a packing bug cannot pass silently."""
    sender = sender_for(slack)
    too_many = Message("x", [divider() for _ in range(51)])
    long_section = Message("x", [{"type": "section", "text": {"type": "mrkdwn", "text": "y" * 3001}}])
    long_header = Message("x", [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}])
    too_long = Message("x", [b for _ in range(5) for b in section("z " * 1400)])
    for msg, code in [
        (too_many, "invalid_blocks"),
        (long_section, "invalid_blocks"),
        (long_header, "invalid_blocks"),
        (too_long, "msg_blocks_too_long"),
    ]:
        with pytest.raises(DeliveryError) as ei:
            sender.send("#news", [msg])
        assert ei.value.code == code and not ei.value.retryable
        assert "bug" in (ei.value.hint or "")
    assert slack.posts == []


def test_requires_token_or_webhook() -> None:
    with pytest.raises(ConfigError) as ei:
        SlackSender(None)
    assert "slack.token" in (ei.value.hint or "")
