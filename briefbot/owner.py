"""Who holds a claim: ``host:pid:start`` of a process, and whether such a process still runs.

Every claim one instance takes in the shared database (an outbox row being sent, a source
being polled, the story-grouping lock) is stamped with this identity, so operators see who
holds what and a process on the same host can tell a dead holder from a live one.
"""

from __future__ import annotations

import os
import socket


def _start_ticks(pid: int) -> str | None:
    """The process' start time in clock ticks since boot (Linux), which tells a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def process_identity() -> str:
    """``host:pid:start`` of this process, stored on every row it claims."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or ''}"


def running(pid_start: str) -> bool:
    """Whether the process `pid:start` (from process_identity, on this host) still runs."""
    pid_s, _, start = pid_start.partition(":")
    try:
        pid = int(pid_s)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True  # it exists, under another user
    return not start or _start_ticks(pid) in (None, start)


def is_dead(owner: str) -> bool:
    """Whether ``owner`` (host:pid:start) names a process on this host that no longer runs."""
    host, _, rest = owner.partition(":")
    return host == socket.gethostname() and not running(rest)
