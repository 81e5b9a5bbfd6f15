"""The `briefbot` command: parses arguments, calls the stages, prints.

Heavy modules (spaCy, trafilatura, SQLAlchemy) are imported inside commands so
`briefbot --help` stays instant.
"""
from __future__ import annotations

import json
import logging
import sys
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
@click.pass_obj
def fetch(obj: Ctx, due: bool, force: bool, names: tuple[str, ...], no_analyse: bool) -> None:
    """Poll every source once, now, store what is new, and analyse it.

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


# -- analyze ---------------------------------------------------------------------------
@main.command()
@click.argument("inputs", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "markdown"]), default="json", show_default=True)
@click.pass_obj
def analyze(obj: Ctx, inputs: tuple[str, ...], fmt: str) -> None:
    """Analyse articles: actors with roles, quotes with speakers, positions, key points."""
    from .analyse.command import main as analyse_main

    code = analyse_main(list(inputs), fmt)
    if code:
        raise SystemExit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
