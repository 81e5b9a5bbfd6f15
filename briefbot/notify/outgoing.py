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
from ..deliver.outbox import Outbox
from ..model import Destination
from ..render import render_email, render_markdown, render_slack


def message_id(key: str, domain: str = "briefbot.local") -> str:
    """A stable Message-ID from an outbox key (keys hold ':' and '#', which a Message-ID may not)."""
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", key).strip("-")[:80]
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"<{slug}-{digest}@{domain}>"


class Outgoing:
    """Turns a template context into messages, per medium, under idempotency keys."""

    def __init__(self, cfg: Config, outbox: Outbox) -> None:
        self.outbox = outbox
        self.templates_dir = str(cfg.resolve_path(cfg.templates_dir)) if cfg.templates_dir else None
        self.list_unsubscribe = cfg.email.list_unsubscribe if cfg.email else None

    def queue(
        self,
        kind: str,
        ctx: Mapping[str, Any],
        destinations: Sequence[Destination],
        key: str,
        *,
        out: IO[str] | None = None,
        not_before: datetime | None = None,
    ) -> list[str]:
        """Render `ctx` for each destination and put it in the outbox; returns the keys queued.

        `stdout` prints Markdown instead (for `--to stdout`).
        """
        keys: list[str] = []
        for dest in destinations:
            dkey = f"{key}:{dest}"
            if dest.kind == "stdout":
                (out or sys.stdout).write(render_markdown(kind, ctx, self.templates_dir))
                continue
            if dest.kind == "slack":
                messages = render_slack(kind, ctx, self.templates_dir)
                self.outbox.enqueue(
                    dkey, "slack", dest.target, [m.payload() for m in messages], not_before=not_before
                )
            else:
                email = render_email(kind, ctx, self.templates_dir)
                addrs = dest.addresses
                self.outbox.enqueue(
                    dkey,
                    "email",
                    ",".join(addrs),
                    {
                        "subject": email.subject,
                        "text": email.text,
                        "html": email.html,
                        "to": addrs,
                        "message_id": message_id(dkey),
                        "list_unsubscribe": self.list_unsubscribe,
                    },
                    not_before=not_before,
                )
            keys.append(dkey)
        return keys

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
