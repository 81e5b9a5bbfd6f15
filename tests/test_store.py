"""The store's behaviour, run against SQLite and the PostgreSQL this machine runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect

from briefbot.analyse.results import Analysis
from briefbot.store import ArticleIn, Store, current_revision, make_engine, metadata, migrate

# `db_url` and `store` (tests/conftest.py) run each test on SQLite and on a private PostgreSQL schema.


def item(
    key: str = "https://news.example/a", text: str = "Body text.", title: str = "Title", **kw: object
) -> ArticleIn:
    base = dict(
        url=key,
        guid=None,
        title=title,
        summary=None,
        text=text,
        text_full=True,
        entry_hash="e-" + text,
        content_hash="c-" + title + text,
        published=None,
    )
    base.update(kw)
    return ArticleIn(key=key, **base)  # type: ignore[arg-type]


def test_migrated_schema_matches_code(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    eng = make_engine(db_url)
    migrate(eng)
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    eng.dispose()
    assert diff == []


def test_migrations_are_versioned_and_idempotent(db_url: str) -> None:
    eng = make_engine(db_url)
    migrate(eng, "0001")
    assert current_revision(eng) == "0001"
    migrate(eng)  # again: nothing to do, nothing lost
    migrate(eng)
    assert set(inspect(eng).get_table_names()) >= {
        "sources",
        "articles",
        "article_sources",
        "alembic_version",
    }
    eng.dispose()


def test_same_article_in_two_sources_is_one_row(store: Store) -> None:
    store.sync_sources([("Wire A", "http://a/feed"), ("Wire B", "http://b/feed")])
    a, b = store.source("Wire A"), store.source("Wire B")
    assert store.upsert_article(a.id, item())[0] == "new"
    assert store.upsert_article(b.id, item())[0] == "unchanged"
    arts = store.articles()
    assert len(arts) == 1 and arts[0].sources == ["Wire A", "Wire B"]


def test_edit_is_an_update_not_a_new_article(store: Store) -> None:
    store.sync_sources([("A", "http://a/feed")])
    sid = store.source("A").id
    change, aid = store.upsert_article(sid, item(text="First version."))
    change2, aid2 = store.upsert_article(sid, item(text="Corrected version."))
    assert (change, change2) == ("new", "updated") and aid == aid2
    [art] = store.articles()
    assert art.text == "Corrected version." and art.version == 2


def test_summary_never_replaces_full_text(store: Store) -> None:
    store.sync_sources([("A", "http://a/feed")])
    sid = store.source("A").id
    store.upsert_article(sid, item(text="The whole article, long.", entry_hash="same"))
    change, _ = store.upsert_article(sid, item(text="Short teaser", text_full=False, entry_hash="same"))
    assert change == "unchanged"
    assert store.articles()[0].text == "The whole article, long."


def test_window_and_timezones(store: Store) -> None:
    store.sync_sources([("A", "http://a/feed")])
    sid = store.source("A").id
    t0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    store.upsert_article(sid, item("https://n.example/old"), now=t0)
    store.upsert_article(sid, item("https://n.example/new"), now=t0 + timedelta(days=2))
    recent = store.articles(since=t0 + timedelta(days=1))
    assert [a.key for a in recent] == ["https://n.example/new"]
    assert recent[0].first_seen == t0 + timedelta(days=2)
    assert recent[0].first_seen.tzinfo is not None


def test_source_failures_and_recovery(store: Store) -> None:
    store.sync_sources([("A", "http://a/feed")])
    st = store.source("A")
    now = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    assert store.record_failure(st.id, now=now, error="boom", wait_until=now, next_due=now) == 1
    assert store.record_failure(st.id, now=now, error="boom again", wait_until=now, next_due=now) == 2
    st = store.source("A")
    assert st.last_error == "boom again" and st.consecutive_failures == 2 and st.last_status == "error"
    store.record_success(st.id, now=now, status="ok", next_due=now, etag='"v1"', last_modified="x")
    st = store.source("A")
    assert st.consecutive_failures == 0 and st.last_error is None and st.etag == '"v1"'
    store.record_success(st.id, now=now, status="not_modified", next_due=now)
    assert store.source("A").etag == '"v1"'  # a 304 keeps the validators


def test_changed_source_url_resets_http_cache(store: Store) -> None:
    store.sync_sources([("A", "http://a/feed")])
    st = store.source("A")
    store.record_success(st.id, now=datetime.now(UTC), status="ok", next_due=datetime.now(UTC), etag='"v1"')
    store.sync_sources([("A", "http://a/new-feed")])
    st = store.source("A")
    assert st.url == "http://a/new-feed" and st.etag is None


def test_analysis_round_trip_and_reset_on_edit(store: Store) -> None:
    store.sync_sources([("A", "http://a/feed")])
    sid = store.source("A").id
    _, aid = store.upsert_article(sid, item(text="v1"))
    [art] = store.articles_needing_analysis()
    store.set_analysis(
        aid, Analysis.from_dict({"actors": [{"name": "Zoë Ngata", "kind": "person"}]}), art.content_hash
    )
    stored = store.articles()[0].analysis
    assert stored is not None and [(a.name, a.kind) for a in stored.actors] == [("Zoë Ngata", "person")]
    assert store.articles_needing_analysis() == []
    store.upsert_article(sid, item(text="v2"))
    assert store.articles()[0].analysis is None  # an edit must be analysed again
    store.set_analysis(
        aid, Analysis.from_dict({"key_points": ["stale"]}), art.content_hash
    )  # analysis of v1 finishing late
    assert store.articles()[0].analysis is None
    assert [a.id for a in store.articles_needing_analysis()] == [aid]


def test_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    from briefbot.errors import StoreError

    with pytest.raises(StoreError, match="cannot open database postgresql"):
        Store.open("postgresql+psycopg://nobody:secretpw@127.0.0.1:1/none?connect_timeout=2")
    try:
        Store.open("postgresql+psycopg://nobody:secretpw@127.0.0.1:1/none?connect_timeout=2")
    except StoreError as e:
        assert "secretpw" not in str(e)


def test_head_constant_is_alembics_head() -> None:
    """The fast start-up check compares with HEAD: it must name the newest migration."""
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from briefbot.store.engine import HEAD, MIGRATIONS

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD


def test_instances_starting_at_once_all_come_up(db_url: str) -> None:
    """Three processes open a fresh database at the same moment: all succeed, one schema."""
    import subprocess
    import sys

    code = (
        "import sys, time; from briefbot.store import Store; "
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time())); Store.open(sys.argv[1]).close(); print('up')"
    )
    import time

    start = time.time() + 2.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, db_url, str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1][-500:] for o in outs]
    eng = make_engine(db_url)
    assert current_revision(eng) is not None
    eng.dispose()


def test_prune_keeps_live_stories_and_each_digests_latest_run(store: Store) -> None:
    from datetime import UTC, datetime, timedelta

    from briefbot.store import DigestRun

    old = datetime(2026, 1, 10, tzinfo=UTC)
    new = datetime(2026, 5, 1, tzinfo=UTC)
    store.sync_sources([("A", "http://a/feed")])
    sid = store.source("A").id
    (_, a1), (_, a2) = store.upsert_articles(
        sid, [item("https://n.example/1"), item("https://n.example/2")], old
    )
    ((_, a3),) = store.upsert_articles(sid, [item("https://n.example/3", text="later")], new)
    ((_, a4),) = store.upsert_articles(sid, [item("https://n.example/4", text="loose")], old)
    ended = store.create_story(a1, "ended", now=old)
    live = store.create_story(a2, "live", now=old)
    store.join_story(a3, live, now=new)  # an old report of a story that is still going
    assert store.claim_alert("w", ended, a1, old) and store.claim_alert("w", live, a2, old)
    store.outbox_enqueue("sent", "slack", "#x", [], now=old, not_before=None)
    store.outbox_enqueue("waiting", "slack", "#x", [], now=old, not_before=None)
    with store.engine.begin() as conn:
        from sqlalchemy import update

        from briefbot.store.schema import outbox

        conn.execute(update(outbox).where(outbox.c.key == "sent").values(status="delivered"))
    for day in (1, 2):
        store.record_digest_run(DigestRun("m", None, old, old + timedelta(days=day), 1), now=old)
    p = store.prune(new - timedelta(days=30))
    assert (p.stories, p.articles, p.alerts, p.outbox, p.digest_runs) == (1, 2, 1, 1, 1)
    assert sorted(a.key for a in store.articles()) == ["https://n.example/2", "https://n.example/3"]
    assert store.alerted_stories("w") == {live}
    assert [d.key for d in store.outbox_list()] == ["waiting"]  # never sent: kept
    last = store.last_digest_run("m")
    assert last is not None and last.window_end == old + timedelta(days=2)
