"""The Analyser: one batched spaCy pass per article, then the rule stages over that Doc."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .context import Context
from .entities import build_actors
from .keypoints import key_points
from .model import BATCH_SIZE, MODEL_NAME, load_model
from .positions import analyse_positions
from .quotemarks import QuoteSpan, find_quote_spans, interview_turns
from .quotes import analyse_quotes
from .results import Actor, Analysis, Position, Quote
from .speakers import Resolver
from .text import ArticleText, Prepared, prepare


class Analyser:
    """Analyses articles; the model is loaded on first use and shared by the process."""

    def __init__(self, model: str = MODEL_NAME, batch_size: int = BATCH_SIZE, nlp: Any = None) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self._nlp = nlp

    @property
    def nlp(self) -> Any:
        if self._nlp is None:
            self._nlp = load_model(self.model_name)
        return self._nlp

    def analyse(self, article: ArticleText) -> Analysis:
        return next(self.analyse_many([article]))

    def analyse_many(self, articles: Iterable[ArticleText]) -> Iterator[Analysis]:
        """Yield one Analysis per article, in order; spaCy runs batched over all of them."""
        pairs = ((prepare(a), a) for a in articles)
        stream = self.nlp.pipe(
            ((p.text, (p, a)) for p, a in pairs), as_tuples=True, batch_size=self.batch_size
        )
        for doc, (prep, art) in stream:
            yield analyse_doc(doc, prep, art)


def analyse_doc(doc: Any, prep: Prepared, article: ArticleText) -> Analysis:
    """All rule stages over one parsed Doc (pure: no model calls here)."""
    pars = [(p.start, p.end) for p in prep.paragraphs]
    turns = interview_turns(prep.text, pars)
    spans = find_quote_spans(prep.text, pars, skip=set(turns))
    for pi, (label, at) in turns.items():
        if label != "Q":  # an interviewer's bare "Q:" is the outlet's question, not a quote
            spans.append(QuoteSpan(pars[pi][0], pars[pi][1], at, pars[pi][1], True, label))
    spans.sort(key=lambda q: q.start)
    ctx = Context.build(doc, prep, spans)
    ctx.turns = {pi: label for pi, (label, _) in turns.items()}
    build_actors(ctx)
    resolver = Resolver(ctx)
    quotes = analyse_quotes(ctx, resolver)
    positions = analyse_positions(ctx, resolver)
    points = key_points(ctx, article.title)
    title_words = set((article.title or "").lower().split())
    actors: list[Actor] = []
    n_tokens = max(1, len(doc))
    for a in ctx.actors:
        if not a.kind:
            continue
        salience = (
            a.count
            + 2.0 * a.quotes
            + 1.0 * a.positions
            + 2.0 * (1.0 - a.first_token / n_tokens)
            + (2.0 if a.name.lower().split()[-1] in title_words else 0.0)
        )
        if a.kind == "place":
            salience *= 0.5  # a setting ("Europe's busiest port") rarely acts in the story
        actors.append(
            Actor(
                name=a.name,
                kind=a.kind,
                role=a.roles[0] if a.roles else None,
                aliases=a.aliases,
                mentions=a.count,
                roles=a.roles,
                quotes=a.quotes,
                salience=round(salience, 3),
            )
        )
    actors.sort(key=lambda x: -x.salience)
    return Analysis(
        input=article.input,
        title=article.title,
        url=article.url,
        published=article.published,
        key_points=points,
        actors=actors,
        quotes=[Quote(q.text, q.speaker, q.speaker_kind, q.partial, q.paragraph, q.pieces) for q in quotes],
        positions=[Position(p.holder, p.statement, p.holder_kind, p.verb) for p in positions],
        dateline=prep.dateline,
        words=sum(1 for t in doc if t.is_alpha),
    )
