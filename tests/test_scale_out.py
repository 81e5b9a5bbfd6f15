"""Several instances on one database share the work instead of repeating it (issue 11):
a due source is polled by one of them, a claim whose holder died is taken over, one digest
occurrence is queued once, and analysis and grouping are claimed. On SQLite and on the real
PostgreSQL (``db_url``; skipped with the reason where none answers)."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from briefbot.config import Config
from briefbot.ingest.fetch import fetcher_from_config
from briefbot.ingest.poll import Poller, PollReport
from briefbot.store import Store

LONG = " ".join(["The harbour board met on Tuesday to weigh the dredging plan for the northern basin."] * 6)


def rss(n: int) -> bytes:
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0' "
        "xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>W</title>"
        "<link>https://wire.example/</link><description>d</description>"
        f"<item><title>Item {n}</title><guid isPermaLink='false'>g{n}</guid>"
        f"<link>https://wire.example/{n}</link><pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate>"
        f"<content:encoded><![CDATA[<p>{n} {LONG}</p>]]></content:encoded></item></channel></rss>"
    ).encode()


def make_cfg(sources: list[tuple[str, str]]) -> Config:
    net = {"allow_private": False, "allow_hosts": ["127.0.0.1"], "timeout": "5s"}
    return Config.model_validate(
        {"network": net, "sources": [{"name": n, "url": u, "interval": "15m"} for n, u in sources]}
    )


def dead_identity() -> str:
    """The identity of a process on this host that has ended."""
    return subprocess.run(
        [sys.executable, "-c", "from briefbot.owner import process_identity as p; print(p())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_two_instances_poll_each_due_source_once(http_server: Any, db_url: str) -> None:
    for i in range(20):
        # a little slow, so the two polls overlap
        http_server.route(
            f"/f{i}.xml",
            handler=lambda h, i=i: (
                http_server.sleep(0.05),
                h.respond(200, rss(i), {"Content-Type": "application/rss+xml"}),
            ),
        )
    cfg = make_cfg([(f"S{i:02d}", http_server.url(f"/f{i}.xml")) for i in range(20)])
    Store.open(db_url).close()  # migrated once; each instance opens its own store below
    start = threading.Barrier(2)
    reports: dict[str, PollReport] = {}
    errors: list[BaseException] = []

    def instance(owner: str) -> None:
        store = Store.open(db_url)
        try:
            with Poller(cfg, store, fetcher=fetcher_from_config(cfg.network), owner=owner) as p:
                start.wait()
                reports[owner] = p.poll(due_only=True)
        except BaseException as e:  # noqa: BLE001 - reported by the test thread
            errors.append(e)
        finally:
            store.close()

    threads = [threading.Thread(target=instance, args=(f"host{n}:1{n}:1",)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    for i in range(20):
        assert len(http_server.requests_for(f"/f{i}.xml")) == 1, i
    polled = [r.name for rep in reports.values() for r in rep.sources if r.status == "ok"]
    assert sorted(polled) == [f"S{i:02d}" for i in range(20)]
    others = [r for rep in reports.values() for r in rep.sources if r.status != "ok"]
    assert all(r.status in ("claimed", "not_due") for r in others), others
    assert not any(r.status == "failed" for rep in reports.values() for r in rep.sources)
    store = Store.open(db_url)
    try:
        assert all(st.claimed_by is None and st.lease_until is None for st in store.sources())
        assert store.count_articles() == 20
    finally:
        store.close()


def test_a_claim_is_reported_and_an_expired_or_dead_one_taken_over(http_server: Any, db_url: str) -> None:
    now = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
    for path in ("/live.xml", "/expired.xml", "/dead.xml"):
        http_server.route(path, body=rss(len(path)), content_type="application/rss+xml")
    cfg = make_cfg([(n, http_server.url(f"/{n}.xml")) for n in ("live", "expired", "dead")])
    store = Store.open(db_url)
    try:
        store.sync_sources((s.name, s.url) for s in cfg.sources)
        ids = {st.name: st.id for st in store.sources()}
        assert store.claim_source(ids["live"], "far:1:1", now=now, lease_until=now + timedelta(minutes=5))
        # an instance on another host, killed: its lease ran out
        assert store.claim_source(
            ids["expired"], "far:2:2", now=now - timedelta(hours=1), lease_until=now - timedelta(minutes=1)
        )
        # a process on this host that is gone: taken over before its lease runs out
        dead = dead_identity()
        assert store.claim_source(ids["dead"], dead, now=now, lease_until=now + timedelta(minutes=5))
        # a claim held is not claimed again
        assert not store.claim_source(
            ids["live"], "other:3:3", now=now, lease_until=now + timedelta(minutes=5)
        )

        with Poller(
            cfg, store, fetcher=fetcher_from_config(cfg.network), clock=lambda: now, owner="me:9:9"
        ) as p:
            rep = {r.name: r for r in p.poll(due_only=True).sources}
        assert (rep["live"].status, rep["live"].claimed_by) == ("claimed", "far:1:1")
        assert rep["expired"].status == rep["dead"].status == "ok"
        assert len(http_server.requests_for("/live.xml")) == 0
        states = {st.name: st for st in store.sources()}
        assert states["live"].holder(now) == "far:1:1"
        assert states["expired"].claimed_by is None and states["dead"].claimed_by is None
        assert states["expired"].last_status == "ok"
    finally:
        store.close()


# -- digests: one occurrence, one run, one message ------------------------------------------
def _digest_app(tmp_path: Any, db_url: str, slack_url: str, owner: str) -> Any:
    import shutil
    from pathlib import Path

    from briefbot.app import App
    from briefbot.config import load_config

    root = Path(__file__).resolve().parent.parent
    if not (tmp_path / "samples").exists():
        shutil.copytree(root / "samples", tmp_path / "samples")
    cfg_path = tmp_path / "config.yaml"
    cfg_path.write_text(f"""
database: sqlite:///unused.db
sources:
  - {{name: Lodestar Wire, url: samples/feeds/lodestar-wire.json}}
digests:
  - {{name: morning, schedule: 'daily 07:30', timezone: UTC, to: ['slack:#briefings'], send_empty: true}}
slack: {{token: xoxb-test-token-0123456789, base_url: '{slack_url}'}}
""")
    return App(load_config(cfg_path), store=Store.open(db_url), owner=owner)


def test_one_digest_occurrence_run_by_two_apps_queues_one_message(
    tmp_path: Any, db_url: str, slack: Any, monkeypatch: Any
) -> None:
    occurrence = datetime(2026, 11, 30, 7, 30, tzinfo=UTC)
    apps = [_digest_app(tmp_path, db_url, slack.base_url, f"host{n}:{n}:1") for n in (1, 2)]
    try:
        apps[0].cycle(analyse=False)
        start = threading.Barrier(2)
        results: list[Any] = []

        def run(app: Any) -> None:
            start.wait()
            results.append(app.digest("morning", scheduled_for=occurrence, deliver=False)[0])

        threads = [threading.Thread(target=run, args=(a,)) for a in apps]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(r.already_sent for r in results) == [False, True]
        store = apps[0].store
        assert [d.key for d in store.outbox_list()] == ["digest:morning:2026-11-30T07:30Z:slack:#briefings"]

        # an instance that passed the check before the other recorded the run: the unique
        # occurrence stops it at the commit, and nothing of its own is queued
        monkeypatch.setattr(Store, "digest_run_exists", lambda self, d, s: False)
        again = apps[1].digest("morning", scheduled_for=occurrence, deliver=False)[0]
        assert again.already_sent and not again.queued
        assert len(store.outbox_list()) == 1
        with store.engine.connect() as conn:
            from sqlalchemy import text

            assert conn.execute(text("SELECT count(*) FROM digest_runs")).scalar_one() == 1
        # manual runs (no occurrence) are not limited
        monkeypatch.undo()
        apps[1].digest("morning", deliver=False)
        apps[1].digest("morning", deliver=False)
    finally:
        for a in apps:
            a.close()


# -- story grouping under a database-wide lock ---------------------------------------------
def test_grouping_is_skipped_while_another_instance_holds_the_lock(db_url: str) -> None:
    from briefbot.analyse.results import Analysis
    from briefbot.app import App
    from briefbot.store import ArticleIn

    now = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
    cfg = Config.model_validate({"sources": [{"name": "W", "url": "https://wire.example/feed"}]})
    store = Store.open(db_url)
    other = Store.open(db_url)  # the other instance: its own connections
    app = App(cfg, store=store, clock=lambda: now, owner="me:1:1")
    try:
        store.sync_sources([("W", "https://wire.example/feed")])
        sid = store.source("W").id
        for n in range(3):
            item = ArticleIn(
                f"k{n}", None, None, f"Harbour dredging plan {n}", None, LONG, True, f"e{n}", f"c{n}"
            )
            _, aid = store.upsert_article(sid, item, now)
            store.set_analysis(aid, Analysis.from_dict({}), f"c{n}")
        with other.exclusive("group-stories", "them:2:2", now=now, lease=timedelta(minutes=10)) as held:
            assert held
            assert app.group_stories() == 0
            assert len(store.articles(ungrouped=True)) == 3  # left for a later cycle
        app.group_stories()  # released: grouped now
        assert store.articles(ungrouped=True) == []
        with store.exclusive("group-stories", "me:1:1", now=now, lease=timedelta(minutes=10)) as held:
            assert held  # and the lock was handed back
    finally:
        app.close()
        other.close()


# -- analysis claims -------------------------------------------------------------------------
def test_an_article_is_claimed_for_analysis_by_one_instance(db_url: str) -> None:
    from briefbot.store import ArticleIn

    now = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
    lease = timedelta(minutes=10)
    store = Store.open(db_url)
    try:
        store.sync_sources([("W", "https://wire.example/feed")])
        sid = store.source("W").id
        ids = [
            store.upsert_article(
                sid, ArticleIn(f"k{n}", None, None, "t", None, LONG, True, f"e{n}", f"c{n}"), now
            )[1]
            for n in range(4)
        ]
        assert store.claim_analysis(ids[:2], now=now, until=now + lease, owner="a:1:1") == set(ids[:2])
        # the other instance gets only what is left, and does not even load the claimed ones
        assert store.claim_analysis(ids, now=now, until=now + lease, owner="b:2:2") == set(ids[2:])
        store.release_analysis_claims(ids[2:])
        assert [a.id for a in store.articles_needing_analysis(now=now)] == sorted(ids[2:], reverse=True)
        # a claimant that died elsewhere: its claims are taken over once the lease ran out
        later = now + lease + timedelta(seconds=1)
        assert store.claim_analysis(ids[:2], now=later, until=later + lease, owner="b:2:2") == set(ids[:2])
        # a claimant on this host that is gone: taken over at once
        dead = dead_identity()
        assert store.claim_analysis(ids[2:], now=now, until=now + lease, owner=dead) == set(ids[2:])
        assert store.claim_analysis(ids[2:], now=now, until=now + lease, owner="c:3:3") == set(ids[2:])
    finally:
        store.close()


def test_analysis_leaves_what_another_instance_claimed(db_url: str) -> None:
    import pytest

    from briefbot.analyse import model_available
    from briefbot.app import App
    from briefbot.store import ArticleIn

    if not model_available():
        pytest.skip("the spaCy model is not installed")
    now = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)
    cfg = Config.model_validate({"sources": [{"name": "W", "url": "https://wire.example/feed"}]})
    store = Store.open(db_url)
    app = App(cfg, store=store, clock=lambda: now, owner="me:1:1")
    try:
        store.sync_sources([("W", "https://wire.example/feed")])
        sid = store.source("W").id
        ids = [
            store.upsert_article(
                sid, ArticleIn(f"k{n}", None, None, "Harbour", None, LONG, True, f"e{n}", f"c{n}"), now
            )[1]
            for n in range(3)
        ]
        assert store.claim_analysis(ids[:1], now=now, until=now + timedelta(minutes=10), owner="them:2:2")
        assert app.analyse_pending() == 2  # not the one the other instance is analysing
        assert [a.id for a in store.articles_needing_analysis()] == ids[:1]
        assert store.articles_needing_analysis(now=now) == []
        later = now + timedelta(minutes=11)  # that instance died: its claim ran out
        app.clock = lambda: later
        assert app.analyse_pending() == 1
        assert store.articles_needing_analysis() == []
        with store.engine.connect() as conn:
            from sqlalchemy import text

            left = conn.execute(text("SELECT count(*) FROM articles WHERE analysis_claim_until IS NOT NULL"))
            assert left.scalar_one() == 0  # stored analyses carry no claim
    finally:
        app.close()


def test_migration_keeps_the_last_run_of_an_occurrence_recorded_twice(db_url: str) -> None:
    """Older versions could record one occurrence twice; 0007 keeps the run that ended last."""
    from sqlalchemy import text

    from briefbot.store import make_engine, migrate

    engine = make_engine(db_url)
    try:
        migrate(engine, "0006")
        with engine.begin() as conn:
            for n, end in enumerate(("2026-11-30 07:30:05", "2026-11-30 07:30:09", "2026-11-30 07:30:07")):
                conn.execute(
                    text(
                        "INSERT INTO digest_runs (digest, scheduled_for, window_start, window_end, stories, created_at)"
                        " VALUES ('morning', '2026-11-30 07:30:00', '2026-11-29 07:30:00', :end, :n, :end)"
                    ),
                    {"end": end, "n": n},
                )
        migrate(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT stories FROM digest_runs")).scalars().all() == [1]
    finally:
        engine.dispose()
