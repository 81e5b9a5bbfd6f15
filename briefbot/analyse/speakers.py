"""Who a noun phrase, pronoun or description refers to: the resolver quotes and positions share.

A speaker is always returned as an actor (full name) or as an explicit description
("a European official"); when neither is safe, None, because a wrong name is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .context import Context
from .lexicon import GROUP_HEADS, ORG_NOUNS, PERSON_NOUNS, PRONOUNS_PERSON, SAY_VERBS, STANCE_VERBS

_REL = {"who", "which", "that", "whom"}
_INDEF = {"a", "an", "one", "some", "another", "two", "three", "several", "many", "other", "no"}
_PLURAL_PRON = {"they", "we"}


@dataclass
class Speaker:
    """A resolved speaker: an actor index, or a free description with kind "unnamed"."""

    actor: int = -1
    text: str | None = None
    kind: str | None = None

    def __bool__(self) -> bool:
        return self.actor >= 0 or bool(self.text)


def subject_of(ctx: Context, verb: Any) -> Any | None:
    """The grammatical subject of a reporting verb, following conjunctions and relative clauses."""
    v = verb
    for _ in range(4):
        subjs = [c for c in v.children if c.dep_ in ("nsubj", "nsubjpass") and ctx.tok_quote[c.i] < 0]
        subj = subjs[0] if subjs else None
        if len(subjs) > 1:  # a mis-split noun phrase: "JMAC chair Professor Henrike Aalto told"
            named = [
                c for c in subjs if ctx.actor_of_token(c.i) >= 0 and ctx.actors[ctx.actor_of_token(c.i)].kind
            ]
            if named:
                subj = named[-1]
        if subj is not None:
            if subj.lower_ in _REL and v.dep_ == "relcl":
                return v.head
            return subj
        if v.dep_ in ("conj", "xcomp", "advcl") and v.head is not v:
            h = v.head
            if v.dep_ == "xcomp":
                obj = next((c for c in h.children if c.dep_ == "dobj" and c.i < v.i), None)
                if obj is not None:
                    return obj  # "the record prompted the atlas to state …": the atlas states it
            if (
                v.dep_ == "conj"
                and h.dep_ == "ccomp"
                and h.head.lemma_.lower() in STANCE_VERBS
                and h.head.i < v.i
            ):
                v = h.head  # "He argued that X had … and said …": "said" is his, parsed into the clause
                continue
            v = h
            continue
        if v.dep_ == "relcl":
            return v.head
        if v.dep_ == "acl" and v.head.pos_ == "PROPN" and v.head.i < v.i:
            return v.head  # "De Blasio, speaking on the radio, called the plan …" (a broken parse)
        break
    return None


def opening_subject(ctx: Context, verb: Any) -> Any | None:
    """For a broken parse ("X, whose group runs …, said the closures were …" with "closures" as the
    subject, or no subject at all): the actor named at the start of the verb's sentence, when
    nothing but titles and determiners comes before it."""
    sent = ctx.sents[ctx.tok_sent[verb.i]]
    found = None
    i = sent.start
    while i < verb.i:
        t = ctx.doc[i]
        if ctx.tok_quote[i] >= 0:
            return None
        mi = ctx.tok_mention.get(i)
        if mi is not None:
            m = ctx.mentions[mi]
            if m.possessive or m.actor < 0 or not ctx.actors[m.actor].kind:
                return None
            found = ctx.doc[m.start : m.end].root  # "Council Leader Hannah Okoro-Blythe": the last name
            i = m.end
            continue
        if t.pos_ in ("VERB", "AUX", "ADP", "SCONJ", "PRON") or t.is_punct:
            break
        i += 1
    return found


def noun_phrase(ctx: Context, head: Any) -> tuple[int, int]:
    """Token range of the noun phrase headed by ``head``: its left modifiers and short right PPs."""
    lo = head.i
    for c in head.lefts:
        if (
            c.dep_ in ("det", "amod", "compound", "poss", "nummod", "nmod", "quantmod", "case", "punct")
            or c.tag_ == "POS"
        ):
            lo = min(lo, min(t.i for t in c.subtree))
    hi = head.i + 1
    for c in head.rights:
        if c.dep_ == "prep" and c.lower_ in ("for", "at", "of", "with", "from", "in"):
            sub = list(c.subtree)
            if len(sub) <= 8:
                hi = max(hi, sub[-1].i + 1)
        elif c.dep_ == "amod" and c.pos_ == "ADJ" and c.i == hi and any(x.dep_ == "prep" for x in c.children):
            end = max(t.i for t in c.subtree) + 1
            stop = next((t.i for t in ctx.doc[c.i : end] if t.is_punct), end)
            hi = max(hi, stop)  # "a person close to the company, who …"
        else:
            break
    doc = ctx.doc
    while lo < hi and doc[lo].is_punct:
        lo += 1
    return lo, hi


class Resolver:
    """Stateful over one article: remembers the last speaker for pronoun tie-breaks."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.last_speaker = -1

    # -- noun phrases ---------------------------------------------------------------------------
    def resolve_np(self, head: Any) -> Speaker:
        ctx = self.ctx
        if head.lower_ in PRONOUNS_PERSON or head.lower_ in ("i",):
            return self.resolve_pronoun(head)
        if head.lower_ in ("it", "they", "we"):
            return self.resolve_pronoun(head)
        # the head is itself a name ("Jimenez said"), or a name stands in apposition
        # ("Its chairman, Jan-Willem Koster,"); a possessor ("Villa's agent") is never the speaker
        lo, hi = noun_phrase(ctx, head)
        a = ctx.actor_of_token(head.i)
        if a >= 0 and ctx.actors[a].kind:
            return Speaker(a, None, ctx.actors[a].kind)
        appos: list[int] = []
        for c in head.children:
            if c.dep_ == "appos":
                for t in c.subtree:
                    x = ctx.actor_of_token(t.i)
                    m = ctx.tok_mention.get(t.i)
                    if (
                        x >= 0
                        and x not in appos
                        and ctx.actors[x].kind
                        and m is not None
                        and not ctx.mentions[m].possessive
                    ):
                        appos.append(x)
        if appos:
            persons = [x for x in appos if ctx.actors[x].kind == "person"]
            x = persons[0] if persons else appos[0]
            return Speaker(x, None, ctx.actors[x].kind)
        if head.pos_ == "PROPN" and head.text[:1].isupper():
            # a name the tagger did not know: as written when it is plainly the one who speaks
            # ("…,” Adam Sharp said), else null rather than a guess
            return self._written_name(head)
        return self.resolve_description(head, lo, hi)

    def _written_name(self, head: Any) -> Speaker:
        """ "Twitter's Adam Sharp said": the subject of a reporting verb that is nothing but
        capitalised proper nouns (one to three, no possessor, title or place glued in)."""
        ctx = self.ctx
        verb = head.head
        if head.dep_ != "nsubj" or verb.lemma_.lower() not in SAY_VERBS or verb.pos_ != "VERB":
            return Speaker()
        parts = [c for c in head.lefts if c.dep_ == "compound"] + [head]
        if any(c.dep_ not in ("compound", "punct") for c in head.lefts if c.dep_ != "poss"):
            return Speaker()
        lo = min(t.i for t in parts)
        toks = list(ctx.doc[lo : head.i + 1])
        if not 1 <= len(toks) <= 3 or any(t.pos_ != "PROPN" or not t.text[:1].isupper() for t in toks):
            return Speaker()
        if any(t.ent_type_ in ("GPE", "LOC", "DATE", "TIME", "CARDINAL", "FAC") for t in toks):
            return Speaker()
        if any(t.lower_.rstrip(".") in _TITLE_WORDS for t in toks):
            return Speaker()
        if any(ctx.tok_quote[t.i] >= 0 for t in toks):
            return Speaker()
        return Speaker(-1, " ".join(t.text for t in toks), "person" if len(toks) >= 2 else None)

    def resolve_description(self, head: Any, lo: int, hi: int) -> Speaker:
        """ "the spokesperson", "the 27-year-old", "the company" -> the actor described, else the words."""
        ctx = self.ctx
        doc = ctx.doc
        text = re.sub(r"\s+", " ", doc[lo:hi].text).strip()
        if not text or not any(ch.isalpha() for ch in text):
            return Speaker()
        first = doc[lo].lower_
        words = [t.lower_ for t in doc[lo:hi]]
        head_word = head.lower_
        age = re.search(r"(\d{1,3})\s*-\s*year\s*-\s*old", text)
        definite = first in ("the", "its", "his", "her", "their", "this", "that") and len(words) <= 6
        if definite:
            before = head.i
            best = -1
            best_pos = -1
            generic, generic_pos = -1, -1
            for ai, actor in enumerate(ctx.actors):
                if not actor.kind:
                    continue
                prev = [ctx.mentions[m].start for m in actor.mentions if ctx.mentions[m].start < before]
                if not prev:
                    continue
                ok = False
                if age and actor.age is not None and actor.age == int(age.group(1)):
                    ok = True
                elif not age and head_word in actor.descriptors and _modifiers_fit(doc, lo, head.i, actor):
                    ok = True
                elif (
                    not age
                    and len(words) == 2
                    and actor.kind in ("organization", "group")
                    and head_word in _GENERIC_ORG_HEADS
                ):
                    # a bare "the company" is the company the story is about: one named as an
                    # actor somewhere, not only in "Eindhoven-based" or "Nevoprex's maker"
                    own = [
                        ctx.mentions[m].start
                        for m in actor.mentions
                        if ctx.mentions[m].start < before and not _modifier_only(ctx, ctx.mentions[m])
                    ]
                    if own and max(own) > generic_pos:
                        generic, generic_pos = ai, max(own)
                if ok and max(prev) > best_pos:
                    best, best_pos = ai, max(prev)
            if best < 0 and generic >= 0:
                best, best_pos = generic, generic_pos
            if not age and best >= 0:
                # "A senior diplomat said … “…,” the diplomat said": an unnamed source introduced
                # after the last mention of a named actor with the same description is the speaker
                earlier = self._indefinite_before(head, after=best_pos)
                if earlier:
                    return Speaker(-1, earlier, "unnamed")
            if best >= 0:
                return Speaker(best, None, ctx.actors[best].kind)
            if age:
                # "“…,” said the 54-year-old": the age is told only here; the person just named
                near = self._nearest_person_before(head.i)
                if near >= 0 and ctx.actors[near].age in (None, int(age.group(1))):
                    ctx.actors[near].age = int(age.group(1))
                    ctx.actors[near].descriptors.add(f"{int(age.group(1))}-year-old")
                    return Speaker(near, None, "person")
        lemma = head.lemma_.lower()
        if not age and not (
            lemma in PERSON_NOUNS
            or lemma in ORG_NOUNS
            or head.lower_ in PERSON_NOUNS
            or head.lower_ in ORG_NOUNS
            or lemma.endswith(("ist", "man", "woman", "person"))
            or lemma in ("official", "source", "people", "resident", "expert", "critic")
            or lemma in _DOCUMENTS  # "a new poll", "the report": what says it, named as written
            or lemma in GROUP_HEADS  # "47 percent", "those surveyed", "Democratic economists"
            or _plural_speaker(head)  # "union members and leaders say", "some delegates said"
        ):
            return Speaker()  # "the deal", "the plan" do not speak
        if definite and not age:
            earlier = self._indefinite_before(head)
            if earlier:
                return Speaker(-1, earlier, "unnamed")
        if text.lower().startswith("the "):
            text = "the " + text[4:]
        orgish = (lemma in ORG_NOUNS or head.lower_ in ORG_NOUNS) and lemma not in PERSON_NOUNS
        return Speaker(-1, text, "organization" if orgish else "unnamed")

    def _nearest_person_before(self, i: int) -> int:
        """The person named last before token i in the same paragraph, outside quotes (else -1)."""
        ctx = self.ctx
        para = ctx.tok_para[i]
        for m in reversed(ctx.mentions):
            if m.start >= i or m.in_quote or m.possessive:
                continue
            if m.para != para:
                break
            if m.actor >= 0 and ctx.actors[m.actor].kind == "person":
                return m.actor
        return -1

    def _indefinite_before(self, head: Any, after: int = -1) -> str | None:
        """ "A senior diplomat said … “…,” the diplomat said": the earlier, fuller description."""
        ctx = self.ctx
        sent = ctx.tok_sent[head.i]
        for si in range(sent, max(-1, sent - 4), -1):
            for t in ctx.sents[si]:
                if t.i >= head.i or ctx.tok_quote[t.i] >= 0 or t.lemma_ != head.lemma_ or t.i == head.i:
                    continue
                if t.i <= after:
                    continue
                det = next((c for c in t.children if c.dep_ == "det"), None)
                if det is not None and det.lower_ in _INDEF:
                    lo, _ = noun_phrase(ctx, t)
                    return re.sub(r"\s+", " ", ctx.doc[lo : t.i + 1].text).strip()
        return None

    # -- pronouns -------------------------------------------------------------------------------
    def resolve_pronoun(self, tok: Any) -> Speaker:
        """Nearest compatible earlier actor outside quotes; subjects and the last speaker are preferred."""
        ctx = self.ctx
        low = tok.lower_
        want_person = low in PRONOUNS_PERSON or low == "i"
        gender = PRONOUNS_PERSON.get(low)
        sent = ctx.tok_sent[tok.i]
        para = ctx.tok_para[tok.i]
        best, best_score = -1, -1e9
        for m in reversed(ctx.mentions):
            if m.start >= tok.i:
                continue
            if m.in_quote and ctx.tok_quote[tok.i] != ctx.tok_quote[m.start]:
                continue
            if para - m.para > 2:
                break
            actor = ctx.actors[m.actor]
            if want_person:
                if actor.kind != "person":
                    continue
                if gender and actor.gender and actor.gender != gender:
                    continue
            else:
                if actor.kind not in ("organization", "group") and not (
                    low in _PLURAL_PRON and actor.kind == "place"
                ):
                    continue
            score = -1.0 * (sent - m.sent) - 0.5 * (para - m.para)
            if m.subject:
                score += 1.5
            if m.possessive:
                score -= 2.0
            if m.actor == self.last_speaker:
                score += 1.0
            if gender and actor.gender == gender:
                score += 1.5  # known to match beats merely not known to clash
            if score > best_score:
                best, best_score = m.actor, score
        if not want_person:
            np = self._org_phrase_before(tok)
            if np is not None and np[2] > best_score:
                return Speaker(-1, np[0], np[1])
        if best >= 0:
            if gender and ctx.actors[best].gender is None:
                ctx.actors[best].gender = gender  # "Kroon … she told reporters": later "he" is someone else
            return Speaker(best, None, ctx.actors[best].kind)
        return Speaker()

    def _org_phrase_before(self, tok: Any) -> tuple[str, str, float] | None:
        """ "The fishermen's federation was scathing. “…,” it said": a nameless organisation subject."""
        ctx = self.ctx
        sent = ctx.tok_sent[tok.i]
        for si in range(sent, max(-1, sent - 3), -1):
            s = ctx.sents[si]
            for t in reversed(list(s)):
                if t.i >= tok.i or ctx.tok_quote[t.i] >= 0:
                    continue
                if (
                    t.dep_ in ("nsubj", "nsubjpass")
                    and t.pos_ == "NOUN"
                    and t.lower_ in ORG_NOUNS
                    and ctx.actor_of_token(t.i) < 0
                ):
                    lo, hi = noun_phrase(ctx, t)
                    if (
                        ctx.doc[lo].lower_ in ("the",)
                        or ctx.doc[lo].tag_ == "POS"
                        or any(x.tag_ == "POS" for x in ctx.doc[lo:hi])
                    ):
                        text = re.sub(r"\s+", " ", ctx.doc[lo:hi].text)
                        if text.startswith("The "):
                            text = "the " + text[4:]
                        return text, "organization", -1.0 * (sent - si) + 1.5
        return None

    def name(self, sp: Speaker) -> str | None:
        if sp.actor >= 0:
            return self.ctx.actors[sp.actor].name
        text = sp.text
        if text and text.split(" ", 1)[0] in ("A", "An", "The", "One", "Some", "Two", "Several"):
            text = text[0].lower() + text[1:]
        return text


_TITLE_WORDS = frozenset(
    "mr mrs ms dr sen rep gov gen col lt sgt prof president senator governor minister mayor judge "
    "chairman secretary director chief officer spokesman spokeswoman spokesperson".split()
)

_GENERIC_ORG_HEADS = frozenset(
    "company firm group union agency carmaker bank airline chipmaker automaker retailer insurer lender "
    "association federation council body operator maker drugmaker".split()
)


def _plural_speaker(head: Any) -> bool:
    """A plural common noun that is the subject of a reporting verb names a group that speaks."""
    verb = head.head
    return bool(
        head.tag_ == "NNS"
        and head.dep_ == "nsubj"
        and verb.pos_ == "VERB"
        and verb.lemma_.lower() in SAY_VERBS
        and head.lemma_.lower() not in _DOCUMENTS  # "records show" is evidence, not a speaker
    )


def _modifiers_fit(doc: Any, lo: int, head: int, actor: Any) -> bool:
    """ "the Ohio senator" is the senator the article introduced from Ohio, not any senator: every
    name or adjective before the head must be in the actor's roles (or name)."""
    known = " ".join([actor.name, *actor.roles]).lower()
    for t in doc[lo:head]:
        if t.pos_ in ("PROPN", "ADJ") and t.lower_ not in known:
            return False
    return True


def _modifier_only(ctx: Context, m: Any) -> bool:
    """A mention that only modifies another word: "Eindhoven-based", "the Nevoprex trials"."""
    doc = ctx.doc
    if m.end < len(doc) and doc[m.end].text == "-" and not doc[m.end - 1].whitespace_:
        return True
    root = doc[m.start : m.end].root
    return bool(root.dep_ == "compound" and root.head.i >= m.end and root.head.pos_ == "NOUN")


def is_say_verb(tok: Any) -> bool:
    return tok.lemma_.lower() in SAY_VERBS and tok.pos_ in ("VERB", "AUX")


_DOCUMENTS = {
    "statement",
    "report",
    "filing",
    "memo",
    "document",
    "letter",
    "post",
    "release",
    "data",
    "figures",
    "survey",
    "study",
    "poll",
    "transcript",
    "email",
    "message",
    "note",
    "analysis",
    "article",
    "polling",
    "review",
    "audit",
    "declaration",
    "complaint",
    "lawsuit",
    "estimate",
    "projection",
    "tally",
    "assessment",
    "investigation",
    "statistic",
    "examination",
    "suit",
    "disclosure",
    "proposal",
    "ruling",
}


def source_of_document(tok: Any) -> Any:
    """ "according to a statement from Orvel Motors" -> "Orvel Motors": the author, not the paper."""
    if tok.lemma_.lower() in _DOCUMENTS:
        for c in tok.children:
            if c.dep_ == "prep" and c.lower_ in ("from", "by", "of"):
                pobj = next((x for x in c.children if x.dep_ == "pobj"), None)
                if pobj is not None:
                    return pobj
    return tok
