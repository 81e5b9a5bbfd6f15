"""The `briefbot` command: parses arguments, calls the stages, prints.

Heavy modules (spaCy, trafilatura, SQLAlchemy) are imported inside commands so
`briefbot --help` stays instant.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .errors import BriefbotError, ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from .config import Config
    from .store import Store

log = logging.getLogger("briefbot")


class _Redact(logging.Filter):
    """Replace every configured secret in log records, whatever code logged it."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            msg = record.getMessage()
            for s in self.secrets:
                msg = msg.replace(s, "***")
            record.msg, record.args = msg, None
        return True


_redact = _Redact()


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _die(err: BriefbotError, code: int = 2) -> NoReturn:
    console = _console(stderr=True)
    if isinstance(err, ConfigError) and len(err.problems) > 1:
        head = err.message.split("\n", 1)[0]
        console.print(f"[bold red]error:[/] {head}", markup=True, soft_wrap=True)
    else:
        console.print("[bold red]error:[/] ", end="", markup=True)
        console.print(err.message, markup=False, soft_wrap=True)
        if err.hint:
            console.print("[dim]hint:[/] ", end="", markup=True)
            console.print(err.hint, markup=False, soft_wrap=True)
    raise SystemExit(code)


class Ctx:
    """Lazily built objects shared by the commands of one invocation."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._cfg: Config | None = None
        self._store: Store | None = None

    @property
    def cfg(self) -> Config:
        if self._cfg is None:
            from .config import load_config

            self._cfg = load_config(self.config_path)
            for secret in _secrets(self._cfg):
                _redact.secrets.add(secret)
        return self._cfg

    @property
    def store(self) -> Store:
        if self._store is None:
            from .store import Store

            self._store = Store.open(self.cfg.database_url())
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _secrets(cfg: Config) -> list[str]:
    found = []
    for section in (cfg.slack, cfg.email):
        if section is None:
            continue
        for name in ("token", "signing_secret", "password", "webhook_url"):
            val = getattr(section, name, None)
            if val is not None and val.get_secret_value():
                found.append(val.get_secret_value())
    from sqlalchemy.engine import make_url

    try:
        pw = make_url(cfg.database).password
        if pw:
            found.append(str(pw))
    except Exception:  # noqa: BLE001 - an invalid URL is reported elsewhere
        pass
    return found


class BriefbotGroup(click.Group):
    """Turn our errors into one clear message instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BriefbotError as e:
            _die(e)
        finally:
            obj = ctx.obj
            if isinstance(obj, Ctx):
                obj.close()


@click.group(cls=BriefbotGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--config", "config_path", metavar="PATH", envvar="BRIEFBOT_CONFIG", show_envvar=True,
    help="Config file (default ./config.yaml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="briefbot")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """briefbot: news briefs and alerts with who said what, to Slack and email."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    from rich.logging import RichHandler

    handler = RichHandler(console=_console(stderr=True), show_path=False, show_time=verbose > 0)
    handler.addFilter(_redact)
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    for noisy in ("httpx", "httpcore", "trafilatura", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    ctx.obj = Ctx(config_path)


def parse_since(value: str) -> timedelta:
    from .config import parse_duration

    try:
        return parse_duration(value)
    except ValueError:
        raise click.BadParameter(f"expected a duration like 24h, 7d or 90m, got {value!r}") from None


def _ago(dt: datetime | None, now: datetime) -> str:
    if dt is None:
        return "never"
    secs = (now - dt).total_seconds()
    future = secs < 0
    secs = abs(secs)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            txt = f"{int(secs // size)}{unit}"
            break
    else:
        txt = f"{int(secs)}s"
    return f"in {txt}" if future else f"{txt} ago"


# -- fetch -------------------------------------------------------------------------
@main.command()
@click.option("--due", is_flag=True, help="Only sources whose interval has passed (as the scheduler does).")
@click.option("--force", is_flag=True, help="Also poll sources that are backing off or were asked to wait.")
@click.option("--source", "names", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@click.option("--no-analyse", "no_analyse", is_flag=True, help="Store articles without analysing them now.")
@click.option("--no-deliver", "no_deliver", is_flag=True, help="Queue alerts in the outbox but send nothing.")
@click.pass_obj
def fetch(obj: Ctx, due: bool, force: bool, names: tuple[str, ...], no_analyse: bool, no_deliver: bool) -> None:
    """Run the whole cycle once: poll every source now, analyse, match watches, queue and send alerts.

    Exits 1 when any source failed (its error is stored and shown by `briefbot sources`).
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from .ingest.poll import Poller

    cfg = obj.cfg
    unknown = [n for n in names if n not in {s.name for s in cfg.sources}]
    if unknown:
        raise BriefbotError(f"no source named {', '.join(map(repr, unknown))}", hint="see `briefbot sources`")
    if not cfg.sources:
        raise BriefbotError("the config has no sources", hint="add a `sources:` list to the config")
    err = _console(stderr=True)
    progress = Progress(
        TextColumn("[bold]fetching"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
    )
    task = progress.add_task("", total=0)
    with progress, Poller(cfg, obj.store) as poller:
        report = poller.poll(
            due_only=due,
            force=force,
            names=list(names) or None,
            on_start=lambda n: progress.update(task, total=n),
            on_done=lambda r: progress.update(task, advance=1, description=r.name),
        )
    now = datetime.now().astimezone()
    table = Table(title="fetch", title_justify="left", show_edge=False)
    for col in ("source", "result", "new", "updated", "unchanged", "failed"):
        table.add_column(col, justify="right" if col in ("new", "updated", "unchanged", "failed") else "left")
    order = {s.name: i for i, s in enumerate(cfg.sources)}
    for r in sorted(report.sources, key=lambda r: order.get(r.name, 0)):
        if r.status == "failed":
            result = f"[red]failed[/]: {_escape(r.error or '')}"
        elif r.status in ("waiting", "not_due"):
            why = "backing off" if r.status == "waiting" else "not due"
            result = f"[yellow]{why}[/] until {_ago(r.wait_until, now)}"
        elif r.status == "not_modified":
            result = "not modified"
        else:
            result = "ok" + (f" ({r.partial} summary only)" if r.partial else "")
        table.add_row(_escape(r.name), result, str(r.new), str(r.updated), str(r.unchanged),
                      "1" if r.status == "failed" else "0")
    out = _console()
    out.print(table)
    t = report.totals()
    out.print(
        f"{t['new']} new, {t['updated']} updated, {t['unchanged']} unchanged; "
        f"{len(report.failed)} of {len(report.sources)} sources failed"
    )
    if not no_analyse:
        from .jobs import analyse_pending

        progress = Progress(
            TextColumn("[bold]analysing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, transient=True, disable=not err.is_terminal,
        )
        task = progress.add_task("", total=0)
        with progress:
            analysed = analyse_pending(
                obj.store,
                on_start=lambda n: progress.update(task, total=n),
                on_done=lambda n: progress.update(task, advance=n),
            )
        if analysed:
            out.print(f"{analysed} articles analysed")
        from .notify import flush, queue_alerts

        story_ids = sorted({a.story_id for a in obj.store.articles(ids=report.changed) if a.story_id is not None})
        queued = queue_alerts(cfg, obj.store, story_ids)
        if queued:
            out.print(f"{len(queued)} alerts queued")
        if not no_deliver:
            sent = flush(cfg, obj.store)
            if sent.delivered or sent.failed or sent.retrying:
                out.print(f"deliveries: {len(sent.delivered)} delivered, {len(sent.retrying)} waiting to retry, "
                          f"{len(sent.failed)} failed (see `briefbot deliveries`)")
    if report.failed:
        raise SystemExit(1)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# -- sources -------------------------------------------------------------------------
@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def sources(obj: Ctx, fmt: str) -> None:
    """Sources with last fetch, last error, consecutive failures and next due time."""
    from rich.table import Table

    from .store import utcnow

    cfg, store = obj.cfg, obj.store
    store.sync_sources((s.name, s.url) for s in cfg.sources)
    states = {s.name: s for s in store.sources()}
    now = utcnow()
    rows = []
    for sc in cfg.sources:
        st = states[sc.name]
        due = max(filter(None, [st.next_due_at, st.wait_until]), default=None)
        rows.append((sc, st, due))
    if fmt == "json":
        iso = lambda d: d.isoformat(timespec="seconds") if d else None  # noqa: E731
        click.echo(json.dumps([
            {"name": sc.name, "url": sc.url, "interval_seconds": sc.interval.total_seconds(), "enabled": sc.enabled,
             "last_fetch": iso(st.last_fetch_at), "last_success": iso(st.last_success_at),
             "last_status": st.last_status, "last_error": st.last_error,
             "consecutive_failures": st.consecutive_failures, "next_due": iso(due)}
            for sc, st, due in rows], indent=2))
        return
    table = Table(show_edge=False)
    for col in ("source", "last fetch", "status", "failures", "next due", "last error"):
        table.add_column(col, overflow="fold")
    for sc, st, due in rows:
        status = st.last_status or "-"
        if st.last_status == "error":
            status = "[red]error[/]"
        next_due = "now" if due is None or due <= now else _ago(due, now)
        if not sc.enabled:
            next_due = "disabled"
        table.add_row(_escape(sc.name), _ago(st.last_fetch_at, now), status, str(st.consecutive_failures),
                      next_due, _escape(st.last_error or ""))
    _console().print(table)


# -- brief ---------------------------------------------------------------------------
@main.command()
@click.argument("query", required=False)
@click.option("--since", "since", default="24h", show_default=True, help="Window length, like 24h or 7d.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True)
@click.pass_obj
def brief(obj: Ctx, query: str | None, since: str, fmt: str) -> None:
    """An on-demand brief of stored articles matching QUERY (all when omitted).

    The window is by arrival: articles briefbot first saw within --since.
    """
    from .brief import BriefRequest, build_brief
    from .render import render
    from .store import utcnow

    until = utcnow()
    req = BriefRequest(query=query, since=until - parse_since(since), until=until)
    data = build_brief(obj.store, req)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    text = render("brief.md.j2", data, obj.cfg.templates_dir and str(obj.cfg.resolve_path(obj.cfg.templates_dir)))
    out = _console()
    if out.is_terminal:
        from rich.markdown import Markdown

        out.print(Markdown(text))
    else:
        click.echo(text, nl=False)


# -- check -----------------------------------------------------------------------------
@main.command()
@click.pass_obj
def check(obj: Ctx) -> None:
    """Validate the config and say exactly what is wrong."""
    from .config import config_path

    path = config_path(obj.config_path)
    try:
        cfg = obj.cfg
    except ConfigError as e:
        err = _console(stderr=True)
        err.print(f"[bold red]{_escape(str(path))}[/]: {len(e.problems)} problem(s)")
        for p in e.problems:
            err.print(f"  [red]✗[/] {_escape(p)}")
        raise SystemExit(2) from None
    problems = []
    from .ingest.poll import is_remote

    for i, s in enumerate(cfg.sources):
        if not is_remote(s.url) and not cfg.resolve_path(s.url).exists():
            problems.append(f"sources[{i}].url: {cfg.resolve_path(s.url)} does not exist")
    if cfg.templates_dir and not cfg.resolve_path(cfg.templates_dir).is_dir():
        problems.append(f"templates_dir: {cfg.resolve_path(cfg.templates_dir)} is not a folder")
    if problems:
        err = _console(stderr=True)
        err.print(f"[bold red]{_escape(str(path))}[/]: {len(problems)} problem(s)")
        for p in problems:
            err.print(f"  [red]✗[/] {_escape(p)}")
        raise SystemExit(2)
    _console().print(
        f"[green]✓[/] {_escape(str(path))} is valid: {len(cfg.sources)} sources, {len(cfg.watches)} watches, "
        f"{len(cfg.digests)} digests; database {_escape(_safe_db(cfg.database))}"
    )


def _safe_db(url: str) -> str:
    from .store import _safe_url

    return _safe_url(url)


# -- deliveries ------------------------------------------------------------------------
@main.command()
@click.option("--status", type=click.Choice(["pending", "sending", "delivered", "failed"]), default=None,
              help="Only deliveries in this state.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def deliveries(obj: Ctx, status: str | None, limit: int, fmt: str) -> None:
    """Messages in the outbox: delivered, waiting for a retry, or failed with their error."""
    from rich.table import Table

    from .deliver.outbox import Outbox
    from .store import utcnow

    rows = Outbox(obj.store).list(status=status, limit=limit)  # type: ignore[arg-type]
    if fmt == "json":
        iso = lambda d: d.isoformat(timespec="seconds") if d else None  # noqa: E731
        click.echo(json.dumps([
            {"key": r.key, "channel": r.channel, "destination": r.destination, "status": r.status,
             "attempts": r.attempts, "last_error": r.last_error, "next_attempt": iso(r.next_attempt_at),
             "created": iso(r.created_at), "delivered": iso(r.delivered_at)} for r in rows], indent=2))
        return
    now = utcnow()
    table = Table(show_edge=False)
    for col in ("key", "to", "status", "attempts", "when", "last error"):
        table.add_column(col, overflow="fold")
    colour = {"delivered": "green", "failed": "red", "pending": "yellow", "sending": "cyan"}
    for r in rows:
        when = _ago(r.delivered_at, now) if r.status == "delivered" else (
            "retry " + _ago(r.next_attempt_at, now) if r.status == "pending" else _ago(r.updated_at, now))
        table.add_row(_escape(r.key), _escape(f"{r.channel}:{r.destination}"),
                      f"[{colour.get(r.status, 'white')}]{r.status}[/]", str(r.attempts), when,
                      _escape(r.last_error or ""))
    _console().print(table if rows else "no deliveries yet")


# -- run ---------------------------------------------------------------------------------
@main.command()
@click.pass_obj
def run(obj: Ctx) -> None:
    """Run on schedule: poll sources at their intervals, alert, send digests at their times.

    Stops cleanly on SIGTERM or Ctrl-C: the job in progress finishes first.
    """
    from .scheduler import Runner

    if logging.getLogger().level > logging.INFO:
        logging.getLogger("briefbot").setLevel(logging.INFO)
    cfg = obj.cfg
    _console(stderr=True).print(
        f"briefbot running: {len(cfg.sources)} sources, {len(cfg.watches)} watches, {len(cfg.digests)} digests "
        f"(Ctrl-C to stop)")
    Runner(cfg, obj.store).run()


@main.command()
@click.option("--max-age", default="5m", show_default=True, help="Oldest heartbeat still counted as alive.")
def health(max_age: str) -> None:
    """Exit 0 when `briefbot run` completed a tick recently (reads $BRIEFBOT_HEARTBEAT)."""
    from datetime import UTC

    from .scheduler import HEARTBEAT_ENV, heartbeat_path

    path = heartbeat_path()
    if not path:
        raise BriefbotError(f"${HEARTBEAT_ENV} is not set", hint="set it for both `run` and `health`")
    try:
        with open(path, encoding="utf-8") as fh:
            beat = datetime.fromisoformat(fh.read().strip())
    except (OSError, ValueError):
        raise BriefbotError(f"no heartbeat at {path} yet") from None
    age = datetime.now(UTC) - beat
    if age > parse_since(max_age):
        raise BriefbotError(f"last heartbeat {int(age.total_seconds())}s ago (more than {max_age})")
    click.echo(f"alive: last tick {int(age.total_seconds())}s ago")


# -- digest -----------------------------------------------------------------------------
@main.command()
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Print what would be sent, per medium; send and record nothing.")
@click.option("--to", "to", type=click.Choice(["stdout", "slack", "email"]), default=None,
              help="Only this medium of the digest's destinations (stdout: print Markdown).")
@click.pass_obj
def digest(obj: Ctx, name: str, dry_run: bool, to: str | None) -> None:
    """Run digest NAME now: the stories since its last run, to its destinations."""
    from .notify import digest_config, flush, run_digest

    cfg = obj.cfg
    d = digest_config(cfg, name)
    dests: list[str] | None = None
    if to == "stdout":
        dests = ["stdout"]
    elif to is not None:
        dests = [t for t in d.to if t.startswith(to + ":")]
        if not dests:
            raise BriefbotError(f"digest {name!r} has no {to} destination", hint=f"its destinations: {', '.join(d.to)}")
    result = run_digest(cfg, obj.store, name, to=dests, dry_run=dry_run)
    err = _console(stderr=True)
    if dry_run or dests == ["stdout"]:
        return
    if result.skipped_empty:
        err.print(f"digest {name}: nothing new since {result.since:%Y-%m-%d %H:%M} UTC; nothing sent (send_empty: false)")
        return
    report = flush(cfg, obj.store)
    err.print(f"digest {name}: {result.stories} stories queued for {len(result.queued)} destinations; "
              f"{len(report.delivered)} delivered, {len(report.retrying)} waiting to retry, {len(report.failed)} failed")
    if report.failed:
        raise SystemExit(1)


# -- watch ------------------------------------------------------------------------------
@main.group()
def watch() -> None:
    """Watched keywords: list, add, remove, test."""


@watch.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def watch_list(obj: Ctx, fmt: str) -> None:
    """Watches from the config file and those added at run time, and which is which."""
    from rich.table import Table

    from .watches import list_watches

    ws = list_watches(obj.cfg, obj.store)
    if fmt == "json":
        click.echo(json.dumps([{"name": w.name, "query": w.query, "to": w.to, "mode": w.mode, "origin": w.origin,
                                "created_by": w.created_by} for w in ws], indent=2))
        return
    table = Table(show_edge=False)
    for col in ("name", "query", "to", "mode", "from"):
        table.add_column(col, overflow="fold")
    for w in ws:
        table.add_row(_escape(w.name), _escape(w.query), _escape(", ".join(w.to) or "-"), w.mode,
                      "config.yaml" if w.origin == "config" else f"added{' by ' + w.created_by if w.created_by else ''}")
    _console().print(table if ws else "no watches yet: `briefbot watch add NAME QUERY --to slack:#alerts`")


@watch.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--to", "to", multiple=True, metavar="DEST", help="slack:#channel or email:addr (repeatable).")
@click.option("--digest-only", is_flag=True, help="No instant alerts: only feed digests that name this watch.")
@click.pass_obj
def watch_add(obj: Ctx, name: str, query: str, to: tuple[str, ...], digest_only: bool) -> None:
    """Watch QUERY under NAME (see README for the query language)."""
    from pydantic import ValidationError

    from .watches import add

    try:
        w = add(obj.cfg, obj.store, name, query, to, digest_only=digest_only, created_by="cli")
    except ValidationError as e:
        raise BriefbotError(str(e.errors()[0]["msg"]).removeprefix("Value error, ")) from None
    _console().print(f"watch {_escape(w.name)} added ({w.mode}{': ' + _escape(', '.join(w.to)) if w.to else ''})")


@watch.command("remove")
@click.argument("name")
@click.pass_obj
def watch_remove(obj: Ctx, name: str) -> None:
    """Remove a watch added at run time."""
    from .watches import remove

    remove(obj.cfg, obj.store, name)
    _console().print(f"watch {_escape(name)} removed")


@watch.command("test")
@click.argument("query")
@click.option("--since", default="7d", show_default=True, help="How far back to look.")
@click.pass_obj
def watch_test(obj: Ctx, query: str, since: str) -> None:
    """Which stored stories would have matched QUERY, and why."""
    from .watches import test

    hits = test(obj.store, query, parse_since(since))
    out = _console()
    if not hits:
        out.print(f"no stored story in the last {since} matches")
        return
    for h in hits:
        terms = ", ".join(dict.fromkeys(x.term for x in h.why.hits)) or "-"
        out.print(f"[bold]{_escape(h.story['title'])}[/] ({_escape(', '.join(h.story['sources']))})")
        out.print(f"  matched: {_escape(terms)}")
        if h.why.actor:
            out.print(f"  actor: {_escape(str(h.why.actor.get('name')))}")
        if h.why.quote:
            out.print(f"  quote: {_escape(str(h.why.quote.get('text'))[:160])} — {_escape(str(h.why.quote.get('speaker')))}")
        if h.why.sentence:
            out.print(f"  [dim]{_escape(h.why.sentence[:200])}[/]")
    out.print(f"{len(hits)} {'story' if len(hits) == 1 else 'stories'} would have matched")


# -- serve ------------------------------------------------------------------------------
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (keep 127.0.0.1 behind an HTTPS reverse proxy).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True)
@click.pass_obj
def serve(obj: Ctx, host: str, port: int) -> None:
    """Serve Slack's /brief slash command (POST /slack/commands) and GET /healthz.

    Every request must carry Slack's signature: slack.signing_secret is required.
    """
    from .server import require_signing_secret
    from .server import serve as run_server

    require_signing_secret(obj.cfg)  # before opening the database: refuse early and clearly
    err = _console(stderr=True)
    run_server(obj.cfg, obj.store, host=host, port=port, on_listen=lambda url: err.print(
        f"briefbot serving POST {url}/slack/commands and GET {url}/healthz (Ctrl-C to stop)",
        markup=False, highlight=False))


# -- analyze ---------------------------------------------------------------------------
@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "markdown"]), default="json", show_default=True)
@click.pass_obj
def analyze(obj: Ctx, inputs: tuple[str, ...], fmt: str) -> None:
    """Analyse articles: actors with roles, quotes with speakers, positions, key points.

    PATH is a .txt file (first line the headline, optional `date YYYY-MM-DD` marker) or an
    .html page; a URL is fetched through the same guarded fetcher as sources.
    """
    from .analyse.command import main as analyse_main

    fetch_url = None
    if any("://" in i for i in inputs):
        fetch_url = _url_loader(obj)
    code = analyse_main(list(inputs), fmt, fetch_url=fetch_url)
    if code:
        raise SystemExit(code)


def _url_loader(obj: Ctx) -> Any:
    """Fetch a page with the config's network rules (private-address guard included), or defaults."""
    from .analyse import ArticleText
    from .config import Config, config_path
    from .ingest.extract import extract_article
    from .ingest.fetch import PAGE_ACCEPT, Fetcher

    cfg = obj.cfg if config_path(obj.config_path).exists() else Config()
    net = cfg.network
    fetcher = Fetcher(timeout=net.timeout.total_seconds(), max_bytes=net.max_bytes, max_redirects=net.max_redirects,
                      user_agent=net.user_agent, allow_private=net.allow_private, allow_hosts=net.allow_hosts,
                      per_host=net.per_host)

    def load(url: str) -> Any:
        res = fetcher.fetch(url, accept=PAGE_ACCEPT)
        ex = extract_article(res.body.decode("utf-8", "replace"), res.url)
        return ArticleText(title=ex.title, body=ex.text, url=ex.canonical_url or res.url, published=ex.published,
                           input=url)

    return load


if __name__ == "__main__":  # pragma: no cover
    main()
