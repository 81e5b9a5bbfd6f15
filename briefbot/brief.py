"""On-demand briefs: stored articles in a window, grouped into stories, as plain data.

The dict built here is the brief's JSON shape and the context every template
renders, so the terminal, Slack and email all show the same brief.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .match import MatchDoc, compile_query
from .store import StoredArticle, Store

_SENTENCE_END = re.compile(r'(?<=[.!?])["\u201d\u2019]?\s+(?=["\u201c\u2018]?[A-Z0-9])')


def first_sentences(text: str, n: int = 3) -> list[str]:
    """A fallback summary for articles the analyser has not seen yet."""
    flat = re.sub(r"\s+", " ", text).strip()
    return [s for s in _SENTENCE_END.split(flat) if s][:n]


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


@dataclass
class BriefRequest:
    query: str | None
    since: datetime
    until: datetime


def build_brief(store: Store, req: BriefRequest) -> dict[str, Any]:
    """Articles that arrived in the window and match the query, one story per event."""
    match = compile_query(req.query)
    window = store.articles(since=req.since, until=req.until)
    hits = [a for a in window if match.matches(MatchDoc.from_article(a.title, a.text, a.sources, a.analysis))]
    # a story is in the brief when any of its reports matches, and then with all of them
    stories_hit = {a.story_id for a in hits if a.story_id is not None}
    hit_ids = {a.id for a in hits}
    found = [a for a in window if a.id in hit_ids or (a.story_id is not None and a.story_id in stories_hit)]
    groups: dict[Any, list[StoredArticle]] = {}
    for a in found:
        groups.setdefault(("story", a.story_id) if a.story_id is not None else ("article", a.id), []).append(a)
    stories = [story_dict(arts) for arts in groups.values()]
    stories.sort(key=lambda s: s["published"] or "", reverse=True)
    return {"query": req.query, "since": _iso(req.since), "until": _iso(req.until), "stories": stories}


def story_dict(arts: list[StoredArticle]) -> dict[str, Any]:
    """One story from its articles: the earliest is the lead, the others "also reported by"."""
    arts = sorted(arts, key=lambda a: (a.published or a.first_seen, a.id))
    lead = arts[0]
    analysis = merge_analyses([a.analysis for a in arts if a.analysis])
    outlets: list[str] = []
    for a in arts:
        for s in a.sources:
            if s not in outlets:
                outlets.append(s)
    return {
        "title": lead.title or "(untitled)",
        "url": lead.url,
        "published": _iso(lead.published or lead.first_seen),
        "sources": outlets,
        "articles": [
            {"title": a.title, "url": a.url, "source": a.sources[0] if a.sources else None,
             "published": _iso(a.published or a.first_seen), "full_text": a.text_full}
            for a in arts
        ],
        "key_points": list((lead.analysis or {}).get("key_points") or first_sentences(lead.text)),
        "actors": list(analysis.get("actors") or []),
        "quotes": list(analysis.get("quotes") or []),
        "positions": list(analysis.get("positions") or []),
    }


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.casefold()).strip()


def merge_analyses(analyses: list[dict[str, Any]]) -> dict[str, Any]:
    """One story's actors, quotes and positions from all its reports, lead report first.

    Actors merge on their name (or an alias of one already seen): mentions add up, the
    first role found is kept, aliases are united. Quotes and positions are kept once.
    """
    actors: list[dict[str, Any]] = []
    by_name: dict[str, dict[str, Any]] = {}
    quotes: list[dict[str, Any]] = []
    seen_quotes: set[str] = set()
    positions: list[dict[str, Any]] = []
    seen_positions: set[tuple[str, str]] = set()
    for an in analyses:
        for a in an.get("actors") or []:
            names = [a.get("name") or "", *(a.get("aliases") or [])]
            known = next((by_name[_norm(n)] for n in names if n and _norm(n) in by_name), None)
            if known is None:
                known = {**a, "aliases": list(a.get("aliases") or []), "mentions": int(a.get("mentions") or 0)}
                actors.append(known)
            else:
                known["mentions"] = int(known.get("mentions") or 0) + int(a.get("mentions") or 0)
                known["role"] = known.get("role") or a.get("role")
                for alias in names:
                    if alias and alias != known["name"] and alias not in known["aliases"]:
                        known["aliases"].append(alias)
            for n in [known["name"], *known["aliases"]]:
                by_name.setdefault(_norm(n), known)
        for q in an.get("quotes") or []:
            key = _norm(q.get("text") or "")
            if key and key not in seen_quotes:
                seen_quotes.add(key)
                quotes.append(q)
        for p in an.get("positions") or []:
            pkey = (_norm(p.get("holder") or ""), _norm(p.get("statement") or ""))
            if pkey not in seen_positions:
                seen_positions.add(pkey)
                positions.append(p)
    if len(analyses) > 1:
        actors.sort(key=lambda a: -int(a.get("mentions") or 0))
    return {"actors": actors, "quotes": quotes, "positions": positions}
