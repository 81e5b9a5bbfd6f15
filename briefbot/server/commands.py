"""The `/brief` command grammar: Slack's form post, and what the user typed after `/brief`.

Pure parsing, no I/O: every function here turns text into a typed request or raises an
error that says how to write it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from ..config import parse_duration
from ..errors import BriefbotError
from ..model import Destination

DEFAULT_SINCE = "24h"
DEFAULT_TEST_SINCE = "7d"
MAX_SINCE = timedelta(days=30)
REQUIRED_FIELDS = ("command", "response_url", "user_id")

_VISIBILITY = {"in_channel": True, "public": True}
_SINCE_RE = re.compile(r"(?:^|\s)since\s+(\d+(?:\.\d+)?\s*[a-z]+)\s*$", re.IGNORECASE)
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"'})
# a trailing channel: `#name` as typed, or `<#C123|name>` when the app escapes channels
_CHANNEL_RE = re.compile(r"(?:^|\s+)(?:<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>|#([\w.-]+))\s*$")
_CHANNEL_ID_RE = re.compile(r"^[CGD][A-Z0-9]+$")


class UsageError(BriefbotError):
    """The command text could not be understood; the message says how to write it."""


class BadRequest(Exception):
    """An HTTP error answer (400/401/413) with a short explanation."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class SlashCommand:
    """The fields of Slack's slash-command post that briefbot uses."""

    command: str
    text: str
    user_id: str
    channel_id: str
    channel_name: str
    response_url: str
    ssl_check: bool = False


def parse_command(body: bytes, content_type: str | None) -> SlashCommand:
    """Parse a verified body; raises BadRequest(400) saying what is wrong."""
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise BadRequest(400, f"expected application/x-www-form-urlencoded, got {ctype or 'no Content-Type'}")
    try:
        fields = parse_qs(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body), max_num_fields=100
        )
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(400, "the body is not valid form data") from None

    def get(name: str) -> str:
        return (fields.get(name) or [""])[0]

    if get("ssl_check") == "1":
        return SlashCommand("", "", "", "", "", "", ssl_check=True)
    missing = [f for f in REQUIRED_FIELDS if not get(f)]
    if missing:
        raise BadRequest(400, f"missing form field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    url = get("response_url")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise BadRequest(400, "response_url is not an http(s) URL")
    return SlashCommand(
        command=get("command"),
        text=get("text"),
        user_id=get("user_id"),
        channel_id=get("channel_id"),
        channel_name=get("channel_name"),
        response_url=url,
    )


def split1(text: str) -> tuple[str, str]:
    """The first word and the rest, whatever whitespace Slack's client put between them."""
    parts = text.strip().split(None, 1)
    return (parts[0] if parts else "", parts[1].strip() if len(parts) > 1 else "")


def _unescape(text: str) -> str:
    """Slack sends `&`, `<`, `>` in command text as entities; a query means the characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def query_text(text: str) -> str:
    """A query as typed: entities undone, "smart" quotes (macOS, phones) made straight."""
    return _unescape(text).translate(_SMART_QUOTES).strip()


def parse_since(value: str) -> timedelta:
    try:
        since = parse_duration(value)
    except ValueError:
        raise UsageError(f"since: expected a duration like 24h, 7d or 90m, got {value!r}") from None
    if since <= timedelta(0) or since > MAX_SINCE:
        raise UsageError(f"since: expected a duration between 1m and {MAX_SINCE.days}d, got {value!r}")
    return since


@dataclass(frozen=True)
class BriefArgs:
    query: str | None
    since: timedelta
    since_text: str
    in_channel: bool


def parse_brief_text(text: str, default_since: str = DEFAULT_SINCE) -> BriefArgs:
    """`<query> [since 48h] [in_channel|public]`, trailing words in either order."""
    rest = text.strip()
    since_text: str | None = None
    in_channel = False
    for _ in range(2):
        words = rest.rsplit(None, 1)
        if words and words[-1].lower() in _VISIBILITY and not in_channel:
            in_channel = True
            rest = words[0] if len(words) == 2 else ""
            continue
        m = _SINCE_RE.search(rest)
        if m and since_text is None:
            since_text = m.group(1).replace(" ", "")
            rest = rest[: m.start()]
            continue
        break
    since_text = since_text or default_since
    return BriefArgs(
        query=query_text(rest) or None,
        since=parse_since(since_text),
        since_text=since_text,
        in_channel=in_channel,
    )


@dataclass(frozen=True)
class WatchAdd:
    name: str
    query: str
    to: Destination


@dataclass(frozen=True)
class WatchRemove:
    name: str


@dataclass(frozen=True)
class WatchList:
    pass


@dataclass(frozen=True)
class WatchTest:
    query: str
    since: timedelta
    since_text: str


@dataclass(frozen=True)
class Help:
    pass


WatchRequest = WatchAdd | WatchRemove | WatchList | WatchTest | Help
Request = Literal["help", "watch", "brief"]


def request_kind(text: str) -> Request:
    """What the command text asks for: help, a watch action, or (anything else) a brief."""
    sub = split1(text)[0].lower()
    if sub in ("help", "?", "-h", "--help"):
        return "help"
    return "watch" if sub == "watch" else "brief"


def destination(cmd: SlashCommand, query: str) -> tuple[Destination | None, str]:
    """A trailing #channel names the destination; else the channel the command came from."""
    m = _CHANNEL_RE.search(query)
    if m and query[: m.start()].strip():
        target = m.group(1) if m.group(1) else f"#{m.group(2)}"
        return Destination("slack", target), query[: m.start()]
    if _CHANNEL_ID_RE.match(cmd.channel_id):
        return Destination("slack", cmd.channel_id), query  # the id survives the channel being renamed
    if (
        cmd.channel_name
        and re.fullmatch(r"[\w.-]+", cmd.channel_name)
        and cmd.channel_name not in ("directmessage", "privategroup")
    ):
        return Destination("slack", f"#{cmd.channel_name}"), query
    return None, query


def parse_watch(cmd: SlashCommand, text: str) -> WatchRequest:
    """`watch add NAME QUERY [#channel]`, `watch list`, `watch remove NAME`, `watch test QUERY [since 7d]`."""
    action, rest = split1(text)
    action = action.lower()
    if action == "add":
        name, query = split1(rest)
        if not name or not query:
            raise UsageError(
                "usage: watch add NAME QUERY [#channel]", hint='e.g. watch add ports strike OR "dock workers"'
            )
        dest, query = destination(cmd, query)
        if dest is None:
            raise UsageError(
                "this conversation cannot receive alerts; name a channel: watch add NAME QUERY #channel"
            )
        return WatchAdd(name, query_text(query), dest)
    if action == "list" and not rest:
        return WatchList()
    if action == "remove" and rest and len(rest.split()) == 1:
        return WatchRemove(rest)
    if action == "test" and rest:
        m = _SINCE_RE.search(rest)
        since_text = m.group(1).replace(" ", "") if m else DEFAULT_TEST_SINCE
        query = query_text(rest[: m.start()] if m else rest)
        return WatchTest(query, parse_since(since_text), since_text)
    return Help()
