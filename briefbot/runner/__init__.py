"""Running on a schedule: `briefbot run`'s scheduler and the digest schedule language."""

from __future__ import annotations

from .scheduler import HEARTBEAT_ENV, Runner, heartbeat_path

__all__ = ["HEARTBEAT_ENV", "Runner", "heartbeat_path"]
