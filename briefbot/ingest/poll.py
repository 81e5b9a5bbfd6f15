"""One poll of the configured sources: fetch concurrently, store on this thread.

Fetching (feeds, then article pages for summary-only entries) runs in a thread
pool; every database write happens here, on the caller's thread, so SQLite never
sees two writers from one process. A failing source is recorded and reported;
it never stops the others.

Nothing is lost at any crash point: a feed's validators (ETag, Last-Modified) and its success
are committed only with -- or after -- every item of that response, so a poll killed between
the feed and its article pages leaves the next poll reading the whole feed again. An item whose
page cannot be had is stored with its summary and marked (``Store.page_pending_hash``); later
polls fetch its page again, a bounded number at a time, for PAGE_RETRY_WINDOW.

Work is bounded per poll: ITEMS_PER_POLL new or changed items of one feed are stored, in feed
order (publishers list newest first, so the newest come first), and the rest wait for the next
poll -- the feed is then neither validated nor "unchanged", so that poll reads it whole again.
PAGES_PER_POLL article pages are fetched per source, and no page fetch starts after the
source's SOURCE_DEADLINE, so one huge or slow source never holds up the others or a digest.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .. import failpoints
from ..config import Config, SourceConfig
from ..errors import BriefbotError, FeedError, FetchError
from ..owner import is_dead, process_identity
from ..store import ArticleIn, SourceState, Store, utcnow
from .extract import Extracted, extract_article, html_to_text
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

# Bounds on one poll (candidates for config keys; see the module docstring).
# The defaults of network.max_items_per_poll, max_pages_per_poll, source_deadline, page_retry_window.
ITEMS_PER_POLL = 500  # new or changed items stored from one feed per poll; the rest wait, in order
PAGES_PER_POLL = 100  # article page fetches per source per poll, retries of earlier failures included
SOURCE_DEADLINE = timedelta(minutes=2)  # no page fetch of a source starts later than this into its poll
PAGE_RETRY_WINDOW = timedelta(days=1)  # how long a page that failed for a passing reason is tried again
MAX_ID_CHARS = 1000  # an item id longer than this is garbage, not an identity
MAX_KEY_CHARS = 2048  # the articles.key column


@dataclass
class SourceReport:
    name: str
    status: str  # ok | not_modified | failed | waiting | not_due | disabled | claimed
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    partial: int = 0  # stored with the feed's summary because the page could not be had
    error: str | None = None
    wait_until: datetime | None = None
    seconds: float = 0.0
    waiting: int = 0  # items left for the next poll by ITEMS_PER_POLL
    skipped: int = 0  # broken items (or local files) left out, each with a warning
    claimed_by: str | None = None  # status claimed: the instance (host:pid:start) polling it now


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
    problems: list[str] = field(default_factory=list)  # skipped items and unreadable files, one line each
    started: float = 0.0  # time.monotonic() when the worker began this source


@dataclass
class _Pending:
    """An item waiting for its article page: from this response, or stored earlier (a retry)."""

    item: ArticleIn
    link: str
    retry: bool = False


class _NotAttempted(Exception):
    """The source's deadline passed before this page's turn."""


@dataclass
class _Run:
    """One source between its feed and its last page: what is still to fetch and to commit."""

    sc: SourceConfig
    st: SourceState
    report: SourceReport
    deadline: float  # time.monotonic() after which no page fetch of this source starts
    success: dict[str, Any] | None = None  # written with the last page results
    validators: dict[str, Any] | None = None  # etag/last_modified; None leaves them as they are
    queue: deque[_Pending] = field(default_factory=deque)
    in_flight: int = 0
    results: list[ArticleIn] = field(default_factory=list)  # page outcomes not stored yet

    @property
    def settled(self) -> bool:
        return not self.queue and not self.in_flight


@dataclass
class _Started:
    """What storing a source's response left: the run waiting for pages (None: the source is
    committed, state and all) and the ids of the articles it stored new or changed."""

    run: _Run | None
    changed: list[int]


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


def passing(exc: BaseException) -> bool:
    """Whether a failed page fetch is worth trying again later (the server may recover)."""
    if isinstance(exc, _NotAttempted):
        return True
    if isinstance(exc, FetchError):
        if exc.kind in ("timeout", "network"):
            return True
        return (
            exc.kind == "http" and exc.status is not None and (exc.status >= 500 or exc.status in (408, 429))
        )
    return False


class Poller:
    """Polls sources; one instance per process is enough (it owns the HTTP client)."""

    def __init__(
        self,
        cfg: Config,
        store: Store,
        *,
        fetcher: Fetcher,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.fetcher = fetcher  # built once by the App (briefbot.app), shared with `analyze URL`
        self.clock = clock
        # who this poller is in the sources' claims (host:pid:start); tests pass their own
        self.owner = owner or process_identity()

    def close(self) -> None:
        self.fetcher.close()

    def __enter__(self) -> Poller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- planning ------------------------------------------------------------------
    @property
    def lease(self) -> timedelta:
        """How long a claim on a source lasts: longer than any one poll of it can take."""
        net = self.cfg.network
        return net.source_deadline + net.timeout + timedelta(minutes=1)

    def plan(
        self, *, due_only: bool = False, force: bool = False, names: Sequence[str] | None = None
    ) -> tuple[list[tuple[SourceConfig, SourceState]], list[SourceReport]]:
        """Which sources to poll now, each claimed by this poller, and reports for those that
        must wait (or that another instance is polling: status ``claimed``)."""
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
            elif self._claim(st, now, due_only=due_only, force=force):
                todo.append((sc, st))
            else:
                skipped.append(self._not_claimed(sc, now))
        return todo, skipped

    def _claim(self, st: SourceState, now: datetime, *, due_only: bool, force: bool) -> bool:
        """Claim one source (one conditional UPDATE), taking over the claim of a process on
        this host that is gone; an expired lease is taken over by the UPDATE itself."""
        until = now + self.lease
        if self.store.claim_source(
            st.id, self.owner, now=now, lease_until=until, due_only=due_only, force=force
        ):
            return True
        holder = st.holder(now)
        if holder and holder != self.owner and is_dead(holder):
            log.warning("source %s: taking over the poll of %s, which is gone", st.name, holder)
            return self.store.claim_source(
                st.id,
                self.owner,
                now=now,
                lease_until=until,
                due_only=due_only,
                force=force,
                take_from=holder,
            )
        return False

    def _not_claimed(self, sc: SourceConfig, now: datetime) -> SourceReport:
        """Why a source could not be claimed: another instance polls it now, or just did."""
        st = self.store.source(sc.name)
        holder = st.holder(now)
        if holder:
            return SourceReport(
                sc.name,
                "claimed",
                claimed_by=holder,
                wait_until=st.lease_until,
                error=f"being polled by {holder}",
            )
        if st.wait_until and st.wait_until > now:
            return SourceReport(sc.name, "waiting", error=st.last_error, wait_until=st.wait_until)
        return SourceReport(sc.name, "not_due", wait_until=st.next_due_at)

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
        try:
            return self._poll(todo, report, on_done)
        finally:
            # a poll cut short (an error the sources' own handling did not catch) hands back
            # the claims of the sources it did not record, so another instance need not wait
            ended = {r.name for r in report.sources}
            self.store.release_sources([st.id for sc, st in todo if sc.name not in ended], self.owner)

    def _poll(
        self,
        todo: list[tuple[SourceConfig, SourceState]],
        report: PollReport,
        on_done: Callable[[SourceReport], None] | None,
    ) -> PollReport:
        reports = {sc.name: SourceReport(sc.name, "ok") for sc, _ in todo}
        started = time.monotonic()
        retries = self.store.pages_to_retry(
            [st.id for sc, st in todo if sc.full_text and is_remote(sc.url)],
            self.clock() - self.cfg.network.page_retry_window,
            self.cfg.network.max_pages_per_poll,
        )
        runs: dict[str, _Run] = {}
        # Completed futures arrive on a queue: waiting on the set of all running futures costs
        # time in proportion to that set, per completion -- quadratic in a poll's pages.
        done: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
        tasks: dict[Future[Any], tuple[str, Any]] = {}
        per_source = max(1, self.cfg.network.per_host)  # pages in flight per source
        workers = max(1, min(self.cfg.network.workers, len(todo) * 2))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="briefbot-fetch") as pool:

            def submit(what: str, ctx: Any, fn: Callable[..., Any], *args: Any) -> None:
                fut = pool.submit(fn, *args)
                tasks[fut] = (what, ctx)
                fut.add_done_callback(done.put)

            def feed(run: _Run) -> None:
                """Start the next pages of ``run``, as many as may be in flight."""
                while run.queue and run.in_flight < per_source:
                    pending = run.queue.popleft()
                    run.in_flight += 1
                    submit("page", (run, pending), self._fetch_page, pending.link, run.deadline)

            def finish(r: SourceReport) -> None:
                r.seconds = time.monotonic() - started
                report.sources.append(r)
                if on_done:
                    on_done(r)

            for sc, st in _by_host_round_robin(todo):
                submit("source", (sc, st), self._fetch_source, sc, st)
            while tasks:
                batch = [done.get()]
                while True:  # whatever else is done already is stored in the same transaction
                    try:
                        batch.append(done.get_nowait())
                    except queue.Empty:
                        break
                touched: dict[str, _Run] = {}
                for fut in batch:
                    what, ctx = tasks.pop(fut)
                    if what == "source":
                        sc, st = ctx
                        begun = self._source_done(sc, st, fut, reports[sc.name], retries.get(st.id, []))
                        report.changed.extend(begun.changed)
                        if begun.run is None:
                            finish(reports[sc.name])
                            continue
                        runs[sc.name] = touched[sc.name] = begun.run
                    else:
                        run_, pending = ctx
                        run_.in_flight -= 1
                        failpoints.hit("poll:page-fetched")
                        self._page_done(run_, pending, fut)
                        touched[run_.sc.name] = run_
                for name, run_ in touched.items():
                    report.changed.extend(self._store_pages(run_))
                    if run_.settled:
                        del runs[name]
                        finish(run_.report)
                    else:
                        feed(run_)
        return report

    # -- worker side (no database access) ------------------------------------------
    def _fetch_source(self, sc: SourceConfig, st: SourceState) -> _Fetched:
        began = time.monotonic()
        if not is_remote(sc.url):
            fetched = self._read_local(sc)
            fetched.started = began
            return fetched
        res = self.fetcher.fetch(sc.url, etag=st.etag, last_modified=st.last_modified)
        if res.not_modified:
            return _Fetched(
                [], res.url, not_modified=True, etag=res.etag, last_modified=res.last_modified, started=began
            )
        problems: list[str] = []
        if sc.kind == "page":
            entries = [self._page_entry(res.body, res.url)]
        else:
            parsed = parse_feed(res.body, res.url, res.content_type)
            entries = parsed.entries
            problems.extend(w for w in parsed.warnings if w.startswith("skipped "))
        return _Fetched(
            entries,
            res.url,
            etag=res.etag,
            last_modified=res.last_modified,
            prepared=_prepare(entries, res.url, problems),
            problems=problems,
            started=began,
        )

    def _read_local(self, sc: SourceConfig) -> _Fetched:
        """A file or a folder. In a folder, a file that cannot be read or parsed is reported (each
        with its path) and the others are stored all the same."""
        path = self.cfg.resolve_path(sc.url)
        entries: list[Entry] = []
        unreadable: list[FetchError] = []
        problems: list[str] = []
        docs = read_local(path, max_bytes=self.cfg.network.max_bytes, errors=unreadable)
        for e in unreadable:
            log.warning("source %s: %s", sc.name, e)
            problems.append(e.message)
        for doc in docs:
            uri = doc.path.resolve().as_uri()
            try:
                if doc.kind == "feed" and sc.kind != "page":
                    parsed = parse_feed(doc.body, uri)
                    entries.extend(parsed.entries)
                    problems.extend(w for w in parsed.warnings if w.startswith("skipped "))
                elif doc.kind == "text":
                    entries.append(_text_entry(doc.path, doc.body))
                else:
                    entries.append(self._page_entry(doc.body, uri, guid=uri))
            except (BriefbotError, ValueError) as e:
                if not path.is_dir():
                    raise
                log.warning("source %s: %s left out: %s", sc.name, doc.path, e)
                problems.append(f"{doc.path}: {e}")
        feed_url = path.resolve().as_uri()
        return _Fetched(
            entries, feed_url, local=True, prepared=_prepare(entries, feed_url, problems), problems=problems
        )

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

    def _fetch_page(self, url: str, deadline: float) -> Extracted:
        left = deadline - time.monotonic()
        if left <= 0.5:
            raise _NotAttempted(
                f"the source's time for this poll ({self.cfg.network.source_deadline}) ran out"
            )
        res = self.fetcher.fetch(url, accept=PAGE_ACCEPT, timeout=left)
        return extract_article(res.body.decode("utf-8", "replace"), res.url)

    # -- main-thread side (database) -------------------------------------------------
    def _source_done(
        self, sc: SourceConfig, st: SourceState, fut: Future[Any], r: SourceReport, retries: list[ArticleIn]
    ) -> _Started:
        """Store what a source's response gave; returns the run that waits for article pages (None
        when there is none: then everything, the source's state included, is committed)."""
        now = self.clock()
        try:
            fetched: _Fetched = fut.result()
        except (BriefbotError, OSError, ValueError) as e:
            self._fail(sc, st, r, e, now)
            return _Started(None, [])
        except Exception as e:  # noqa: BLE001 - a bug in one source's handling must not stop the others
            log.exception("unexpected error polling %s", sc.name)
            self._fail(sc, st, r, e, now)
            return _Started(None, [])
        failpoints.hit("poll:feed-parsed")
        run = _Run(sc, st, r, fetched.started + self.cfg.network.source_deadline.total_seconds())
        next_due = now + sc.interval
        if fetched.not_modified:
            r.status = "not_modified"
            success = Store.success_values(now=now, status="not_modified", next_due=next_due)
            if not retries:
                self.store.record_success(st.id, now=now, status="not_modified", next_due=next_due)
                failpoints.hit("poll:source-done")
                return _Started(None, [])
            run.success = success
            run.queue.extend(_Pending(item, item.url or "", retry=True) for item in retries if item.url)
            return _Started(run, [])

        entry_of = {id(item): entry for entry, item in fetched.prepared}
        budget = self.cfg.network.max_pages_per_poll

        def wants_page(item: ArticleIn, stored_hash: str | None, first_seen: datetime | None) -> bool:
            """Whether ``item`` (new, or changed since stored) waits for its article page. Past the
            page budget it is stored now with its summary, marked, and its page fetched later."""
            nonlocal budget
            link = entry_of[id(item)].link
            if item.text_full or not sc.full_text or fetched.local or not link or not is_remote(link):
                return False
            if budget <= 0:
                item.entry_hash = Store.page_pending_hash(item.entry_hash)
                if stored_hash is None:
                    r.partial += 1
                return False
            budget -= 1
            return True

        success = Store.success_values(
            now=now, status="ok", next_due=next_due, etag=fetched.etag, last_modified=fetched.last_modified
        )
        validators = {"etag": success.pop("etag"), "last_modified": success.pop("last_modified")}
        if fetched.problems:
            # the source worked, but the user should see what it left out (`briefbot sources`)
            r.skipped = len(fetched.problems)
            r.error = f"{len(fetched.problems)} left out: " + "; ".join(fetched.problems)
            success["last_error"] = r.error[:2000]
        # Entries whose hash is stored already are only linked; of the rest, the first
        # ITEMS_PER_POLL are stored or wait for their page. The source's success and validators
        # are written only once all of them are stored: here, or with the last page.
        unchanged, deferred, waiting, changes = self.store.ingest_feed(
            st.id,
            [item for _, item in fetched.prepared],
            now,
            limit=self.cfg.network.max_items_per_poll,
            defer=wants_page,
            success=success,
            validators=None if fetched.local else validators,
        )
        r.unchanged += unchanged
        r.waiting = waiting
        changed = self._count(changes, r)
        if waiting:
            log.info(
                "%s: %d new or changed items wait for the next poll (%d per poll)",
                sc.name,
                waiting,
                self.cfg.network.max_items_per_poll,
            )
            # due again at once: the scheduler's next tick stores the next share
            success["next_due_at"] = Store.success_values(now=now, status="ok", next_due=now)["next_due_at"]
            if not deferred:
                self.store.store_pages(st.id, [], now, success={"next_due_at": success["next_due_at"]})
        if deferred:
            run.success = success
            run.validators = None if waiting or fetched.local else validators
        # the page budget goes to this response's new items first, then to stored ones still waiting
        run.queue.extend(_Pending(item, entry_of[id(item)].link or "") for item in deferred)
        fresh = {item.key for item in deferred}
        run.queue.extend(
            _Pending(item, item.url or "", retry=True)
            for item in [i for i in retries if i.url and i.key not in fresh][:budget]
        )
        if not run.queue:
            failpoints.hit("poll:source-done")
            return _Started(None, changed)
        return _Started(run, changed)

    def _page_done(self, run: _Run, p: _Pending, fut: Future[Any]) -> None:
        """Turn a page fetch into the item to store: full text, or the summary (marked when the
        page is worth another try)."""
        item = p.item
        real_hash = item.entry_hash.lower()
        try:
            ex: Extracted = fut.result()
        except Exception as e:  # noqa: BLE001 - keep the summary; the article is not lost
            again = passing(e)
            log.info(
                "%s: article page %s not fetched (%s); keeping the feed's summary%s",
                run.sc.name,
                p.link,
                e,
                " and trying again on a later poll" if again else "",
            )
            if p.retry:
                if not again:  # give up on it: the stored summary stays, unmarked
                    item.entry_hash = real_hash
                    run.results.append(item)
                return
            item.entry_hash = Store.page_pending_hash(real_hash) if again else real_hash
            run.report.partial += 1
            run.results.append(item)
            return
        item.entry_hash = real_hash
        if ex.is_full and len(ex.text) > len(item.text):
            item.text, item.text_full = ex.text, True
            item.content_hash = content_hash(item.title or ex.title or "", ex.text)
            item.title = item.title or ex.title
        elif not p.retry:
            run.report.partial += 1
        run.results.append(item)

    def _store_pages(self, run: _Run) -> list[int]:
        """Store the page outcomes gathered so far; with the last of them, the source's state."""
        last = run.settled
        if not run.results and not last:
            return []
        items, run.results = run.results, []
        changes = self.store.store_pages(
            run.st.id,
            items,
            self.clock(),
            success=run.success if last else None,
            validators=run.validators if last else None,
        )
        if last:
            failpoints.hit("poll:source-done")
        return self._count(changes, run.report)

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


def _prepare(
    entries: list[Entry], feed_url: str, problems: list[str] | None = None
) -> list[tuple[Entry, ArticleIn]]:
    """Key, hash and text of every entry (worker side: pure CPU, no database). An entry that
    cannot be stored (an id or link longer than any identity, a value that breaks hashing) is
    left out with a warning, noted in ``problems``; it never costs the entries around it."""
    out: list[tuple[Entry, ArticleIn]] = []
    for n, entry in enumerate(entries):
        try:
            if entry.guid is not None and len(entry.guid) > MAX_ID_CHARS:
                raise ValueError(f"its id is {len(entry.guid):,} characters long")
            content = content_text(entry)
            ehash = entry_hash(entry, content)
            try:
                key = article_key(entry.link, entry.guid, feed_url)
            except ValueError:
                key = "hash:" + ehash  # no link, no id: its content is all that identifies it
            if len(key) > MAX_KEY_CHARS:
                raise ValueError(f"its link is {len(key):,} characters long")
            out.append((entry, Poller._item(entry, key, ehash, content)))
        except (ValueError, TypeError, OverflowError, RecursionError) as e:
            message = f"skipped item {n + 1} of {feed_url}: {e}"
            log.warning("%s", message)
            if problems is not None:
                problems.append(message)
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
