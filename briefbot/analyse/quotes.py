"""Direct quotes and their speakers.

Attribution is looked for only inside the quote's own sentence (never in the next
paragraph); a quote with no attribution continues the speaker of the quote before it in the
paragraph, or of the previous paragraph, and otherwise stays unattributed.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from .context import Context
from .lexicon import FRAMING_VERBS
from .quotemarks import NOT_SPEAKERS, clean_quote_text
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
_SENTENCE_END = tuple(".!?\u2026\u2014-:;")


@dataclass
class QuoteResult:
    text: str
    speaker: str | None
    speaker_kind: str | None
    partial: bool
    paragraph: int
    start: int  # character offset in the prepared text
    actor: int = -1
    pieces: list[str] = field(default_factory=list)  # the quoted pieces, when several were joined


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
        self.side = ""  # where the attribution was written: "left", "right" or "" (none / a turn label)
        self.cue = -1  # token of the reporting verb, when one was found
        self.speaker = Speaker()


def _colon(tok: Any) -> bool:
    """ ":" or a colon the tokenizer glued to a bracket ("(Lab.):")."""
    return bool(tok.is_punct and tok.text.endswith(":"))


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
    # a long quote completing a reported clause is the speaker's statement, not a fragment
    for k, it in enumerate(items):
        if (
            it.partial
            and it.speaker
            and (
                (it.side == "left" and _reported_statement(ctx, it, items, k))
                or (it.side == "right" and _quoted_most(ctx, it))
            )
        ):
            it.partial = False  # (still a fragment of the writer's sentence for positions and key points)
    # pass 2: continuations (split quotes, quote-only paragraphs)
    for k, it in enumerate(items):
        if it.speaker or it.explicit:
            continue
        prev = items[k - 1] if k > 0 else None
        nxt = items[k + 1] if k + 1 < len(items) else None
        if (
            prev is not None
            and prev.para == it.para
            and prev.speaker
            and (
                not it.partial
                or ctx.tok_sent[prev.first] == ctx.tok_sent[it.first]
                or _opens_sentence(ctx, it)
            )
        ):
            # a fragment in a later sentence has its own subject: "Ruiz accuses the board of “…”"
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
            it.speaker = _introduced_by(ctx, resolver, it.para - 1) or _paragraph_speaker(
                ctx, resolver, it.para - 1, items
            )
        elif not it.partial and not _starts_paragraph(ctx, it):
            it.speaker = _preceding_subject(ctx, resolver, it)
    out: list[QuoteResult] = []
    joined = _joins(ctx, items)
    followers = {j for j, _ in joined.values()}
    for k, it in enumerate(items):
        if k in followers:
            continue
        q = ctx.quotes[it.qi]
        text = clean_quote_text(ctx.prep.text[q.inner_start : q.inner_end])
        pieces = [text]
        sp = it.speaker
        nk = k
        while nk in joined:
            # one statement printed in pieces: "“The plan,” she said, “is to have it done by May.”",
            # "“A,” he said. “B.”", or a quote running over paragraphs
            nj, in_sentence = joined[nk]
            nxt = items[nj]
            nq = ctx.quotes[nxt.qi]
            rest = clean_quote_text(ctx.prep.text[nq.inner_start : nq.inner_end])
            pieces.append(rest)
            if in_sentence:
                # the writer's comma before "and"/"but" belonged to the sentence; before "is" it did not
                sep = ", " if rest.split(" ", 1)[0].lower() in _CLAUSE_JOINERS else " "
            else:
                # "“We are on time,” she said. “The money is there.”": the comma stood for a full stop
                sep = " " if text.endswith(_SENTENCE_END) else ". "
            text = f"{text}{sep}{rest}".strip()
            if not sp and nxt.speaker:
                sp = nxt.speaker
            nk = nj
        if not text:
            continue
        out.append(
            QuoteResult(
                text=text,
                speaker=resolver.name(sp) if sp else None,
                speaker_kind=sp.kind if sp else None,
                # a few quoted words nobody is said to have said (a title, "Related:") quote no one
                partial=it.partial or (not sp and len(text.split()) < 4),
                paragraph=it.para,
                start=q.inner_start,
                actor=sp.actor,
                pieces=[p for p in pieces if p] if len(pieces) > 1 else [],
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


def _joins(ctx: Context, items: list[_Q]) -> dict[int, tuple[int, bool]]:
    """Quote k -> (k + 1, within one sentence) for the pieces of one statement: a sentence split
    around its attribution, the quoted sentences of one speaker around or after their attribution
    ("“A,” he said. “B.”", "“A.” “B,” she said."), and a quote running over paragraphs."""
    out: dict[int, tuple[int, bool]] = {k: (j, True) for k, j in _split_sentence_joins(ctx, items).items()}
    for k in range(len(items) - 1):
        if k in out:
            continue
        a, b = items[k], items[k + 1]
        if a.partial or b.partial:
            continue
        qa = ctx.quotes[a.qi]
        if qa.label is not None or ctx.quotes[b.qi].label is not None:
            continue
        if a.para == b.para:
            # "“A,” Ruiz said, “B.”": the same reporting verb introduces both pieces
            same_cue = b.explicit and a.cue >= 0 and b.cue == a.cue
            if (b.explicit and not same_cue) or not a.speaker or b.speaker != a.speaker:
                continue
            if _only_marks_between(ctx, a.after, b.first) or (
                a.side == "right" and _attribution_only(ctx, a.after, b.first)
            ):
                out[k] = (k + 1, False)
        elif (
            b.para == a.para + 1
            and qa.closed
            and not b.explicit
            and a.speaker
            and b.speaker == a.speaker
            and _starts_paragraph(ctx, b)
        ):
            # "“A,” he said.\n\n“B.”": a paragraph of quotes only goes on with the same statement
            end = a.after
            while end < len(ctx.doc) and ctx.tok_para[end] == a.para:
                end += 1
            if _only_marks_between(ctx, a.after, end) or (
                a.side == "right" and _attribution_only(ctx, a.after, end)
            ):
                out[k] = (k + 1, False)
        elif (
            b.para == a.para + 1
            and not qa.closed
            and qa.end >= ctx.prep.paragraphs[a.para].end
            and not ctx.prep.paragraphs[a.para].heading
            and _starts_paragraph(ctx, b)
            and (not a.speaker or not b.speaker or a.speaker == b.speaker)
        ):
            out[k] = (k + 1, False)
    return out


def _attribution_only(ctx: Context, lo: int, hi: int) -> bool:
    """Tokens [lo, hi) after a quote are nothing but its attribution, one short sentence:
    "“A,” said Ana Ruiz, a nurse at the clinic. “B.”" (not a sentence of narration too)."""
    if any(ctx.tok_quote[i] >= 0 for i in range(lo, min(hi, len(ctx.doc)))):
        return False
    toks = [t for t in ctx.doc[lo:hi] if not t.is_space and not _is_mark(t)]
    if not toks or len(toks) > 30 or not any(is_say_verb(t) for t in toks):
        return False
    ends = [i for i, t in enumerate(toks) if t.text in _TERMINATORS]
    return ends == [len(toks) - 1] or (not ends and toks[-1].text in (":", ","))


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
        if _colon(words[-1]) or (last.endswith((".", "!", "?")) and words[-1].i == hi - 1):
            pass
        elif last in (",", "\u2014", "\u2013", "-") and (
            any(is_say_verb(t) for t in words) or _has_according_to(words)
        ):
            pass  # "Ruiz said, “…”" / "According to the report, “…”"
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


_LONG_QUOTE = 8


def _long_closing(ctx: Context, it: _Q, items: list[_Q], k: int) -> bool:
    """A quote of eight words or more with nothing of the writer's after it in the sentence."""
    doc = ctx.doc
    if sum(1 for t in doc[it.first : it.last + 1] if t.is_alpha or t.like_num) < _LONG_QUOTE:
        return False
    return _ends_sentence(ctx, it, items, k)


def _ends_sentence(ctx: Context, it: _Q, items: list[_Q], k: int) -> bool:
    """The quote ends its sentence: its own words end with a full stop ("… is broken.”"), or only
    punctuation follows it to the sentence's end."""
    q = ctx.quotes[it.qi]
    if ctx.prep.text[q.inner_start : q.inner_end].rstrip().endswith((".", "!", "?")):
        return True
    rlo, rhi = _right_window(ctx, it, items, k)
    return all(t.is_space or t.is_punct or _is_mark(t) for t in ctx.doc[rlo:rhi])


def _quoted_most(ctx: Context, it: _Q) -> bool:
    """ "The levy was “a tax on the people who can least afford it,” said Ruiz": most of the
    statement before the attribution is quoted (three words or more, and more of its letters than
    the writer's lead-in has)."""
    doc = ctx.doc
    q = ctx.quotes[it.qi]
    inner = ctx.prep.text[q.inner_start : q.inner_end]
    if not inner.rstrip().endswith(",") or len(inner.split()) < 3:
        return False
    lo, hi = _left_window(ctx, it)
    lead = sum(len(t.text) for t in doc[lo:hi] if t.is_alpha or t.like_num)
    return sum(ch.isalnum() for ch in inner) > lead


def _reported_statement(ctx: Context, it: _Q, items: list[_Q], k: int) -> bool:
    """ "Ruiz said the council “has run out of excuses and will have to find the money now.”": a
    quote of six words or more that completes a clause reported by a speech verb, and is most of
    it (no more of the writer's words between verb and quote than quoted words), is the
    speaker's statement rather than a quoted fragment ("called the plan “reckless”")."""
    doc = ctx.doc
    if it.cue < 0:
        return False
    quoted = sum(1 for t in doc[it.first : it.last + 1] if t.is_alpha or t.like_num)
    if quoted < (6 if is_say_verb(doc[it.cue]) else _LONG_QUOTE):
        return False
    lead = sum(1 for t in doc[it.cue + 1 : it.first] if t.is_alpha or t.like_num)
    if lead > quoted or lead > 12:
        return False
    # nothing of the writer's own after the quote but the sentence's end
    return _ends_sentence(ctx, it, items, k)


def _has_according_to(words: list[Any]) -> bool:
    return any(a.lower_ == "according" and b.lower_ == "to" for a, b in zip(words, words[1:], strict=False))


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
    # "…," said X — when the parse gave no subject, the phrase right after the verb (only right
    # after a quote: in "called Trump a “blowhard”" the phrase after the verb is who is called)
    j = verb.i - 1
    while j >= 0 and ctx.tok_quote[j] < 0 and (ctx.doc[j].is_punct or ctx.doc[j].is_space):
        j -= 1
    after_quote = j >= 0 and ctx.tok_quote[j] >= 0
    for i in range(verb.i + 1, hi if after_quote else verb.i + 1):
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
        if t.pos_ not in ("DET", "ADJ", "NUM", "PUNCT") and t.dep_ not in ("amod", "compound"):
            break  # ("said retired surgeon Ben Okafor": a participle before the name is part of it)
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
    left_intro = bool(left_words) and (left_words[-1].text == "," or _colon(left_words[-1]))

    def right() -> tuple[Speaker, bool] | None:
        verbs = [t for t in doc[rlo : min(rhi, rlo + 14)] if is_say_verb(t) and ctx.tok_quote[t.i] < 0]
        for v in verbs[:1]:
            if closed_sentence:
                # "“We won.” The company said profits rose." is a new sentence, not an attribution
                if any(c.dep_ == "ccomp" and ctx.tok_quote[c.i] < 0 for c in v.children):
                    return None
                if v.i - rlo > 8:
                    return None
            it.cue = v.i
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
        if not verbs and it.partial and _long_closing(ctx, it, items, k):
            # "Ruiz welcomed “a plan that finally puts the money where the need is.”": a long quote
            # ending the sentence is what the subject of the verb before it says
            verbs = [
                t
                for t in left_words
                if t.pos_ == "VERB" and t.tag_ in ("VBD", "VBZ", "VBP") and subject_of(ctx, t) is not None
            ][:1]
        if not verbs and _colon(left_words[-1]):
            # "Pollsters agree - Ana Ruiz: “…”": the name right before the colon, else the subject
            # of the verb that introduces the quote
            label = _label_speaker(ctx, left_words[-1])
            if label:
                return label, True
            verbs = [t for t in left_words if t.pos_ in ("VERB", "AUX") and subject_of(ctx, t) is not None]
        if verbs:
            # "Bellandi said the teams had agreed “in principle”": the words are reported by the
            # outermost reporting verb, not by a verb inside what it reports
            outer = [v for v in verbs if not any(o is not v and _dominates(o, v) for o in verbs)]
            v = outer[-1] if it.partial and outer else verbs[-1]
            it.cue = v.i
            return _verb_speaker(ctx, resolver, v, llo, lhi), True
        acc = _according_to(ctx, resolver, llo, lhi)
        if acc is not None:
            return acc, True
        return None

    order = (left, right) if it.partial and not _said_after(ctx, it, rlo, rhi) else (right, left)
    for fn in order:
        res = fn()
        if res is not None:
            if it.partial and not res[0]:
                continue
            it.side = fn.__name__
            return res
    return Speaker(), False


def _opens_sentence(ctx: Context, it: _Q) -> bool:
    lo, hi = _left_window(ctx, it)
    return not any(not t.is_space and not _is_mark(t) for t in ctx.doc[lo:hi])


def _said_after(ctx: Context, it: _Q, rlo: int, rhi: int) -> bool:
    """ "Nothing the minister said “will calm anyone,” the senator said": a fragment closed by a
    comma and followed by a reporting verb is attributed there, not to a verb inside its sentence."""
    q = ctx.quotes[it.qi]
    if not ctx.prep.text[q.inner_start : q.inner_end].rstrip().endswith(","):
        return False
    for t in ctx.doc[rlo : min(rhi, rlo + 5)]:
        if is_say_verb(t) and ctx.tok_quote[t.i] < 0:
            return True
        if t.pos_ in ("CCONJ", "ADV", "ADP", "SCONJ", "VERB", "AUX") or t.text in _TERMINATORS:
            return False  # "…,” for instance, and Ruiz vowed": a new clause, not an attribution
    return False


def _label_speaker(ctx: Context, colon: Any) -> Speaker | None:
    """ "Rep. Ana Ruiz (D-Ore.): “…”" / "Ruiz: “…”": a name and nothing else before the colon (back
    to the paragraph's start or the end of the sentence before; "Ore." is not a sentence end)."""
    doc = ctx.doc
    i = colon.i
    while i > 0 and colon.i - i < 14:
        t = doc[i - 1]
        if ctx.tok_para[i - 1] != ctx.tok_para[colon.i] or ctx.tok_quote[i - 1] >= 0 or _is_mark(t):
            break
        if t.text in ("-", "\u2013", "\u2014", ";") or (t.text == "," and t.i + 1 < colon.i):
            break  # "Pollsters agree - Ana Ruiz:": the label starts after the dash
        if t.text in _TERMINATORS and i >= 2 and not doc[i - 2].text[:1].isupper():
            break
        i -= 1
    before = [t for t in doc[i : colon.i] if not t.is_punct and t.text not in _TERMINATORS]
    if " ".join(t.lower_ for t in before).replace("\u2019", "'") in NOT_SPEAKERS:
        return None  # "Key points:", "Related:", "Editor's note:" are page furniture
    if not before or len(before) > 10 or any(t.pos_ in ("VERB", "AUX", "PRON") for t in before):
        return None
    actors = [
        a for a in ctx.actors_in(i, colon.i) if ctx.actors[a].kind in ("person", "organization", "group")
    ]
    if (
        not actors
        and 2 <= len(before) <= 3
        and all(t.pos_ == "PROPN" and t.text[:1].isupper() for t in before)
    ):
        if not any(t.ent_type_ in ("GPE", "LOC", "ORG", "DATE") for t in before):
            return Speaker(-1, " ".join(t.text for t in before), "person")  # a name the tagger missed
    if len(actors) != 1:
        return None
    m = ctx.tok_mention.get(before[0].i) if before[0].i in ctx.tok_mention else None
    first_word = before[0].text[:1].isupper()
    if not first_word or (m is not None and ctx.mentions[m].possessive):
        return None
    return Speaker(actors[0], None, ctx.actors[actors[0]].kind)


def _introduced_by(ctx: Context, resolver: Resolver, para: int) -> Speaker | None:
    """ "Ruiz hit back at the council:" closing a paragraph introduces the quote that follows:
    its speaker is that sentence's subject."""
    p = ctx.prep.paragraphs[para]
    if not ctx.prep.text[p.start : p.end].rstrip().endswith(":"):
        return None
    i = bisect_left([t.idx for t in ctx.doc], p.end) - 1
    while i > 0 and (ctx.doc[i].is_space or ctx.doc[i].text == ":"):
        i -= 1
    if i < 0 or ctx.tok_quote[i] >= 0:
        return None
    root = ctx.sents[ctx.tok_sent[i]].root
    subj = subject_of(ctx, root) if root.pos_ in ("VERB", "AUX") else None
    if subj is None:
        return None
    sp = resolver.resolve_np(subj)
    if sp and (sp.actor < 0 or ctx.actors[sp.actor].kind != "place"):
        return sp
    return None


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
