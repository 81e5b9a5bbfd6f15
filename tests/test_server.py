"""`briefbot serve` as Slack meets it: a real uvicorn server on 127.0.0.1, signed form posts,
and tests/httpserver.py standing in for Slack's response_url.

One server and one fetched copy of the samples serve the whole module (fetching analyses
with spaCy, which takes seconds); tests use their own watch names so they do not collide.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette

from briefbot.app import App
from briefbot.cli import main
from briefbot.config import load_config
from briefbot.errors import BriefbotError
from briefbot.server import MAX_BODY, UsageError, brief_payloads, create_app, parse_brief_text
from briefbot.store import Store
from httpserver import Handler, TestHTTPServer

ROOT = Path(__file__).resolve().parent.parent
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
USER = "U0TESTER1"
CHANNEL = "C0ALERTS1"


# -- fixtures ---------------------------------------------------------------------------------


def write_config(folder: Path, slack: str = f"slack: {{signing_secret: {SECRET}}}\n") -> Path:
    shutil.copytree(ROOT / "samples", folder / "samples", dirs_exist_ok=True)
    cfg = folder / "config.yaml"
    cfg.write_text(
        "database: sqlite:///bb.db\n"
        "sources:\n"
        "  - {name: Harbourline Courier, url: samples/feeds/harbourline-courier.rss.xml}\n"
        "  - {name: Northgate Clarion, url: samples/feeds/northgate-clarion.atom.xml}\n"
        "  - {name: Lodestar Wire, url: samples/feeds/lodestar-wire.json}\n"
        "  - {name: Lakeside Observer, url: samples/pages}\n"
        "watches:\n"
        "  - {name: from-config, query: 'ferr*', mode: digest}\n" + slack
    )
    return cfg


@contextmanager
def running(app: Starlette) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread on a free port; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = write_config(tmp_path_factory.mktemp("serve"))
    r = CliRunner().invoke(main, ["--config", str(cfg), "fetch", "--no-deliver"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return cfg


@pytest.fixture(scope="module")
def store(demo: Path) -> Iterator[Store]:
    s = Store.open(load_config(demo).database_url())
    yield s
    s.close()


@pytest.fixture(scope="module")
def base_url(demo: Path, store: Store) -> Iterator[str]:
    with running(create_app(App(load_config(demo), store=store))) as url:
        yield url


class Hook:
    """A response_url on tests/httpserver.py that keeps the JSON it receives."""

    def __init__(self, server: TestHTTPServer, path: str = "/response/T0/123/abc", status: int = 200) -> None:
        self.posts: list[dict[str, Any]] = []
        self.times: list[float] = []
        self._cond = threading.Condition()
        self.url = server.url(path)
        self.status = status
        server.route(path, handler=self._handle)

    def _handle(self, h: Handler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        with self._cond:
            self.posts.append(json.loads(body))
            self.times.append(time.monotonic())
            self._cond.notify_all()
        h.respond(
            self.status, b"ok" if self.status == 200 else b"expired_url", {"Content-Type": "text/plain"}
        )

    def wait(self, n: int, timeout: float = 10) -> list[dict[str, Any]]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.posts) >= n, timeout), f"got {len(self.posts)} posts"
            return list(self.posts)


@pytest.fixture
def hook(http_server: TestHTTPServer) -> Hook:
    return Hook(http_server)


def form(text: str, response_url: str = "https://hooks.slack.invalid/commands/T0/1/x", **extra: str) -> bytes:
    fields = {
        "token": "legacy-unused",
        "team_id": "T0TEAM",
        "channel_id": CHANNEL,
        "channel_name": "alerts",
        "user_id": USER,
        "user_name": "tester",
        "command": "/brief",
        "text": text,
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }
    fields.update(extra)
    return urlencode(fields).encode()


def signed(body: bytes, *, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    sig = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert sig is not None
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sig,
        "Content-Type": "application/x-www-form-urlencoded",
    }


def command(base_url: str, text: str, response_url: str | None = None, **extra: str) -> httpx.Response:
    body = form(text, response_url, **extra) if response_url else form(text, **extra)
    return httpx.post(base_url + "/slack/commands", content=body, headers=signed(body), timeout=10)


def watch_names(store: Store) -> set[str]:
    return {w.name for w in store.stored_watches()}


# -- signing, size, shape -----------------------------------------------------------------------


def test_healthz(base_url: str) -> None:
    r = httpx.get(base_url + "/healthz")
    assert r.status_code == 200 and r.json() == {"ok": True, "database": "ok"}


def test_healthz_without_a_usable_database_is_503(demo: Path, tmp_path: Path) -> None:
    from sqlalchemy import create_engine

    broken = Store(create_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}"))  # no tables
    with running(create_app(App(load_config(demo), store=broken))) as url:
        r = httpx.get(url + "/healthz")
    assert r.status_code == 503 and r.json() == {"ok": False, "database": "unavailable"}


def _unsigned(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/x-www-form-urlencoded"}


def _wrong_secret(body: bytes) -> dict[str, str]:
    return signed(body, secret="not-the-secret")


def _stale(body: bytes) -> dict[str, str]:
    return signed(body, ts=int(time.time()) - 6 * 60)


def _future(body: bytes) -> dict[str, str]:
    return signed(body, ts=int(time.time()) + 6 * 60)


def _tampered(body: bytes) -> dict[str, str]:
    return signed(body.replace(b"sneaky", b"sneakx"))  # signed a different body


def _bad_timestamp(body: bytes) -> dict[str, str]:
    return {**signed(body), "X-Slack-Request-Timestamp": "yesterday"}


@pytest.mark.parametrize("headers", [_unsigned, _wrong_secret, _stale, _future, _tampered, _bad_timestamp])
def test_unverified_requests_are_refused_and_change_nothing(
    base_url: str,
    store: Store,
    hook: Hook,
    headers: Callable[[bytes], dict[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    body = form("watch add sneaky heater*", hook.url)
    with caplog.at_level(logging.WARNING, logger="briefbot.server"):
        r = httpx.post(base_url + "/slack/commands", content=body, headers=headers(body))
    assert r.status_code == 401 and "signature" in r.json()["error"]
    assert "sneaky" not in watch_names(store)
    refused = [
        rec for rec in caplog.records if rec.name == "briefbot.server" and rec.levelno == logging.WARNING
    ]
    assert refused and "refused POST /slack/commands" in refused[0].getMessage()
    assert SECRET not in caplog.text
    time.sleep(0.05)
    assert hook.posts == []


def test_a_valid_signature_is_accepted(base_url: str) -> None:
    r = command(base_url, "help")
    assert r.status_code == 200
    text = json.dumps(r.json())
    assert r.json()["response_type"] == "ephemeral" and "watch add NAME QUERY" in text


@pytest.mark.parametrize(
    ("body", "ctype", "expect"),
    [
        (b'{"command": "/brief"}', "application/json", "expected application/x-www-form-urlencoded"),
        (form("help").replace(b"&response_url=", b"&other="), None, "missing form field: response_url"),
        (b"command=%2Fbrief&text=x", None, "missing form fields: response_url, user_id"),
        (b"\xff\xfe=\x00", None, "not UTF-8"),
        (b"command=%2Fbrief&&&=&text", None, "not valid form data"),
        (form("help", response_url="javascript:alert(1)"), None, "response_url is not an http(s) URL"),
    ],
)
def test_malformed_bodies_are_400(base_url: str, body: bytes, ctype: str | None, expect: str) -> None:
    headers = (
        signed(body)
        if not body.startswith(b"\xff")
        else {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=00"}
    )
    if ctype:
        headers["Content-Type"] = ctype
    r = httpx.post(base_url + "/slack/commands", content=body, headers=headers)
    if body.startswith(b"\xff"):  # cannot even be verified: refused as unsigned
        assert r.status_code == 401 and expect in r.json()["error"]
        return
    assert r.status_code == 400 and expect in r.json()["error"]


def test_oversized_bodies_are_413_by_header_and_by_stream(base_url: str, store: Store) -> None:
    big = form("watch add huge " + "x" * MAX_BODY)
    r = httpx.post(base_url + "/slack/commands", content=big, headers=signed(big))
    assert r.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap counts streamed bytes
        for i in range(0, len(big), 1024):
            yield big[i : i + 1024]

    r = httpx.post(base_url + "/slack/commands", content=chunks(), headers=signed(big))
    assert r.status_code == 413 and "huge" not in watch_names(store)


def test_wrong_method_and_path(base_url: str) -> None:
    assert httpx.get(base_url + "/slack/commands").status_code == 405
    assert httpx.get(base_url + "/nope").status_code == 404


def test_serve_refuses_to_start_without_a_signing_secret(tmp_path: Path) -> None:
    cfg = write_config(tmp_path, slack="")
    r = CliRunner().invoke(main, ["--config", str(cfg), "serve", "--port", "0"], catch_exceptions=False)
    assert r.exit_code == 2 and "slack.signing_secret is not set" in r.stderr
    with pytest.raises(BriefbotError, match="signing_secret"):
        create_app(App(load_config(cfg), store=Store.open("sqlite:///:memory:")))


# -- /brief QUERY -------------------------------------------------------------------------------


def test_brief_is_acknowledged_at_once_then_posted(
    base_url: str,
    hook: Hook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    real = App.brief

    def slow_build(*args: Any, **kwargs: Any) -> Any:
        release.wait(10)  # as slow as the test wants: the ack must not wait for it
        return real(*args, **kwargs)

    monkeypatch.setattr(App, "brief", slow_build)
    start = time.monotonic()
    r = command(base_url, "heater* OR gdansk since 48h", hook.url)
    acked = time.monotonic()
    assert r.status_code == 200 and acked - start < 3
    ack = r.json()
    assert ack["response_type"] == "ephemeral" and "Working on your brief" in ack["text"]
    assert "`heater* OR gdansk`" in ack["text"] and "48h" in ack["text"]
    time.sleep(0.1)
    assert hook.posts == []  # nothing posted before the brief is done
    release.set()
    post = hook.wait(1)[0]
    assert hook.times[0] > acked
    assert post["response_type"] == "ephemeral" and post["blocks"] and post["text"]
    everything = json.dumps(post, ensure_ascii=False)
    assert "Gdańsk yard wins" in everything and "recalls" in everything
    assert post["blocks"][0]["type"] == "header" and "heater* OR gdansk" in post["blocks"][0]["text"]["text"]


def test_brief_in_channel_on_request(base_url: str, hook: Hook) -> None:
    r = command(base_url, "gdansk in_channel", hook.url)
    assert r.status_code == 200 and r.json()["response_type"] == "ephemeral"
    assert "posted to the channel" in r.json()["text"]
    post = hook.wait(1)[0]
    assert post["response_type"] == "in_channel" and "Gdańsk" in json.dumps(post, ensure_ascii=False)


def test_brief_with_a_syntax_error_is_answered_at_once_with_the_column(base_url: str, hook: Hook) -> None:
    r = command(base_url, "ukraine OR (talks", hook.url)
    assert r.status_code == 200
    msg = r.json()
    assert msg["response_type"] == "ephemeral" and "column" in msg["text"] and "^" in msg["text"]
    time.sleep(0.1)
    assert hook.posts == []


def test_brief_with_a_bad_window_says_how_to_write_it(base_url: str) -> None:
    r = command(base_url, "strike since 400d")
    assert r.status_code == 200 and "since: expected a duration between" in r.json()["text"]


def test_response_url_failure_is_logged(
    base_url: str,
    http_server: TestHTTPServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone = Hook(http_server, "/expired", status=404)
    with caplog.at_level(logging.WARNING, logger="briefbot.server"):
        assert command(base_url, "strike", gone.url).status_code == 200
        gone.wait(1)
        deadline = time.monotonic() + 5
        while "HTTP 404" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
    assert "posting to response_url on 127.0.0.1" in caplog.text and "HTTP 404" in caplog.text
    assert "/expired" not in caplog.text  # the URL's path is a capability: not logged
    assert len(gone.posts) == 1  # stopped after the first failure


def test_a_long_brief_takes_four_posts_and_says_what_was_left_out() -> None:
    point = "The harbour authority said the talks would resume next week. " * 30
    stories = [
        {
            "title": f"Story number {i}",
            "url": f"https://news.example/{i}",
            "published": "2026-11-28T08:00:00+00:00",
            "sources": ["Example"],
            "key_points": [f"{i}: {point}"] * 3,
        }
        for i in range(40)
    ]
    data = {
        "query": "talks",
        "since": "2026-11-27T08:00:00+00:00",
        "until": "2026-11-28T08:00:00+00:00",
        "stories": stories,
    }
    posts = brief_payloads(data, response_type="in_channel", since_text="48h")
    assert len(posts) == 5 and all(p["response_type"] == "in_channel" for p in posts)
    shown = {
        i
        for i in range(40)
        for p in posts[:4]
        if f"Story number {i}*" in json.dumps(p) or f"|Story number {i}>" in json.dumps(p)
    }
    last = posts[4]["text"]
    left = int(last.split(" more stories left out")[0])
    assert shown and left == 40 - len(shown) and shown == set(range(len(shown)))
    assert "`briefbot brief talks --since 48h`" in last
    small = brief_payloads({**data, "stories": stories[:1]})
    assert len(small) == 1 and small[0]["response_type"] == "ephemeral"


def test_parse_brief_text() -> None:
    a = parse_brief_text("ukraine OR \u201cpeace talks\u201d since 48h public")
    assert (a.query, a.since_text, a.in_channel) == ('ukraine OR "peace talks"', "48h", True)
    a = parse_brief_text("in_channel")
    assert (a.query, a.since_text, a.in_channel) == (None, "24h", True)
    a = parse_brief_text("talks since the ceasefire")  # not a duration: part of the query
    assert (a.query, a.since.total_seconds()) == ("talks since the ceasefire", 86400)
    assert parse_brief_text("a &amp; b since 90m").query == "a & b"
    with pytest.raises(UsageError, match="since"):
        parse_brief_text("x since 5x")


# -- /brief watch ... ---------------------------------------------------------------------------


def test_watch_add_from_slack_then_list_shows_who_added_it(base_url: str, store: Store) -> None:
    r = command(base_url, "watch add heaters-slack heater* OR recall*")
    msg = r.json()
    assert r.status_code == 200 and msg["response_type"] == "ephemeral" and "added" in msg["text"]
    assert f"<#{CHANNEL}>" in msg["text"]  # the channel the command came from
    r = command(base_url, "watch add ports-slack strike OR dockworkers #ports-desk")
    assert "added" in r.json()["text"] and "ports-desk" in r.json()["text"]
    r = command(base_url, "watch list")
    text = r.json()["text"]
    line = next(ln for ln in text.splitlines() if "heaters-slack" in ln)
    assert f"added by slack:{USER}" in line and f"<#{CHANNEL}>" in line
    assert "from-config" in text and "config file" in text
    ports = next(ln for ln in text.splitlines() if "ports-slack" in ln)
    assert "#ports-desk" in ports
    by_name = {w.name: w for w in App(load_config(store_cfg(store)), store=store).watches()}
    assert [str(d) for d in by_name["heaters-slack"].to] == [f"slack:{CHANNEL}"]
    assert by_name["heaters-slack"].created_by == f"slack:{USER}"
    assert [str(d) for d in by_name["ports-slack"].to] == ["slack:#ports-desk"]
    r = command(base_url, "watch add heaters-slack other")
    assert "already exists" in r.json()["text"]
    r = command(base_url, "watch remove ports-slack")
    assert "removed" in r.json()["text"] and "ports-slack" not in watch_names(store)
    r = command(base_url, "watch remove from-config")
    assert "defined in the config file" in r.json()["text"]


def store_cfg(store: Store) -> Path:
    url = str(store.engine.url)
    return Path(url.split(":///", 1)[1]).parent / "config.yaml"


def test_watch_add_with_a_syntax_error_names_the_column(base_url: str, store: Store) -> None:
    r = command(base_url, 'watch add broken "dock workers OR')
    text = r.json()["text"]
    assert r.status_code == 200 and "column" in text and "broken" not in watch_names(store)


def test_watch_add_escapes_user_text(base_url: str, store: Store) -> None:
    r = command(base_url, "watch add pinger <!channel> OR x")
    text = json.dumps(r.json())
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    command(base_url, "watch remove pinger")


def test_watch_test_explains_matches(base_url: str) -> None:
    r = command(base_url, "watch test heater*")
    text = r.json()["text"]
    assert "would have matched" in text and "matched: `heater*`" in text and "recalls" in text
    r = command(base_url, "watch test zzzunmatched")
    assert "No stored story" in r.json()["text"]
    r = command(base_url, "watch test a OR")
    assert "column" in r.json()["text"]


def test_unknown_watch_action_shows_help(base_url: str) -> None:
    r = command(base_url, "watch frobnicate")
    assert "watch add NAME QUERY" in r.json()["text"]


def test_slow_watch_command_answers_through_response_url(
    demo: Path,
    store: Store,
    hook: Hook,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the deadline the request is acknowledged and the answer follows on response_url."""
    real = App.watches

    def slow_list(*args: Any) -> Any:
        time.sleep(0.3)
        return real(*args)

    monkeypatch.setattr(App, "watches", slow_list)
    with running(create_app(App(load_config(demo), store=store), sync_deadline=0.05)) as url:
        r = command(url, "watch list", hook.url)
        assert r.status_code == 200 and "Still working" in r.json()["text"]
        post = hook.wait(1)[0]
    assert "from-config" in post["text"] and post["response_type"] == "ephemeral"


def test_serve_says_clearly_when_the_port_is_taken(demo: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = CliRunner().invoke(
            main, ["--config", str(demo), "serve", "--port", str(port)], catch_exceptions=False
        )
    assert r.exit_code == 2 and f"cannot listen on 127.0.0.1:{port}" in r.stderr
