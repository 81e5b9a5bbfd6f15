"""Positions: reported stances, with or without quote marks ("Ukraine says no deal can be made…").

Read off the dependency parse: a reporting verb, its subject (resolved to an actor) and its
complement clause. Complements that are wholly a direct quote are left to the quotes stage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .context import Context
from .lexicon import PRONOUNS_OTHER, SAY_VERBS, STANCE_VERBS
from .speakers import Resolver, Speaker, noun_phrase, opening_subject, source_of_document, subject_of

_DROP_LEAD = {"that", ",", ":", "\u2014", "\u2013"}


@dataclass
class PositionResult:
    holder: str
    statement: str
    holder_kind: str | None
    verb: str
    sentence: int
    actor: int = -1


def _complement(ctx: Context, verb: Any) -> tuple[int, int] | None:
    doc = ctx.doc
    comps = [c for c in verb.children if c.dep_ in ("ccomp",) and c.i > verb.i]
    if not comps:
        # "said the closures, together with …, were the least bad way": the clause's subject was
        # taken for the verb's own, and its verb hangs off the reporting verb as a conjunct
        subj = next((c for c in verb.children if c.dep_ == "nsubj" and c.i > verb.i), None)
        conj = next((c for c in verb.children if c.dep_ == "conj" and c.pos_ in ("VERB", "AUX")), None)
        if subj is not None and conj is not None and conj.i > subj.i:
            lo = min(t.i for t in subj.subtree)
            return lo, max(t.i for t in conj.subtree) + 1
    if comps:
        c = comps[0]
        sub = list(c.subtree)
        lo, hi = sub[0].i, sub[-1].i + 1
        if lo > verb.i:
            # a broken parse can leave the clause's subject outside it: restart after "that"
            for i in range(verb.i + 1, lo):
                if doc[i].lower_ == "that" and doc[i].dep_ == "mark":
                    lo = i + 1
                    break
            # take in later clauses joined to the verb ("said X, and that Y")
            for r in verb.rights:
                if r.i >= hi and r.dep_ in ("conj", "ccomp", "cc", "punct") and r.dep_ != "punct":
                    hi = max(hi, max(t.i for t in r.subtree) + 1)
        return lo, hi
    commit = _commitment(ctx, verb) or _object_statement(ctx, verb)
    if commit is not None:
        return commit
    # the parse sometimes hangs the clause elsewhere ("said in a statement that …")
    doc = ctx.doc
    end = max(x.i for x in verb.subtree) + 1
    for i in range(verb.i + 1, min(end, verb.i + 8)):
        t = doc[i]
        if t.lower_ == "that" and t.dep_ in ("mark", "nsubj", "det", "dobj") and i + 1 < end:
            return i + 1, end
        if t.is_punct or t.pos_ in ("VERB", "AUX"):
            break
    return _modal_clause(ctx, verb)


# verbs whose stance is an infinitive or a "for" phrase: "vowed to repeal the levy", "urged the
# council to act", "called for an inquiry"
_COMMIT_VERBS = {"promise", "pledge", "vow", "threaten", "urge", "plead", "demand", "propose", "call"}


def _commitment(ctx: Context, verb: Any) -> tuple[int, int] | None:
    lemma = verb.lemma_.lower()
    if lemma not in _COMMIT_VERBS:
        return None
    if lemma == "call":
        prep = next((c for c in verb.rights if c.dep_ == "prep" and c.lower_ == "for"), None)
        if prep is None:
            return None
        sub = list(prep.subtree)
        return (sub[1].i, sub[-1].i + 1) if len(sub) >= 3 else None
    xcomp = next((c for c in verb.rights if c.dep_ == "xcomp" and c.pos_ in ("VERB", "AUX")), None)
    if xcomp is None:
        return None
    sub = list(xcomp.subtree)
    lo = sub[0].i
    obj = next((c for c in verb.rights if c.dep_ == "dobj" and c.i < xcomp.i), None)
    if obj is not None:  # "urged the council to act": who is urged belongs to the statement
        lo = min(t.i for t in obj.subtree)
    return (lo, sub[-1].i + 1) if sub[-1].i + 1 - lo >= 3 else None


def _trailing_attribution(ctx: Context, verb: Any) -> tuple[int, int] | None:
    """ "…, she said." / "…, the minister told reporters on Monday.": whatever the parse made of
    it, a sentence that ends with a comma, a short subject and the reporting verb reports all that
    comes before the comma."""
    doc = ctx.doc
    sent = ctx.sents[ctx.tok_sent[verb.i]]
    subj = next((c for c in verb.children if c.dep_ == "nsubj" and c.i < verb.i), None)
    if subj is None:
        return None
    sub = list(subj.subtree)
    lo_subj = sub[0].i
    if sub[-1].i != verb.i - 1 or verb.i - lo_subj > 8 or lo_subj - 1 <= sent.start:
        return None
    if doc[lo_subj - 1].text != ",":
        return None
    rest = [t for t in doc[verb.i + 1 : sent.end] if not t.is_punct and not t.is_space]
    if len(rest) > 5 or any(t.pos_ in ("VERB", "AUX") for t in rest):
        return None
    last = next((t for t in reversed(doc[sent.start : sent.end]) if not t.is_space), None)
    if last is None or last.text not in (".", "!", "?"):
        return None  # "In the text of the post, Ruiz wrote:" introduces what follows
    lo = sent.start
    if lo_subj - 1 - lo < 4 or any(ctx.tok_quote[i] >= 0 for i in range(lo, lo_subj - 1)):
        return None
    if not any(t.tag_ in ("VBD", "VBZ", "VBP", "MD") for t in doc[lo : lo_subj - 1]):
        return None  # "Shortly after the vote, Ruiz announced …": no statement before the comma
    return lo, lo_subj - 1


# verbs whose object is itself the stance: "announced a $2bn plan to …", "denied the claims",
# "accused the board of hiding the figures"
_OBJECT_VERBS = {"announce", "deny", "reject", "propose", "accuse", "dispute", "unveil", "endorse"}


def _object_statement(ctx: Context, verb: Any) -> tuple[int, int] | None:
    if verb.lemma_.lower() not in _OBJECT_VERBS:
        return None
    obj = next((c for c in verb.rights if c.dep_ == "dobj"), None)
    if obj is None or obj.pos_ == "PRON":
        return None
    sub = list(obj.subtree)
    lo, hi = sub[0].i, sub[-1].i + 1
    if verb.lemma_.lower() == "accuse":  # "accused X of Y": who is accused and of what
        prep = next((c for c in verb.rights if c.dep_ == "prep" and c.lower_ == "of"), None)
        if prep is not None:
            hi = max(hi, max(t.i for t in prep.subtree) + 1)
        elif not any(t.lower_ == "of" for t in sub):
            return None
    return (lo, hi) if hi - lo >= 3 else None


def _left_complement(ctx: Context, verb: Any) -> tuple[int, int] | None:
    """The statement before its reporting clause: "The deal is dead, the minister said." /
    "…, said Ana Ruiz, a nurse." (a clause hung to the left of the verb), or around it: "Still, he
    said, the talks must go on." (the short reporting clause dropped into the statement)."""
    trailing = _trailing_attribution(ctx, verb)
    if trailing is not None:
        return trailing
    comps = [c for c in verb.children if c.dep_ in ("ccomp", "parataxis") and c.i < verb.i]
    if comps:
        sub = list(comps[0].subtree)
        lo, hi = sub[0].i, sub[-1].i + 1
        if hi <= verb.i and hi - lo >= 3 and any(t.pos_ in ("VERB", "AUX") for t in sub):
            return lo, hi
        return None
    head = verb.head
    if (
        verb.dep_ not in ("parataxis", "ccomp", "advcl")
        or head.i == verb.i
        or head.pos_ not in ("VERB", "AUX")
    ):
        return None
    own = list(verb.subtree)
    vlo, vhi = own[0].i, own[-1].i + 1
    if vhi - vlo > 10 or any(c.dep_ in ("ccomp", "xcomp", "dobj") for c in verb.children):
        return None
    if ctx.tok_sent[head.i] != ctx.tok_sent[verb.i]:
        return None
    whole = list(head.subtree)
    hlo, hhi = whole[0].i, whole[-1].i + 1
    before, after = (hlo, vlo), (vhi, hhi)
    span = after if after[1] - after[0] >= before[1] - before[0] else before
    return span if span[1] - span[0] >= 3 else None


# verbs that report a statement written before them ("…, the minister said")
_AFTER_VERBS = (SAY_VERBS | {"believe", "think"}) - {"ask", "wonder", "comment", "continue", "post", "reply"}

_MODALS = {
    "would",
    "will",
    "could",
    "can",
    "should",
    "might",
    "may",
    "must",
    "had",
    "has",
    "have",
    "was",
    "were",
}


def _modal_clause(ctx: Context, verb: Any) -> tuple[int, int] | None:
    """ "said the levy would ‘price families off the crossing’ and called …": a quoted fragment can
    break the parse of the reported clause; a subject and a modal right after the verb still mark it.
    The clause ends at the sentence end or at ", and"/"and" + a verb in the past (the writer's next act)."""
    doc = ctx.doc
    sent = ctx.sents[ctx.tok_sent[verb.i]]
    i = verb.i + 1
    if i >= sent.end or not (doc[i].pos_ in ("DET", "PRON", "PROPN") and doc[i].lower_ not in ("that", "it")):
        return None
    modal = next(
        (
            j
            for j in range(i + 1, min(sent.end, i + 6))
            if doc[j].lower_ in _MODALS and doc[j].pos_ in ("AUX", "VERB")
        ),
        None,
    )
    if modal is None or any(doc[j].is_punct or doc[j].pos_ == "VERB" for j in range(i, modal)):
        return None
    hi = sent.end
    for j in range(modal + 1, sent.end - 1):
        if doc[j].lower_ == "and" and doc[j + 1].tag_ == "VBD" and ctx.tok_quote[j] < 0:
            hi = j
            break
    return i, hi


_WH = {"whether", "if", "why", "how", "what", "when", "who", "where", "which"}


def _cut_narration(doc: Any, lo: int, hi: int) -> tuple[int, int]:
    """End the statement before the writer's own narration: "…, but he declined to say how large
    it was" is not part of what was said; nor is a dangling "how"/"whether" left at its end."""
    for i in range(lo + 3, hi - 1):
        if (
            doc[i].lower_ in ("but", "and", "although", "though", "while")
            and doc[i - 1].text == ","
            and doc[i + 1].lower_ in ("he", "she", "they")
        ):
            hi = i - 1
            break
    while hi > lo and (
        doc[hi - 1].lower_ in _WH
        or doc[hi - 1].is_punct
        and doc[hi - 1].text not in ("%", "\u201d", '"')
        and not _closes_single(doc, lo, hi)
    ):
        hi -= 1
    return lo, hi


def _closes_single(doc: Any, lo: int, hi: int) -> bool:
    """The last token is the closing ’ of a ‘…’ fragment inside the statement (British style)."""
    return doc[hi - 1].text == "\u2019" and any(t.text == "\u2018" for t in doc[lo : hi - 1])


def _clean(doc: Any, lo: int, hi: int) -> str:
    while lo < hi and (doc[lo].lower_ in _DROP_LEAD or doc[lo].is_space):
        lo += 1
    while hi > lo and (
        doc[hi - 1].is_punct
        and doc[hi - 1].text not in ("\u201d", '"', "%")
        and not _closes_single(doc, lo, hi)
        or doc[hi - 1].is_space
    ):
        hi -= 1
    return re.sub(r"\s+", " ", doc[lo:hi].text).strip()


def analyse_positions(ctx: Context, resolver: Resolver) -> list[PositionResult]:
    doc = ctx.doc
    out: list[PositionResult] = []
    seen: set[tuple[str, str]] = set()
    for si, sent in enumerate(ctx.sents):
        if ctx.prep.paragraphs[ctx.tok_para[sent.start]].heading:
            continue
        for t in sent:
            if ctx.tok_quote[t.i] >= 0 or t.pos_ not in ("VERB", "AUX"):
                continue
            lemma = t.lemma_.lower()
            according = False
            if lemma not in STANCE_VERBS and lemma != "call":
                if not (t.lower_ == "according" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == "to"):
                    continue
                according = True
            if according:
                pobj = next((c for c in doc[t.i + 1].children if c.dep_ == "pobj"), None)
                if pobj is None:
                    continue
                source = source_of_document(pobj)
                sp = resolver.resolve_np(source)
                if not sp and source.pos_ in ("PROPN", "NOUN") and source.lower_ not in PRONOUNS_OTHER:
                    # "according to Politico", "according to media trackers": the source is written
                    # out; it is named as written (nothing is guessed)
                    lo_np, hi_np = noun_phrase(ctx, source)
                    written = re.sub(r"\s+", " ", doc[lo_np:hi_np].text).strip()
                    if written[:1].isalpha():
                        sp = Speaker(-1, written, "organization" if source.pos_ == "PROPN" else "unnamed")
                src_end = max(y.i for y in pobj.subtree) + 1
                after = (src_end, sent.end)
                if t.i - sent.start >= 3 and (
                    t.i - sent.start >= sent.end - src_end or sent.end - src_end < 4
                ):
                    span = (sent.start, t.i)  # "X happened, according to Y."
                else:  # "According to Y, X happened." / "At the heart of it, according to Y, was X."
                    span = after
                statement = _clean(doc, *span)
            else:
                found = _complement(ctx, t)
                before = False
                if found is None and t.tag_ in ("VBD", "VBZ", "VBP") and lemma in _AFTER_VERBS:
                    found = _left_complement(ctx, t)
                    before = True
                if found is None:
                    continue
                span = found
                subj = subject_of(ctx, t)
                if before:
                    if subj is not None and span[0] <= subj.i < span[1]:
                        continue  # the subject belongs to the statement: not a reporting clause
                elif subj is None or subj.i > t.i and span[0] <= subj.i:
                    subj = opening_subject(ctx, t)  # a broken parse: the actor the sentence opens with
                if subj is None:
                    continue
                sp = resolver.resolve_np(subj)
                if span[0] <= t.i < span[1]:
                    continue  # "licences that the teams say will drive …": the verb inside its own clause
                span = _cut_narration(doc, *span)
                statement = _clean(doc, *span)
            if not sp or not statement or len(statement.split()) < 3:
                continue
            if statement.split(" ", 1)[0].lower() in _WH | {"whom", "whose"}:
                continue  # a question put to someone is not their stance
            lo, hi = span
            inside = sum(
                1 for i in range(lo, hi) if ctx.tok_quote[i] >= 0 and not ctx.partial[ctx.tok_quote[i]]
            )
            if inside > 0.5 * (hi - lo):
                continue  # a direct quote: reported by the quotes stage
            holder = resolver.name(sp)
            if not holder:
                continue
            key = (holder.lower(), statement.lower())
            if key in seen:
                continue
            seen.add(key)
            out.append(
                PositionResult(
                    holder=holder,
                    statement=statement,
                    holder_kind=sp.kind,
                    verb=t.text,
                    sentence=si,
                    actor=sp.actor,
                )
            )
            if sp.actor >= 0:
                ctx.actors[sp.actor].positions += 1
    return out
