"""The contexts templates see: TypedDicts documenting their shape, and the builders.

``digest_context``, ``alert_context`` and ``brief_context`` turn stories (the brief JSON of
``briefbot.model.Story.to_dict``) into what the templates of each kind rely on. ``alert_context`` also
decides what an alert highlights: the spans the matcher itself finds in each string shown
(``CompiledQuery.spans``), stored in ``Why.highlights`` for ``why_spans`` to hand back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypedDict
from zoneinfo import ZoneInfo

from ..match import CompiledQuery, QueryError, compile_query

__all__ = [
    "Actor",
    "AlertContext",
    "ArticleRef",
    "BriefContext",
    "Counts",
    "DigestContext",
    "DigestGroup",
    "Highlight",
    "HighlightField",
    "Position",
    "Quote",
    "Story",
    "Why",
    "WhyQuote",
    "alert_context",
    "brief_context",
    "digest_context",
    "normalise_story",
    "why_from_match",
]

# The shapes templates may rely on. Story and its parts are the brief JSON (``briefbot.model.Story.to_dict``).


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
    """One event, however many outlets carried it (``briefbot.model.Story.to_dict``)."""

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


#: What a highlight's offsets index. In an alert: ``title`` the story's (lead's) title,
#: ``sentence`` ``why.sentence``, ``quote`` ``why.quote.text``: the strings the templates show.
#: ``text`` (the matched article's text) only comes from ``why_from_match``; nothing shows it.
HighlightField = Literal["title", "text", "sentence", "quote"]


class Highlight(TypedDict):
    """A span to highlight, as offsets into the string ``field`` names."""

    field: HighlightField
    start: int
    end: int


class WhyQuote(TypedDict):
    text: str
    speaker: str | None


class Why(TypedDict):
    """Why an alert fired: the query terms that hit (``briefbot.match.Match``) and what to highlight.

    In an ``AlertContext`` the highlights are the matcher's own spans of the terms in the
    story title, the sentence and the quote (fields ``title``, ``sentence``, ``quote``).
    """

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
    """The brief JSON (``briefbot.notify.Brief.to_dict``); ``query`` None means everything."""

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
        ArticleRef(
            title=a.get("title"),
            url=a.get("url"),
            source=a.get("source"),
            published=a.get("published"),
            full_text=a.get("full_text"),
        )
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
        actors=[
            Actor(
                name=str(a.get("name") or ""),
                kind=a.get("kind"),
                role=a.get("role"),
                aliases=list(a.get("aliases") or []),
                mentions=int(a.get("mentions") or 0),
            )
            for a in data.get("actors") or []
        ],
        quotes=[
            Quote(
                text=str(q.get("text") or ""),
                speaker=q.get("speaker"),
                speaker_kind=q.get("speaker_kind"),
                partial=bool(q.get("partial")),
            )
            for q in data.get("quotes") or []
        ],
        positions=[
            Position(holder=str(p.get("holder") or ""), statement=str(p.get("statement") or ""))
            for p in data.get("positions") or []
        ],
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
        digest=name,
        since=_iso(since) or "",
        until=_iso(until) or "",
        timezone=timezone,
        counts=counts,
        groups=groups,
        empty_message=not all_stories,
    )


def why_from_match(match: Any) -> Why:
    """A ``Why`` from a ``briefbot.match.Match`` (duck-typed: ``hits``, ``actor``, ``quote``, ``sentence``).

    Its highlights are the match's own hits in the title and text *of the article matched*,
    which need not be the story's lead: ``alert_context`` takes the Match itself and finds
    the spans in the strings an alert shows.
    """
    hits = list(getattr(match, "hits", ()) or ())
    terms = list(dict.fromkeys(str(h.term) for h in hits))
    highlights = [
        Highlight(field=h.where, start=int(h.start), end=int(h.end))
        for h in hits
        if h.where in ("title", "text")
    ]
    actor = getattr(match, "actor", None)
    quote = getattr(match, "quote", None)
    return Why(
        terms=terms,
        highlights=highlights,
        actor=(actor.get("name") if isinstance(actor, Mapping) else actor) or None,
        quote=WhyQuote(text=str(quote.get("text") or ""), speaker=quote.get("speaker"))
        if isinstance(quote, Mapping)
        else None,
        sentence=getattr(match, "sentence", None),
    )


def _why_from_mapping(why: Mapping[str, Any]) -> Why:
    q = why.get("quote")
    return Why(
        terms=[str(t) for t in why.get("terms") or []],
        highlights=[
            Highlight(field=h["field"], start=int(h["start"]), end=int(h["end"]))
            for h in why.get("highlights") or []
        ],
        actor=why.get("actor"),
        quote=WhyQuote(text=str(q.get("text") or ""), speaker=q.get("speaker")) if q else None,
        sentence=why.get("sentence"),
    )


def _compile(query: str) -> CompiledQuery | None:
    try:
        return compile_query(query)
    except QueryError:
        return None


#: Parts of an alert that are highlighted, and the field a query term must have (or none) to
#: be highlighted there: the sentence is a piece of the article's text.
_SHOWN: tuple[tuple[Literal["title", "sentence", "quote"], str], ...] = (
    ("title", "title"),
    ("sentence", "text"),
    ("quote", "quote"),
)


def _shown_strings(story: Story, w: Why) -> dict[str, str | None]:
    """The strings an alert shows highlighted, exactly as the templates show them."""
    sentence, quote = w["sentence"], w["quote"]
    return {
        "title": story["title"],
        "sentence": str(sentence) if sentence else None,
        "quote": quote["text"] if quote else None,
    }


def _highlights(
    cq: CompiledQuery | None, shown: Mapping[str, str | None], *, any_field: bool = False
) -> list[Highlight]:
    """The query's spans in each shown string (``any_field``: a term counts whatever its field)."""
    out: list[Highlight] = []
    if cq is None:
        return out
    for part, where in _SHOWN:
        text = shown.get(part)
        if text:
            spans = cq.spans(text, None if any_field else where)
            out.extend(Highlight(field=part, start=a, end=b) for a, b in spans)
    return out


def alert_context(watch: str, query: str, story: Mapping[str, Any], why: Any = None) -> AlertContext:
    """An alert for one story; ``why`` is a ``briefbot.match.Match``, a ``Why`` dict, or None.

    From a Match, the highlights are computed here, by the matcher (``CompiledQuery.spans``
    of the terms that hit), on the strings the alert shows: the story's title (the lead
    report's, whichever report matched), the sentence and the quote. So they agree with
    matching whatever the folding ("strasse" highlights "Straße") and never index another
    report's title. A ``Why`` dict keeps the highlights it has for a part; a part it has none
    for is highlighted with every term of ``query``, whatever the term's field.
    """
    s = normalise_story(story)
    if why is None:
        return AlertContext(
            watch=watch,
            query=query,
            story=s,
            why=Why(terms=[], highlights=[], actor=None, quote=None, sentence=None),
        )
    if isinstance(why, Mapping):
        w = _why_from_mapping(why)
        given = [h for h in w["highlights"] if h["field"] in ("title", "sentence", "quote")]
        have = {h["field"] for h in given}
        missing = {p: t for p, t in _shown_strings(s, w).items() if p not in have}
        w["highlights"] = given + (_highlights(_compile(query), missing, any_field=True) if missing else [])
    else:
        w = why_from_match(why)
        # The terms that hit, as written (``title:dock*``), as one query: its spans are the hits'.
        w["highlights"] = _highlights(_compile(" OR ".join(w["terms"])), _shown_strings(s, w))
    return AlertContext(watch=watch, query=query, story=s, why=w)


def brief_context(
    stories: Sequence[Mapping[str, Any]],
    *,
    query: str | None = None,
    since: str | datetime | None = None,
    until: str | datetime | None = None,
) -> BriefContext:
    """The brief JSON, as ``build_brief`` returns it (use this when assembling one by hand)."""
    return BriefContext(
        query=query, since=_iso(since), until=_iso(until), stories=[normalise_story(s) for s in stories]
    )
