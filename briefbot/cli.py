"""The `briefbot` command: parses arguments, calls the App, prints.

Every command holds one ``briefbot.app.App`` and calls its operations; nothing here builds
a stage or runs a step of the cycle itself. Heavy modules (spaCy, trafilatura, SQLAlchemy)
are imported inside commands so `briefbot --help` stays instant.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .errors import BriefbotError, ConfigError, describe

if TYPE_CHECKING:
    from rich.console import Console

    from .app import App, CycleReport
    from .config import Config
    from .ingest.poll import SourceReport

log = logging.getLogger("briefbot")


# ESC sequences (CSI, OSC/DCS/APC/PM strings, two-byte escapes), then any other C0/C1 control
# or DEL: what a hostile title or error message could use to rewrite a terminal.
_CONTROL_RE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI: ESC [ parameters intermediates final
    r"|\x1b[\]PX^_][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS, SOS, PM, APC up to BEL or ST
    r"|\x1b[ -/]*[0-~]?"  # nF and Fp/Fe/Fs escapes (ESC c, ESC 7, ESC ( B ...)
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # the 8-bit CSI
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def _plain(text: str) -> str:
    """External text made safe for a terminal: no escape sequences or control characters
    (newline and tab stay: Markdown and tables need them)."""
    return _CONTROL_RE.sub("", text)


class _Redact(logging.Filter):
    """Mask every configured secret and strip control characters in log records, whoever logged them."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def mask(self, text: str) -> str:
        """Each secret replaced by ***, the longest first so one inside another goes whole."""
        for s in sorted(self.secrets, key=len, reverse=True):
            if s in text:
                text = text.replace(s, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string: the handler reports it, not the caller
            return True
        record.msg, record.args = _plain(self.mask(msg)), None
        return True


_redact = _Redact()


class _JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (secrets already redacted), and
    the exception's text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _die(err: BriefbotError, code: int = 2, source: str | None = None) -> NoReturn:
    console = _console(stderr=True)
    lines = describe(err, source)
    if isinstance(err, ConfigError) and len(err.problems) > 1:
        lines = [err.message.split("\n", 1)[0], *err.problems] + lines[1:]
    console.print("[bold red]error:[/] ", end="", markup=True)
    console.print(_safe(lines[0]), markup=False, soft_wrap=True)
    for line in lines[1:]:
        if line.startswith("hint: "):
            console.print("[dim]hint:[/] ", end="", markup=True)
            console.print(_safe(line.removeprefix("hint: ")), markup=False, soft_wrap=True)
        else:
            console.print("  " + _safe(line), markup=False, soft_wrap=True)
    raise SystemExit(code)


class Ctx:
    """The config and the App of one invocation, built on first use."""

    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._cfg: Config | None = None
        self._app: App | None = None

    @property
    def cfg(self) -> Config:
        if self._cfg is None:
            from .config import load_config

            self._cfg = load_config(self.config_path)
            _redact.secrets.update(self._cfg.secrets())
        return self._cfg

    @property
    def app(self) -> App:
        if self._app is None:
            from .app import App

            self._app = App(self.cfg)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()


class BriefbotGroup(click.Group):
    """Turn our errors into one clear message instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BriefbotError as e:
            _die(e, source=getattr(e, "source", None))
        finally:
            obj = ctx.obj
            if isinstance(obj, Ctx):
                obj.close()


@click.group(
    cls=BriefbotGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "--config",
    "config_path",
    metavar="PATH",
    envvar="BRIEFBOT_CONFIG",
    show_envvar=True,
    help="Config file (default ./config.yaml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    envvar="BRIEFBOT_LOG_FORMAT",
    help="json: one JSON object per log line, for log collectors.",
)
@click.version_option(package_name="briefbot")
@click.pass_context
def main(ctx: click.Context, config_path: str | None, verbose: int, log_format: str) -> None:
    """briefbot: news briefs and alerts with who said what, to Slack and email."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler: logging.Handler
    if log_format == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(_JsonFormatter())
    else:
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


def _safe(text: str) -> str:
    """External text as it may reach a terminal: secrets masked, control characters gone."""
    return _plain(_redact.mask(text))


def _escape(text: str) -> str:
    """External text for Rich markup: `_safe`, then markup escaped."""
    from rich.markup import escape

    return escape(_safe(text))


# -- fetch -------------------------------------------------------------------------
class _Bars:
    """Progress bars for the cycle on a terminal (nothing when output is piped)."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("[bold]{task.fields[stage]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.task: Any = None

    def __enter__(self) -> _Bars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _stage(self, stage: str, total: int) -> None:
        if self.task is not None:
            self.progress.remove_task(self.task)
        self.task = self.progress.add_task("", total=total, stage=stage)

    def polling(self, sources: int) -> None:
        self._stage("fetching", sources)

    def polled(self, report: SourceReport) -> None:
        self.progress.update(self.task, advance=1, description=_escape(report.name))

    def analysing(self, articles: int) -> None:
        self._stage("analysing", articles)

    def analysed(self, articles: int) -> None:
        self.progress.update(self.task, advance=articles, description="")


@main.command()
@click.option("--due", is_flag=True, help="Only sources whose interval has passed (as the scheduler does).")
@click.option("--force", is_flag=True, help="Also poll sources that are backing off or were asked to wait.")
@click.option("--source", "names", multiple=True, metavar="NAME", help="Only this source (repeatable).")
@click.option("--no-analyse", "no_analyse", is_flag=True, help="Store articles without analysing them now.")
@click.option("--no-deliver", "no_deliver", is_flag=True, help="Queue alerts in the outbox but send nothing.")
@click.pass_obj
def fetch(
    obj: Ctx, due: bool, force: bool, names: tuple[str, ...], no_analyse: bool, no_deliver: bool
) -> None:
    """Run the whole cycle once: poll every source now, analyse, match watches, queue and send alerts.

    Exits 1 when any source failed (its error is stored and shown by `briefbot sources`).
    """
    if not obj.cfg.sources:
        raise BriefbotError("the config has no sources", hint="add a `sources:` list to the config")
    with _Bars(_console(stderr=True)) as bars:
        report = obj.app.cycle(
            due_only=due,
            force=force,
            names=list(names) or None,
            analyse=not no_analyse,
            deliver=not no_deliver,
            progress=bars,
        )
    _print_cycle(obj.cfg, report)
    if report.poll.failed:
        raise SystemExit(1)


def _print_cycle(cfg: Config, report: CycleReport) -> None:
    from rich.table import Table

    now = datetime.now().astimezone()
    poll = report.poll
    table = Table(title="fetch", title_justify="left", show_edge=False)
    for col in ("source", "result", "new", "updated", "unchanged", "failed"):
        table.add_column(col, justify="right" if col in ("new", "updated", "unchanged", "failed") else "left")
    order = {s.name: i for i, s in enumerate(cfg.sources)}
    for r in sorted(poll.sources, key=lambda r: order.get(r.name, 0)):
        if r.status == "failed":
            result = f"[red]failed[/]: {_escape(r.error or '')}"
        elif r.status in ("waiting", "not_due"):
            why = "backing off" if r.status == "waiting" else "not due"
            result = f"[yellow]{why}[/] until {_ago(r.wait_until, now)}"
        elif r.status == "claimed":
            result = f"[cyan]being polled[/] by {_escape(r.claimed_by or 'another instance')}"
        elif r.status == "not_modified":
            result = "not modified"
        else:
            counts = (
                (r.partial, "summary only"),
                (r.waiting, "more next poll"),
                (r.skipped, "broken, skipped"),
            )
            notes = [f"{n} {what}" for n, what in counts if n]
            result = "ok" + (f" ({', '.join(notes)})" if notes else "")
            if r.error:  # a partial problem (bad files in a folder, pages that failed): worth a line
                result += f"\n[yellow]{_escape(r.error)}[/]"
        table.add_row(
            _escape(r.name),
            result,
            str(r.new),
            str(r.updated),
            str(r.unchanged),
            "1" if r.status == "failed" else "0",
        )
    out = _console()
    out.print(table)
    t = poll.totals()
    out.print(
        f"{t['new']} new, {t['updated']} updated, {t['unchanged']} unchanged; "
        f"{len(poll.failed)} of {len(poll.sources)} sources failed"
    )
    if report.analysed:
        out.print(f"{report.analysed} articles analysed")
    if report.alerts:
        out.print(f"{len(report.alerts)} alerts queued")
    sent = report.sent
    if sent is not None and (sent.delivered or sent.failed or sent.retrying):
        out.print(
            f"deliveries: {len(sent.delivered)} delivered, {len(sent.retrying)} waiting to retry, "
            f"{len(sent.failed)} failed (see `briefbot deliveries`)"
        )


# -- sources -------------------------------------------------------------------------
@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def sources(obj: Ctx, fmt: str) -> None:
    """Sources with last fetch, last error, consecutive failures and next due time."""
    from rich.table import Table

    from .store import utcnow

    cfg = obj.cfg
    now = utcnow()
    rows = []
    for sc, st in zip(cfg.sources, obj.app.sources(), strict=True):
        due = max(filter(None, [st.next_due_at, st.wait_until]), default=None)
        rows.append((sc, st, due))
    if fmt == "json":
        iso = lambda d: d.isoformat(timespec="seconds") if d else None  # noqa: E731
        click.echo(
            json.dumps(
                [
                    {
                        "name": sc.name,
                        "url": _redact.mask(sc.url),
                        "interval_seconds": sc.interval.total_seconds(),
                        "enabled": sc.enabled,
                        "last_fetch": iso(st.last_fetch_at),
                        "last_success": iso(st.last_success_at),
                        "last_status": st.last_status,
                        "last_error": _redact.mask(st.last_error) if st.last_error else None,
                        "consecutive_failures": st.consecutive_failures,
                        "next_due": iso(due),
                        # the instance (host:pid:start) polling it right now, if any
                        "claimed_by": st.holder(now),
                        "lease_until": iso(st.lease_until) if st.holder(now) else None,
                    }
                    for sc, st, due in rows
                ],
                indent=2,
            )
        )
        return
    table = Table(show_edge=False)
    for col in ("source", "last fetch", "status", "failures", "next due", "last error"):
        table.add_column(col, overflow="fold")
    for sc, st, due in rows:
        status = st.last_status or "-"
        if st.last_status == "error":
            status = "[red]error[/]"
        holder = st.holder(now)
        if holder:  # another (or this) instance is polling it right now
            status += f"\n[cyan]polling[/] by {_escape(holder)}"
        next_due = "now" if due is None or due <= now else _ago(due, now)
        if not sc.enabled:
            next_due = "disabled"
        table.add_row(
            _escape(sc.name),
            _ago(st.last_fetch_at, now),
            status,
            str(st.consecutive_failures),
            next_due,
            _escape(st.last_error or ""),
        )
    _console().print(table)


# -- brief ---------------------------------------------------------------------------
@main.command()
@click.argument("query", required=False)
@click.option("--since", "since", default="24h", show_default=True, help="Window length, like 24h or 7d.")
@click.option(
    "--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown", show_default=True
)
@click.pass_obj
def brief(obj: Ctx, query: str | None, since: str, fmt: str) -> None:
    """An on-demand brief of stored articles matching QUERY (all when omitted).

    The window is by arrival: articles briefbot first saw within --since.
    """
    from .match import QueryError
    from .render import render

    window = parse_since(since)
    try:
        data = obj.app.brief(query, window).to_dict()
    except QueryError as e:
        _die(e, source=query)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    text = render("brief.md.j2", data, obj.app.templates_dir)
    out = _console()
    if out.is_terminal:
        from rich.markdown import Markdown

        out.print(Markdown(_safe(text)))
    else:
        click.echo(text, nl=False)


# -- check -----------------------------------------------------------------------------
@main.command()
@click.pass_obj
def check(obj: Ctx) -> None:
    """Validate the config, the database URL and the templates; say exactly what is wrong."""
    from .config import config_path
    from .render import check_templates
    from .store import safe_url
    from .store.engine import check_url

    path = config_path(obj.config_path)
    err = _console(stderr=True)
    try:
        cfg = obj.cfg
    except ConfigError as e:
        err.print(f"[bold red]{_escape(str(path))}[/]: {len(e.problems)} problem(s)")
        for p in e.problems:
            err.print(f"  [red]✗[/] {_escape(p)}")
        if e.hint:
            err.print(f"  [dim]hint:[/] {_escape(e.hint)}")
        raise SystemExit(2) from None
    problems = []
    from .ingest.poll import is_remote

    try:
        check_url(cfg.database_url())  # its syntax, kind and driver; nothing is opened
    except BriefbotError as e:
        problems.append(f"database: {e}")
    for i, s in enumerate(cfg.sources):
        if not is_remote(s.url) and not cfg.resolve_path(s.url).exists():
            problems.append(f"sources[{i}].url: {cfg.resolve_path(s.url)} does not exist")
    if cfg.templates_dir:
        tdir = cfg.resolve_path(cfg.templates_dir)
        if not tdir.is_dir():
            problems.append(f"templates_dir: {tdir} is not a folder")
        else:
            problems.extend(f"templates_dir: {p}" for p in check_templates(tdir))
    if problems:
        err.print(f"[bold red]{_escape(str(path))}[/]: {len(problems)} problem(s)")
        for p in problems:
            err.print(f"  [red]✗[/] {_escape(p)}")
        raise SystemExit(2)
    _console().print(
        f"[green]✓[/] {_escape(str(path))} is valid: {len(cfg.sources)} sources, {len(cfg.watches)} watches, "
        f"{len(cfg.digests)} digests; database {_escape(safe_url(cfg.database))}"
    )


# -- deliveries ------------------------------------------------------------------------
@main.command()
@click.option(
    "--status",
    type=click.Choice(["pending", "sending", "delivered", "failed"]),
    default=None,
    help="Only deliveries in this state.",
)
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def deliveries(obj: Ctx, status: str | None, limit: int, fmt: str) -> None:
    """Messages in the outbox: delivered, waiting for a retry, or failed with their error."""
    from rich.table import Table

    from .store import utcnow

    rows = obj.app.deliveries(status=status, limit=limit)  # type: ignore[arg-type]
    if fmt == "json":
        iso = lambda d: d.isoformat(timespec="seconds") if d else None  # noqa: E731
        click.echo(
            json.dumps(
                [
                    {
                        "key": r.key,
                        "channel": r.channel,
                        "destination": r.destination,
                        "status": r.status,
                        "attempts": r.attempts,
                        "last_error": _redact.mask(r.last_error) if r.last_error else None,
                        "next_attempt": iso(r.next_attempt_at),
                        "created": iso(r.created_at),
                        "delivered": iso(r.delivered_at),
                        "sending_by": r.claimed_by if r.status == "sending" else None,
                    }
                    for r in rows
                ],
                indent=2,
            )
        )
        return
    now = utcnow()
    table = Table(show_edge=False)
    for col in ("key", "to", "status", "attempts", "when", "last error"):
        table.add_column(col, overflow="fold")
    colour = {"delivered": "green", "failed": "red", "pending": "yellow", "sending": "cyan"}
    for r in rows:
        when = (
            _ago(r.delivered_at, now)
            if r.status == "delivered"
            else (
                "retry " + _ago(r.next_attempt_at, now) if r.status == "pending" else _ago(r.updated_at, now)
            )
        )
        status = f"[{colour.get(r.status, 'white')}]{r.status}[/]"
        if r.status == "sending" and r.claimed_by:
            status += f" by {_escape(r.claimed_by)}"  # which process (host:pid:start) holds it
        table.add_row(
            _escape(r.key),
            _escape(f"{r.channel}:{r.destination}"),
            status,
            str(r.attempts),
            when,
            _escape(r.last_error or ""),
        )
    _console().print(table if rows else "no deliveries yet")


# -- run ---------------------------------------------------------------------------------
@main.command()
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus metrics on 127.0.0.1:PORT/metrics.",
)
@click.pass_obj
def run(obj: Ctx, metrics_port: int | None) -> None:
    """Run on schedule: poll sources at their intervals, alert, send digests at their times.

    Stops cleanly on SIGTERM or Ctrl-C: the job in progress finishes first.
    """
    from .runner import Runner

    if logging.getLogger().level > logging.INFO:
        logging.getLogger("briefbot").setLevel(logging.INFO)
    cfg = obj.cfg
    _console(stderr=True).print(
        f"briefbot running: {len(cfg.sources)} sources, {len(cfg.watches)} watches, "
        f"{len(cfg.digests)} digests "
        f"(Ctrl-C to stop)"
    )
    if metrics_port is not None:
        from .metrics import serve_metrics

        _, bound = serve_metrics(obj.app.metrics, "127.0.0.1", metrics_port)
        _console(stderr=True).print(f"metrics on http://127.0.0.1:{bound}/metrics", markup=False)
    Runner(obj.app).run()


@main.command()
@click.option("--max-age", default="5m", show_default=True, help="Oldest heartbeat still counted as alive.")
def health(max_age: str) -> None:
    """Exit 0 when `briefbot run` completed a tick recently (reads $BRIEFBOT_HEARTBEAT)."""
    from datetime import UTC

    from .runner import HEARTBEAT_ENV, heartbeat_path

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
@click.option(
    "--dry-run", is_flag=True, help="Print what would be sent, per medium; send and record nothing."
)
@click.option(
    "--to",
    "to",
    type=click.Choice(["stdout", "slack", "email"]),
    default=None,
    help="Only this medium of the digest's destinations (stdout: print Markdown).",
)
@click.pass_obj
def digest(obj: Ctx, name: str, dry_run: bool, to: str | None) -> None:
    """Run digest NAME now: the stories since its last run, to its destinations."""
    from .model import Destination
    from .notify import digest_config

    d = digest_config(obj.cfg, name)
    dests: list[Destination] | None = None
    if to == "stdout":
        dests = [Destination("stdout")]
    elif to is not None:
        dests = [t for t in d.to if t.kind == to]
        if not dests:
            raise BriefbotError(
                f"digest {name!r} has no {to} destination",
                hint=f"its destinations: {', '.join(map(str, d.to))}",
            )
    result, report = obj.app.digest(name, to=dests, dry_run=dry_run)
    err = _console(stderr=True)
    if dry_run or to == "stdout":
        return
    if result.already_sent:
        err.print(f"digest {name}: already sent by another instance; nothing queued")
        return
    if result.skipped_empty:
        err.print(
            f"digest {name}: nothing new since {result.since:%Y-%m-%d %H:%M} UTC; "
            "nothing sent (send_empty: false)"
        )
        return
    delivered = len(report.delivered) if report else 0
    retrying = len(report.retrying) if report else 0
    failed = len(report.failed) if report else 0
    err.print(
        f"digest {name}: {result.stories} stories queued for {len(result.queued)} destinations; "
        f"{delivered} delivered, {retrying} waiting to retry, {failed} failed"
    )
    if failed:
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

    ws = obj.app.watches()
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "name": w.name,
                        "query": w.query,
                        "to": [str(d) for d in w.to],
                        "mode": w.mode,
                        "origin": w.origin,
                        "created_by": w.created_by,
                    }
                    for w in ws
                ],
                indent=2,
            )
        )
        return
    table = Table(show_edge=False)
    for col in ("name", "query", "to", "mode", "from"):
        table.add_column(col, overflow="fold")
    for w in ws:
        table.add_row(
            _escape(w.name),
            _escape(w.query),
            _escape(", ".join(map(str, w.to)) or "-"),
            w.mode,
            "config.yaml"
            if w.origin == "config"
            else f"added{' by ' + w.created_by if w.created_by else ''}",
        )
    _console().print(table if ws else "no watches yet: `briefbot watch add NAME QUERY --to slack:#alerts`")


@watch.command("add")
@click.argument("name")
@click.argument("query")
@click.option("--to", "to", multiple=True, metavar="DEST", help="slack:#channel or email:addr (repeatable).")
@click.option(
    "--digest-only", is_flag=True, help="No instant alerts: only feed digests that name this watch."
)
@click.pass_obj
def watch_add(obj: Ctx, name: str, query: str, to: tuple[str, ...], digest_only: bool) -> None:
    """Watch QUERY under NAME (see README for the query language)."""
    from .match import QueryError

    try:
        w = obj.app.add_watch(name, query, to, digest_only=digest_only, created_by="cli")
    except QueryError as e:
        _die(e, source=query)
    _console().print(
        f"watch {_escape(w.name)} added ({w.mode}{': ' + _escape(', '.join(map(str, w.to))) if w.to else ''})"
    )


@watch.command("remove")
@click.argument("name")
@click.pass_obj
def watch_remove(obj: Ctx, name: str) -> None:
    """Remove a watch added at run time."""
    obj.app.remove_watch(name, by="cli")
    _console().print(f"watch {_escape(name)} removed")


@watch.command("test")
@click.argument("query")
@click.option("--since", default="7d", show_default=True, help="How far back to look.")
@click.pass_obj
def watch_test(obj: Ctx, query: str, since: str) -> None:
    """Which stored stories would have matched QUERY, and why."""
    from .match import QueryError
    from .notify import hit_view

    try:
        hits = [hit_view(h) for h in obj.app.test_watch(query, parse_since(since))]
    except QueryError as e:
        _die(e, source=query)
    out = _console()
    if not hits:
        out.print(f"no stored story in the last {since} matches")
        return
    for h in hits:
        out.print(f"[bold]{_escape(h.title)}[/] ({_escape(', '.join(h.sources))})")
        out.print(f"  matched: {_escape(', '.join(h.terms) or '-')}")
        if h.actor:
            out.print(f"  actor: {_escape(h.actor)}")
        if h.quote:
            out.print(f"  quote: {_escape(h.quote)} — {_escape(str(h.speaker))}")
        if h.sentence:
            out.print(f"  [dim]{_escape(h.sentence)}[/]")
    out.print(f"{len(hits)} {'story' if len(hits) == 1 else 'stories'} would have matched")


# -- prune ------------------------------------------------------------------------------
@main.command()
@click.pass_obj
def prune(obj: Ctx) -> None:
    """Delete stories, articles, alerts and sent messages older than `retention` (default 90d).

    `briefbot run` does this daily; run it from cron when you only use `briefbot fetch`.
    """
    p = obj.app.prune()
    _console().print(
        f"pruned {p.articles} articles, {p.stories} stories, {p.alerts} alerts, "
        f"{p.outbox} messages and {p.digest_runs} digest runs older than {obj.cfg.retention.days} days"
    )


# -- stories ----------------------------------------------------------------------------
@main.group()
def stories() -> None:
    """Stories: the reports grouped as one event, and why."""


@stories.command("show")
@click.argument("story_id", type=int, metavar="ID")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def stories_show(obj: Ctx, story_id: int, fmt: str) -> None:
    """Story ID's reports, and why each one joined it (shared actors, event words, time apart).

    Story ids are in `briefbot brief --format json`. A report that joined the wrong story tells
    you here what it had in common; `stories.threshold` in the config makes grouping stricter.
    """
    story = obj.app.story(story_id)
    if fmt == "json":
        click.echo(json.dumps(story.to_dict(), indent=2, ensure_ascii=False))
        return
    out = _console()
    out.print(f"[bold]story {story_id}[/]: {_escape(story.title)}")
    for a in story.articles:
        when = a.when.strftime("%Y-%m-%d %H:%M UTC")
        out.print(f"- {_escape(a.title or '(untitled)')} ({_escape(', '.join(a.sources))}, {when})")
        why = a.story_reason
        if why is None:
            out.print("  started the story")
            continue
        out.print(
            f"  joined: score {why.get('score')} against {why.get('compared_with')} report(s)"
            + (f", {why['hours_apart']} h from the nearest" if why.get("hours_apart") is not None else "")
        )
        if why.get("shared_actors"):
            out.print(f"  shared actors: {_escape(', '.join(why['shared_actors']))}")
        if why.get("event_words"):
            out.print(f"  event words: {_escape(', '.join(why['event_words']))}")


# -- serve ------------------------------------------------------------------------------
@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (keep 127.0.0.1 behind an HTTPS reverse proxy).",
)
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
    run_server(
        obj.app,
        host=host,
        port=port,
        on_listen=lambda url: err.print(
            f"briefbot serving POST {url}/slack/commands and GET {url}/healthz (Ctrl-C to stop)",
            markup=False,
            highlight=False,
        ),
    )


# -- analyze ---------------------------------------------------------------------------
@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "jsonl", "markdown"]), default="json", show_default=True
)
@click.pass_obj
def analyze(obj: Ctx, inputs: tuple[str, ...], fmt: str) -> None:
    """Analyse articles: actors with roles, quotes with speakers, positions, key points.

    PATH is a .txt or .md file (first line the headline, optional `date YYYY-MM-DD` marker) or
    an .html page; an http(s) URL is fetched through the same guarded fetcher as sources.
    An input that cannot be read stops the command before anything is analysed (exit status 2).
    """
    from .analyse import ModelUnavailable
    from .app import App
    from .config import Config, config_path
    from .ingest.loader import LoadError

    # The config is optional here; when it exists, its network rules (URLs) and its
    # templates_dir (Markdown) apply.
    app = obj.app if config_path(obj.config_path).exists() else App(Config())
    try:
        articles = []
        for item in inputs:
            try:
                articles.append(app.load_article(item))
            except LoadError as exc:
                click.echo(_safe(str(exc)), err=True)  # "PATH: reason (hint: ...)"
                raise SystemExit(2) from None
            except Exception as exc:  # noqa: BLE001 - a failing URL is reported as the user gave it
                click.echo(_safe(f"{item}: {exc}"), err=True)
                raise SystemExit(2) from None
        analyses = app.analyse(articles)
        if fmt == "jsonl":
            for analysis in analyses:
                click.echo(json.dumps(analysis.to_dict(), ensure_ascii=False))
        elif fmt == "markdown":
            from .render import render

            terminal = _console().is_terminal
            for analysis in analyses:
                text = render("analysis.md.j2", analysis.to_dict(), app.templates_dir)
                click.echo(_plain(text) if terminal else text, nl=False)
        else:
            results = [analysis.to_dict() for analysis in analyses]
            click.echo(json.dumps(results[0] if len(results) == 1 else results, ensure_ascii=False, indent=2))
    except ModelUnavailable as exc:
        click.echo(_safe(f"error: {exc}"), err=True)
        raise SystemExit(2) from None
    finally:
        if app is not obj._app:
            app.close()


if __name__ == "__main__":  # pragma: no cover
    main()
