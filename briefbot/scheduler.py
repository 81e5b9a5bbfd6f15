"""`briefbot run`: APScheduler 3 wiring only; the jobs call into the stages.

One tick job polls the sources that are due, analyses, queues alerts and flushes the
outbox; one cron job per digest runs it in its own time zone. A digest whose time
passed while the bot was down is sent once on start (within `scheduler.catch_up_grace`);
one that never ran waits for its next time. SIGTERM/SIGINT let the job in progress
finish (everything it did is already stored or queued), then stop.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .config import Config
from .store import Store, utcnow

log = logging.getLogger(__name__)

HEARTBEAT_ENV = "BRIEFBOT_HEARTBEAT"


def heartbeat_path() -> str | None:
    """Where `run` records that its tick is alive (for `briefbot health` and container health checks)."""
    return os.environ.get(HEARTBEAT_ENV) or None


class Runner:
    """Owns the long-lived objects (store, poller) and the jobs the scheduler calls."""

    def __init__(self, cfg: Config, store: Store, *, clock: Callable[[], datetime] = utcnow) -> None:
        from .ingest.poll import Poller

        self.cfg = cfg
        self.store = store
        self.clock = clock
        self.poller = Poller(cfg, store, clock=clock)
        self._lock = threading.Lock()  # a digest and a tick never interleave their writes
        self.scheduler: Any = None

    # -- jobs ---------------------------------------------------------------------------
    def tick(self) -> None:
        """Poll due sources, analyse, queue alerts, deliver; any failure is logged, the next tick retries."""
        from .jobs import analyse_pending
        from .notify import flush, queue_alerts

        with self._lock:
            try:
                report = self.poller.poll(due_only=True)
                for r in report.failed:
                    log.warning("source %s failed: %s", r.name, r.error)
                analyse_pending(self.store)
                ids = sorted({a.story_id for a in self.store.articles(ids=report.changed) if a.story_id is not None})
                queue_alerts(self.cfg, self.store, ids, now=self.clock())
                sent = flush(self.cfg, self.store)
                if report.changed or sent.delivered or sent.failed:
                    t = report.totals()
                    log.info("tick: %d new, %d updated; %d delivered, %d failed", t["new"], t["updated"],
                             len(sent.delivered), len(sent.failed))
            except Exception:  # noqa: BLE001 - one bad tick must not stop the bot
                log.exception("tick failed; retrying at the next one")
                return
            path = heartbeat_path()
            if path:
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(self.clock().isoformat())

    def digest(self, name: str, scheduled_for: datetime | None = None) -> None:
        from .notify import flush, run_digest
        from .schedule import previous_run

        d = next(d for d in self.cfg.digests if d.name == name)
        now = self.clock()
        scheduled_for = scheduled_for or previous_run(d.schedule, d.timezone, now) or now
        with self._lock:
            try:
                result = run_digest(self.cfg, self.store, name, now=now, scheduled_for=scheduled_for)
                sent = flush(self.cfg, self.store)
                log.info("digest %s (%s): %d stories, %d queued, %d delivered", name,
                         scheduled_for.isoformat(timespec="minutes"), result.stories, len(result.queued),
                         len(sent.delivered))
            except Exception:  # noqa: BLE001
                log.exception("digest %s failed", name)

    def catch_up(self) -> list[str]:
        """Send, once, each digest whose scheduled time passed while the bot was down."""
        from .schedule import missed_run
        from .store.state import last_digest_run

        now = self.clock()
        sent = []
        for d in self.cfg.digests:
            last = last_digest_run(self.store, d.name)
            due = missed_run(d.schedule, d.timezone, now, last.window_end if last else None,
                             self.cfg.scheduler.catch_up_grace)
            if due is not None:
                log.info("digest %s was due at %s while briefbot was down: sending it now", d.name,
                         due.isoformat(timespec="minutes"))
                self.digest(d.name, scheduled_for=due)
                sent.append(d.name)
        return sent

    # -- lifecycle ----------------------------------------------------------------------
    def build(self) -> Any:
        from apscheduler.schedulers.blocking import BlockingScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        from .schedule import trigger

        sched = BlockingScheduler(
            timezone="UTC",
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": int(self.cfg.scheduler.catch_up_grace.total_seconds())},
        )
        sched.add_job(self.tick, IntervalTrigger(seconds=self.cfg.scheduler.tick.total_seconds()),
                      id="tick", name="poll, analyse, alert, deliver", next_run_time=self.clock())
        for d in self.cfg.digests:
            sched.add_job(self.digest, trigger(d.schedule, d.timezone), args=[d.name], id=f"digest:{d.name}",
                          name=f"digest {d.name}")
        self.scheduler = sched
        return sched

    def run(self) -> None:
        from .deliver.outbox import Outbox

        recovered = Outbox(self.store).recover()
        if recovered:
            log.warning("%d deliveries were interrupted by the last stop; they will be retried", recovered)
        self.catch_up()
        sched = self.build()

        def stop(signum: int, _frame: Any) -> None:
            log.warning("%s received: finishing the job in progress, then stopping", signal.Signals(signum).name)
            threading.Thread(target=sched.shutdown, kwargs={"wait": True}, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for job in sched.get_jobs():
            log.info("scheduled: %s", job.name)
        sched.start()  # blocks until shutdown
        self.poller.close()
        log.warning("briefbot stopped")
