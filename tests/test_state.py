"""Digest runs, run-time watches and alert state, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from briefbot.errors import BriefbotError
from briefbot.model import Destination, Watch
from briefbot.store import DigestRun, Store


def test_last_digest_run(store: Store) -> None:
    assert store.last_digest_run("morning") is None
    t0 = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)
    for i in range(2):
        store.record_digest_run(
            DigestRun(
                "morning",
                t0 + timedelta(days=i),
                t0 + timedelta(days=i - 1),
                t0 + timedelta(days=i),
                stories=3 + i,
            )
        )
    store.record_digest_run(DigestRun("evening", None, t0, t0 + timedelta(days=5), stories=1))
    last = store.last_digest_run("morning")
    assert last is not None and last.window_end == t0 + timedelta(days=1) and last.stories == 4


def test_runtime_watches(store: Store) -> None:
    store.add_watch(
        Watch(
            "ports",
            'strike OR "dock workers"',
            to=(Destination.parse("slack:#alerts"),),
            origin="runtime",
            created_by="slack:U1",
        )
    )
    with pytest.raises(BriefbotError, match="already exists"):
        store.add_watch(Watch("ports", "anything", origin="runtime"))
    [w] = store.stored_watches()
    assert (w.name, [str(d) for d in w.to], w.created_by) == ("ports", ["slack:#alerts"], "slack:U1")
    assert store.remove_watch("ports") and not store.remove_watch("ports")
    assert store.stored_watches() == []


def test_one_alert_per_watch_and_story(store: Store) -> None:
    assert store.claim_alert("ports", 7, 70)
    assert not store.claim_alert("ports", 7, 71)  # another outlet, an edit, a restart: no second alert
    assert store.claim_alert("energy", 7, 70)  # another watch may alert on the same story
    assert store.alerted_stories("ports") == {7}
