"""A briefbot-like process for the outbox crash tests (tests/test_outbox.py).

Why a real process: a crash is the process vanishing between two statements, with no
``finally`` or ``atexit`` running; only SIGKILL to a separate process shows what the
database and the servers are left with.

It does what briefbot does on start and at a digest's time: ``recover``, enqueue the
digest for Slack (a two-message thread) and email, ``flush``; then prints the flush report
as JSON. With ``BB_KILL_AT=after_claim|after_send`` it SIGKILLs itself at that point of
sending the first row of channel ``BB_KILL_CHANNEL`` (default slack).

Environment: BB_DB_URL, BB_SLACK_URL, BB_SLACK_TOKEN, BB_SMTP_PORT, BB_KEY (key prefix).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import asdict
from typing import Any

from briefbot.deliver import EmailSender, SlackSender
from briefbot.deliver.outbox import EmailChannel, Outbox, OutboxRow, Sender, SlackChannel
from briefbot.store import Store


def slack_payload(prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "text": f"{prefix} head",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Head"}}],
        },
        {
            "text": f"{prefix} reply",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Reply"}}],
        },
    ]


def message_id(prefix: str) -> str:
    """A valid msg-id: keys contain ':', which a Message-ID may not."""
    return "<" + "".join(c if c.isalnum() or c in "-." else "-" for c in prefix) + "@briefbot.test>"


def email_payload(prefix: str) -> dict[str, Any]:
    return {
        "subject": f"{prefix} briefing",
        "text": "Plain body",
        "html": "<p>HTML body</p>",
        "to": ["reader@example.com"],
        "message_id": message_id(prefix),
        "list_unsubscribe": None,
    }


def main() -> int:
    env = os.environ
    prefix = env.get("BB_KEY", "digest:morning:2026-11-29T07:30Z")
    kill_at = env.get("BB_KILL_AT", "")
    kill_channel = env.get("BB_KILL_CHANNEL", "slack")

    store = Store.open(env["BB_DB_URL"])
    box = Outbox(store)

    def die(row: OutboxRow) -> None:
        if row.channel == kill_channel:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    if kill_at == "after_claim":
        box._after_claim = die
    elif kill_at == "after_send":
        box._after_send = die

    recovered = box.recover()
    box.enqueue(f"{prefix}:slack:#briefings", "slack", "#briefings", slack_payload(prefix))
    box.enqueue(f"{prefix}:email:reader@example.com", "email", "reader@example.com", email_payload(prefix))
    senders: dict[str, Sender] = {
        "slack": SlackChannel(
            SlackSender(
                env["BB_SLACK_TOKEN"], base_url=env["BB_SLACK_URL"], timeout=5, max_retries=0, backoff=0.01
            )
        ),
        "email": EmailChannel(
            EmailSender(
                "127.0.0.1",
                int(env["BB_SMTP_PORT"]),
                starttls=False,
                sender="Briefbot <bot@example.com>",
                timeout=5,
            )
        ),
    }
    report = box.flush(senders)
    out = asdict(report)
    out["tripped"] = sorted(report.tripped)
    out["recovered"] = recovered
    print(json.dumps(out))
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
