"""Direct quotes and their speakers.

Attribution is looked for only inside the quote's own sentence (never in the next
paragraph); a quote with no attribution continues the speaker of the quote before it in the
paragraph, or of the previous paragraph, and otherwise stays unattributed.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from .context import Context
from .lexicon import FRAMING_VERBS
from .quotemarks import clean_quote_text
from .speakers import Resolver, Speaker, is_say_verb, opening_subject, source_of_document, subject_of

_TERMINATORS = {".", "!", "?"}
_CLAUSE_JOINERS = {
    "and",
    "but",
    "or",
    "so",
    "because",
    "while",
    "although",
    "though",
    "yet",
    "if",
    "unless",
    "which",
}
_END_PUNCT = tuple(".,!?\u2026\u2014-:;")


@dataclass
class QuoteResult:
    text: str
    speaker: str | None
    speaker_kind: str | None
    partial: bool
    paragraph: int
    start: int  # character offset in the prepared text
    actor: int = -1


class _Q:
    """Working state of one quote span during attribution."""

    def __init__(self, qi: int, first: int, last: int, after: int, para: int) -> None:
        self.qi = qi
        self.first = first  # first token inside
        self.last = last  # last token inside
        self.after = after  # first token after the closing mark
        self.para = para
        self.partial = False
        self.explicit = False  # an attribution was written, even if unresolved
        self.speaker = Speaker()


def _is_mark(tok: Any) -> bool:
    return tok.is_quote or tok.text in ("''", "``", "\u201c", "\u201d", '"')


def analyse_quotes(ctx: Context, resolver: Resolver) -> list[QuoteResult]:
    doc = ctx.doc
    if not ctx.quotes or not len(doc):
        ctx.partial = []
        return []
    starts = [t.idx for t in doc]
    items: list[_Q] = []
    for qi, q in enumerate(ctx.quotes):
        first = bisect_left(starts, q.inner_start)
        last = max(first, bisect_left(starts, q.inner_end) - 1)
        after = bisect_left(starts, q.end)
        if first >= len(doc):
            continue
        items.append(_Q(qi, first, last, after, ctx.tok_para[first]))
    for k, it in enumerate(items):
        it.partial = _is_partial(ctx, it, items, k)
    ctx.partial = [False] * len(ctx.quotes)
    for it in items:
        ctx.partial[it.qi] = it.partial
    # pass 1: attributions written in the quote's own sentence
    for k, it in enumerate(items):
        label = ctx.quotes[it.qi].label
        if label is not None:
            it.speaker, it.explicit = _turn_speaker(ctx, label), True
            continue
        sp, explicit = _own_attribution(ctx, resolver, it, items, k)
        it.speaker, it.explicit = sp, explicit
        if sp.actor >= 0:
            resolver.last_speaker = sp.actor
    # pass 2: continuations (split quotes, quote-only paragraphs)
    for k, it in enumerate(items):
        if it.speaker or it.explicit:
            continue
        prev = items[k - 1] if k > 0 else None
        nxt = items[k + 1] if k + 1 < len(items) else None
        if prev is not None and prev.para == it.para and prev.speaker:
            it.speaker = prev.speaker
        elif (
            nxt is not None
            and nxt.para == it.para
            and nxt.speaker
            and not it.partial
            and _only_marks_between(ctx, it.after, nxt.first)
        ):
            it.speaker = nxt.speaker
        elif (
            not ctx.quotes[it.qi].closed
            and nxt is not None
            and nxt.para == it.para + 1
            and nxt.explicit
            and nxt.speaker
            and _starts_paragraph(ctx, nxt)
        ):
            # a quote running over paragraphs (no closing mark) is attributed where it ends
            it.speaker = nxt.speaker
        elif (
            not it.partial
            and _starts_paragraph(ctx, it)
            and it.para > 0
            and not ctx.prep.paragraphs[it.para - 1].heading
        ):
            it.speaker = _paragraph_speaker(ctx, resolver, it.para - 1, items)
        elif not it.partial and not _starts_paragraph(ctx, it):
            it.speaker = _preceding_subject(ctx, resolver, it)
    out: list[QuoteResult] = []
    joined = _split_sentence_joins(ctx, items)
    for k, it in enumerate(items):
        if k in joined.values():
            continue
        q = ctx.quotes[it.qi]
        text = clean_quote_text(ctx.prep.text[q.inner_start : q.inner_end])
        sp = it.speaker
        nk = k
        while nk in joined:
            # "“The plan,” she said, “is to have it done by May.”": one sentence, one quote
            nxt = items[joined[nk]]
            nq = ctx.quotes[nxt.qi]
            rest = clean_quote_text(ctx.prep.text[nq.inner_start : nq.inner_end])
            # the writer's comma before "and"/"but" belonged to the sentence; before "is" it did not
            sep = ", " if rest.split(" ", 1)[0].lower() in _CLAUSE_JOINERS else " "
            text = f"{text}{sep}{rest}".strip()
            if not sp and nxt.speaker:
                sp = nxt.speaker
            nk = joined[nk]
        if not text:
            continue
        out.append(
            QuoteResult(
                text=text,
                speaker=resolver.name(sp) if sp else None,
                speaker_kind=sp.kind if sp else None,
                partial=it.partial,
                paragraph=it.para,
                start=q.inner_start,
                actor=sp.actor,
            )
        )
        if sp.actor >= 0:
            ctx.actors[sp.actor].quotes += 1
    return out


def _turn_speaker(ctx: Context, label: str) -> Speaker:
    """The speaker of an interview turn: "Marchetti:" is the actor of that name; "A:" is the
    interviewee, the person the rest of the article names most (first named on a tie)."""
    if label == "A":
        counts: dict[int, int] = {}
        for m in ctx.mentions:
            if (
                m.actor >= 0
                and ctx.actors[m.actor].kind == "person"
                and ctx.quotes
                and ctx.tok_quote[m.start] < 0
            ):
                if ctx.prep.text[
                    ctx.prep.paragraphs[m.para].start : ctx.prep.paragraphs[m.para].start + 2
                ] in (
                    "Q:",
                    "A:",
                ):
                    continue
                counts[m.actor] = counts.get(m.actor, 0) + 1
        if not counts:
            return Speaker()
        best = max(counts, key=lambda a: (counts[a], -ctx.actors[a].first_token))
        return Speaker(best, None, "person")
    want = label.casefold().replace("\u2019", "'").split()
    for ai, a in enumerate(ctx.actors):
        if not a.kind:
            continue
        for name in [a.name, *a.aliases]:
            toks = name.casefold().replace("\u2019", "'").split()
            if toks == want or (a.kind == "person" and toks[-len(want) :] == want):
                return Speaker(ai, None, a.kind)
    return Speaker()


def _split_sentence_joins(ctx: Context, items: list[_Q]) -> dict[int, int]:
    """Quote k -> quote k+1 when one quoted sentence is split around its attribution:
    "“The plan,” she said, “is to have it done by May.”" (the first part ends without a full stop,
    a short "she said," stands between, and the second part goes on in lower case)."""
    text = ctx.prep.text
    out: dict[int, int] = {}
    for k in range(len(items) - 1):
        a, b = items[k], items[k + 1]
        if a.para != b.para or a.partial or b.partial:
            continue
        qa, qb = ctx.quotes[a.qi], ctx.quotes[b.qi]
        if not qa.closed:
            continue
        inner = text[qa.inner_start : qa.inner_end].rstrip()
        if not inner or inner.endswith((".", "!", "?", "\u2026")):
            continue
        nxt = text[qb.inner_start : qb.inner_start + 1]
        if not nxt.isalpha() or not nxt.islower():
            continue
        between = text[qa.end : qb.start]
        if any(ch in between for ch in ".!?;") or not between.rstrip().endswith((",", "\u2014", "\u2013")):
            continue
        toks = [
            t for t in ctx.doc[a.after : b.first] if not t.is_space and not _is_mark(t) and not t.is_punct
        ]
        if not toks or len(toks) > 8 or not any(is_say_verb(t) for t in toks):
            continue
        out[k] = k + 1
    return out


def _only_marks_between(ctx: Context, lo: int, hi: int) -> bool:
    return all(_is_mark(ctx.doc[i]) or ctx.doc[i].is_space for i in range(lo, min(hi, len(ctx.doc))))


def _starts_paragraph(ctx: Context, it: _Q) -> bool:
    q = ctx.quotes[it.qi]
    return q.start <= ctx.prep.paragraphs[it.para].start + 1


def _left_window(ctx: Context, it: _Q) -> tuple[int, int]:
    """Tokens of the quote's own sentence before its opening mark (after the previous quote/sentence)."""
    doc = ctx.doc
    hi = it.first
    while hi > 0 and _is_mark(doc[hi - 1]) and ctx.tok_quote[hi - 1] < 0:
        hi -= 1
    lo = hi
    while lo > 0:
        t = doc[lo - 1]
        if ctx.tok_para[lo - 1] != it.para or ctx.tok_quote[lo - 1] >= 0:
            break
        if t.text in _TERMINATORS or (t.text.endswith(".") and len(t.text) > 1 and lo == hi):
            break
        if _is_mark(t) and lo - 2 >= 0 and ctx.tok_quote[lo - 2] >= 0 and lo - 1 < hi - 1:
            break
        lo -= 1
    while lo < hi and (_is_mark(doc[lo]) or doc[lo].is_space):
        lo += 1
    return lo, hi


def _right_window(ctx: Context, it: _Q, items: list[_Q], k: int) -> tuple[int, int]:
    doc = ctx.doc
    lo = it.after
    stop = items[k + 1].first - 1 if k + 1 < len(items) else len(doc)
    hi = lo
    while hi < min(stop, len(doc), lo + 40):
        t = doc[hi]
        if ctx.tok_para[hi] != it.para or ctx.tok_quote[hi] >= 0:
            break
        hi += 1
        if t.text in _TERMINATORS:
            break
    return lo, hi


def _is_partial(ctx: Context, it: _Q, items: list[_Q], k: int) -> bool:
    """A quoted fragment inside the writer's own sentence, not a quoted full clause."""
    doc = ctx.doc
    lo, hi = _left_window(ctx, it)
    words = [t for t in doc[lo:hi] if not t.is_space and not _is_mark(t)]
    if words:
        last = words[-1].text
        if last == ":" or (last.endswith((".", "!", "?")) and words[-1].i == hi - 1):
            pass
        elif last in (",", "\u2014", "\u2013", "-") and any(is_say_verb(t) for t in words):
            pass
        else:
            return True
    q = ctx.quotes[it.qi]
    inner = ctx.prep.text[q.inner_start : q.inner_end].rstrip()
    if inner and not inner.endswith(_END_PUNCT) and q.closed:
        rlo, rhi = _right_window(ctx, it, items, k)
        nxt = next((t for t in doc[rlo:rhi] if not t.is_space), None)
        if nxt is not None and not nxt.is_punct and not any(is_say_verb(t) for t in doc[rlo:rhi]):
            return True
    return False


def _dominates(a: Any, b: Any) -> bool:
    t = b
    for _ in range(40):
        if t.head.i == t.i:
            return False
        t = t.head
        if t.i == a.i:
            return True
    return False


def _verb_speaker(ctx: Context, resolver: Resolver, verb: Any, lo: int, hi: int) -> Speaker:
    subj = subject_of(ctx, verb)
    if subj is not None:
        sp = resolver.resolve_np(subj)
        if not sp and subj.i > verb.i and ctx.tok_quote[verb.i - 1] < 0 if verb.i > 0 else False:
            # "X, whose group runs …, said the closures were “least bad”": a broken parse
            first = opening_subject(ctx, verb)
            if first is not None:
                return resolver.resolve_np(first)
        return sp
    # "…," said X — when the parse gave no subject, the phrase right after the verb
    for i in range(verb.i + 1, hi):
        t = ctx.doc[i]
        if ctx.tok_quote[i] >= 0:
            break
        if t.pos_ in ("PROPN", "NOUN", "PRON"):
            head = t
            while (
                head.head.i != head.i
                and head.dep_ in ("compound", "amod", "det", "nummod")
                and lo <= head.head.i < hi
            ):
                head = head.head
            sp = resolver.resolve_np(head)
            if sp:
                return sp
            break
        if t.pos_ not in ("DET", "ADJ", "NUM", "PUNCT"):
            break
    # a broken parse ("X, who …, called the deal …" with X as root): the sentence's first person
    sent = ctx.sents[ctx.tok_sent[verb.i]]
    for i in range(sent.start, verb.i):
        m = ctx.tok_mention.get(i)
        if m is not None and ctx.tok_quote[i] < 0:
            mention = ctx.mentions[m]
            if not mention.possessive and ctx.actors[mention.actor].kind == "person":
                return Speaker(mention.actor, None, "person")
    return Speaker()


def _according_to(ctx: Context, resolver: Resolver, lo: int, hi: int) -> Speaker | None:
    doc = ctx.doc
    for i in range(lo, hi - 2):
        if doc[i].lower_ == "according" and doc[i + 1].lower_ == "to":
            pobj = next((c for c in doc[i + 1].children if c.dep_ == "pobj"), None)
            if pobj is not None:
                return resolver.resolve_np(source_of_document(pobj))
    return None


def _own_attribution(
    ctx: Context, resolver: Resolver, it: _Q, items: list[_Q], k: int
) -> tuple[Speaker, bool]:
    doc = ctx.doc
    q = ctx.quotes[it.qi]
    inner = ctx.prep.text[q.inner_start : q.inner_end].rstrip()
    closed_sentence = inner.endswith((".", "!", "?")) and not it.partial
    rlo, rhi = _right_window(ctx, it, items, k)
    llo, lhi = _left_window(ctx, it)
    left_words = [t for t in doc[llo:lhi] if not t.is_space and not _is_mark(t)]
    left_intro = bool(left_words) and left_words[-1].text in (":", ",")

    def right() -> tuple[Speaker, bool] | None:
        verbs = [t for t in doc[rlo : min(rhi, rlo + 14)] if is_say_verb(t) and ctx.tok_quote[t.i] < 0]
        for v in verbs[:1]:
            if closed_sentence:
                # "“We won.” The company said profits rose." is a new sentence, not an attribution
                if any(c.dep_ == "ccomp" and ctx.tok_quote[c.i] < 0 for c in v.children):
                    return None
                if v.i - rlo > 8:
                    return None
            return _verb_speaker(ctx, resolver, v, rlo, rhi), True
        acc = _according_to(ctx, resolver, rlo, rhi)
        if acc is not None:
            return acc, True
        return None

    def left() -> tuple[Speaker, bool] | None:
        if not left_words:
            return None
        if not (left_intro or it.partial):
            return None
        verbs = [
            t for t in left_words if is_say_verb(t) or (it.partial and t.lemma_.lower() in FRAMING_VERBS)
        ]
        if not verbs and left_words[-1].text == ":":
            verbs = [t for t in left_words if t.pos_ in ("VERB", "AUX") and subject_of(ctx, t) is not None]
        if verbs:
            # "Bellandi said the teams had agreed “in principle”": the words are reported by the
            # outermost reporting verb, not by a verb inside what it reports
            outer = [v for v in verbs if not any(o is not v and _dominates(o, v) for o in verbs)]
            v = outer[-1] if it.partial and outer else verbs[-1]
            return _verb_speaker(ctx, resolver, v, llo, lhi), True
        acc = _according_to(ctx, resolver, llo, lhi)
        if acc is not None:
            return acc, True
        return None

    order = (left, right) if it.partial else (right, left)
    for fn in order:
        res = fn()
        if res is not None:
            if it.partial and not res[0]:
                continue
            return res
    return Speaker(), False


def _paragraph_speaker(ctx: Context, resolver: Resolver, para: int, items: list[_Q]) -> Speaker:
    """Who spoke last in a paragraph: its last attributed quote or reported-speech subject."""
    best_pos, best = -1, Speaker()
    for it in items:
        if it.para == para and it.speaker and it.first > best_pos:
            best_pos, best = it.first, it.speaker
    p = ctx.prep.paragraphs[para]
    for sent in ctx.sents:
        if sent.start_char < p.start or sent.start_char > p.end:
            continue
        for t in sent:
            if t.i > best_pos and is_say_verb(t) and ctx.tok_quote[t.i] < 0:
                subj = subject_of(ctx, t)
                if subj is not None:
                    sp = resolver.resolve_np(subj)
                    if sp.actor >= 0 and ctx.actors[sp.actor].kind == "person":
                        best_pos, best = t.i, sp
    return best


def _preceding_subject(ctx: Context, resolver: Resolver, it: _Q) -> Speaker:
    """ "Minister Ada Ilic closed the briefing. “It is on all of us.”": a bare quote after a
    sentence in the same paragraph belongs to that sentence's subject, when it is a person."""
    doc = ctx.doc
    i = it.first - 1
    while i >= 0 and (_is_mark(doc[i]) or doc[i].is_space):
        i -= 1
    if i < 0 or ctx.tok_para[i] != it.para or ctx.tok_quote[i] >= 0:
        return Speaker()
    sent = ctx.sents[ctx.tok_sent[i]]
    root = sent.root
    subj = subject_of(ctx, root) if root.pos_ in ("VERB", "AUX") else None
    if subj is None:
        return Speaker()
    sp = resolver.resolve_np(subj)
    if sp.actor >= 0 and ctx.actors[sp.actor].kind == "person":
        return sp
    return Speaker()
