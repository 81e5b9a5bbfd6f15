"""The Jinja2 environment: default templates, an operator's overrides, escaping per medium.

Templates live in the top-level ``templates/`` folder; an installed copy carries
them inside the package (``briefbot/templates``). ``templates_dir`` in the config
puts an operator's folder first, so any single template can be overridden.

Three kinds of message (``digest``, ``alert``, ``brief``), each in four media:

* ``{kind}.slack.json.j2``: Slack Block Kit as JSON, ``{"text": …, "blocks": […]}``;
  ``render_slack`` parses it, enforces Slack's limits and packs it into messages.
* ``{kind}.html.j2`` and ``{kind}.txt.j2``: an email; ``render_email`` inlines the CSS
  and takes the subject from the text template's ``subject()`` macro.
* ``{kind}.md.j2``: Markdown for the terminal and the archive; ``render_markdown``.

Article text is hostile input, so every medium has its own escaping filter:
``mrkdwn``/``slack_link`` (Slack: ``<!channel>`` must not ping), ``tojson`` (JSON),
Jinja's autoescape plus ``html_link`` (HTML), ``md``/``md_link`` (Markdown), ``oneline``
(plain text). Templates only see the context documented by the TypedDicts below, plus the
filters and globals registered in ``environment()``.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypedDict
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, Undefined, select_autoescape
from jinja2.exceptions import UndefinedError
from markupsafe import Markup, escape

from .errors import BriefbotError

if TYPE_CHECKING:
    from .deliver.blocks import Block, Message

__all__ = [
    "KINDS",
    "MEDIA",
    "Actor",
    "AlertContext",
    "ArticleRef",
    "BriefContext",
    "Counts",
    "DigestContext",
    "DigestGroup",
    "Highlight",
    "Position",
    "Quote",
    "RenderError",
    "RenderedEmail",
    "Story",
    "Why",
    "WhyQuote",
    "alert_context",
    "also_reported",
    "brief_context",
    "default_templates_dir",
    "digest_context",
    "email_subject",
    "environment",
    "html_link",
    "http_url",
    "key_point",
    "lead_source",
    "md_escape",
    "md_link",
    "mrkdwn",
    "normalise_story",
    "oneline",
    "plural",
    "render",
    "render_email",
    "render_markdown",
    "render_slack",
    "slack_code",
    "slack_link",
    "template_name",
    "tojson",
    "top_actors",
    "top_positions",
    "top_quotes",
    "when",
    "why_from_match",
    "why_spans",
]

Kind = Literal["digest", "alert", "brief"]
Medium = Literal["slack", "html", "txt", "md"]
KINDS: tuple[Kind, ...] = ("digest", "alert", "brief")
MEDIA: tuple[Medium, ...] = ("slack", "html", "txt", "md")
_EXT: dict[str, str] = {"slack": "slack.json", "html": "html", "txt": "txt", "md": "md"}


class RenderError(BriefbotError):
    """A template failed: a typo (StrictUndefined), invalid JSON, a wrong shape. Names the template."""


# -- contexts ------------------------------------------------------------------------------
# The shapes templates may rely on. Story and its parts are the brief JSON (briefbot.brief).


class ArticleRef(TypedDict):
    """One outlet's article of a story; the first is the lead, the rest "also reported by"."""

    title: str | None
    url: str | None
    source: str | None
    published: str | None
    full_text: str | None


class Actor(TypedDict):
    name: str
    kind: str | None  # person | organization | place | group
    role: str | None
    aliases: list[str]
    mentions: int


class Quote(TypedDict):
    text: str
    speaker: str | None
    speaker_kind: str | None  # person | organization | place | group | unnamed
    partial: bool


class Position(TypedDict):
    holder: str
    statement: str


class Story(TypedDict):
    """One event, however many outlets carried it (``briefbot.brief.story_dict``)."""

    title: str
    url: str | None
    published: str | None
    sources: list[str]
    articles: list[ArticleRef]
    key_points: list[str]
    actors: list[Actor]
    quotes: list[Quote]
    positions: list[Position]


class Counts(TypedDict):
    stories: int
    articles: int
    sources: int


class DigestGroup(TypedDict):
    """Stories of one watch; ``watch`` is None when the digest names no watches."""

    watch: str | None
    stories: list[Story]


class DigestContext(TypedDict):
    """A scheduled digest. ``since``/``until`` are ISO 8601 and shown in ``timezone`` (IANA).

    ``empty_message``: the window had nothing new, so the templates say "Nothing new since …"
    instead of listing stories (sent only when the digest asks for empty digests).
    """

    digest: str
    since: str
    until: str
    timezone: str
    counts: Counts
    groups: list[DigestGroup]
    empty_message: bool


class Highlight(TypedDict):
    """A matched span, as offsets into the story title or the matched article's text."""

    field: Literal["title", "text"]
    start: int
    end: int


class WhyQuote(TypedDict):
    text: str
    speaker: str | None


class Why(TypedDict):
    """Why an alert fired: the query terms that hit and where (``briefbot.match.Match``)."""

    terms: list[str]
    highlights: list[Highlight]
    actor: str | None
    quote: WhyQuote | None
    sentence: str | None


class AlertContext(TypedDict):
    watch: str
    query: str
    story: Story
    why: Why


class BriefContext(TypedDict):
    """The brief JSON (``briefbot.brief.build_brief``); ``query`` None means everything."""

    query: str | None
    since: str | None
    until: str | None
    stories: list[Story]


def _iso(value: str | datetime | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat(timespec="seconds")


def normalise_story(data: Mapping[str, Any]) -> Story:
    """A story with every key templates use, so a missing list is empty rather than an error.

    StrictUndefined makes a template typo fail loudly; this keeps a story that simply has no
    quotes (an unanalysed article) from failing the same way.
    """
    articles = [
        ArticleRef(title=a.get("title"), url=a.get("url"), source=a.get("source"),
                   published=a.get("published"), full_text=a.get("full_text"))
        for a in data.get("articles") or []
    ]
    sources = list(data.get("sources") or [])
    if not sources:
        sources = list(dict.fromkeys(a["source"] for a in articles if a["source"]))
    return Story(
        title=str(data.get("title") or "(untitled)"),
        url=data.get("url"),
        published=_iso(data.get("published")),
        sources=sources,
        articles=articles,
        key_points=[str(p) for p in data.get("key_points") or []],
        actors=[Actor(name=str(a.get("name") or ""), kind=a.get("kind"), role=a.get("role"),
                      aliases=list(a.get("aliases") or []), mentions=int(a.get("mentions") or 0))
                for a in data.get("actors") or []],
        quotes=[Quote(text=str(q.get("text") or ""), speaker=q.get("speaker"),
                      speaker_kind=q.get("speaker_kind"), partial=bool(q.get("partial")))
                for q in data.get("quotes") or []],
        positions=[Position(holder=str(p.get("holder") or ""), statement=str(p.get("statement") or ""))
                   for p in data.get("positions") or []],
    )


def _story_key(s: Story) -> str:
    return s["url"] or s["title"]


def digest_context(
    name: str,
    stories: Sequence[Mapping[str, Any]] | Mapping[str | None, Sequence[Mapping[str, Any]]],
    *,
    since: str | datetime,
    until: str | datetime,
    timezone: str = "UTC",
) -> DigestContext:
    """A digest from its stories: a list, or ``{watch name: stories}`` when it names watches.

    A story matched by two watches is listed once, under the first (one entry per event);
    watches with nothing new are left out. Counts are of what is listed.
    """
    ZoneInfo(timezone)  # an unknown zone fails here, not half-way through a template
    raw_groups = stories.items() if isinstance(stories, Mapping) else [(None, stories)]
    seen: set[str] = set()
    groups: list[DigestGroup] = []
    for watch, items in raw_groups:
        listed: list[Story] = []
        for item in items:
            s = normalise_story(item)
            if _story_key(s) in seen:
                continue
            seen.add(_story_key(s))
            listed.append(s)
        if listed:
            groups.append(DigestGroup(watch=watch, stories=listed))
    all_stories = [s for g in groups for s in g["stories"]]
    outlets = {o for s in all_stories for o in s["sources"]}
    counts = Counts(
        stories=len(all_stories),
        articles=sum(max(len(s["articles"]), 1) for s in all_stories),
        sources=len(outlets),
    )
    return DigestContext(
        digest=name, since=_iso(since) or "", until=_iso(until) or "", timezone=timezone,
        counts=counts, groups=groups, empty_message=not all_stories,
    )


def why_from_match(match: Any) -> Why:
    """A ``Why`` from a ``briefbot.match.Match`` (duck-typed: ``hits``, ``actor``, ``quote``, ``sentence``)."""
    hits = list(getattr(match, "hits", ()) or ())
    terms = list(dict.fromkeys(str(h.term) for h in hits))
    highlights = [Highlight(field=h.where, start=int(h.start), end=int(h.end))
                  for h in hits if h.where in ("title", "text")]
    actor = getattr(match, "actor", None)
    quote = getattr(match, "quote", None)
    return Why(
        terms=terms,
        highlights=highlights,
        actor=(actor.get("name") if isinstance(actor, Mapping) else actor) or None,
        quote=WhyQuote(text=str(quote.get("text") or ""), speaker=quote.get("speaker"))
        if isinstance(quote, Mapping) else None,
        sentence=getattr(match, "sentence", None),
    )


def alert_context(watch: str, query: str, story: Mapping[str, Any], why: Any = None) -> AlertContext:
    """An alert for one story; ``why`` is a ``Why`` dict, a ``briefbot.match.Match``, or None."""
    if why is None:
        w = Why(terms=[], highlights=[], actor=None, quote=None, sentence=None)
    elif isinstance(why, Mapping):
        q = why.get("quote")
        w = Why(
            terms=[str(t) for t in why.get("terms") or []],
            highlights=[Highlight(field=h["field"], start=int(h["start"]), end=int(h["end"]))
                        for h in why.get("highlights") or []],
            actor=why.get("actor"),
            quote=WhyQuote(text=str(q.get("text") or ""), speaker=q.get("speaker")) if q else None,
            sentence=why.get("sentence"),
        )
    else:
        w = why_from_match(why)
    return AlertContext(watch=watch, query=query, story=normalise_story(story), why=w)


def brief_context(
    stories: Sequence[Mapping[str, Any]],
    *,
    query: str | None = None,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
) -> BriefContext:
    """The brief JSON, as ``build_brief`` returns it (use this when assembling one by hand)."""
    return BriefContext(query=query, since=_iso(since), until=_iso(until),
                        stories=[normalise_story(s) for s in stories])


# -- what a story shows ---------------------------------------------------------------------


def key_point(story: Mapping[str, Any]) -> str:
    """The story's first key point, or "" (a digest shows one line per story)."""
    points = story.get("key_points") or []
    return str(points[0]) if points else ""


def top_actors(story: Mapping[str, Any], n: int = 5) -> list[Actor]:
    """The most-mentioned actors, people and organisations before places (a place is rarely a side)."""
    actors = [a for a in story.get("actors") or [] if a.get("name")]
    ranked = sorted(enumerate(actors), key=lambda ia: (ia[1].get("kind") == "place",
                                                       -int(ia[1].get("mentions") or 0), ia[0]))
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
    from .deliver.blocks import mrkdwn_escape

    return mrkdwn_escape(oneline(value))


def slack_link(url: Any, label: Any = None) -> str:
    """``<url|label>`` that cannot be bent into another link; non-http(s) gives the label only."""
    from .deliver.blocks import link

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


def _fold_same_length(text: str) -> str:
    """Case- and accent-folded text of the same length, so regex offsets map back 1:1."""
    out = []
    for ch in text:
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append((base.casefold() or ch)[:1])
    return "".join(out)


def _term_regex(term: str) -> re.Pattern[str] | None:
    """A query term (``title:strike*``, ``"climate change"``) as a regex over folded text."""
    t = term.strip()
    t = re.sub(r"^-?[a-z]+:", "", t)
    prefix = t.endswith("*")
    words = re.findall(r"\w+", _fold_same_length(t.strip('"*')))
    if not words:
        return None
    body = r"\W+".join(re.escape(w) for w in words)
    return re.compile(r"(?<!\w)" + body + (r"\w*" if prefix else r"(?!\w)"))


def _term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    folded = _fold_same_length(text)
    spans: list[tuple[int, int]] = []
    for term in terms:
        rx = _term_regex(term)
        if rx is not None:
            spans.extend(m.span() for m in rx.finditer(folded) if m.end() > m.start())
    return spans


def _merge(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def why_spans(why: Mapping[str, Any], text: Any, part: str = "title") -> list[tuple[int, int]]:
    """Spans of ``text`` to highlight for an alert.

    For the title the matcher's own spans are used when they fit it; the sentence, the
    quote (and a title whose spans do not fit, say another outlet's wording) are
    highlighted by finding the matched terms again, the same folded way the matcher does.
    """
    s = "" if text is None else str(text)
    if part == "title":
        given = [(int(h["start"]), int(h["end"])) for h in why.get("highlights") or [] if h.get("field") == "title"]
        if given and all(0 <= a < b <= len(s) for a, b in given):
            return _merge(given)
    return _merge(_term_spans(s, why.get("terms") or []))


def _segments(text: str, spans: Sequence[Sequence[int]]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    pos = 0
    for a, b in _merge((int(x[0]), int(x[1])) for x in spans):
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


def _highlighter(escape_part: Any, before: str, after: str) -> Any:
    def highlight(value: Any, spans: Sequence[Sequence[int]] = ()) -> str:
        text = "" if value is None else str(value)
        return "".join(f"{before}{escape_part(seg)}{after}" if hit else escape_part(seg)
                       for seg, hit in _segments(text, spans))
    return highlight


def _hl_html(value: Any, spans: Sequence[Sequence[int]] = ()) -> Markup:
    text = "" if value is None else str(value)
    flat = _keep_spacing(None)
    return Markup("").join(Markup("<mark>{}</mark>").format(flat(seg)) if hit else escape(flat(seg))
                           for seg, hit in _segments(text, spans))


def _keep_spacing(fn: Any) -> Any:
    """Escape a segment without trimming it, so words either side of a highlight stay apart."""
    return lambda seg: _CONTROLS_RE.sub(" ", fn(seg) if fn else seg)


# -- environment -------------------------------------------------------------------------------


def default_templates_dir() -> Path:
    here = Path(__file__).resolve().parent
    for cand in (here / "templates", here.parent / "templates"):
        if cand.is_dir():
            return cand
    raise BriefbotError("the default templates are missing", hint="reinstall briefbot")


@lru_cache(maxsize=8)
def environment(templates_dir: str | None = None) -> Environment:
    """The Jinja environment: the operator's folder (if any) first, then the defaults."""
    loaders = []
    if templates_dir:
        loaders.append(FileSystemLoader(templates_dir))
    loaders.append(FileSystemLoader(str(default_templates_dir())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,  # a typo in a template fails loudly instead of rendering blank
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update({
        # Markdown
        "md": md_escape,
        "md_link": md_link,
        "hl_md": _highlighter(lambda s: md_escape(s), "**", "**"),
        # Slack
        "mrkdwn": mrkdwn,
        "slack_link": slack_link,
        "slack_code": slack_code,
        "hl_mrkdwn": _highlighter(_keep_spacing(_mrkdwn_keep), "*", "*"),
        # HTML (autoescaped; these return Markup)
        "html_link": html_link,
        "hl_html": _hl_html,
        # plain text
        "oneline": oneline,
        "http_url": http_url,
        "hl_text": _highlighter(_keep_spacing(None), "*", "*"),
        # data
        "when": when,
        "tojson": tojson,
        "tojson_compact": tojson,
        "key_point": key_point,
        "top_actors": top_actors,
        "top_quotes": top_quotes,
        "top_positions": top_positions,
        "also_reported": also_reported,
        "lead_source": lead_source,
        "plural": plural,
    })
    env.globals["why_spans"] = why_spans
    return env


def _mrkdwn_keep(seg: str) -> str:
    from .deliver.blocks import mrkdwn_escape

    return mrkdwn_escape(seg)


def template_name(kind: str, medium: str) -> str:
    """``digest`` + ``slack`` → ``digest.slack.json.j2``."""
    if kind not in KINDS:
        raise RenderError(f"unknown message kind {kind!r}", hint="one of " + ", ".join(KINDS))
    if medium not in MEDIA:
        raise RenderError(f"unknown medium {medium!r}", hint="one of " + ", ".join(MEDIA))
    return f"{kind}.{_EXT[medium]}.j2"


def _template_line(name: str, tb: TracebackType | None) -> int | None:
    """The template line a render error happened on (Jinja maps its frames to template lines)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(name):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render(name: str, context: Mapping[str, Any], templates_dir: str | None = None) -> str:
    """Render one template by name; an undefined name or attribute raises ``RenderError``."""
    try:
        return environment(templates_dir).get_template(name).render(**context)
    except UndefinedError as e:
        line = _template_line(name, e.__traceback__)
        at = f" line {line}" if line else ""
        raise RenderError(f"template {name}{at}: {e}",
                          hint="a typo in the template, or a context key it does not have") from e


def _tdir(templates_dir: str | Path | None) -> str | None:
    return str(templates_dir) if templates_dir else None


# -- media ---------------------------------------------------------------------------------------


def render_markdown(kind: str, ctx: Mapping[str, Any], templates_dir: str | Path | None = None) -> str:
    """Markdown for the terminal and the archive."""
    return render(template_name(kind, "md"), ctx, _tdir(templates_dir))


@dataclass(frozen=True)
class RenderedEmail:
    """The three parts of an email; ``html`` has its CSS inlined, ``subject`` is one line."""

    subject: str
    text: str
    html: str


def email_subject(kind: str, ctx: Mapping[str, Any]) -> str:
    """The subject when a (custom) text template has no ``subject()`` macro."""
    if kind == "alert":
        return f"[{ctx['watch']}] {ctx['story']['title']}"
    if kind == "digest":
        n = ctx["counts"]["stories"]
        return f"Digest {ctx['digest']}: {n} {'story' if n == 1 else 'stories'}"
    q = ctx.get("query")
    n = len(ctx.get("stories") or [])
    return f"Brief{': ' + q if q else ''} ({n} {'story' if n == 1 else 'stories'})"


def render_email(kind: str, ctx: Mapping[str, Any], templates_dir: str | Path | None = None) -> RenderedEmail:
    """Subject, plain text and HTML of an email.

    The subject is the text template's ``subject()`` macro, flattened to one line (a title
    with CR/LF must not add a header). The HTML is autoescaped by Jinja; its ``<style>`` is
    inlined because many mail clients strip style blocks.
    """
    from .deliver.email import SUBJECT_MAX, clean_header, inline_css

    tdir = _tdir(templates_dir)
    txt_name = template_name(kind, "txt")
    try:
        module = environment(tdir).get_template(txt_name).make_module(dict(ctx))
        text = str(module)
        subject_macro = getattr(module, "subject", None)
        subject = str(subject_macro()) if callable(subject_macro) else email_subject(kind, ctx)
    except UndefinedError as e:
        line = _template_line(txt_name, e.__traceback__)
        raise RenderError(f"template {txt_name}{f' line {line}' if line else ''}: {e}",
                          hint="a typo in the template, or a context key it does not have") from e
    subject = clean_header(subject, SUBJECT_MAX) or email_subject(kind, ctx)
    html = inline_css(render(template_name(kind, "html"), {**ctx, "subject": subject}, tdir))
    return RenderedEmail(subject=subject, text=text, html=html)


def _slack_payload(name: str, raw: str) -> tuple[str, list[Block]]:
    """Parse a Slack template's output; a template that writes bad JSON is named, with the spot."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        lines = raw.splitlines()
        near = lines[e.lineno - 1].strip()[:120] if 0 < e.lineno <= len(lines) else ""
        raise RenderError(
            f"template {name} produced invalid JSON: {e.msg} at output line {e.lineno} column {e.colno}: {near!r}",
            hint="put text through |tojson and check the commas between blocks",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("blocks"), list):
        raise RenderError(f"template {name} must produce an object with a \"blocks\" list")
    text = data.get("text")
    if not isinstance(text, str):
        raise RenderError(f"template {name} must produce a \"text\" fallback string",
                          hint="Slack needs it for notifications and screen readers")
    if not all(isinstance(b, dict) and isinstance(b.get("type"), str) for b in data["blocks"]):
        raise RenderError(f"template {name}: every block must be an object with a \"type\"")
    return text, data["blocks"]


def _enforce(blocks: Iterable[Block]) -> list[Block]:
    """Bring each block inside Slack's limits: long sections split, headers cut, contexts ≤10."""
    from .deliver.blocks import context, header, section

    out: list[Block] = []
    for b in blocks:
        kind = b.get("type")
        if kind == "header":
            out.append(header(str((b.get("text") or {}).get("text") or "")))
        elif kind == "section" and isinstance(b.get("text"), dict) and set(b) <= {"type", "text"}:
            t = b["text"]
            if t.get("type", "mrkdwn") == "mrkdwn":
                out.extend(section(str(t.get("text") or "")))
            elif t.get("text"):
                out.append(b)
        elif kind == "context":
            if b.get("elements"):
                out.append(context([e.get("text", "") if e.get("type") == "mrkdwn" else e
                                    for e in b["elements"]]))
        else:
            out.append(b)
    return out


def render_slack(kind: str, ctx: Mapping[str, Any], templates_dir: str | Path | None = None) -> list[Message]:
    """Slack messages: the first goes to the channel, the rest are replies in its thread.

    The JSON template's blocks are brought within Slack's limits and packed by
    ``split_messages``, so a long digest continues in the thread and never loses a story.
    """
    from .deliver.blocks import split_messages

    name = template_name(kind, "slack")
    text, blocks = _slack_payload(name, render(name, ctx, _tdir(templates_dir)))
    return split_messages(_enforce(blocks), text)
