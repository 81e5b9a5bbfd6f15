"""One poll of the configured sources: fetch concurrently, store on this thread.

Fetching (feeds, then article pages for summary-only entries) runs in a thread
pool; every database write happens here, on the caller's thread, so SQLite never
sees two writers from one process. A failing source is recorded and reported;
it never stops the others.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..config import Config, SourceConfig
from ..errors import BriefbotError, FeedError, FetchError
from ..store import ArticleIn, SourceState, Store, utcnow
from .extract import extract_article, html_to_text
from .feeds import Entry, parse_feed
from .fetch import Fetcher
from .identity import article_key, content_hash
from .loader import load_text
from .local import read_local

log = logging.getLogger(__name__)

FULL_CONTENT_CHARS = 300  # feed content this long is the article itself (trafilatura's own threshold)
FULL_SUMMARY_CHARS = 1500  # a summary this long is very likely the whole article too
MAX_BACKOFF = timedelta(hours=6)
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"


@dataclass
class SourceReport:
    name: str
    status: str  # ok | not_modified | failed | waiting | not_due | disabled
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    partial: int = 0  # stored with the feed's summary because the page could not be had
    error: str | None = None
    wait_until: datetime | None = None
    seconds: float = 0.0


@dataclass
class PollReport:
    sources: list[SourceReport] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)  # ids of new or updated articles, for analysis

    @property
    def failed(self) -> list[SourceReport]:
        return [s for s in self.sources if s.status == "failed"]

    def totals(self) -> dict[str, int]:
        return {
            k: sum(getattr(s, k) for s in self.sources) for k in ("new", "updated", "unchanged", "partial")
        }


@dataclass(frozen=True)
class TextEntry(Entry):
    """An entry whose text is already extracted (an article page, a .txt file)."""

    text: str = ""
    text_full: bool = False


@dataclass
class _Fetched:
    """What a worker thread hands back for one source."""

    entries: list[Entry]
    feed_url: str
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    local: bool = False
    # (entry, item) for every entry, computed on the worker: keys, hashes and text extraction
    # are CPU work the writing main thread should not queue behind.
    prepared: list[tuple[Entry, ArticleIn]] = field(default_factory=list)


@dataclass
class _Pending:
    """An entry waiting for its article page."""

    source: SourceState
    entry: Entry
    item: ArticleIn
    report: SourceReport


def is_remote(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def backoff(failures: int, interval: timedelta) -> timedelta:
    """1m, 4m, 16m, … capped at 6h and never shorter than the poll interval after repeated failures."""
    delay = timedelta(minutes=4 ** max(failures - 1, 0))
    if failures >= 3:
        delay = max(delay, interval)
    return min(delay, MAX_BACKOFF)


def content_text(entry: Entry) -> str:
    """Plain text of an entry's content markup (the parsers compute it once, as ``content_text``)."""
    if entry.content_text is not None:
        return entry.content_text
    return html_to_text(entry.content_html) if entry.content_html else ""


def entry_hash(entry: Entry, text: str | None = None) -> str:
    """What the feed says about an entry, as far as briefbot keeps it: its content's *text*, not the
    markup (which parsers and libraries may serialise differently without anything changing).
    ``text`` is content_text(entry) when the caller has it already."""
    h = hashlib.sha256()
    text = content_text(entry) if text is None else text
    for part in (entry.link, entry.guid, entry.title, entry.summary, text):
        h.update((part or "").encode("utf-8", "replace"))
        h.update(b"\x00")
    return h.hexdigest()


class Poller:
    """Polls sources; one instance per process is enough (it owns the HTTP client)."""

    def __init__(
        self,
        cfg: Config,
        store: Store,
        *,
        fetcher: Fetcher,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.fetcher = fetcher  # built once by the App (briefbot.app), shared with `analyze URL`
        self.clock = clock

    def close(self) -> None:
        self.fetcher.close()

    def __enter__(self) -> Poller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- planning ------------------------------------------------------------------
    def plan(
        self, *, due_only: bool = False, force: bool = False, names: Sequence[str] | None = None
    ) -> tuple[list[tuple[SourceConfig, SourceState]], list[SourceReport]]:
        """Which sources to poll now, and reports for those that must wait."""
        self.store.sync_sources((s.name, s.url) for s in self.cfg.sources)
        states = {s.name: s for s in self.store.sources()}
        now = self.clock()
        todo: list[tuple[SourceConfig, SourceState]] = []
        skipped: list[SourceReport] = []
        for sc in self.cfg.sources:
            if names is not None and sc.name not in names:
                continue
            st = states[sc.name]
            if not sc.enabled:
                skipped.append(SourceReport(sc.name, "disabled"))
            elif not force and st.wait_until and st.wait_until > now:
                skipped.append(
                    SourceReport(sc.name, "waiting", error=st.last_error, wait_until=st.wait_until)
                )
            elif due_only and st.next_due_at and st.next_due_at > now:
                skipped.append(SourceReport(sc.name, "not_due", wait_until=st.next_due_at))
            else:
                todo.append((sc, st))
        return todo, skipped

    # -- the poll ----------------------------------------------------------------------
    def poll(
        self,
        *,
        due_only: bool = False,
        force: bool = False,
        names: Sequence[str] | None = None,
        on_start: Callable[[int], None] | None = None,
        on_done: Callable[[SourceReport], None] | None = None,
    ) -> PollReport:
        todo, skipped = self.plan(due_only=due_only, force=force, names=names)
        report = PollReport(sources=list(skipped))
        if on_start:
            on_start(len(todo))
        if not todo:
            return report
        reports = {sc.name: SourceReport(sc.name, "ok") for sc, _ in todo}
        started = {sc.name: time.monotonic() for sc, _ in todo}
        open_pages: dict[str, int] = {sc.name: 0 for sc, _ in todo}
        workers = max(1, min(self.cfg.network.workers, len(todo) * 2))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="briefbot-fetch") as pool:
            running: dict[Future[Any], tuple[str, Any]] = {
                pool.submit(self._fetch_source, sc, st): ("source", (sc, st))
                for sc, st in _by_host_round_robin(todo)
            }
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    what, ctx = running.pop(fut)
                    if what == "source":
                        sc, st = ctx
                        pages, changed = self._source_done(sc, st, fut, reports[sc.name])
                        report.changed.extend(changed)
                        for pending in pages:
                            open_pages[sc.name] += 1
                            running[pool.submit(self._fetch_page, pending.entry.link or "")] = (
                                "page",
                                pending,
                            )
                        finished = [sc.name] if not pages else []
                    else:
                        pending = ctx
                        self._page_done(pending, fut, report)
                        name = pending.source.name
                        open_pages[name] -= 1
                        finished = [name] if open_pages[name] == 0 else []
                    for name in finished:
                        r = reports[name]
                        r.seconds = time.monotonic() - started[name]
                        report.sources.append(r)
                        if on_done:
                            on_done(r)
        return report

    # -- worker side (no database access) ------------------------------------------
    def _fetch_source(self, sc: SourceConfig, st: SourceState) -> _Fetched:
        if not is_remote(sc.url):
            return self._read_local(sc)
        res = self.fetcher.fetch(sc.url, etag=st.etag, last_modified=st.last_modified)
        if res.not_modified:
            return _Fetched([], res.url, not_modified=True, etag=res.etag, last_modified=res.last_modified)
        if sc.kind == "page":
            entries = [self._page_entry(res.body, res.url)]
        else:
            entries = parse_feed(res.body, res.url, res.content_type).entries
        return _Fetched(
            entries,
            res.url,
            etag=res.etag,
            last_modified=res.last_modified,
            prepared=_prepare(entries, res.url),
        )

    def _read_local(self, sc: SourceConfig) -> _Fetched:
        path = self.cfg.resolve_path(sc.url)
        entries: list[Entry] = []
        for doc in read_local(path, max_bytes=self.cfg.network.max_bytes):
            uri = doc.path.resolve().as_uri()
            if doc.kind == "feed" and sc.kind != "page":
                entries.extend(parse_feed(doc.body, uri).entries)
            elif doc.kind == "text":
                entries.append(_text_entry(doc.path, doc.body))
            else:
                entries.append(self._page_entry(doc.body, uri, guid=uri))
        feed_url = path.resolve().as_uri()
        return _Fetched(entries, feed_url, local=True, prepared=_prepare(entries, feed_url))

    @staticmethod
    def _page_entry(body: bytes, url: str, guid: str | None = None) -> Entry:
        html = body.decode("utf-8", "replace")
        ex = extract_article(html, url)
        if not ex.text.strip():
            raise FeedError(f"no article text found in the page at {url}")
        link = ex.canonical_url or url
        return TextEntry(
            guid=guid,
            link=link,
            title=ex.title,
            summary=None,
            content_html=None,
            published=ex.published,
            updated=None,
            author=None,
            text=ex.text,
            text_full=ex.is_full,
        )

    def _fetch_page(self, url: str) -> Any:
        res = self.fetcher.fetch(url, accept=PAGE_ACCEPT)
        return extract_article(res.body.decode("utf-8", "replace"), res.url)

    # -- main-thread side (database) -------------------------------------------------
    def _source_done(
        self, sc: SourceConfig, st: SourceState, fut: Future[Any], r: SourceReport
    ) -> tuple[list[_Pending], list[int]]:
        """Store what a source gave; returns entries still waiting for their page, and changed ids."""
        now = self.clock()
        try:
            fetched: _Fetched = fut.result()
        except (BriefbotError, OSError, ValueError) as e:
            self._fail(sc, st, r, e, now)
            return [], []
        except Exception as e:  # noqa: BLE001 - a bug in one source's handling must not stop the others
            log.exception("unexpected error polling %s", sc.name)
            self._fail(sc, st, r, e, now)
            return [], []
        next_due = now + sc.interval
        if fetched.not_modified:
            r.status = "not_modified"
            self.store.record_success(st.id, now=now, status="not_modified", next_due=next_due)
            return [], []
        entry_of = {id(item): entry for entry, item in fetched.prepared}

        def wants_page(item: ArticleIn) -> bool:
            link = entry_of[id(item)].link
            return (
                not item.text_full
                and sc.full_text
                and not fetched.local
                and bool(link)
                and is_remote(link or "")
            )

        # Entries whose hash is stored already are only linked (nothing to extract or compare: the
        # feed says what it said before); the rest are stored or wait for their page -- all of it
        # and the source's success in one transaction.
        unchanged, deferred, changes = self.store.ingest_source(
            st.id,
            [item for _, item in fetched.prepared],
            now,
            defer=wants_page,
            success=Store.success_values(
                now=now,
                status="ok",
                next_due=next_due,
                etag=fetched.etag,
                last_modified=fetched.last_modified,
            ),
        )
        r.unchanged += unchanged
        pending = [_Pending(st, entry_of[id(item)], item, r) for item in deferred]
        return pending, self._count(changes, r)

    def _page_done(self, p: _Pending, fut: Future[Any], report: PollReport) -> None:
        try:
            ex = fut.result()
            if ex.is_full and len(ex.text) > len(p.item.text):
                p.item.text, p.item.text_full = ex.text, True
                p.item.content_hash = content_hash(p.item.title or ex.title or "", ex.text)
                p.item.title = p.item.title or ex.title
            else:
                p.report.partial += 1
        except Exception as e:  # noqa: BLE001 - keep the summary; the article is not lost
            log.info(
                "%s: article page %s not fetched (%s); keeping the feed's summary",
                p.source.name,
                p.entry.link,
                e,
            )
            p.report.partial += 1
        report.changed.extend(self._store(p.source, [p.item], p.report))

    def _store(self, st: SourceState, items: list[ArticleIn], r: SourceReport) -> list[int]:
        """Store a batch in one transaction; returns the ids of new and updated articles."""
        if not items:
            return []
        return self._count(self.store.upsert_articles(st.id, items, self.clock()), r)

    @staticmethod
    def _count(changes: Sequence[tuple[str, int]], r: SourceReport) -> list[int]:
        """Count stored changes into the report; returns the ids of new and updated articles."""
        changed: list[int] = []
        for change, aid in changes:
            if change == "unchanged":
                r.unchanged += 1
                continue
            if change == "new":
                r.new += 1
            else:
                r.updated += 1
            changed.append(aid)
        return changed

    def _fail(
        self, sc: SourceConfig, st: SourceState, r: SourceReport, e: BaseException, now: datetime
    ) -> None:
        message = str(e) if isinstance(e, BriefbotError) else f"{type(e).__name__}: {e}"
        failures = st.consecutive_failures + 1
        wait_for = backoff(failures, sc.interval)
        if isinstance(e, FetchError) and e.retry_after:
            wait_for = max(wait_for, timedelta(seconds=e.retry_after))
        wait_until = now + wait_for
        next_due = max(now + sc.interval, wait_until)
        self.store.record_failure(st.id, now=now, error=message, wait_until=wait_until, next_due=next_due)
        r.status, r.error, r.wait_until = "failed", message, wait_until
        log.warning(
            "source %s failed (%d in a row): %s; next try after %s",
            sc.name,
            failures,
            message,
            wait_until.isoformat(timespec="seconds"),
        )

    @staticmethod
    def _item(entry: Entry, key: str, ehash: str, content: str | None = None) -> ArticleIn:
        if isinstance(entry, TextEntry):
            text, full = entry.text, entry.text_full
        else:
            content = content_text(entry) if content is None else content
            summary_text = entry.summary or ""
            if len(content) >= FULL_CONTENT_CHARS:
                text, full = content, True
            elif len(summary_text) >= FULL_SUMMARY_CHARS:
                text, full = summary_text, True
            else:
                text, full = max(content, summary_text, key=len), False
        # show the clean link (tracking parameters dropped) wherever the article is linked
        url = key if key.startswith(("http://", "https://")) else entry.link
        return ArticleIn(
            key=key,
            url=url,
            guid=entry.guid,
            title=entry.title,
            summary=entry.summary,
            text=text,
            text_full=full,
            entry_hash=ehash,
            content_hash=content_hash(entry.title or "", text),
            published=entry.published or entry.updated,
        )


def _by_host_round_robin(
    todo: list[tuple[SourceConfig, SourceState]],
) -> list[tuple[SourceConfig, SourceState]]:
    """Interleave sources by host: the pool runs tasks in order, and a run of sources on one host
    would fill every worker with fetches waiting for that host's per-host slots while other
    hosts sit idle."""
    from urllib.parse import urlsplit

    queues: dict[str, list[tuple[SourceConfig, SourceState]]] = {}
    for pair in todo:
        try:
            host = (urlsplit(pair[0].url).hostname or "").lower() if is_remote(pair[0].url) else ""
        except ValueError:
            host = ""
        queues.setdefault(host, []).append(pair)
    out: list[tuple[SourceConfig, SourceState]] = []
    lanes = list(queues.values())
    for i in range(max((len(q) for q in lanes), default=0)):
        out.extend(q[i] for q in lanes if i < len(q))
    return out


def _prepare(entries: list[Entry], feed_url: str) -> list[tuple[Entry, ArticleIn]]:
    """Key, hash and text of every entry (worker side: pure CPU, no database)."""
    out: list[tuple[Entry, ArticleIn]] = []
    for entry in entries:
        content = content_text(entry)
        ehash = entry_hash(entry, content)
        try:
            key = article_key(entry.link, entry.guid, feed_url)
        except ValueError:
            key = "hash:" + ehash  # no link, no id: its content is all that identifies it
        out.append((entry, Poller._item(entry, key, ehash, content)))
    return out


def _text_entry(path: Path, body: bytes) -> Entry:
    """A .txt file as one article: headline and date by the documented text format (ingest.loader)."""
    uri = path.resolve().as_uri()
    art = load_text(body.decode("utf-8", "replace"), input=uri, url=uri)
    text = art.body
    return TextEntry(
        guid=uri,
        link=uri,
        title=art.title,
        summary=None,
        content_html=None,
        published=art.published,
        updated=None,
        author=None,
        text=text,
        text_full=len(text) >= FULL_CONTENT_CHARS,
    )
