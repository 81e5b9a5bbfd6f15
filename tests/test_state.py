"""Digest runs, run-time watches and alert state, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from briefbot.errors import BriefbotError
from briefbot.store import Store
from briefbot.store.state import (
    DigestRun,
    StoredWatch,
    add_watch,
    alerted_stories,
    claim_alert,
    last_digest_run,
    record_digest_run,
    remove_watch,
    stored_watches,
)



def test_last_digest_run(store: Store) -> None:
    assert last_digest_run(store, "morning") is None
    t0 = datetime(2026, 11, 27, 7, 30, tzinfo=UTC)
    for i in range(2):
        record_digest_run(store, DigestRun("morning", t0 + timedelta(days=i), t0 + timedelta(days=i - 1),
                                           t0 + timedelta(days=i), stories=3 + i))
    record_digest_run(store, DigestRun("evening", None, t0, t0 + timedelta(days=5), stories=1))
    last = last_digest_run(store, "morning")
    assert last is not None and last.window_end == t0 + timedelta(days=1) and last.stories == 4


def test_runtime_watches(store: Store) -> None:
    add_watch(store, StoredWatch("ports", 'strike OR "dock workers"', to=["slack:#alerts"], created_by="slack:U1"))
    with pytest.raises(BriefbotError, match="already exists"):
        add_watch(store, StoredWatch("ports", "anything"))
    [w] = stored_watches(store)
    assert (w.name, w.to, w.created_by) == ("ports", ["slack:#alerts"], "slack:U1")
    assert remove_watch(store, "ports") and not remove_watch(store, "ports")
    assert stored_watches(store) == []


def test_one_alert_per_watch_and_story(store: Store) -> None:
    assert claim_alert(store, "ports", 7, 70)
    assert not claim_alert(store, "ports", 7, 71)  # another outlet, an edit, a restart: no second alert
    assert claim_alert(store, "energy", 7, 70)  # another watch may alert on the same story
    assert alerted_stories(store, "ports") == {7}
