"""The one parser for briefbot's own ISO-style dates.

Used wherever briefbot reads a date it or a library wrote in ISO form: the ``date YYYY-MM-DD``
marker of the plain-text article format, the dates trafilatura extracts from pages, and
``published`` in stored analyses. Dates in feeds are a different matter (RFC 822, W3C-DTF
and worse) and are parsed by feedparser in ``briefbot.ingest.feeds``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["DATE_MARKER", "parse_date"]

# The date line of the plain-text article format, ``date YYYY-MM-DD`` at the start of the text
# (group 1 is the date). ``briefbot.ingest.loader`` reads it; the analyser drops one that is
# still at the start of a body it is handed.
DATE_MARKER = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*\n?", re.IGNORECASE)


def parse_date(value: str | None) -> datetime | None:
    """``YYYY-MM-DD`` or an ISO 8601 datetime -> an aware datetime in UTC, else None.

    A trailing ``Z`` means UTC and so does a missing zone (as everywhere in briefbot); an
    offset is converted to UTC. Bad input never raises: an empty, malformed or out-of-range
    value (year 9999 with a negative offset lies past ``datetime.max`` in UTC) gives None.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
