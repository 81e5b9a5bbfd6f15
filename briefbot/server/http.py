"""`briefbot serve`'s HTTP side: Starlette routes, body limits, thread pools, response_url posts.

Why a server: slash commands are pushed by Slack as signed form posts, and Slack gives
up after 3 seconds. So every request is verified first (signing secret, 5-minute replay
window, size cap) and nothing is parsed or changed before that; a brief is acknowledged
at once and built in a worker thread, then posted as JSON to the command's
``response_url`` (at most 5 posts, as Slack allows). Watch commands are fast and answered
in the response itself. The store is synchronous SQLAlchemy, so every database call runs
in a thread pool and the event loop only moves bytes.

The grammar is in ``commands``, the answers' formatting in ``slack``, the work in the App.
Slack only calls https URLs: run this on 127.0.0.1 behind a TLS-terminating proxy.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..app import App
from ..deliver.blocks import mrkdwn_escape
from ..errors import BriefbotError
from ..match import QueryError, compile_query
from ..notify import hit_view
from . import slack
from .commands import (
    BadRequest,
    BriefArgs,
    Help,
    SlashCommand,
    UsageError,
    WatchAdd,
    WatchList,
    WatchRemove,
    WatchRequest,
    WatchTest,
    parse_brief_text,
    parse_command,
    parse_watch,
    request_kind,
    split1,
)
from .signatures import Verifier, require_signing_secret

log = logging.getLogger("briefbot.server")

MAX_BODY = 16 * 1024  # a slash command is well under 4 KB; anything bigger is not Slack
SYNC_DEADLINE = 2.5  # answer within Slack's 3 s; a slower watch command answers via response_url
MAX_PENDING_BRIEFS = 16
POST_TIMEOUT = 10.0


class _SlackApp:
    """State of one server: the App, the verifier, thread pools, one HTTP client for response_url."""

    def __init__(self, app: App, *, max_body: int, sync_deadline: float) -> None:
        self.app = app
        self.verifier = Verifier(require_signing_secret(app.cfg))
        self.max_body = max_body
        self.sync_deadline = sync_deadline
        # Briefs get their own small pool so slow ones never starve watch commands or /healthz.
        self.brief_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="briefbot-brief")
        self.quick_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="briefbot-cmd")
        self.http = httpx.Client(timeout=POST_TIMEOUT, follow_redirects=False)
        self._pending = 0
        self._lock = threading.Lock()

    def shutdown(self) -> None:
        """Wait for accepted briefs: their users were told one is coming."""
        self.quick_pool.shutdown(wait=True)
        self.brief_pool.shutdown(wait=True)
        self.http.close()

    # -- HTTP ---------------------------------------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(self.quick_pool, self.app.store.ping), timeout=5)
        except Exception as e:  # noqa: BLE001 - any failure means "not healthy"
            log.warning(
                "health check: the database cannot be queried (%s: %s)",
                type(e).__name__,
                (str(e).strip().splitlines() or [""])[0],
            )
            return JSONResponse({"ok": False, "database": "unavailable"}, status_code=503)
        return JSONResponse({"ok": True, "database": "ok"})

    async def metrics(self, request: Request) -> Response:
        """Prometheus metrics of this server's App (the outbox depth is read from the database)."""
        from ..metrics import CONTENT_TYPE

        body = await asyncio.get_running_loop().run_in_executor(self.quick_pool, self.app.metrics.render)
        return Response(body, media_type=CONTENT_TYPE)

    async def commands(self, request: Request) -> Response:
        try:
            body = await self._read_body(request)
            reason = self.verifier.problem(request.headers, body)
            if reason is not None:
                client = request.client.host if request.client else "?"
                log.warning("refused %s %s from %s: %s", request.method, request.url.path, client, reason)
                raise BadRequest(401, f"request signature could not be verified: {reason}")
            cmd = parse_command(body, request.headers.get("content-type"))
        except BadRequest as p:
            return JSONResponse({"ok": False, "error": p.message}, status_code=p.status)
        if cmd.ssl_check:
            return Response(status_code=200)
        kind = request_kind(cmd.text)
        if kind == "help":
            return JSONResponse(slack.help_message(cmd.command))
        if kind == "watch":
            try:
                req = parse_watch(cmd, split1(cmd.text)[1].strip())
            except UsageError as e:
                return JSONResponse(slack.error_message(e))
            if isinstance(req, Help):
                return JSONResponse(slack.help_message(cmd.command))
            return await self._answer(cmd, lambda: self._watch(cmd, req))
        return self._brief(cmd)

    async def _read_body(self, request: Request) -> bytes:
        """The body, refused (413) before it is read whole when over the cap."""
        declared = request.headers.get("content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                raise BadRequest(400, "Content-Length is not a number") from None
            if size > self.max_body:
                raise BadRequest(413, f"body over {self.max_body} bytes")
        chunks: list[bytes] = []
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > self.max_body:
                raise BadRequest(413, f"body over {self.max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    # -- /brief QUERY -------------------------------------------------------------------------

    def _brief(self, cmd: SlashCommand) -> Response:
        try:
            args = parse_brief_text(cmd.text)
        except UsageError as e:
            return JSONResponse(slack.error_message(e))
        try:
            compile_query(args.query)  # a typo is answered now, with its column
        except QueryError as e:
            return JSONResponse(slack.error_message(e, args.query or ""))
        with self._lock:
            if self._pending >= MAX_PENDING_BRIEFS:
                return JSONResponse(
                    slack.message(":hourglass: Too many briefs in progress; try again in a minute.")
                )
            self._pending += 1
        self.brief_pool.submit(self._brief_job, cmd, args)
        what = f"{slack.code(args.query)}" if args.query else "everything"
        where = " (it will be posted to the channel)" if args.in_channel else ""
        return JSONResponse(
            slack.message(
                f":hourglass_flowing_sand: Working on your brief for {what},"
                f" last {mrkdwn_escape(args.since_text)}{where}…"
            )
        )

    def _brief_job(self, cmd: SlashCommand, args: BriefArgs) -> None:
        """Worker thread: build, render, post. Any failure is told to the user and logged."""
        try:
            data = self.app.brief(args.query, args.since).to_dict()
            payloads = slack.brief_payloads(
                data,
                templates_dir=self.app.templates_dir,
                since_text=args.since_text,
                response_type="in_channel" if args.in_channel else "ephemeral",
            )
        except BriefbotError as e:
            log.warning("brief %r for slack:%s failed: %s", args.query, cmd.user_id, e)
            payloads = [slack.error_message(e)]
        except Exception:
            log.exception("brief %r for slack:%s failed", args.query, cmd.user_id)
            payloads = [slack.message(":warning: Sorry, the brief failed (the server log says why).")]
        finally:
            with self._lock:
                self._pending -= 1
        self._post(cmd.response_url, payloads)

    def _post(self, url: str, payloads: list[dict[str, Any]]) -> None:
        """POST each payload in order; stop at the first failure (the URL is then unusable)."""
        host = urlsplit(url).netloc  # the path is a capability: never logged
        for i, p in enumerate(payloads, 1):
            try:
                r = self.http.post(url, json=p)
            except httpx.HTTPError as e:
                log.warning(
                    "posting to response_url on %s failed (%d of %d): %s: %s",
                    host,
                    i,
                    len(payloads),
                    type(e).__name__,
                    e,
                )
                return
            if r.status_code >= 300:
                log.warning(
                    "posting to response_url on %s failed (%d of %d): HTTP %d %s",
                    host,
                    i,
                    len(payloads),
                    r.status_code,
                    r.text[:200],
                )
                return

    # -- /brief watch ... ---------------------------------------------------------------------

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
                msg = slack.error_message(e)
            except Exception:
                log.exception("slash command %r failed", cmd.text)
                msg = slack.message(":warning: Sorry, that failed (the server log says why).")
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
        return JSONResponse(
            slack.message(":hourglass_flowing_sand: Still working on it; the answer will follow here.")
        )

    def _watch(self, cmd: SlashCommand, req: WatchRequest) -> dict[str, Any]:
        """One watch action through the App; the answer formatted for Slack."""
        app = self.app
        if isinstance(req, WatchAdd):
            try:
                w = app.add_watch(req.name, req.query, [req.to], created_by=f"slack:{cmd.user_id}")
            except QueryError as e:
                return slack.error_message(e, req.query)
            except ValidationError as e:
                raise UsageError(str(e.errors()[0]["msg"]).removeprefix("Value error, ")) from None
            token_set = app.cfg.slack is not None and app.cfg.slack.token is not None
            return slack.watch_added(w, req.to, token_set)
        if isinstance(req, WatchList):
            return slack.watch_list(app.watches())
        if isinstance(req, WatchRemove):
            app.remove_watch(req.name, by=f"slack:{cmd.user_id}")
            return slack.watch_removed(req.name)
        if isinstance(req, WatchTest):
            try:
                hits = app.test_watch(req.query, req.since)
            except QueryError as e:
                return slack.error_message(e, req.query)
            return slack.watch_test([hit_view(h) for h in hits], req.query, req.since_text)
        return slack.help_message(cmd.command)


def create_app(app: App, *, max_body: int = MAX_BODY, sync_deadline: float = SYNC_DEADLINE) -> Starlette:
    """The ASGI app: GET /healthz, POST /slack/commands. Refuses to exist without a signing secret."""
    state = _SlackApp(app, max_body=max_body, sync_deadline=sync_deadline)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await asyncio.to_thread(state.shutdown)  # running briefs finish and post; the loop stays free

    asgi = Starlette(
        routes=[
            Route("/healthz", state.healthz, methods=["GET"]),
            Route("/metrics", state.metrics, methods=["GET"]),
            Route("/slack/commands", state.commands, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    asgi.state.briefbot = state
    return asgi


def _bind(host: str, port: int) -> socket.socket:
    """Listen before uvicorn starts so a busy port is one clear error, not a log line and exit."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, addr = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
    except OSError as e:
        raise BriefbotError(
            f"cannot listen on {host}:{port}: {e.strerror or e}",
            hint="is another server using the port? choose one with --port",
        ) from None
    sock.set_inheritable(True)
    return sock


def serve(
    app: App, *, host: str = "127.0.0.1", port: int = 8080, on_listen: Callable[[str], None] | None = None
) -> None:
    """Run the server until Ctrl-C / SIGTERM (graceful: running briefs finish and post)."""
    import uvicorn

    asgi = create_app(app)
    sock = _bind(host, port)
    bound = sock.getsockname()
    if on_listen is not None:
        shown = f"[{bound[0]}]" if sock.family == socket.AF_INET6 else bound[0]
        on_listen(f"http://{shown}:{bound[1]}")
    config = uvicorn.Config(
        asgi,
        log_config=None,
        server_header=False,
        proxy_headers=True,
        limit_concurrency=64,
        timeout_graceful_shutdown=30,
    )
    uvicorn.Server(config).run(sockets=[sock])
