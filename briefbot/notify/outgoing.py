"""Rendering a context for each destination and putting it in the outbox (or on stdout)."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import IO, Any

from ..config import Config
from ..model import Destination
from ..render import render_email, render_markdown, render_slack
from ..store import OutboxMessage


def message_id(key: str, domain: str = "briefbot.local") -> str:
    """A stable Message-ID from an outbox key (keys hold ':' and '#', which a Message-ID may not)."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", key).strip("-")[:80]
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"<{slug}-{digest}@{domain}>"


class Outgoing:
    """Turns a template context into messages, per medium, under idempotency keys."""

    def __init__(self, cfg: Config) -> None:
        self.templates_dir = str(cfg.resolve_path(cfg.templates_dir)) if cfg.templates_dir else None
        self.list_unsubscribe = cfg.email.list_unsubscribe if cfg.email else None

    def messages(
        self,
        kind: str,
        ctx: Mapping[str, Any],
        destinations: Sequence[Destination],
        key: str,
        *,
        out: IO[str] | None = None,
        not_before: datetime | None = None,
    ) -> list[OutboxMessage]:
        """Render `ctx` for each destination as a message to queue under `key:destination`.

        The caller stores them with its own record in one transaction. `stdout` is printed
        (Markdown) instead, for `--to stdout`.
        """
        out_msgs: list[OutboxMessage] = []
        for dest in destinations:
            dkey = f"{key}:{dest}"
            if dest.kind == "stdout":
                (out or sys.stdout).write(render_markdown(kind, ctx, self.templates_dir))
            elif dest.kind == "slack":
                payload: Any = [m.payload() for m in render_slack(kind, ctx, self.templates_dir)]
                out_msgs.append(OutboxMessage(dkey, "slack", dest.target, payload, not_before))
            else:
                email = render_email(kind, ctx, self.templates_dir)
                addrs = dest.addresses
                payload = {
                    "subject": email.subject,
                    "text": email.text,
                    "html": email.html,
                    "to": addrs,
                    "message_id": message_id(dkey),
                    "list_unsubscribe": self.list_unsubscribe,
                }
                out_msgs.append(OutboxMessage(dkey, "email", ",".join(addrs), payload, not_before))
        return out_msgs

    def preview(
        self, kind: str, ctx: Mapping[str, Any], destinations: Sequence[Destination], out: IO[str]
    ) -> None:
        """What would be sent, per medium, without queueing or recording anything (a dry run)."""
        for dest in destinations or [Destination("stdout")]:
            out.write(f"===== {dest} =====\n")
            if dest.kind == "slack":
                msgs = render_slack(kind, ctx, self.templates_dir)
                out.write(json.dumps([m.payload() for m in msgs], indent=2, ensure_ascii=False) + "\n")
            elif dest.kind == "email":
                e = render_email(kind, ctx, self.templates_dir)
                out.write(f"Subject: {e.subject}\n\n{e.text}\n----- html -----\n{e.html}\n")
            else:
                out.write(render_markdown(kind, ctx, self.templates_dir))
