"""Template filters: what a story shows, escaping and links per medium, highlighting.

Article text is hostile input, so every medium has its own escaping filter:
``mrkdwn``/``slack_link`` (Slack: ``<!channel>`` must not ping), ``tojson`` (JSON),
Jinja's autoescape plus ``html_link`` (HTML), ``md``/``md_link`` (Markdown), ``oneline``
(plain text). The ``hl_*`` filters wrap the spans ``why_spans`` returns and escape the rest;
the spans themselves come from the matcher, via ``alert_context``: no folding happens here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Undefined
from markupsafe import Markup, escape

from ..match.explain import merge_spans
from .contexts import Actor, ArticleRef, Position, Quote

__all__ = [
    "HIGHLIGHT_FILTERS",
    "also_reported",
    "html_link",
    "http_url",
    "key_point",
    "lead_source",
    "md_escape",
    "md_link",
    "mrkdwn",
    "oneline",
    "plural",
    "slack_code",
    "slack_link",
    "tojson",
    "top_actors",
    "top_positions",
    "top_quotes",
    "when",
    "why_spans",
]


# -- what a story shows ---------------------------------------------------------------------


def key_point(story: Mapping[str, Any]) -> str:
    """The story's first key point, or "" (a digest shows one line per story)."""
    points = story.get("key_points") or []
    return str(points[0]) if points else ""


def top_actors(story: Mapping[str, Any], n: int = 5) -> list[Actor]:
    """The most-mentioned actors, people and organisations before places (a place is rarely a side)."""
    actors = [a for a in story.get("actors") or [] if a.get("name")]
    ranked = sorted(
        enumerate(actors),
        key=lambda ia: (ia[1].get("kind") == "place", -int(ia[1].get("mentions") or 0), ia[0]),
    )
    return [a for _, a in ranked[:n]]


def _named(q: Mapping[str, Any]) -> bool:
    return bool(q.get("speaker")) and q.get("speaker_kind") != "unnamed"


def top_quotes(story: Mapping[str, Any], n: int = 2) -> list[Quote]:
    """Full quotes (partials are fragments), named speakers first, one per speaker while possible.

    Two quotes from two sides tell more than two from the same person.
    """
    full = [q for q in story.get("quotes") or [] if not q.get("partial") and q.get("text")]
    named = [q for q in full if _named(q)]
    picked: list[Any] = []
    speakers: set[str] = set()
    for q in named:
        if q["speaker"] not in speakers:
            picked.append(q)
            speakers.add(q["speaker"])
    for q in named + [q for q in full if not _named(q)]:
        if q not in picked:
            picked.append(q)
    return picked[:n]


def top_positions(story: Mapping[str, Any], n: int = 3) -> list[Position]:
    """The first positions, one per holder (the analyser lists the main sides first)."""
    out: list[Any] = []
    holders: set[str] = set()
    for p in story.get("positions") or []:
        if p.get("holder") and p.get("statement") and p["holder"] not in holders:
            out.append(p)
            holders.add(p["holder"])
    return out[:n]


def also_reported(story: Mapping[str, Any]) -> list[ArticleRef]:
    """The other outlets' articles, one per outlet, not the lead's own outlet."""
    articles = story.get("articles") or []
    if not articles:
        return []
    lead = articles[0].get("source")
    seen = {lead} if lead else set()
    out: list[Any] = []
    for a in articles[1:]:
        src = a.get("source") or a.get("url")
        if src and src not in seen:
            seen.add(src)
            out.append(a)
    return out


def lead_source(story: Mapping[str, Any]) -> str:
    """The outlet of the lead article (the earliest report), or the first named source."""
    articles = story.get("articles") or []
    if articles and articles[0].get("source"):
        return str(articles[0]["source"])
    sources = story.get("sources") or []
    return str(sources[0]) if sources else ""


def plural(n: int, one: str, many: str) -> str:
    """``3 | plural("story", "stories")`` → ``3 stories``."""
    return f"{n} {one if n == 1 else many}"


# -- escaping and formatting ----------------------------------------------------------------

_CONTROLS_RE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def oneline(value: Any) -> str:
    """Text on one line: CR, LF, tabs and other controls become spaces (terminal escapes too)."""
    text = "" if value is None else str(value)
    return " ".join(_CONTROLS_RE.sub(" ", text).split())


def md_escape(value: Any) -> str:
    """Keep article text from turning into Markdown structure (links, emphasis, headings, HTML).

    Line breaks become spaces so a title cannot start a heading or a list of its own.
    """
    text = "" if value is None else str(value)
    out = []
    for ch in _CONTROLS_RE.sub(" ", text):
        if ch in "\\`*_[]<>#|~&":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


_MD_URL_SAFE = "/:?#@!$&'*+,;=%-._~"  # no ( ) < > [ ] space: they end a Markdown link


_URL_SAFE = "/:?#[]@!$&'()*+,;=%-._~"  # what may stay in a URL; spaces, quotes, <, >, | are encoded


def _http_url(url: Any) -> str | None:
    """The URL, percent-encoded, if it is http(s) with a host, else None.

    ``javascript:`` must never become a link, and a ``>`` or ``"`` must never end one early.
    """
    if not url:
        return None
    u = str(url).strip()
    try:
        parts = urlsplit(u)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(u, safe=_URL_SAFE)


def md_link(url: Any, label: Any = None) -> str:
    """``[label](url)`` for an http(s) URL, else just the escaped label."""
    text = md_escape(oneline(label)) if label else ""
    u = _http_url(url)
    if u is None:
        return text
    safe = quote(u, safe=_MD_URL_SAFE)
    return f"[{text or md_escape(safe)}]({safe})"


def mrkdwn(value: Any) -> str:
    """Slack mrkdwn text on one line with ``&``, ``<``, ``>`` escaped: ``<!channel>`` stays text."""
    from ..deliver.blocks import mrkdwn_escape

    return mrkdwn_escape(oneline(value))


def slack_link(url: Any, label: Any = None) -> str:
    """``<url|label>`` that cannot be bent into another link; non-http(s) gives the label only."""
    from ..deliver.blocks import link

    return link(str(url or ""), oneline(label) or None)


def slack_code(value: Any) -> str:
    """Inline code for a query term (``port*`` would otherwise start bold); backticks removed."""
    return "`" + mrkdwn(str(value).replace("`", "'")) + "`"


def html_link(url: Any, label: Any = None) -> Markup:
    """``<a href>`` for an http(s) URL, else the escaped label; safe in an autoescaped template."""
    text = oneline(label)
    u = _http_url(url)
    if u is None:
        return Markup(escape(text))
    return Markup('<a href="{}">{}</a>').format(u, text or u)


def http_url(url: Any) -> str:
    """The URL when it may be shown as a link, else "" (for plain text and ``href``)."""
    return _http_url(url) or ""


def tojson(value: Any) -> str:
    """A JSON literal (quotes, backslashes, newlines escaped), for the Slack JSON templates.

    Jinja's own ``tojson`` turns an undefined name into a TypeError; this one fails with the
    usual undefined-name error, so a typo is reported as one.
    """
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return json.dumps(value, ensure_ascii=False)


def when(value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M %Z", tz: str | None = None) -> str:
    """A timestamp for people; with ``tz`` in that zone (naive times are UTC, as stored)."""
    if value is None or value == "":
        return "unknown time"
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    if tz:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        dt = dt.astimezone(ZoneInfo(tz))
    return dt.strftime(fmt).strip()


# -- highlighting matched terms ---------------------------------------------------------------


def why_spans(why: Mapping[str, Any], text: Any, part: str = "title") -> list[tuple[int, int]]:
    """Spans of ``text`` to highlight in an alert: those ``alert_context`` stored for ``part``.

    ``part`` is ``title``, ``sentence`` or ``quote``; the spans are the matcher's own
    (``CompiledQuery.spans``), found in that very string. Nothing is searched again here: if
    the stored spans do not fit ``text`` (a template showing another string), none are given.
    """
    s = "" if text is None else str(text)
    spans = [(int(h["start"]), int(h["end"])) for h in why.get("highlights") or [] if h.get("field") == part]
    if not all(0 <= a < b <= len(s) for a, b in spans):
        return []
    return merge_spans(spans)


def _segments(text: str, spans: Sequence[Sequence[int]]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    pos = 0
    for a, b in merge_spans([(int(x[0]), int(x[1])) for x in spans]):
        a, b = max(a, pos), min(b, len(text))
        if a >= b:
            continue
        if a > pos:
            out.append((text[pos:a], False))
        out.append((text[a:b], True))
        pos = b
    if pos < len(text):
        out.append((text[pos:], False))
    return out


_Escape = Callable[[str], str]


def _highlighter(escape_part: _Escape, before: str, after: str) -> Callable[..., str]:
    def highlight(value: Any, spans: Sequence[Sequence[int]] = ()) -> str:
        text = "" if value is None else str(value)
        return "".join(
            f"{before}{escape_part(seg)}{after}" if hit else escape_part(seg)
            for seg, hit in _segments(text, spans)
        )

    return highlight


def _hl_html(value: Any, spans: Sequence[Sequence[int]] = ()) -> Markup:
    text = "" if value is None else str(value)
    flat = _keep_spacing(None)
    return Markup("").join(
        Markup("<mark>{}</mark>").format(flat(seg)) if hit else escape(flat(seg))
        for seg, hit in _segments(text, spans)
    )


def _keep_spacing(fn: _Escape | None) -> _Escape:
    """Escape a segment without trimming it, so words either side of a highlight stay apart."""
    return lambda seg: _CONTROLS_RE.sub(" ", fn(seg) if fn else seg)


def _mrkdwn_keep(seg: str) -> str:
    from ..deliver.blocks import mrkdwn_escape

    return mrkdwn_escape(seg)


#: The highlighting filters, by name: each takes the text and the spans ``why_spans`` gives.
HIGHLIGHT_FILTERS: dict[str, Callable[..., Any]] = {
    "hl_md": _highlighter(md_escape, "**", "**"),
    "hl_mrkdwn": _highlighter(_keep_spacing(_mrkdwn_keep), "*", "*"),
    "hl_html": _hl_html,
    "hl_text": _highlighter(_keep_spacing(None), "*", "*"),
}
