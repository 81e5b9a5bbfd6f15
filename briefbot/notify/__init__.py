"""What to tell whom: alerts, digests, briefs and watches, queued in the outbox as rendered messages.

The outbox (briefbot.deliver.outbox) does the sending; this package only decides what to
send and builds messages under idempotency keys, so a retry or a restart queues nothing twice.
"""

from __future__ import annotations

from .alerts import check_alerts, quiet_until
from .digests import FIRST_DIGEST_WINDOW, DigestResult, digest_config, run_digest
from .outgoing import Outgoing, message_id
from .stories import Brief, article_doc, build_brief, first_match, group, stories_between, story_matches
from .watches import (
    WatchHit,
    WatchHitView,
    all_watches,
    check_removable,
    from_config,
    hit_view,
    new_watch,
    test_query,
)

__all__ = [
    "FIRST_DIGEST_WINDOW",
    "Brief",
    "DigestResult",
    "Outgoing",
    "WatchHit",
    "WatchHitView",
    "all_watches",
    "article_doc",
    "build_brief",
    "check_alerts",
    "check_removable",
    "digest_config",
    "first_match",
    "from_config",
    "group",
    "hit_view",
    "message_id",
    "new_watch",
    "quiet_until",
    "run_digest",
    "stories_between",
    "story_matches",
    "test_query",
]
