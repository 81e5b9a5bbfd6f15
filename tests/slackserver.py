"""A Slack-Web-API-compatible HTTP server on 127.0.0.1, for tests.

Why real: slack-sdk's retry handlers, its Retry-After handling, its body encoding and our
error mapping live in HTTP; a mocked client would test our assumptions about slack-sdk.
The server also enforces Slack's block limits, so a message that Slack would refuse
fails here too instead of passing silently.

    with SlackServer() as slack:
        sender = SlackSender(slack.token, base_url=slack.base_url)
        slack.fail(times=1, status=429, retry_after=1)      # next call: 429 + Retry-After
        slack.fail(times=1, error="x", after=2)             # two calls pass, the third fails
        slack.fail(times=2, status=500)                     # then two 500s
        slack.fail(times=1, error="not_in_channel")         # then ok:false
        sender.send("#news", messages)
        slack.posts  # every accepted chat.postMessage / webhook post, with its ts

Endpoints: ``POST /api/chat.postMessage`` (JSON or form body; bearer token or a ``token``
field; ``invalid_auth`` otherwise), ``POST /api/auth.test``, and an incoming webhook at
``POST /services/T000/B000/<secret>`` (answers ``ok`` as text, errors as text like Slack).
Queued failures apply to the next calls of any endpoint, in order.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs

__all__ = ["Failure", "Post", "RecordedRequest", "SlackServer", "block_text_length"]

MAX_BLOCKS = 50
SECTION_MAX = 3000
HEADER_MAX = 150
CONTEXT_MAX = 10
# Slack refuses around 13,000; tests hold senders to a stricter 12,000.
MESSAGE_BLOCK_TEXT_MAX = 12_000
TEXT_MAX = 40_000


@dataclass(frozen=True)
class RecordedRequest:
    """One request as received; header names lower-case, payload parsed (JSON or form)."""

    method: str
    path: str
    headers: dict[str, str]
    payload: dict[str, Any]


@dataclass
class Post:
    """An accepted message."""

    channel: str
    ts: str
    text: str | None
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    webhook: bool = False
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    body: str | None = None
    after: int = 0  # let this many calls through first


def block_text_length(node: Any) -> int:
    """Characters in text objects (``{"type": ..., "text": "..."}``), as Slack counts
    against msg_blocks_too_long (independent of briefbot's own counting)."""
    if isinstance(node, dict):
        own = len(node["text"]) if isinstance(node.get("text"), str) else 0
        return own + sum(
            block_text_length(v) for k, v in node.items() if k != "text" or not isinstance(v, str)
        )
    if isinstance(node, list):
        return sum(block_text_length(v) for v in node)
    return 0


def check_blocks(blocks: Any) -> str | None:
    """Slack's error code for blocks it would refuse, or None."""
    if not isinstance(blocks, list):
        return "invalid_blocks_format"
    if len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for b in blocks:
        if not isinstance(b, dict) or "type" not in b:
            return "invalid_blocks"
        t = b["type"]
        text = b.get("text")
        if t == "header":
            if not isinstance(text, dict) or text.get("type") != "plain_text":
                return "invalid_blocks"
            s = text.get("text")
            if not isinstance(s, str) or not s or len(s) > HEADER_MAX:
                return "invalid_blocks"
        elif t == "section":
            if text is None and not b.get("fields"):
                return "invalid_blocks"
            if text is not None:
                s = text.get("text") if isinstance(text, dict) else None
                if not isinstance(s, str) or not s.strip() or len(s) > SECTION_MAX:
                    return "invalid_blocks"
        elif t == "context":
            els = b.get("elements")
            if not isinstance(els, list) or not els or len(els) > CONTEXT_MAX:
                return "invalid_blocks"
        elif t not in ("divider", "image", "actions", "rich_text", "input", "file", "video"):
            return "invalid_blocks"
    if block_text_length(blocks) > MESSAGE_BLOCK_TEXT_MAX:
        return "msg_blocks_too_long"
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are recorded for assertions instead."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        payload: dict[str, Any]
        try:
            if ctype == "application/json":
                payload = json.loads(raw or b"{}")
            else:
                payload = {k: v[0] for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items()}
                if isinstance(payload.get("blocks"), str):
                    payload["blocks"] = json.loads(payload["blocks"])
        except (ValueError, UnicodeDecodeError):
            payload = {"_raw": raw.decode("utf-8", "replace")}
        app = self.server.app
        path = self.path.split("?")[0]
        req = RecordedRequest("POST", path, {k.lower(): v for k, v in self.headers.items()}, payload)
        with app.lock:
            app.requests.append(req)
            failure = None
            if app.failures:
                if app.failures[0].after > 0:
                    app.failures[0].after -= 1
                else:
                    failure = app.failures.popleft()
        webhook = path.startswith("/services/")
        if failure is not None:
            self._fail(failure, webhook)
            return
        if webhook:
            self._webhook(path, payload)
        elif path == "/api/chat.postMessage":
            self._post_message(req, payload)
        elif path == "/api/auth.test":
            if self._authed(req, payload):
                self._json(200, {"ok": True, "user_id": "UBOT", "team_id": "T000", "user": "briefbot"})
        else:
            self._json(404, {"ok": False, "error": "unknown_method"})

    # -- responses -----------------------------------------------------------------------

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any], extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), "application/json; charset=utf-8", extra)

    def _text(self, status: int, text: str, extra: dict[str, str] | None = None) -> None:
        self._send(status, text.encode(), "text/plain; charset=utf-8", extra)

    def _fail(self, f: Failure, webhook: bool) -> None:
        extra = {"Retry-After": str(f.retry_after)} if f.retry_after is not None else {}
        error = f.error or (
            "ratelimited" if f.status == 429 else "internal_error" if f.status >= 500 else "error"
        )
        if f.body is not None:
            self._send(f.status, f.body.encode(), "text/html; charset=utf-8", extra)
        elif webhook:
            self._text(f.status if f.status != 200 else 400, error, extra)
        else:
            self._json(f.status, {"ok": False, "error": error}, extra)

    def _authed(self, req: RecordedRequest, payload: dict[str, Any]) -> bool:
        auth = req.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else payload.get("token")
        if not token:
            self._json(200, {"ok": False, "error": "not_authed"})
            return False
        if token != self.server.app.token:
            self._json(200, {"ok": False, "error": "invalid_auth"})
            return False
        return True

    def _validate(self, payload: dict[str, Any]) -> str | None:
        blocks = payload.get("blocks")
        text = payload.get("text")
        if blocks is None and not text:
            return "no_text"
        if isinstance(text, str) and len(text) > TEXT_MAX:
            return "msg_too_long"
        if blocks is not None:
            return check_blocks(blocks)
        return None

    def _post_message(self, req: RecordedRequest, payload: dict[str, Any]) -> None:
        if not self._authed(req, payload):
            return
        app = self.server.app
        channel = str(payload.get("channel") or "")
        if not channel:
            self._json(200, {"ok": False, "error": "channel_not_found"})
            return
        with app.lock:
            if (
                app.channels is not None
                and channel not in app.channels
                and channel not in app.channels.values()
            ):
                err: str | None = "channel_not_found"
            elif channel in app.not_in_channel:
                err = "not_in_channel"
            else:
                err = None
        err = err or self._validate(payload)
        if err:
            self._json(200, {"ok": False, "error": err})
            return
        channel_id = app.channel_id(channel)
        thread_ts = payload.get("thread_ts") or None
        with app.lock:
            if thread_ts and not any(p.ts == thread_ts and p.channel == channel_id for p in app.posts):
                err = "thread_not_found"
            else:
                ts = app.next_ts()
                app.posts.append(
                    Post(
                        channel_id,
                        ts,
                        payload.get("text"),
                        payload.get("blocks") or [],
                        thread_ts,
                        False,
                        payload,
                    )
                )
        if err:
            self._json(200, {"ok": False, "error": err})
            return
        warnings = {} if payload.get("text") else {"warning": "missing_text"}
        self._json(
            200,
            {
                "ok": True,
                "channel": channel_id,
                "ts": ts,
                "message": {"text": payload.get("text"), "ts": ts},
                **warnings,
            },
        )

    def _webhook(self, path: str, payload: dict[str, Any]) -> None:
        app = self.server.app
        if path != app.webhook_path:
            self._text(404, "no_service")
            return
        if "_raw" in payload:
            self._text(400, "invalid_payload")
            return
        err = self._validate(payload)
        if err:
            self._text(400, "invalid_blocks" if err == "msg_blocks_too_long" else err)
            return
        with app.lock:
            app.posts.append(
                Post(
                    "webhook",
                    app.next_ts(),
                    payload.get("text"),
                    payload.get("blocks") or [],
                    None,
                    True,
                    payload,
                )
            )
        self._text(200, "ok")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: SlackServer


class SlackServer:
    """The fake Slack; use as a context manager (or start/stop). See the module docstring."""

    def __init__(
        self, token: str = "xoxb-test-token-0123456789", channels: dict[str, str] | None = None
    ) -> None:
        self.token = token
        # name -> ID; None accepts any channel (its ID is made up from the name).
        self.channels: dict[str, str] | None = channels
        self.not_in_channel: set[str] = set()
        self.webhook_path = "/services/T000/B000/hooksecret0123456789"
        self.lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.posts: list[Post] = []
        self.failures: deque[Failure] = deque()
        self._ts = 0
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.app = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="slackserver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.posts.clear()
            self.failures.clear()
            self.not_in_channel.clear()
            self.channels = None

    # -- addresses -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.webhook_path}"

    # -- programming ---------------------------------------------------------------------

    def fail(
        self,
        times: int = 1,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        body: str | None = None,
        after: int = 0,
    ) -> None:
        """Answer the next `times` calls with this failure (queued after earlier ones),
        after letting `after` calls through normally (to fail a thread's replies).

        status 429 → ``ratelimited`` with Retry-After; 5xx → ``internal_error`` (or `body`
        as an HTML page); status 200 + `error` → ``{"ok": false, "error": error}``.
        """
        with self.lock:
            for i in range(times):
                self.failures.append(Failure(status, error, retry_after, body, after if i == 0 else 0))

    # -- helpers -------------------------------------------------------------------------

    def next_ts(self) -> str:
        self._ts += 1
        return f"{1_790_000_000 + self._ts}.{self._ts:06d}"

    def channel_id(self, channel: str) -> str:
        if self.channels is not None and channel in self.channels:
            return self.channels[channel]
        if not channel.startswith("#"):
            return channel
        return "C" + "".join(c for c in channel.upper() if c.isalnum()).ljust(10, "0")[:10]

    def calls(self, method: str = "chat.postMessage") -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == f"/api/{method}"]
