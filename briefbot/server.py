"""`briefbot serve`: Slack's `/brief` slash command and a health check, over HTTP.

Why a server: slash commands are pushed by Slack as signed form posts, and Slack gives
up after 3 seconds. So every request is verified first (signing secret, 5-minute replay
window, size cap) and nothing is parsed or changed before that; a brief is acknowledged
at once and built in a worker thread, then posted as JSON to the command's
``response_url`` (at most 5 posts, as Slack allows). Watch commands are fast and answered
in the response itself. The store is synchronous SQLAlchemy, so every database call runs
in a thread pool and the event loop only moves bytes.

Slack only calls https URLs: run this on 127.0.0.1 behind a TLS-terminating proxy.
"""
from __future__ import annotations

import asyncio
import logging
import re
import shlex
import socket
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .config import Config, parse_duration
from .deliver.blocks import Block, mrkdwn_escape, section
from .errors import BriefbotError
from .match import QueryError, compile_query
from .render import brief_context, render_slack, slack_link
from .store import Store

__all__ = [
    "MAX_BODY",
    "MAX_POSTS",
    "BriefArgs",
    "SlashCommand",
    "UsageError",
    "brief_payloads",
    "create_app",
    "parse_brief_text",
    "parse_command",
    "require_signing_secret",
    "serve",
]

log = logging.getLogger("briefbot.server")

MAX_BODY = 16 * 1024  # a slash command is well under 4 KB; anything bigger is not Slack
MAX_SKEW = 5 * 60  # seconds between Slack's timestamp and our clock (replay window)
MAX_POSTS = 5  # response_url accepts 5 responses
SYNC_DEADLINE = 2.5  # answer within Slack's 3 s; a slower watch command answers via response_url
DEFAULT_SINCE = "24h"
MAX_SINCE = timedelta(days=30)
MAX_PENDING_BRIEFS = 16
POST_TIMEOUT = 10.0
REQUIRED_FIELDS = ("command", "response_url", "user_id")
_WATCH_TEST_SHOWN = 10

_VISIBILITY = {"in_channel": True, "public": True}
_SINCE_RE = re.compile(r"(?:^|\s)since\s+(\d+(?:\.\d+)?\s*[a-z]+)\s*$", re.IGNORECASE)
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2033": '"'})
# a trailing channel: `#name` as typed, or `<#C123|name>` when the app escapes channels
_CHANNEL_RE = re.compile(r"(?:^|\s+)(?:<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>|#([\w.-]+))\s*$")
_CHANNEL_ID_RE = re.compile(r"^[CGD][A-Z0-9]+$")


class UsageError(BriefbotError):
    """The command text could not be understood; the message says how to write it."""


class _HTTPProblem(Exception):
    """An HTTP error answer (400/401/413) with a short explanation."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# -- parsing ---------------------------------------------------------------------------------


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
    """Parse a verified body; raises _HTTPProblem(400) saying what is wrong."""
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        raise _HTTPProblem(400, f"expected application/x-www-form-urlencoded, got {ctype or 'no Content-Type'}")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body),
                          max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        raise _HTTPProblem(400, "the body is not valid form data") from None

    def get(name: str) -> str:
        return (fields.get(name) or [""])[0]

    if get("ssl_check") == "1":
        return SlashCommand("", "", "", "", "", "", ssl_check=True)
    missing = [f for f in REQUIRED_FIELDS if not get(f)]
    if missing:
        raise _HTTPProblem(400, f"missing form field{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    url = get("response_url")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise _HTTPProblem(400, "response_url is not an http(s) URL")
    return SlashCommand(command=get("command"), text=get("text"), user_id=get("user_id"),
                        channel_id=get("channel_id"), channel_name=get("channel_name"), response_url=url)


def _split1(text: str) -> tuple[str, str]:
    """The first word and the rest, whatever whitespace Slack's client put between them."""
    parts = text.strip().split(None, 1)
    return (parts[0] if parts else "", parts[1].strip() if len(parts) > 1 else "")


def _unescape(text: str) -> str:
    """Slack sends `&`, `<`, `>` in command text as entities; a query means the characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _query_text(text: str) -> str:
    """A query as typed: entities undone, "smart" quotes (macOS, phones) made straight."""
    return _unescape(text).translate(_SMART_QUOTES).strip()


@dataclass(frozen=True)
class BriefArgs:
    query: str | None
    since: timedelta
    since_text: str
    in_channel: bool


def _since(value: str) -> timedelta:
    try:
        since = parse_duration(value)
    except ValueError:
        raise UsageError(f"since: expected a duration like 24h, 7d or 90m, got {value!r}") from None
    if since <= timedelta(0) or since > MAX_SINCE:
        raise UsageError(f"since: expected a duration between 1m and {MAX_SINCE.days}d, got {value!r}")
    return since


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
    return BriefArgs(query=_query_text(rest) or None, since=_since(since_text), since_text=since_text,
                     in_channel=in_channel)


# -- messages --------------------------------------------------------------------------------


def _message(text: str, *, response_type: str = "ephemeral") -> dict[str, Any]:
    """One message of already-escaped mrkdwn, in sections within Slack's limits."""
    blocks: list[Block] = section(text)
    fallback = text if len(text) <= 3000 else text[:2999] + "…"
    return {"response_type": response_type, "text": fallback, "blocks": blocks}


def _code(value: str) -> str:
    """Inline code for user text; backticks would end it early, so they become quotes."""
    return "`" + mrkdwn_escape(" ".join(value.split()).replace("`", "'")) + "`"


def _query_error(e: QueryError, query: str) -> dict[str, Any]:
    """The query with a caret under the column Slack users can count to."""
    lines = [f":warning: Query problem: {mrkdwn_escape(e.message)}"]
    if e.column is not None:
        shown = " ".join(query.split("\n"))
        if len(shown) <= 200:
            lines.append("```" + mrkdwn_escape(shown) + "\n" + " " * (e.column - 1) + "^```")
    if e.hint:
        lines.append(f"_hint:_ {mrkdwn_escape(e.hint)}")
    return _message("\n".join(lines))


def _error(e: BriefbotError) -> dict[str, Any]:
    text = f":warning: {mrkdwn_escape(e.message)}"
    if e.hint:
        text += f"\n_hint:_ {mrkdwn_escape(e.hint)}"
    return _message(text)


def _help(command: str) -> dict[str, Any]:
    c = mrkdwn_escape(command or "/brief")
    return _message("\n".join([
        "*briefbot*: news briefs and keyword alerts, with who said what.",
        (f"• `{c} ukraine OR \"peace talks\" since 48h`: a brief of matching stories (only you see it;"
         " add `in_channel` to share it). Without a query: everything new."),
        f"• `{c} watch add NAME QUERY [#channel]`: alerts for QUERY to this channel (or #channel)",
        f"• `{c} watch list` · `{c} watch remove NAME` · `{c} watch test QUERY [since 7d]`",
        ("Queries: words, \"exact phrases\", `OR`, `AND`, `-word` or `NOT`, (groups), `prefix*`,"
         " fields `title:` `actor:` `speaker:` `quote:` `source:`. Windows are by arrival, at most"
         f" {MAX_SINCE.days}d."),
    ]))


def _dest(d: str) -> str:
    """A destination for display: a channel id becomes Slack's own channel link."""
    if d.startswith("slack:") and _CHANNEL_ID_RE.match(d[6:]):
        return f"<#{d[6:]}>"
    return mrkdwn_escape(d.removeprefix("slack:"))


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
        ctx = brief_context(stories[:k], query=data.get("query"), since=data.get("since"), until=data.get("until"))
        return [{**m.payload(), "response_type": response_type} for m in render_slack("brief", ctx, templates_dir)]

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
    note = (f"{left} more {'story' if left == 1 else 'stories'} left out: Slack takes {max_posts} replies to a"
            f" command and this brief has {len(stories)} stories. See them all with {_code(cli)}, or narrow"
            " the query (add terms with `AND`, or a shorter `since`).")
    return [*best[: max_posts - 1], _message(note, response_type=response_type)]


# -- the app ---------------------------------------------------------------------------------


def require_signing_secret(cfg: Config) -> str:
    """The signing secret; without one the server would accept anyone's commands, so refuse."""
    secret = cfg.slack.signing_secret.get_secret_value().strip() if cfg.slack and cfg.slack.signing_secret else ""
    if not secret:
        raise BriefbotError(
            "slack.signing_secret is not set: `briefbot serve` will not accept unverified requests",
            hint="add `slack: {signing_secret: ${SLACK_SIGNING_SECRET}}` to the config "
                 "(the Slack app's Basic Information page shows the secret)",
        )
    return secret


class _SlackApp:
    """State of one server: config, store, verifier, thread pools."""

    def __init__(self, cfg: Config, store: Store, *, max_body: int, sync_deadline: float) -> None:
        self.cfg = cfg
        self.store = store
        self.verifier = SignatureVerifier(require_signing_secret(cfg))
        self.max_body = max_body
        self.sync_deadline = sync_deadline
        self.templates_dir = str(cfg.resolve_path(cfg.templates_dir)) if cfg.templates_dir else None
        # Briefs get their own small pool so slow ones never starve watch commands or /healthz.
        self.brief_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="briefbot-brief")
        self.quick_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="briefbot-cmd")
        self._pending = 0
        self._lock = threading.Lock()

    def shutdown(self) -> None:
        """Wait for accepted briefs: their users were told one is coming."""
        self.quick_pool.shutdown(wait=True)
        self.brief_pool.shutdown(wait=True)

    # -- HTTP ---------------------------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(self.quick_pool, self._ping), timeout=5)
        except Exception as e:  # noqa: BLE001 - any failure means "not healthy"
            log.warning("health check: the database cannot be queried (%s: %s)", type(e).__name__,
                        (str(e).strip().splitlines() or [""])[0])
            return JSONResponse({"ok": False, "database": "unavailable"}, status_code=503)
        return JSONResponse({"ok": True, "database": "ok"})

    def _ping(self) -> None:
        from sqlalchemy import select

        from .store.schema import articles

        with self.store.engine.connect() as conn:
            conn.execute(select(articles.c.id).limit(1)).all()

    async def commands(self, request: Request) -> Response:
        try:
            body = await self._read_body(request)
            reason = self._verify(request, body)
            if reason is not None:
                client = request.client.host if request.client else "?"
                log.warning("refused %s %s from %s: %s", request.method, request.url.path, client, reason)
                raise _HTTPProblem(401, f"request signature could not be verified: {reason}")
            cmd = parse_command(body, request.headers.get("content-type"))
        except _HTTPProblem as p:
            return JSONResponse({"ok": False, "error": p.message}, status_code=p.status)
        if cmd.ssl_check:
            return Response(status_code=200)
        first, rest = _split1(cmd.text)
        sub = first.lower()
        if sub in ("help", "?", "-h", "--help"):
            return JSONResponse(_help(cmd.command))
        if sub == "watch":
            return await self._watch(cmd, rest.strip())
        return self._brief(cmd)

    async def _read_body(self, request: Request) -> bytes:
        """The body, refused (413) before it is read whole when over the cap."""
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                raise _HTTPProblem(400, "Content-Length is not a number") from None
            if size > self.max_body:
                raise _HTTPProblem(413, f"body over {self.max_body} bytes")
        chunks: list[bytes] = []
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > self.max_body:
                raise _HTTPProblem(413, f"body over {self.max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    def _verify(self, request: Request, body: bytes) -> str | None:
        """None when Slack signed this body recently; else why not (logged, never the secret)."""
        ts = request.headers.get("x-slack-request-timestamp")
        sig = request.headers.get("x-slack-signature")
        if not ts or not sig:
            return "no X-Slack-Signature / X-Slack-Request-Timestamp header"
        try:
            when = int(ts)
        except ValueError:
            return "the timestamp is not a number"
        if abs(self.verifier.clock.now() - when) > MAX_SKEW:
            return "the timestamp is more than 5 minutes from now (a replay, or a wrong clock)"
        try:
            ok = self.verifier.is_valid(body=body, timestamp=ts, signature=sig)
        except UnicodeDecodeError:
            return "the body is not UTF-8"
        return None if ok else "the signature does not match"

    # -- /brief QUERY -------------------------------------------------------------------------

    def _brief(self, cmd: SlashCommand) -> Response:
        try:
            args = parse_brief_text(cmd.text)
        except UsageError as e:
            return JSONResponse(_error(e))
        try:
            compile_query(args.query)  # a typo is answered now, with its column
        except QueryError as e:
            return JSONResponse(_query_error(e, args.query or ""))
        with self._lock:
            if self._pending >= MAX_PENDING_BRIEFS:
                return JSONResponse(_message(":hourglass: Too many briefs in progress; try again in a minute."))
            self._pending += 1
        self.brief_pool.submit(self._brief_job, cmd, args)
        what = f"{_code(args.query)}" if args.query else "everything"
        where = " (it will be posted to the channel)" if args.in_channel else ""
        return JSONResponse(_message(f":hourglass_flowing_sand: Working on your brief for {what},"
                                     f" last {mrkdwn_escape(args.since_text)}{where}…"))

    def _brief_job(self, cmd: SlashCommand, args: BriefArgs) -> None:
        """Worker thread: build, render, post. Any failure is told to the user and logged."""
        from .brief import BriefRequest, build_brief
        from .store import utcnow

        try:
            until = utcnow()
            data = build_brief(self.store, BriefRequest(query=args.query, since=until - args.since, until=until))
            payloads = brief_payloads(data, templates_dir=self.templates_dir, since_text=args.since_text,
                                      response_type="in_channel" if args.in_channel else "ephemeral")
        except BriefbotError as e:
            log.warning("brief %r for slack:%s failed: %s", args.query, cmd.user_id, e)
            payloads = [_error(e)]
        except Exception:
            log.exception("brief %r for slack:%s failed", args.query, cmd.user_id)
            payloads = [_message(":warning: Sorry, the brief failed (the server log says why).")]
        finally:
            with self._lock:
                self._pending -= 1
        self._post(cmd.response_url, payloads)

    def _post(self, url: str, payloads: list[dict[str, Any]]) -> None:
        """POST each payload in order; stop at the first failure (the URL is then unusable)."""
        host = urlsplit(url).netloc  # the path is a capability: never logged
        with httpx.Client(timeout=POST_TIMEOUT, follow_redirects=False) as client:
            for i, p in enumerate(payloads, 1):
                try:
                    r = client.post(url, json=p)
                except httpx.HTTPError as e:
                    log.warning("posting to response_url on %s failed (%d of %d): %s: %s", host, i,
                                len(payloads), type(e).__name__, e)
                    return
                if r.status_code >= 300:
                    log.warning("posting to response_url on %s failed (%d of %d): HTTP %d %s", host, i,
                                len(payloads), r.status_code, r.text[:200])
                    return

    # -- /brief watch ... ---------------------------------------------------------------------

    async def _watch(self, cmd: SlashCommand, text: str) -> Response:
        action, rest = _split1(text)
        action = action.lower()
        work: Callable[[], dict[str, Any]]
        if action == "add":
            name, query = _split1(rest)
            if not name or not query:
                return JSONResponse(_error(UsageError(
                    "usage: watch add NAME QUERY [#channel]", hint='e.g. watch add ports strike OR "dock workers"')))
            dest, query = self._destination(cmd, query)
            if dest is None:
                return JSONResponse(_error(UsageError(
                    "this conversation cannot receive alerts; name a channel: watch add NAME QUERY #channel")))
            work = lambda: self._watch_add(cmd, name, _query_text(query), dest)
        elif action == "list" and not rest:
            work = self._watch_list
        elif action == "remove" and rest and len(rest.split()) == 1:
            work = lambda: self._watch_remove(rest)
        elif action == "test" and rest:
            m = _SINCE_RE.search(rest)
            since_text = m.group(1).replace(" ", "") if m else "7d"
            query = _query_text(rest[: m.start()] if m else rest)
            try:
                since = _since(since_text)
            except UsageError as e:
                return JSONResponse(_error(e))
            work = lambda: self._watch_test(query, since, since_text)
        else:
            return JSONResponse(_help(cmd.command))
        return await self._answer(cmd, work)

    def _destination(self, cmd: SlashCommand, query: str) -> tuple[str | None, str]:
        """A trailing #channel names the destination; else the channel the command came from."""
        m = _CHANNEL_RE.search(query)
        if m and query[: m.start()].strip():
            return (f"slack:{m.group(1)}" if m.group(1) else f"slack:#{m.group(2)}"), query[: m.start()]
        if _CHANNEL_ID_RE.match(cmd.channel_id):
            return f"slack:{cmd.channel_id}", query  # the id survives the channel being renamed
        if cmd.channel_name and re.fullmatch(r"[\w.-]+", cmd.channel_name) and cmd.channel_name not in (
                "directmessage", "privategroup"):
            return f"slack:#{cmd.channel_name}", query
        return None, query

    async def _answer(self, cmd: SlashCommand, work: Callable[[], dict[str, Any]]) -> Response:
        """Run `work` in the pool and answer with its message; past the deadline, acknowledge
        now and let the worker post the message to response_url when it is done."""
        lock = threading.Lock()
        result: list[dict[str, Any]] = []
        late = False

        def job() -> None:
            try:
                msg = work()
            except BriefbotError as e:
                msg = _error(e)
            except Exception:
                log.exception("slash command %r failed", cmd.text)
                msg = _message(":warning: Sorry, that failed (the server log says why).")
            with lock:
                if not late:
                    result.append(msg)
                    return
            self._post(cmd.response_url, [msg])

        fut = asyncio.get_running_loop().run_in_executor(self.quick_pool, job)
        try:
            await asyncio.wait_for(asyncio.shield(fut), timeout=self.sync_deadline)
        except TimeoutError:
            pass
        with lock:
            if result:
                return JSONResponse(result[0])
            late = True
        return JSONResponse(_message(":hourglass_flowing_sand: Still working on it; the answer will follow here."))

    def _watch_add(self, cmd: SlashCommand, name: str, query: str, dest: str) -> dict[str, Any]:
        from pydantic import ValidationError

        from .watches import add

        try:
            compile_query(query)
        except QueryError as e:
            return _query_error(e, query)
        try:
            w = add(self.cfg, self.store, name, query, [dest], created_by=f"slack:{cmd.user_id}")
        except ValidationError as e:
            raise UsageError(str(e.errors()[0]["msg"]).removeprefix("Value error, ")) from None
        text = f":white_check_mark: Watch *{mrkdwn_escape(w.name)}* added: {_code(w.query)} → alerts to {_dest(dest)}."
        if self.cfg.slack is None or self.cfg.slack.token is None:
            text += "\n_note:_ `slack.token` is not set in the config, so alerts cannot be posted yet."
        return _message(text)

    def _watch_list(self) -> dict[str, Any]:
        from .watches import list_watches

        ws = list_watches(self.cfg, self.store)
        if not ws:
            return _message("No watches yet: `/brief watch add NAME QUERY [#channel]`.")
        lines = [f"*{len(ws)} {'watch' if len(ws) == 1 else 'watches'}*"]
        for w in ws:
            origin = "config file" if w.origin == "config" else (
                "added by " + mrkdwn_escape(w.created_by) if w.created_by else "added at run time")
            to = ", ".join(_dest(d) for d in w.to) or "digests only"
            lines.append(f"• *{mrkdwn_escape(w.name)}* {_code(w.query)} → {to} ({w.mode}; {origin})")
        return _message("\n".join(lines))

    def _watch_remove(self, name: str) -> dict[str, Any]:
        from .watches import remove

        remove(self.cfg, self.store, name)
        return _message(f":wastebasket: Watch *{mrkdwn_escape(name)}* removed.")

    def _watch_test(self, query: str, since: timedelta, since_text: str) -> dict[str, Any]:
        from .watches import test

        try:
            hits = test(self.store, query, since)
        except QueryError as e:
            return _query_error(e, query)
        if not hits:
            return _message(f"No stored story from the last {mrkdwn_escape(since_text)} matches {_code(query)}.")
        n = len(hits)
        lines = [(f"*{n} {'story' if n == 1 else 'stories'}* from the last {mrkdwn_escape(since_text)}"
                  f" would have matched {_code(query)}:")]
        for h in hits[:_WATCH_TEST_SHOWN]:
            story = h.story
            lines.append(f"• *{slack_link(story.get('url'), story.get('title') or '(untitled)')}*"
                         f" ({mrkdwn_escape(', '.join(story.get('sources') or []))})")
            terms = ", ".join(dict.fromkeys(x.term for x in h.why.hits))
            if terms:
                lines.append(f"    matched: {_code(terms)}")
            if h.why.actor:
                lines.append(f"    actor: {mrkdwn_escape(str(h.why.actor.get('name')))}")
            if h.why.quote:
                q = " ".join(str(h.why.quote.get("text")).split())
                lines.append(f"    quote: “{mrkdwn_escape(q[:160])}” — {mrkdwn_escape(str(h.why.quote.get('speaker')))}")
            if h.why.sentence:
                s = " ".join(h.why.sentence.split())
                lines.append(f"    _{mrkdwn_escape(s[:200] + ('…' if len(s) > 200 else ''))}_")
        if n > _WATCH_TEST_SHOWN:
            lines.append(f"…and {n - _WATCH_TEST_SHOWN} more (`briefbot watch test` shows all).")
        return _message("\n".join(lines))


def create_app(cfg: Config, store: Store, *, max_body: int = MAX_BODY,
               sync_deadline: float = SYNC_DEADLINE) -> Starlette:
    """The ASGI app: GET /healthz, POST /slack/commands. Refuses to exist without a signing secret."""
    state = _SlackApp(cfg, store, max_body=max_body, sync_deadline=sync_deadline)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await asyncio.to_thread(state.shutdown)  # running briefs finish and post; the loop stays free

    app = Starlette(routes=[
        Route("/healthz", state.healthz, methods=["GET"]),
        Route("/slack/commands", state.commands, methods=["POST"]),
    ], lifespan=lifespan)
    app.state.briefbot = state
    return app


def _bind(host: str, port: int) -> socket.socket:
    """Listen before uvicorn starts so a busy port is one clear error, not a log line and exit."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, addr = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
    except OSError as e:
        raise BriefbotError(f"cannot listen on {host}:{port}: {e.strerror or e}",
                            hint="is another server using the port? choose one with --port") from None
    sock.set_inheritable(True)
    return sock


def serve(cfg: Config, store: Store, *, host: str = "127.0.0.1", port: int = 8080,
          on_listen: Callable[[str], None] | None = None) -> None:
    """Run the server until Ctrl-C / SIGTERM (graceful: running briefs finish and post)."""
    import uvicorn

    app = create_app(cfg, store)
    sock = _bind(host, port)
    bound = sock.getsockname()
    if on_listen is not None:
        shown = f"[{bound[0]}]" if sock.family == socket.AF_INET6 else bound[0]
        on_listen(f"http://{shown}:{bound[1]}")
    config = uvicorn.Config(
        app, log_config=None, server_header=False, proxy_headers=True, limit_concurrency=64,
        timeout_graceful_shutdown=30,
    )
    uvicorn.Server(config).run(sockets=[sock])
