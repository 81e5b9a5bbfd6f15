"""`briefbot run`: APScheduler 3 wiring only; the jobs are operations of the App.

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
from datetime import datetime
from typing import Any

from ..app import App

log = logging.getLogger(__name__)

HEARTBEAT_ENV = "BRIEFBOT_HEARTBEAT"


def heartbeat_path() -> str | None:
    """Where `run` records that its tick is alive (for `briefbot health` and container health checks)."""
    return os.environ.get(HEARTBEAT_ENV) or None


class Runner:
    """The scheduler's jobs: each one an operation of the App, logged instead of printed."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.cfg = app.cfg
        self.clock = app.clock
        self._lock = threading.Lock()  # a digest and a tick never interleave their writes
        self.scheduler: Any = None

    # -- jobs ---------------------------------------------------------------------------
    def tick(self) -> None:
        """One cycle of only the due sources; any failure is logged, the next tick retries."""
        with self._lock:
            try:
                report = self.app.cycle(due_only=True)
                for r in report.poll.failed:
                    log.warning("source %s failed: %s", r.name, r.error)
                sent = report.sent
                if report.poll.changed or (sent is not None and (sent.delivered or sent.failed)):
                    t = report.poll.totals()
                    log.info(
                        "tick: %d new, %d updated; %d delivered, %d failed",
                        t["new"],
                        t["updated"],
                        len(sent.delivered) if sent else 0,
                        len(sent.failed) if sent else 0,
                    )
            except Exception:  # noqa: BLE001 - one bad tick must not stop the bot
                log.exception("tick failed; retrying at the next one")
                return
            path = heartbeat_path()
            if path:
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(self.clock().isoformat())

    def digest(self, name: str, scheduled_for: datetime | None = None) -> None:
        from .schedule import previous_run

        d = next(d for d in self.cfg.digests if d.name == name)
        now = self.clock()
        scheduled_for = scheduled_for or previous_run(d.schedule, d.timezone, now) or now
        with self._lock:
            try:
                result, sent = self.app.digest(name, scheduled_for=scheduled_for)
                if result.already_sent:
                    log.info(
                        "digest %s (%s): already sent by another instance",
                        name,
                        scheduled_for.isoformat(timespec="minutes"),
                    )
                    return
                log.info(
                    "digest %s (%s): %d stories, %d queued, %d delivered",
                    name,
                    scheduled_for.isoformat(timespec="minutes"),
                    result.stories,
                    len(result.queued),
                    len(sent.delivered) if sent else 0,
                )
            except Exception:  # noqa: BLE001
                log.exception("digest %s failed", name)

    def prune(self) -> None:
        """Delete what is older than `retention`; a failure is logged and tried again tomorrow."""
        with self._lock:
            try:
                self.app.prune()
            except Exception:  # noqa: BLE001
                log.exception("pruning failed")

    def catch_up(self) -> list[str]:
        """Send, once, each digest whose scheduled time passed while the bot was down."""
        from .schedule import missed_run

        now = self.clock()
        sent = []
        for d in self.cfg.digests:
            last = self.app.store.last_digest_run(d.name)
            due = missed_run(
                d.schedule,
                d.timezone,
                now,
                last.window_end if last else None,
                self.cfg.scheduler.catch_up_grace,
            )
            if due is not None:
                log.info(
                    "digest %s was due at %s while briefbot was down: sending it now",
                    d.name,
                    due.isoformat(timespec="minutes"),
                )
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
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(self.cfg.scheduler.catch_up_grace.total_seconds()),
            },
        )
        sched.add_job(
            self.tick,
            IntervalTrigger(seconds=self.cfg.scheduler.tick.total_seconds()),
            id="tick",
            name="poll, analyse, alert, deliver",
            next_run_time=self.clock(),
        )
        sched.add_job(
            self.prune,
            IntervalTrigger(hours=24),
            id="prune",
            name="prune past retention",
            next_run_time=self.clock(),
        )
        for d in self.cfg.digests:
            sched.add_job(
                self.digest,
                trigger(d.schedule, d.timezone),
                args=[d.name],
                id=f"digest:{d.name}",
                name=f"digest {d.name}",
            )
        self.scheduler = sched
        return sched

    def run(self) -> None:
        recovered = self.app.recover()
        if recovered:
            log.warning("%d deliveries were interrupted by the last stop; they will be retried", recovered)
        self.catch_up()
        sched = self.build()

        def stop(signum: int, _frame: Any) -> None:
            log.warning(
                "%s received: finishing the job in progress, then stopping", signal.Signals(signum).name
            )
            threading.Thread(target=sched.shutdown, kwargs={"wait": True}, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        for job in sched.get_jobs():
            log.info("scheduled: %s", job.name)
        sched.start()  # blocks until shutdown
        log.warning("briefbot stopped")
