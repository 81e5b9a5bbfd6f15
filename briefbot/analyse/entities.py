"""Actors: entity mentions cleaned, consolidated across the article, typed and given roles.

The small model often tags a person as ORG ("Trump", "Lavrov") or a company as PERSON, so an
actor's kind is decided over all its mentions, and title/role cues outvote the tagger.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from .context import ActorInfo, Context, Mention
from .lexicon import (
    EVENT_FIRST_WORDS,
    EVENT_WORDS,
    FEMALE_NAMES,
    HONORIFICS,
    MALE_NAMES,
    ORG_NOUNS,
    ORG_SUFFIXES,
    PERSON_NOUNS,
    PLACE_SUFFIXES,
    PRODUCT_NOUNS,
    RANK_TITLES,
    ROLE_VERB_PREPS,
    ROLE_VERBS,
    TIME_ZONES,
    TITLE_EXPANSIONS,
    TITLE_WORDS,
)

_LABELS = {
    "PERSON": "person",
    "ORG": "organization",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "NORP": "group",
}
_NUMERIC_ENTS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"}
_POSSESSIVE = {"'s", "\u2019s", "'", "\u2019"}
_LEAD_DROP = {"a", "an", "the", "his", "her", "its", "their", "our", "my", "your"}
_PARTICLES = {
    "von",
    "van",
    "der",
    "den",
    "de",
    "da",
    "di",
    "du",
    "del",
    "della",
    "la",
    "le",
    "bin",
    "al",
    "ibn",
    "ter",
    "dos",
    "das",
    "zu",
}
_APOS = str.maketrans({"\u2019": "'", "\u2018": "'"})
_FIRST_NAMES = MALE_NAMES | FEMALE_NAMES


def norm_name(text: str) -> str:
    return re.sub(r"\s+", " ", text.translate(_APOS)).strip().casefold()


def _is_title(tok: Any) -> bool:
    return tok.lower_ in TITLE_WORDS or tok.lower_ in HONORIFICS


def _role_noun(word: str) -> bool:
    w = word.lower()
    return w in PERSON_NOUNS or w.endswith(("-year-old", "ist", "man", "woman", "person"))


def extract_mentions(ctx: Context) -> None:
    """Turn doc.ents into cleaned mentions: no titles, possessives or articles glued on."""
    doc = ctx.doc
    taken: set[int] = set()
    for ent in doc.ents:
        kind = _LABELS.get(ent.label_)
        if kind is None:
            continue
        s, e = ent.start, ent.end
        had_the = s > 0 and doc[s - 1].lower_ == "the"
        while (
            s < e
            and doc[s].lower_ in ("the", "a", "an")
            and not (doc[s].text == "The" and not doc[s].is_sent_start and kind == "place")
        ):
            s += 1
            had_the = True
        possessive = False
        for i in range(s, e):
            if doc[i].text in _POSSESSIVE or doc[i].tag_ == "POS":
                if (
                    kind == "organization"
                    and doc[i].text in ("'", "\u2019")
                    and i > s
                    and doc[i - 1].lower_.endswith("s")
                    and i + 1 < e
                    and doc[i + 1].text[:1].isupper()
                ):
                    continue  # a plural possessive inside a name: "United Dock Workers' Union"
                e = i
                possessive = True
                break
        if e < len(doc) and doc[e].tag_ == "POS":
            possessive = True
        while e > s and (doc[e - 1].is_punct or doc[e - 1].is_space):
            e -= 1
        title = None
        ts = s
        while (
            ts < e - 1
            and doc[ts].lower_ not in ("state",)
            and (_is_title(doc[ts]) or (kind == "person" and e - ts >= 3 and doc[ts].lower_ in PERSON_NOUNS))
        ):
            ts += 1  # "President Trump", and "Striker Bruno Alves" at a sentence start
        if ts > s and doc[ts].is_title:
            title = " ".join(TITLE_EXPANSIONS.get(t.lower_, t.text) for t in doc[s:ts])
            s = ts
        if s >= e:
            continue
        if kind == "group" and doc[e - 1].tag_ not in ("NNPS", "NNS"):
            continue  # "Russian" (adjective) is not an actor; "Americans" is
        if (
            s > 0
            and e - s == 1
            and doc[s - 1].pos_ == "PROPN"
            and not doc[s - 1].ent_type_
            and doc[s - 1].is_title
            and norm_name(doc[s - 1].text) in _FIRST_NAMES
            and "\n" not in doc[s - 1].whitespace_
        ):
            s -= 1  # "Ana Quaresma" when the tagger took only "Quaresma" (as a place): a first name
            kind = "person"
        if kind in ("person", "organization"):
            # "The union FNV Havens": the tagger took only "Havens"; take the capitalised words before it
            while (
                s > 0
                and doc[s - 1].pos_ == "PROPN"
                and not doc[s - 1].ent_type_
                and (doc[s - 1].is_title or doc[s - 1].is_upper)
                and not _is_title(doc[s - 1])
                and "\n" not in doc[s - 1].whitespace_
                and not doc[s - 1].is_sent_start
            ):
                s -= 1
        if kind == "person":
            # "Ursula von der" + "Leyen": the tagger splits names at lowercase particles
            while e > s + 1 and doc[e - 1].lower_ in _PARTICLES:
                e -= 1
            j = e
            while j < len(doc) and doc[j].lower_ in _PARTICLES and "\n" not in doc[j - 1].whitespace_:
                j += 1
            if j > e and j < len(doc) and doc[j].text[:1].isupper() and doc[j].pos_ == "PROPN":
                e = j + 1
                while (
                    e < len(doc)
                    and doc[e].pos_ == "PROPN"
                    and doc[e].text[:1].isupper()
                    and doc[e].ent_iob_ == "I"
                ):
                    e += 1
            while e > s + 1 and doc[e - 1].lower_ in _PARTICLES:
                e -= 1
        if any(i in taken for i in range(s, e)):
            continue
        text = re.sub(r"\s+", " ", doc[s:e].text).strip()
        if text.endswith(".") and text.count(".") == 1:
            text = text[:-1]
        if sum(ch.isalpha() for ch in text) < 2 or not (text[0].isupper() or text[0].isdigit()):
            continue
        root = doc[s:e].root
        subject = root.dep_ in ("nsubj", "nsubjpass") or (
            root.dep_ == "appos" and root.head.dep_ in ("nsubj", "nsubjpass")
        )
        m = Mention(
            start=s,
            end=e,
            text=text,
            label=kind,
            sent=ctx.tok_sent[s],
            para=ctx.tok_para[s],
            in_quote=ctx.tok_quote[s] >= 0,
            possessive=possessive,
            had_the=had_the,
            subject=subject,
            title=title,
        )
        idx = len(ctx.mentions)
        ctx.mentions.append(m)
        for i in range(s, e):
            ctx.tok_mention[i] = idx
            taken.add(i)


def _tokens(key: str) -> list[str]:
    return key.replace("-", " - ").split()


def consolidate(ctx: Context) -> None:
    """Group mentions into actors: "Dmitriev" joins "Kirill Dmitriev", "Helix" joins "Helix Dynamics"."""
    by_key: dict[str, list[int]] = {}
    for mi, m in enumerate(ctx.mentions):
        by_key.setdefault(norm_name(m.text), []).append(mi)
    labels = {k: Counter(ctx.mentions[i].label for i in v) for k, v in by_key.items()}
    keys = sorted(by_key, key=lambda k: (-len(k.split()), ctx.mentions[by_key[k][0]].start))
    cluster_of: dict[str, int] = {}
    clusters: list[list[int]] = []
    for key in keys:
        toks = key.split()
        cands: list[str] = []
        for other in cluster_of:
            otoks = other.split()
            if len(otoks) <= len(toks):
                continue
            lab = labels[key]
            olab = labels[other]
            placeish = lab["place"] > lab["person"] + lab["organization"] and not any(
                ctx.mentions[i].subject or _pre_chain(ctx, ctx.mentions[i].start) for i in by_key[key]
            )
            personish = bool(olab["person"]) or (
                bool(lab["person"] or otoks[0] in MALE_NAMES or otoks[0] in FEMALE_NAMES)
                and otoks[-1] not in ORG_SUFFIXES
            )
            if otoks[-len(toks) :] == toks and personish and not placeish:
                cands.append(other)  # surname
            elif (
                len(toks) == 1
                and len(otoks) == 2
                and otoks[0] == toks[0]
                and olab["person"]
                and not placeish
                and not lab["organization"] > lab["person"]
            ):
                cands.append(other)  # family name first ("Li" for "Li Qiang") or a first name alone
            elif (
                otoks[: len(toks)] == toks
                and (olab["organization"] or olab["place"])
                and not olab["person"]
                and not lab["person"]
            ):
                cands.append(other)  # short form of an organisation
        if not cands and len(toks) == 1 and _is_acronym(ctx.mentions[by_key[key][0]].text):
            cands = [
                o for o in cluster_of if _initials(o) == key
            ]  # "JMAC" for "Joint Medicines Appraisal Council"
        target_clusters = sorted({cluster_of[c] for c in cands})
        if len(target_clusters) == 1:
            cluster_of[key] = target_clusters[0]
            clusters[target_clusters[0]].extend(by_key[key])
        elif not target_clusters:
            cluster_of[key] = len(clusters)
            clusters.append(list(by_key[key]))
        else:  # ambiguous surname: each mention goes to the nearest full name before it
            for mi in by_key[key]:
                start = ctx.mentions[mi].start
                best, best_pos = target_clusters[0], -1
                for c in target_clusters:
                    prev = [ctx.mentions[x].start for x in clusters[c] if ctx.mentions[x].start < start]
                    if prev and max(prev) > best_pos:
                        best, best_pos = c, max(prev)
                clusters[best].append(mi)
            cluster_of[key] = target_clusters[0]
    for members in clusters:
        members.sort(key=lambda i: ctx.mentions[i].start)
        idx = len(ctx.actors)
        names = [ctx.mentions[i].text for i in members]
        longest = max(names, key=lambda t: (len(_tokens(norm_name(t))), -names.index(t)))
        aliases: list[str] = []
        seen = {norm_name(longest)}
        for t in names:
            if norm_name(t) not in seen:
                seen.add(norm_name(t))
                aliases.append(t)
        actor = ActorInfo(
            name=longest,
            kind="organization",
            mentions=members,
            aliases=aliases,
            first_token=ctx.mentions[members[0]].start,
        )
        for i in members:
            ctx.mentions[i].actor = idx
        ctx.actors.append(actor)


def _is_acronym(text: str) -> bool:
    return 2 <= len(text) <= 8 and text.isalpha() and text.isupper()


def _initials(key: str) -> str:
    words = [w for w in key.replace("-", " ").split() if w not in ("of", "the", "and", "for", "&", "de")]
    return "".join(w[0] for w in words if w[:1].isalpha()) if len(words) >= 2 else ""


def _attributive(ctx: Context, m: Mention) -> bool:
    """ "Goldman Sachs banker", "Trump administration": the name modifies a noun after it."""
    root = ctx.doc[m.start : m.end].root
    return bool(root.dep_ == "compound" and root.head.i >= m.end and root.head.pos_ == "NOUN")


def _pre_chain(ctx: Context, start: int) -> tuple[int, str] | None:
    """Title words written before a name: "Foreign Minister", "State Department spokesperson"."""
    doc = ctx.doc
    i = start - 1
    lo = start
    steps = 0
    while i >= 0 and steps < 8:
        t = doc[i]
        if t.is_space or "\n" in t.whitespace_ or t.is_sent_end and i < start - 1:
            break
        if (ctx.tok_quote[i] >= 0) != (ctx.tok_quote[start] >= 0):
            break
        if t.text == "-" and not t.whitespace_ and i > 0 and not doc[i - 1].whitespace_:
            lo = i - 1  # "Then-President", "co-founder"
            i -= 2
            steps += 1
            continue
        if t.ent_type_ in _NUMERIC_ENTS or t.ent_type_ == "PERSON" and lo == start:
            break
        if t.ent_type_ == "PERSON":
            break
        if t.pos_ in ("NOUN", "PROPN", "ADJ") or (t.lower_ == "of" and lo < start and doc[i - 1].is_title):
            lo = i
            i -= 1
            steps += 1
            continue
        if t.tag_ == "POS" and lo < start and i > 0 and doc[i - 1].pos_ in ("PROPN", "NOUN"):
            lo = i - 1  # "Russia's foreign minister"
            break
        break
    if lo == start:
        return None
    head = doc[start - 1]
    if head.lower_ in HONORIFICS and lo == start - 1:
        return None
    if head.pos_ not in ("NOUN", "PROPN") and head.lower_ not in TITLE_WORDS:
        return None
    if head.lower_ in ("former", "then", "acting", "interim", "first", "late"):
        return None
    text = (
        " ".join(
            TITLE_EXPANSIONS.get(t.lower_, t.text) + t.whitespace_.replace("\n", " ") for t in doc[lo:start]
        )
        .replace("  ", " ")
        .strip()
    )
    text = re.sub(
        r"\s+",
        " ",
        "".join(TITLE_EXPANSIONS.get(t.lower_, t.text) + (t.whitespace_ and " ") for t in doc[lo:start]),
    ).strip()
    first = doc[lo]
    if first.lower_ in HONORIFICS:
        return None
    return lo, text


def _np_text(doc: Any, lo: int, hi: int) -> str:
    while lo < hi and (doc[lo].lower_ in _LEAD_DROP or doc[lo].is_punct):
        lo += 1
    while hi > lo and (doc[hi - 1].is_punct or doc[hi - 1].is_space):
        hi -= 1
    return re.sub(r"\s+", " ", doc[lo:hi].text).strip()


def _cut_at_comma(doc: Any, lo: int, hi: int) -> int:
    for i in range(lo, hi):
        if doc[i].text in (",", ";", "(", ")", "\u2014", "\u2013") or doc[i].is_space:
            return i
        if (
            i > lo
            and doc[i].lower_ in ("who", "which", "whose", "whom")
            or (i > lo and doc[i].lower_ == "that" and doc[i].dep_ in ("nsubj", "nsubjpass", "dobj"))
        ):
            return i
    return hi


def _appositions(ctx: Context, m: Mention) -> tuple[list[str], int | None]:
    """Roles from "X, a former banker," and "Its chairman, X," (and an age from "X, 27,")."""
    doc = ctx.doc
    roles: list[str] = []
    age: int | None = None
    root = doc[m.start : m.end].root
    for c in root.children:
        if c.dep_ != "appos" or c.i < m.end:
            continue
        if c.like_num and c.text.isdigit() and 0 < int(c.text) < 120:
            age = int(c.text)
            continue
        if c.pos_ != "NOUN" or c.ent_type_ in ("PERSON", "GPE"):
            continue
        sub = list(c.subtree)
        lo, hi = sub[0].i, sub[-1].i + 1
        hi = _cut_at_comma(doc, lo, hi)
        if hi - lo <= 14:
            txt = _np_text(doc, lo, hi)
            if txt:
                roles.append(txt)
    if not roles and m.end + 2 < len(doc) and doc[m.end].text == ",":
        nxt = doc[m.end + 1]
        if nxt.like_num and nxt.text.isdigit() and m.end + 2 < len(doc) and doc[m.end + 2].text == ",":
            if 0 < int(nxt.text) < 120:
                age = int(nxt.text)
        elif nxt.lower_ in ("a", "an", "the") or nxt.tag_ == "PRP$":
            hi = _cut_at_comma(doc, m.end + 1, min(len(doc), m.end + 15))
            seg = doc[m.end + 1 : hi]
            if (
                hi < len(doc)
                and doc[hi].text in (",", ".", "\u2014")
                and not any(t.pos_ in ("VERB", "AUX") and t.tag_ not in ("VBN", "VBG") for t in seg)
                and any(t.pos_ == "NOUN" for t in seg)
            ):
                txt = _np_text(doc, m.end + 1, hi)
                if txt:
                    roles.append(txt)
    if root.dep_ == "appos" and root.head.i < m.start and root.head.pos_ == "NOUN":
        head = root.head
        sub = [t for t in head.subtree if t.i < m.start]
        if sub:
            lo = sub[0].i
            hi = m.start
            while hi > lo and (doc[hi - 1].is_punct or doc[hi - 1].is_space):
                hi -= 1
            head_is_name = ctx.tok_mention.get(head.i) is not None
            if 0 < hi - lo <= 14 and not head_is_name:
                txt = _np_text(doc, lo, hi)
                if txt:
                    roles.append(txt)
    return roles, age


def _clause_role(ctx: Context, m: Mention, root: Any) -> str | None:
    """A role written as a relative clause or an affiliation right after the name, between commas:
    "Jane Doe, who chairs the port authority,", "X, who is the chief executive of Y,",
    "Alan Moffatt, of the campaign group Severn Tides Alliance,"."""
    doc = ctx.doc
    if m.end + 2 >= len(doc) or doc[m.end].text != "," or m.in_quote:
        return None
    nxt = doc[m.end + 1]
    hi = _cut_at_comma(doc, m.end + 2, min(len(doc), m.end + 18))
    if hi >= len(doc) or doc[hi].text not in (",", ".", "\u2014", "\u2013", ";"):
        return None
    if nxt.lower_ == "who":
        verb = nxt.head
        if (
            nxt.dep_ not in ("nsubj", "nsubjpass")
            or verb.dep_ != "relcl"
            or not (m.start <= verb.head.i < m.end)
        ):
            return None
        lemma = verb.lemma_.lower()
        if lemma == "be":
            attr = next((c for c in verb.children if c.dep_ == "attr" and c.pos_ in ("NOUN", "PROPN")), None)
            if attr is None or attr.i >= hi:
                return None
            lo = min(t.i for t in attr.subtree)
            return _np_text(doc, lo, hi) or None
        if lemma not in ROLE_VERBS and verb.lower_ not in ROLE_VERBS:
            return None
        preps = ROLE_VERB_PREPS.get(lemma)
        if preps and not (verb.i + 1 < hi and doc[verb.i + 1].lower_ in preps):
            return None
        if verb.i != m.end + 2 and not all(doc[i].pos_ in ("ADV", "AUX") for i in range(m.end + 2, verb.i)):
            return None
        if hi - verb.i < 2:
            return None
        return re.sub(r"\s+", " ", doc[m.end + 2 : hi].text).strip() or None
    if nxt.lower_ in ("of", "from", "at", "with") and nxt.head.i in range(m.start, m.end):
        seg = doc[m.end + 2 : hi]
        if not len(seg) or any(t.pos_ in ("VERB", "AUX") for t in seg):
            return None
        orgish = any(t.ent_type_ == "ORG" for t in seg) or any(
            t.lower_ in ORG_NOUNS or t.lower_ in ORG_SUFFIXES for t in seg
        )
        if not orgish or any(t.ent_type_ in ("GPE", "LOC", "PERSON") for t in seg):
            return None
        return _np_text(doc, m.end + 2, hi) or None
    return None


def _delayed_description(ctx: Context, m: Mention) -> str | None:
    """ "The head of X on Tuesday described … \n “…,” Kirill Dmitriev told reporters": the
    nameless subject of the sentence just before a person's first mention describes that person."""
    if m.sent == 0 or not m.subject:
        return None
    si = m.sent - 1
    while si > 0 and sum(1 for t in ctx.sents[si] if ctx.tok_quote[t.i] >= 0) > len(ctx.sents[si]) // 2:
        si -= 1
    prev = ctx.sents[si]
    if m.sent - si > 2:
        return None
    root = prev.root
    subj = next((c for c in root.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subj is None or subj.pos_ != "NOUN" or not _role_noun(subj.text):
        return None
    sub = list(subj.subtree)
    lo, hi = sub[0].i, sub[-1].i + 1
    if any(
        ctx.tok_mention.get(i) is not None and ctx.mentions[ctx.tok_mention[i]].label == "person"
        for i in range(lo, hi)
    ):
        return None
    if not any(t.lower_ in ("the",) for t in sub[:1]):
        return None
    if hi - lo > 12:
        return None
    return _np_text(ctx.doc, lo, hi)


def doc_has_person(ctx: Context, lo: int, hi: int) -> bool:
    for i in range(lo, hi):
        mi = ctx.tok_mention.get(i)
        if mi is not None and ctx.actors and ctx.actors[ctx.mentions[mi].actor].kind == "person":
            return True
    return False


def _gender_of_name(name: str) -> str | None:
    first = norm_name(name).split()[0] if name.strip() else ""
    if first in MALE_NAMES:
        return "m"
    if first in FEMALE_NAMES:
        return "f"
    return None


def _gender_from_reports(ctx: Context, mention_ids: list[int]) -> str | None:
    """ "Kowalczyk said she would stay": the pronoun subject of a person's own reported clause."""
    votes: Counter[str] = Counter()
    for i in mention_ids:
        m = ctx.mentions[i]
        if not m.subject or m.in_quote:
            continue
        verb = ctx.doc[m.start : m.end].root.head
        for c in verb.children:
            if c.dep_ == "ccomp":
                subj = next((x for x in c.children if x.dep_ in ("nsubj", "nsubjpass")), None)
                if subj is not None and subj.lower_ in ("he", "she"):
                    votes["m" if subj.lower_ == "he" else "f"] += 1
    if len(votes) == 1:
        return next(iter(votes))
    return None


def type_and_describe(ctx: Context) -> None:
    """Decide each actor's kind over all its mentions; collect roles, gender and age."""
    doc = ctx.doc
    pre: dict[int, list[tuple[int, str]]] = {}
    for mi, m in enumerate(ctx.mentions):
        if _attributive(ctx, m):
            continue
        chain = _pre_chain(ctx, m.start)
        if chain:
            pre.setdefault(m.actor, []).append((mi, chain[1]))
    for ai, actor in enumerate(ctx.actors):
        votes = Counter(ctx.mentions[i].label for i in actor.mentions)
        name_toks = norm_name(actor.name).split()
        person_cue = 0
        org_cue = 0
        gender = _gender_of_name(actor.name)
        roles: list[tuple[int, str]] = []
        org_descr: list[tuple[int, str]] = []
        ages: list[int] = []
        clause_roles: set[str] = set()
        for mi, pre_title in pre.get(ai, []):
            head = pre_title.split()[-1].lower().split("-")[-1]
            m = ctx.mentions[mi]
            if doc[m.start - 1].lower_ in HONORIFICS:
                person_cue += 2
                gender = gender or HONORIFICS[doc[m.start - 1].lower_]
                continue
            if head in ORG_NOUNS and head not in PERSON_NOUNS:
                org_cue += 1
                org_descr.append((m.start, pre_title))
            elif head in TITLE_WORDS or _role_noun(head):
                person_cue += 2
                roles.append((m.start, pre_title))
            elif doc[m.start - 1].pos_ == "NOUN" and doc[m.start - 1].is_lower:
                person_cue += 1
                roles.append((m.start, pre_title))
        if gender is None:
            gender = _gender_from_reports(ctx, actor.mentions)
        for i in actor.mentions:
            m = ctx.mentions[i]
            if m.start > 0 and doc[m.start - 1].lower_ in HONORIFICS:
                person_cue += 2  # "Ms. Jones": a person, and her gender
                gender = gender or HONORIFICS[doc[m.start - 1].lower_]
            if m.title:
                person_cue += 2
                tl = m.title.lower().split()[-1]
                if tl in HONORIFICS:
                    gender = gender or HONORIFICS[tl]
                else:
                    roles.append((m.start, m.title))
            if (
                m.start >= 2
                and m.end < len(doc)
                and doc[m.start - 1].text == ","
                and doc[m.end].text == ","
                and doc[m.start - 2].lower_ in ORG_NOUNS
                and doc[m.start - 2].lower_ not in PERSON_NOUNS
                and not any(
                    ctx.tok_mention.get(j) is not None for j in range(max(0, m.start - 4), m.start - 1)
                )
            ):
                org_cue += 1  # "her cooperative, Good Crust,": even when the parse missed the apposition
            if m.label != "group" and not _attributive(ctx, m):
                app, age = _appositions(ctx, m)
                clause = None if app else _clause_role(ctx, m, doc[m.start : m.end].root)
                if clause:
                    # "X, who chairs the port authority,": a person's role, whatever nouns it holds
                    roles.append((m.end, clause))
                    clause_roles.add(clause)
                    person_cue += 1
                for r in app:
                    head = r.split()[-1].lower() if r else ""
                    words = {w.lower().strip(",.") for w in r.split()}
                    if (
                        words & ORG_NOUNS
                        and not (words & PERSON_NOUNS)
                        and not any(_role_noun(w) for w in words)
                    ):
                        org_descr.append((m.start, r))
                        org_cue += 1  # "her cooperative, Good Crust,": described as an organisation
                    else:
                        roles.append((m.start, r))
                        if any(_role_noun(w) for w in words):
                            person_cue += 1
                if age is not None:
                    ages.append(age)
                    person_cue += 2
        last = name_toks[-1] if name_toks else ""
        if last in ORG_SUFFIXES or " of " in f" {norm_name(actor.name)} ":
            org_cue += 2
        place_name = len(name_toks) > 1 and last in PLACE_SUFFIXES
        # "in Carver Falls", "near Lyon": a preposition of place before a name no title describes
        place_cue = sum(
            1
            for i in actor.mentions
            if ctx.mentions[i].start > 0
            and doc[ctx.mentions[i].start - 1].lower_ in ("in", "near", "outside", "across", "throughout")
        )
        if place_name:
            org_cue += 2
        if any(len(t) > 1 and t.isupper() and t.isalpha() for t in actor.name.split()):
            org_cue += 1  # acronyms: "FNV Havens", "NOS"
        if len(name_toks) == 1 and any(ctx.mentions[i].had_the for i in actor.mentions):
            org_cue += 1  # "the Moon", "the Kremlin"
        if gender and len(name_toks) > 1:
            person_cue += 1
        if len(name_toks) > 1 and any(
            name_toks[-len(lab) :] == lab
            for lab in (norm_name(x).split() for x in ctx.turns.values() if len(x) > 1)
        ):
            person_cue += 2  # "Ferreira: Because nobody …": a speaker in an interview transcript
        if person_cue > org_cue and person_cue >= 1 and last not in ORG_SUFFIXES:
            kind = "person"
        elif (
            votes["person"]
            and votes["person"] >= votes["organization"] + votes["place"]
            and org_cue == 0
            and votes["person"] * 2 >= len(actor.mentions)
        ):
            kind = "person"
        elif place_name or (place_cue and votes["organization"] <= votes["place"] + votes["person"]):
            kind = "place"
        elif org_descr and not votes["person"] * 2 > len(actor.mentions) + 1:
            kind = "organization"  # "consumer group Fairpay", "contractor Helix Dynamics"
        else:
            rest = {k: v for k, v in votes.items() if k != "person"}
            if not rest:
                kind = "organization"
            else:
                kind = max(rest, key=lambda k: (rest[k], k == "organization"))
        if (
            kind == "person"
            and len(name_toks) == 1
            and person_cue == 0
            and all(_attributive(ctx, ctx.mentions[i]) or ctx.mentions[i].in_quote for i in actor.mentions)
        ):
            kind = ""  # "Mackerel stocks", a name only inside a quote: too little to call it a person
        if (
            kind == "person"
            and len(name_toks) > 1
            and person_cue == 0
            and gender is None
            and not roles
            and not any(ctx.mentions[i].title for i in actor.mentions)
            and all(
                ctx.mentions[i].in_quote and ctx.quotes[ctx.tok_quote[ctx.mentions[i].start]].label is None
                for i in actor.mentions
            )
        ):
            kind = ""  # "“Congratulations to Leeds United”": a name only a speaker says, with no cue at all
        if kind and len(name_toks) == 1 and _quote_opener_only(ctx, actor):
            kind = ""  # "‘Brilliant,’ she said": the tagger's reading of a quote's first word
        if kind == "person" and len(name_toks) == 1 and person_cue == 0 and gender is None and not roles:
            # one word the tagger called a person, with no title, role, age, gender or other name:
            # "at the port of Rotterdam", "Ferry, tanker and dry bulk operations"
            common = all(doc[ctx.mentions[i].start].pos_ != "PROPN" for i in actor.mentions)
            if common or not any(
                ctx.mentions[i].subject and not ctx.mentions[i].in_quote for i in actor.mentions
            ):
                dateline = norm_name(ctx.prep.dateline or "")
                kind = "place" if place_cue or norm_name(actor.name) in dateline.split() else ""
        if kind in ("organization", "person") and _is_product(ctx, actor):
            kind = ""  # "Nevoprex, a migraine pill", "Ember 2 heaters": a thing, not an actor
        if kind in ("organization", "place", "group") and _is_event(ctx, actor):
            kind = ""  # "the World Cup", "COP31", "13:00 GMT": an occasion or a clock, not an actor
        actor.kind = kind
        if kind == "person":
            actor.gender = gender
            actor.age = ages[0] if ages else None
            first = ctx.mentions[actor.mentions[0]]
            d = _delayed_description(ctx, first)
            if d:
                roles.append((first.start - 1, d))
            roles = _order_roles(roles)
            seen: list[str] = []
            for _, r in roles:
                if r and r.lower() not in (s.lower() for s in seen):
                    seen.append(r)
            actor.roles = seen
        else:
            org_descr.sort()
            actor.roles = list(dict.fromkeys(r for _, r in org_descr))
        actor.descriptors = set()
        for r in actor.roles:
            if r in clause_roles:
                continue  # "chairs the port authority" names what the person does, not a noun for them
            rwords = r.lower().replace("-", " ").split()
            if kind == "person":
                rwords = _role_head_words(rwords)
            for w in rwords:
                w = re.sub(r"['\u2019]s?$", "", w.strip(",."))
                if w:
                    actor.descriptors.add(w)
        if kind in ("organization", "group"):
            for w in norm_name(actor.name).split():
                if len(w) > 2 and w not in ("the", "and", "for"):
                    actor.descriptors.add(w)
        if actor.age is not None:
            actor.descriptors.add(f"{actor.age}-year-old")
        if kind == "person" and actor.gender:
            actor.descriptors.add("man" if actor.gender == "m" else "woman")


_ROLE_BREAK = {"of", "at", "for", "on", "in", "with", "from", "to", "who", "which", "that", "and", "since"}


def _role_head_words(words: list[str]) -> list[str]:
    """The words of a person's role that can describe them later ("the chair", "the analyst"):
    role nouns before the first preposition, never the organisation ("Union chair" -> chair)."""
    prefix: list[str] = []
    for w in words:
        if w in _ROLE_BREAK:
            break
        prefix.append(w)
    keep = [
        w
        for w in prefix
        if (w in PERSON_NOUNS or w in TITLE_WORDS or _role_noun(w))
        and not (w in ORG_NOUNS and w not in PERSON_NOUNS)
    ]
    if prefix and prefix[-1] not in keep and not (prefix[-1] in ORG_NOUNS and prefix[-1] not in PERSON_NOUNS):
        keep.append(prefix[-1])
    return keep


def _is_rank_only(role: str) -> bool:
    words = [w.lower() for w in role.split()]
    return bool(words) and all(w in RANK_TITLES for w in words)


def _order_roles(roles: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Roles in text order, except that a rank or courtesy title ("Professor", "Councillor") yields
    to a role that says what the person does ("the council's chair"); a trailing courtesy title is
    dropped from a longer title chain ("JMAC chair Professor" -> "JMAC chair")."""
    cleaned: list[tuple[int, str]] = []
    for pos, r in roles:
        words = r.split()
        while (
            len(words) > 1
            and words[-1].lower() in RANK_TITLES
            and not _is_rank_only(" ".join(words))
            and (words[-2].lower() in TITLE_WORDS or _role_noun(words[-2]))
        ):
            words = words[:-1]  # but "Opposition councillor", "Local MP" keep the rank: it is the role
        cleaned.append((pos, " ".join(words)))
    cleaned.sort()
    functional = [x for x in cleaned if not _is_rank_only(x[1])]
    return functional + [x for x in cleaned if _is_rank_only(x[1])]


def _quote_opener_only(ctx: Context, actor: ActorInfo) -> bool:
    """Every mention is the first word of a quoted passage, and the word is a common one: not a
    proper noun to the tagger, or written in lower case elsewhere in the article."""
    doc = ctx.doc
    for i in actor.mentions:
        m = ctx.mentions[i]
        qi = ctx.tok_quote[m.start]
        if qi < 0 or m.end - m.start != 1 or doc[m.start].idx != ctx.quotes[qi].inner_start:
            return False
    word = doc[ctx.mentions[actor.mentions[0]].start]
    if word.is_upper and len(word.text) > 1:
        return False  # "NATO …": an acronym is a name
    lower = word.text.lower()
    return word.pos_ != "PROPN" or any(t.text == lower for t in doc)


def _is_event(ctx: Context, actor: ActorInfo) -> bool:
    """A time zone, or an event's name ("Tour des Falaises", "Rugby World Cup", "COP31", "G20") that
    never speaks: a festival's name that says something stands for its organisers."""
    from .speakers import is_say_verb

    toks = norm_name(actor.name).split()
    if not toks:
        return False
    if len(toks) == 1 and toks[0] in TIME_ZONES and actor.name.isupper():
        return True
    event = (
        toks[-1] in EVENT_WORDS
        or (len(toks) >= 2 and toks[0] in EVENT_FIRST_WORDS and toks[-1] not in ORG_SUFFIXES)
        or (len(toks) >= 2 and "-".join(toks[-2:]) in EVENT_WORDS)
        or bool(len(toks) == 1 and re.fullmatch(r"[A-Z]{1,4}-?\d{1,4}", actor.name))
    )
    if not event:
        return False
    for i in actor.mentions:
        m = ctx.mentions[i]
        root = ctx.doc[m.start : m.end].root
        if m.subject and not m.in_quote and is_say_verb(root.head):
            return False
    return True


def _is_product(ctx: Context, actor: ActorInfo) -> bool:
    """A name described as a product ("Nevoprex, a migraine pill") or only ever used to modify a
    product noun ("Ember 2 heaters"), and never the subject of a verb outside quotes."""
    doc = ctx.doc
    if any(ctx.mentions[i].title for i in actor.mentions):
        return False
    for i in actor.mentions:
        m = ctx.mentions[i]
        root = doc[m.start : m.end].root
        for c in root.children:
            if c.dep_ == "appos" and c.i >= m.end and c.lemma_.lower() in PRODUCT_NOUNS:
                return True
    if any(ctx.mentions[i].subject and not ctx.mentions[i].in_quote for i in actor.mentions):
        return False
    for i in actor.mentions:
        m = ctx.mentions[i]
        # "Ember 2 smart heaters": the name (and a model number) modifies a product noun
        j = m.end
        while j < len(doc) and j < m.end + 4 and (doc[j].like_num or doc[j].pos_ in ("ADJ", "NUM", "PROPN")):
            j += 1
        if (
            j < len(doc)
            and doc[j].lemma_.lower() in PRODUCT_NOUNS
            and doc[j].pos_ == "NOUN"
            and (j == m.end or any(doc[k].like_num for k in range(m.end, j)))
        ):
            return True
    return False


def _name_run(doc: Any, i: int) -> tuple[int, int]:
    """The run of capitalised proper-noun tokens around token i ("Jan-Willem Koster")."""

    def ok(t: Any) -> bool:
        return t.pos_ == "PROPN" and (t.is_title or t.text[:1].isupper()) and not _is_title(t) and t.is_alpha

    lo = hi = i
    while hi < len(doc) and (
        ok(doc[hi])
        or (
            doc[hi].text == "-"
            and not doc[hi].whitespace_
            and hi > lo
            and not doc[hi - 1].whitespace_
            and hi + 1 < len(doc)
            and ok(doc[hi + 1])
        )
    ):
        hi += 1
        if "\n" in doc[hi - 1].whitespace_:
            break
    return lo, hi


def add_untagged_names(ctx: Context) -> None:
    """Names the tagger missed but the syntax marks as people: "Its chairman, Jan-Willem Koster,",
    "negotiator Jan Smit said", or a two-word proper name that says something."""
    from .speakers import is_say_verb

    doc = ctx.doc
    i = 0
    new: list[Mention] = []
    while i < len(doc):
        t = doc[i]
        if (
            ctx.tok_mention.get(i) is not None
            or t.pos_ != "PROPN"
            or t.ent_type_
            or not t.text[:1].isupper()
            or _is_title(t)
        ):
            i += 1
            continue
        lo, hi = _name_run(doc, i)
        if hi <= lo or any(ctx.tok_mention.get(j) is not None or doc[j].ent_type_ for j in range(lo, hi)):
            i = max(hi, i + 1)
            continue
        root = doc[lo:hi].root
        ntoks = sum(1 for j in range(lo, hi) if doc[j].is_alpha)
        evidence = False
        chain = _pre_chain(ctx, lo)
        if chain and (
            doc[lo - 1].lower_ in TITLE_WORDS
            or _role_noun(doc[lo - 1].text)
            or doc[lo - 1].lower_ in HONORIFICS
        ):
            evidence = True
        elif root.dep_ == "appos" and root.head.pos_ == "NOUN" and _role_noun(root.head.text):
            evidence = True
        elif (
            ntoks >= 2
            and root.dep_ in ("nsubj", "nsubjpass")
            and is_say_verb(root.head)
            and (norm_name(doc[lo].text) in MALE_NAMES or norm_name(doc[lo].text) in FEMALE_NAMES)
        ):
            evidence = True
        elif lo > 0 and doc[lo - 1].lower_ in HONORIFICS:
            evidence = True
        label = "person"
        if (
            ntoks >= 2
            and norm_name(doc[hi - 1].text) in ORG_SUFFIXES
            and not (lo > 0 and (doc[lo - 1].lower_ in HONORIFICS or _role_noun(doc[lo - 1].text)))
        ):
            evidence, label = True, "organization"  # "The Joint Medicines Appraisal Council (JMAC)"
        if evidence:
            text = doc[lo:hi].text
            root_dep = root.dep_
            subject = root_dep in ("nsubj", "nsubjpass") or (
                root_dep == "appos" and root.head.dep_ in ("nsubj", "nsubjpass")
            )
            new.append(
                Mention(
                    start=lo,
                    end=hi,
                    text=text,
                    label=label,
                    sent=ctx.tok_sent[lo],
                    para=ctx.tok_para[lo],
                    in_quote=ctx.tok_quote[lo] >= 0,
                    subject=subject,
                    possessive=hi < len(doc) and doc[hi].tag_ == "POS",
                )
            )
        i = hi
    if new:
        ctx.mentions.extend(new)
        _reindex(ctx)


def _reindex(ctx: Context) -> None:
    order = sorted(range(len(ctx.mentions)), key=lambda k: ctx.mentions[k].start)
    remap = {old: new for new, old in enumerate(order)}
    ctx.mentions = [ctx.mentions[k] for k in order]
    ctx.tok_mention = {}
    for mi, m in enumerate(ctx.mentions):
        for j in range(m.start, m.end):
            ctx.tok_mention[j] = mi
    if ctx.actors:
        for a in ctx.actors:
            a.mentions = []
        for mi, m in enumerate(ctx.mentions):
            if m.actor >= 0:
                ctx.actors[m.actor].mentions.append(mi)
    del remap


def add_short_forms(ctx: Context) -> None:
    """Later bare mentions the tagger missed: "Jimenez said" after "Carla Jimenez",
    "Helix said" after "Helix Dynamics"."""
    doc = ctx.doc
    forms: dict[str, list[tuple[list[str], int]]] = {}
    for ai, a in enumerate(ctx.actors):
        toks = a.name.split()
        if len(toks) < 2:
            continue
        if a.kind == "person":
            for k in range(1, len(toks)):
                suffix = toks[k:]
                if suffix[0][:1].isupper() or k == len(toks) - 1 or suffix[0].islower():
                    forms.setdefault(suffix[0].lower(), []).append((suffix, ai))
        elif (
            a.kind == "organization"
            and norm_name(toks[-1]) in ORG_SUFFIXES
            and toks[0][:1].isupper()
            and norm_name(toks[0]) not in ORG_SUFFIXES
            and norm_name(toks[0]) not in TITLE_WORDS
        ):
            forms.setdefault(toks[0].lower(), []).append(([toks[0]], ai))
    if not forms:
        return
    added = False
    for t in doc:
        cands = forms.get(t.lower_)
        if not cands or ctx.tok_mention.get(t.i) is not None:
            continue
        for seq, ai in sorted(cands, key=lambda c: -len(c[0])):
            n = len(seq)
            span = doc[t.i : t.i + n]
            if len(span) < n or any(ctx.tok_mention.get(j) is not None for j in range(t.i, t.i + n)):
                continue
            if [x.text.lower() for x in span] != [x.lower() for x in seq]:
                continue
            if not span[-1].text[:1].isupper():
                continue
            nxt = doc[t.i + n] if t.i + n < len(doc) else None
            prv = doc[t.i - 1] if t.i > 0 else None
            if nxt is not None and nxt.pos_ == "PROPN" and nxt.text[:1].isupper() and nxt.whitespace_ != "\n":
                continue
            if prv is not None and prv.pos_ == "PROPN" and prv.text[:1].isupper() and not _is_title(prv):
                continue
            actor = ctx.actors[ai]
            if ctx.mentions[actor.mentions[0]].start > t.i and actor.kind == "organization":
                continue
            root = span.root
            subject = root.dep_ in ("nsubj", "nsubjpass")
            ctx.mentions.append(
                Mention(
                    start=t.i,
                    end=t.i + n,
                    text=span.text,
                    label=actor.kind,
                    sent=ctx.tok_sent[t.i],
                    para=ctx.tok_para[t.i],
                    in_quote=ctx.tok_quote[t.i] >= 0,
                    subject=subject,
                    possessive=nxt is not None and nxt.tag_ == "POS",
                    actor=ai,
                )
            )
            for j in range(t.i, t.i + n):
                ctx.tok_mention[j] = len(ctx.mentions) - 1
            if span.text not in actor.aliases and span.text != actor.name:
                actor.aliases.append(span.text)
            added = True
            break
    if added:
        _reindex(ctx)


def build_actors(ctx: Context) -> None:
    extract_mentions(ctx)
    add_untagged_names(ctx)
    consolidate(ctx)
    type_and_describe(ctx)
    before = len(ctx.mentions)
    add_short_forms(ctx)
    if len(ctx.mentions) != before:
        type_and_describe(ctx)  # the new mentions can carry roles and ages ("Villa, 29,")
