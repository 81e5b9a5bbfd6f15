"""Key points: the 3-5 sentences that best say what happened.

A coverage summariser: each pick must add the article's recurring concepts (content lemmas
weighted by how many sentences share them, plus concrete facts: numbers, names) that earlier
picks did not cover, with a prior for the lead. Direct quotes and sentences that lean on the
previous one ("He added…", "But…") are held back; they read badly out of context.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from .context import Context
from .lexicon import SAY_VERBS, STOPWORDS

_CONTENT_POS = {"NOUN", "PROPN", "VERB", "NUM", "ADJ"}
_FACT_ENTS = {"CARDINAL", "MONEY", "PERCENT", "QUANTITY"}
_NAME_ENTS = {"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT"}
_WEEKDAY = re.compile(
    r"\b(mon|tues|wednes|thurs|fri|satur|sun)day\b|\b(today|yesterday|tomorrow|week|weekend)\b", re.IGNORECASE
)
_WEAK_OPENERS = {
    "he",
    "she",
    "they",
    "it",
    "this",
    "that",
    "these",
    "those",
    "but",
    "and",
    "however",
    "so",
    "also",
    "still",
    "yet",
    "meanwhile",
    "instead",
    "then",
    "his",
    "her",
    "their",
    "its",
}


def _concepts(sent: Any, ents: list[Any]) -> set[str]:
    out: set[str] = set()
    for t in sent:
        if t.pos_ not in _CONTENT_POS or t.is_stop or len(t.text) < 2:
            continue
        lemma = t.lemma_.lower()
        if lemma in STOPWORDS or lemma in SAY_VERBS:
            continue
        out.add(lemma)
    for e in ents:
        if e.label_ in _FACT_ENTS or (e.label_ == "DATE" and not _WEEKDAY.search(e.text)):
            out.add("#" + e.text.lower())
    return out


def key_points(ctx: Context, title: str | None, limit: int | None = None) -> list[str]:
    cands: list[tuple[int, Any]] = []
    for si, s in enumerate(ctx.sents):
        if ctx.prep.paragraphs[ctx.tok_para[s.start]].heading:
            continue
        if sum(1 for t in s if t.is_alpha or t.like_num) < 6:
            continue
        turn = ctx.turns.get(ctx.tok_para[s.start])
        if turn is not None:
            # an interview: the answers are the news, the questions are not
            if turn == "Q" or s.text.rstrip().endswith("?"):
                continue
        else:
            quoted = sum(1 for t in s if ctx.tok_quote[t.i] >= 0 and not ctx.partial[ctx.tok_quote[t.i]])
            if quoted > 0.3 * len(s):
                continue
        cands.append((si, s))
    if not cands:
        return [
            re.sub(r"\s+", " ", s.text).strip() for s in ctx.sents[:3] if any(ch.isalpha() for ch in s.text)
        ]
    concepts = {si: _concepts(s, ctx.sent_ents(si)) for si, s in cands}
    df: Counter[str] = Counter()
    for c in concepts.values():
        df.update(c)
    title_terms = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", title or "")} - STOPWORDS

    def weight(c: str) -> float:
        if c.startswith("#"):
            return 1.5  # a number is a fact even when it appears once
        w = math.log1p(df[c])
        if c in title_terms or any(len(tt) >= 5 and c.startswith(tt[:5]) for tt in title_terms):
            w += 0.7
        return w

    prior: dict[int, float] = {}
    for rank, (si, s) in enumerate(cands):
        p = 2.5 / (1 + 0.4 * rank) + (1.5 if rank == 0 else 0.0)
        first = next((t for t in s if not t.is_punct and not t.is_space), None)
        if first is not None and first.lower_ in _WEAK_OPENERS:
            p -= 1.0
        if s.text.rstrip().endswith("?"):
            p -= 1.0
        names = {e.text for e in ctx.sent_ents(si) if e.label_ in _NAME_ENTS}
        p += 0.15 * min(3, len(names))
        prior[si] = p
    n = len(cands)
    k = limit or (5 if n >= 7 else 4 if n >= 4 else 3)
    covered: set[str] = set()
    chosen: list[tuple[int, Any]] = []
    remaining = dict(cands)
    while remaining and len(chosen) < k:
        best, best_score = None, -1e9
        for si, s in remaining.items():
            new = concepts[si] - covered
            gain = sum(weight(c) for c in new) / (len(concepts[si]) + 3) ** 0.75
            score = gain + prior[si]
            if any(ctx.tok_para[s.start] == ctx.tok_para[c.start] for _, c in chosen):
                score -= 0.3  # a paragraph is one unit of news; prefer a new one
            if score > best_score:
                best, best_score = si, score
        if best is None:
            break
        covered |= concepts[best]
        chosen.append((best, remaining.pop(best)))
    chosen.sort(key=lambda x: x[0])
    out = []
    for _, s in chosen:
        text = re.sub(r"\s+", " ", s.text).strip()
        if ctx.tok_para[s.start] in ctx.turns and ctx.tok_quote[s.start] < 0:
            text = _TURN_LABEL.sub("", text, count=1)  # "A: About fourteen months…" -> the answer
        out.append(text)
    return out


_TURN_LABEL = re.compile(r"^(?:A|[A-Z][\w'\u2019.-]+(?: [A-Z][\w'\u2019.-]+){0,2})\s?:\s+")
