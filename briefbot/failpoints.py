"""Named points where a test can kill the process (SIGKILL), to prove nothing is lost at any crash point.

Set BRIEFBOT_FAILPOINT=name (or name:N to die at the N-th time the point is hit). Unset, a hit costs one
dict lookup.
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def hit(name: str) -> None:
    """Die here if $BRIEFBOT_FAILPOINT names this point (tests only; a no-op otherwise)."""
    spec = os.environ.get("BRIEFBOT_FAILPOINT")
    if not spec:
        return
    want, _, nth = spec.rpartition(":")
    if not nth.isdigit():  # no count given: the whole spec is the name (names hold ':' themselves)
        want, nth = spec, "1"
    if want != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
