"""Stories of a time window, what a query runs against, and on-demand briefs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..match import CompiledQuery, Match, MatchDoc, compile_query
from ..model import Story, StoryArticle
from ..store import Store


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") if dt else None


def article_doc(a: StoryArticle) -> MatchDoc:
    """One report as the matcher sees it: title, text, outlets and the analysis' actors and quotes."""
    an = a.analysis
    return MatchDoc(
        a.title or "",
        a.text or "",
        [s for s in a.sources if s],
        [vars(x) for x in an.actors] if an is not None else [],
        [vars(x) for x in an.quotes] if an is not None else [],
    )


def group(articles: Sequence[StoryArticle]) -> list[Story]:
    """Articles into their stories (an article with no story yet stands alone), newest first."""
    groups: dict[tuple[str, int], list[StoryArticle]] = {}
    for a in articles:
        key = ("s", a.story_id) if a.story_id is not None else ("a", a.id)
        groups.setdefault(key, []).append(a)
    stories = [Story.of(g) for g in groups.values()]
    stories.sort(key=lambda s: s.published, reverse=True)
    return stories


def stories_between(store: Store, since: datetime, until: datetime) -> list[Story]:
    """Stories with a report that arrived in [since, until), with those reports, newest first."""
    return group(store.articles(since=since, until=until))


def first_match(query: CompiledQuery, story: Story) -> tuple[StoryArticle, Match] | None:
    """The first report of the story that matches, and why."""
    for art in story.articles:
        m = query.explain(article_doc(art))
        if m is not None:
            return art, m
    return None


def story_matches(query: CompiledQuery, story: Story) -> bool:
    return any(query.matches(article_doc(a)) for a in story.articles)


@dataclass
class Brief:
    """An on-demand brief: the stories with a report in the window that matches the query."""

    query: str | None
    since: datetime
    until: datetime
    stories: list[Story]

    def to_dict(self) -> dict[str, Any]:
        """The brief's JSON shape (README), also the context the brief templates render."""
        return {
            "query": self.query,
            "since": _iso(self.since),
            "until": _iso(self.until),
            "stories": [s.to_dict() for s in self.stories],
        }


def build_brief(store: Store, query: str | None, since: datetime, until: datetime) -> Brief:
    """A story is in the brief when any of its reports in the window matches, and then with all of them."""
    q = compile_query(query)
    window = store.articles(since=since, until=until)
    stories = [s for s in group(window) if story_matches(q, s)]
    return Brief(query, since, until, stories)
