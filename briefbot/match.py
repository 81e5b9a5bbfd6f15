"""The watch query language, and matching many watches against many articles.

A query is parsed once into a small tree (``Term``/``And``/``Or``/``Not``) and compiled
into a ``CompiledQuery``. Matching works on *folded* text (case-folded, accents
stripped) so "Zürich" finds "ZURICH". Three ways to run a query, all with the same
answer (the tests check that):

* ``CompiledQuery.matches(doc)``: fast. The document's fields are folded once and
  "squashed" (every run of non-word characters becomes one space, padded at both ends),
  so a whole-word term is a plain substring test: ``" ukraine "`` in the squashed text;
  a prefix ``sanction*`` is ``" sanction"``; a phrase is ``" climate change "``.
* ``CompiledQuery.explain(doc)``: slower. Runs each term's regex over the folded text
  and maps the hits back to spans in the original strings, for highlighting.
* ``WatchIndex(queries).match(doc)``: many watches at once. Every term of every watch
  is a key in one Aho-Corasick automaton; one pass over the document's squashed fields
  gives the set of keys present (whole-word by construction: keys carry their boundary
  spaces), only watches whose required keys are present are evaluated, and they are
  evaluated on that set without touching the text again.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from dataclasses import field as _field
from functools import cached_property
from typing import Any, TypeAlias

import ahocorasick

from .errors import BriefbotError

__all__ = [
    "FIELDS",
    "And",
    "CompiledQuery",
    "Hit",
    "Match",
    "MatchDoc",
    "Node",
    "Not",
    "Or",
    "QueryError",
    "Term",
    "WatchIndex",
    "compile_query",
    "fold",
]

#: Field names a query may use before a colon (``title:strike``).
FIELDS: tuple[str, ...] = ("title", "actor", "speaker", "quote", "source")

_MAX_DEPTH = 64  # nesting of parentheses and NOTs; deeper is surely not a human query


class QueryError(BriefbotError):
    """A query could not be parsed; the message says where (1-based ``column``) and what was expected."""

    def __init__(self, message: str, hint: str | None = None, column: int | None = None) -> None:
        super().__init__(message, hint)
        self.column = column


# -- folding -------------------------------------------------------------------------------

_WORD_CHAR = re.compile(r"\w")
_WORDS = re.compile(r"\w+")


def _fold_char(c: str) -> str:
    """NFKD, drop combining marks, casefold: repeated because casefold can yield new marks."""
    if c == "\x00":
        return " "  # \x00 separates list items in squashed fields; never let text forge one
    s = c
    for _ in range(3):
        t = "".join(ch for ch in unicodedata.normalize("NFKD", s) if not unicodedata.combining(ch)).casefold()
        if t == s:
            break
        s = t
    return s


class _FoldTable(dict[int, str]):
    """``str.translate`` table filled on first use: only characters actually seen are folded."""

    def __missing__(self, cp: int) -> str:
        v = self[cp] = _fold_char(chr(cp))
        return v


class _SquashTable(dict[int, str]):
    """Like ``_FoldTable`` but every non-word character becomes a space."""

    def __missing__(self, cp: int) -> str:
        v = self[cp] = "".join(ch if _WORD_CHAR.match(ch) else " " for ch in _FOLD[cp])
        return v


_FOLD = _FoldTable()
_SQUASH = _SquashTable()


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Zürich" matches "zurich" (and "Straße" matches "strasse")."""
    return text.translate(_FOLD)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _squash_run(m: re.Match[str]) -> str:
    return m.group().translate(_SQUASH)


def _squash(text: str) -> str:
    """Folded words separated by single spaces: the form substring tests and Aho-Corasick run on."""
    if not text.isascii():
        # Mostly-ASCII text with a few accents: fold the non-ASCII runs first, so the whole
        # string can take str.translate's fast ASCII path (squashed ASCII is a fixed point).
        t = _NON_ASCII.sub(_squash_run, text)
        if not t.isascii():
            return " ".join(text.translate(_SQUASH).split())
        text = t
    return " ".join(text.translate(_SQUASH).split())


def _squash_parts(parts: Iterable[str]) -> str:
    """Items padded with spaces and separated by ``\\x00`` so no phrase matches across two items."""
    return " " + " \x00 ".join(_squash(p) for p in parts) + " "


def _fold_with_map(s: str) -> tuple[str, list[int] | None]:
    """The folded string and, for each of its characters, the index it came from (None: identity)."""
    if s.isascii():
        return s.translate(_FOLD), None
    out: list[str] = []
    starts: list[int] = []
    for i, c in enumerate(s):
        f = _FOLD[ord(c)]
        out.append(f)
        starts.extend([i] * len(f))
    starts.append(len(s))
    return "".join(out), starts


# -- the document ----------------------------------------------------------------------------

# Slots of a prepared document. ANY (title or text) is derived, never stored.
_TITLE, _TEXT, _ACTOR, _SPEAKER, _QUOTE, _SOURCE, _ANY = range(7)
_NSLOTS = 7
_FIELD_SLOT = {None: _ANY, "title": _TITLE, "actor": _ACTOR, "speaker": _SPEAKER,
               "quote": _QUOTE, "source": _SOURCE}
_SLOT_WHERE = {_TITLE: "title", _TEXT: "text", _ACTOR: "actor", _SPEAKER: "speaker",
               _QUOTE: "quote", _SOURCE: "source"}


def _strs(values: Any) -> list[str]:
    return [v for v in (values or []) if isinstance(v, str) and v]


@dataclass
class _Prepared:
    """Per-slot searchable strings of one document: (string, index into actors/quotes/sources)."""

    parts: tuple[list[tuple[str, int]], ...]
    squashed: tuple[str, ...]


@dataclass
class MatchDoc:
    """What a query runs against: an article's title and text, its outlets and its analysis.

    Folding happens once, on first match, and is cached on the object: treat a MatchDoc as
    immutable once it has been matched.
    """

    title: str = ""
    text: str = ""
    source_names: list[str] = field(default_factory=list)
    actors: list[dict[str, Any]] = field(default_factory=list)
    quotes: list[dict[str, Any]] = field(default_factory=list)
    _prep: _Prepared | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_article(
        cls,
        title: str | None,
        text: str | None,
        sources: Iterable[str] = (),
        analysis: Mapping[str, Any] | None = None,
    ) -> MatchDoc:
        """From stored article fields; ``analysis`` is the analyser's JSON (actors, quotes, ...) or None."""
        a = analysis or {}
        actors = [x for x in (a.get("actors") or []) if isinstance(x, Mapping)]
        quotes = [x for x in (a.get("quotes") or []) if isinstance(x, Mapping)]
        return cls(title or "", text or "", _strs(sources), [dict(x) for x in actors], [dict(x) for x in quotes])

    def prepared(self) -> _Prepared:
        """Fold and squash every field once; every query and the index reuse the result."""
        if self._prep is not None:
            return self._prep
        actor_parts: list[tuple[str, int]] = []
        names_by_key: dict[str, list[str]] = {}
        for i, actor in enumerate(self.actors):
            names = _strs([actor.get("name")]) + _strs(actor.get("aliases"))
            actor_parts.extend((n, i) for n in names)
            for n in names:
                names_by_key.setdefault(_squash(n), []).extend(names)
        speaker_parts: list[tuple[str, int]] = []
        quote_parts: list[tuple[str, int]] = []
        for i, q in enumerate(self.quotes):
            speaker = q.get("speaker")
            if isinstance(speaker, str) and speaker:
                # A speaker named by one alias ("Rubio") is also every name of the actor it resolves to.
                seen: list[str] = []
                for n in [speaker] + names_by_key.get(_squash(speaker), []):
                    if n not in seen:
                        seen.append(n)
                speaker_parts.extend((n, i) for n in seen)
            text = q.get("text")
            if isinstance(text, str) and text:
                quote_parts.append((text, i))
        parts = (
            [(self.title, 0)], [(self.text, 0)], actor_parts, speaker_parts, quote_parts,
            [(s, i) for i, s in enumerate(self.source_names)],
        )
        squashed = tuple(
            (" " + _squash(p[0][0]) + " ") if slot in (_TITLE, _TEXT) else _squash_parts(s for s, _ in p)
            for slot, p in enumerate(parts)
        )
        self._prep = _Prepared(parts, squashed)
        return self._prep


# -- the query tree --------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word, a run of words (a phrase, or ``e-mail``) or a prefix, optionally in one field."""

    words: tuple[str, ...]
    prefix: bool
    field: str | None  # None: title and text
    raw: str = _field(compare=False)  # as written, e.g. ``sanction*`` or ``"climate change"``
    column: int = _field(default=0, compare=False)

    @property
    def key(self) -> str:
        """The substring of a squashed field that is present exactly when this term matches."""
        return " " + " ".join(self.words) + ("" if self.prefix else " ")

    @cached_property
    def regex(self) -> re.Pattern[str]:
        """The same test on folded (unsquashed) text, where it can report spans."""
        body = r"\W+".join(re.escape(w) for w in self.words)
        return re.compile(r"(?<!\w)" + body + (r"\w*" if self.prefix else r"(?!\w)"))

    def __str__(self) -> str:
        return (f"{self.field}:" if self.field else "") + self.raw


@dataclass(frozen=True)
class Not:
    child: Node

    def __str__(self) -> str:
        return "-" + _wrap(self.child, (Term,))


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " ".join(_wrap(c, (Term, Not, And)) for c in self.children)


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(_wrap(c, (Term, Not, And)) for c in self.children)


Node: TypeAlias = "Term | Not | And | Or"


def _wrap(node: Node, bare: tuple[type, ...]) -> str:
    return str(node) if isinstance(node, bare) else f"({node})"


# -- parsing -----------------------------------------------------------------------------------

_QUOTES = '"\u201c\u201d'
_STOP = set(_QUOTES) | {"(", ")"}
_FIELD_RE = re.compile(r"([A-Za-z_]+):")
_START = {"WORD", "PHRASE", "LP", "FIELD", "NOT", "MINUS"}


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE LP RP OR AND NOT MINUS FIELD END
    value: str
    col: int


def _describe(t: _Tok) -> str:
    if t.kind == "END":
        return "the end of the query"
    if t.kind == "PHRASE":
        return f'"{t.value}"'
    if t.kind == "FIELD":
        return f"{t.value}:"
    return f'"{t.value}"' if t.kind in ("LP", "RP", "MINUS") else t.value


def _error(col: int, message: str, hint: str | None = None) -> QueryError:
    return QueryError(f"column {col}: {message}", hint=hint, column=col)


def _lex(q: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(q)
    while i < n:
        c = q[i]
        col = i + 1
        if c.isspace():
            i += 1
        elif c == "(":
            toks.append(_Tok("LP", c, col))
            i += 1
        elif c == ")":
            toks.append(_Tok("RP", c, col))
            i += 1
        elif c in _QUOTES:
            j = next((k for k in range(i + 1, n) if q[k] in _QUOTES), -1)
            if j < 0:
                raise _error(col, 'unclosed quote: expected a closing "', hint="close every quote, or drop it")
            toks.append(_Tok("PHRASE", q[i + 1:j], col))
            i = j + 1
        elif c == "-":
            if i + 1 >= n or q[i + 1].isspace() or q[i + 1] == ")":
                raise _error(col, 'expected a term or "(" right after "-"',
                             hint='write -word to exclude a word (no space after "-")')
            toks.append(_Tok("MINUS", c, col))
            i += 1
        else:
            j = i
            while j < n and not q[j].isspace() and q[j] not in _STOP:
                j += 1
            word = q[i:j]
            if word in ("OR", "AND", "NOT"):
                toks.append(_Tok(word, word, col))
                i = j
                continue
            m = _FIELD_RE.match(word)
            if m:
                name = m.group(1).lower()
                if name not in FIELDS:
                    close = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.5)
                    mean = f'; did you mean "{close[0]}:"?' if close else ""
                    raise _error(col, f'unknown field "{m.group(1)}:"{mean}',
                                 hint="fields are " + ", ".join(f + ":" for f in FIELDS)
                                 + f'; to search for the text itself, quote it: "{word}"')
                toks.append(_Tok("FIELD", name, col))
                i += m.end()
                if i >= n or q[i].isspace():
                    raise _error(i + 1, f'expected a term, phrase or "(" right after {name}:',
                                 hint=f"no space after the colon: {name}:word")
                continue
            toks.append(_Tok("WORD", word, col))
            i = j
    toks.append(_Tok("END", "", n + 1))
    return toks


class _Parser:
    """Recursive descent; precedence NOT > AND (implicit or explicit) > OR."""

    def __init__(self, query: str) -> None:
        self.toks = _lex(query)
        self.pos = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[self.pos]

    def next(self) -> _Tok:
        t = self.toks[self.pos]
        self.pos += 1
        return t

    def expect_start(self, after: str) -> None:
        t = self.peek()
        if t.kind not in _START:
            raise _error(t.col, f'expected a term or "(" after {after}, found {_describe(t)}')

    def parse(self) -> Node | None:
        if self.peek().kind == "END":
            return None
        node = self.parse_or(None)
        t = self.peek()
        if t.kind == "RP":
            raise _error(t.col, 'unbalanced parenthesis: ")" without a matching "("')
        if t.kind != "END":  # pragma: no cover - every other token starts or continues an expression
            raise _error(t.col, f"unexpected {_describe(t)}")
        return node

    def parse_or(self, fld: str | None) -> Node:
        items = [self.parse_and(fld)]
        while self.peek().kind == "OR":
            self.next()
            self.expect_start("OR")
            items.append(self.parse_and(fld))
        return items[0] if len(items) == 1 else Or(tuple(_flatten(items, Or)))

    def parse_and(self, fld: str | None) -> Node:
        items = [self.parse_unary(fld)]
        while True:
            t = self.peek()
            if t.kind == "AND":
                self.next()
                self.expect_start("AND")
            elif t.kind not in _START:
                break
            items.append(self.parse_unary(fld))
        return items[0] if len(items) == 1 else And(tuple(_flatten(items, And)))

    def parse_unary(self, fld: str | None) -> Node:
        t = self.peek()
        if t.kind in ("NOT", "MINUS"):
            self.next()
            self.expect_start("NOT" if t.kind == "NOT" else '"-"')
            self.enter(t)
            child = self.parse_unary(fld)
            self.depth -= 1
            return Not(child)
        return self.parse_primary(fld)

    def enter(self, t: _Tok) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise _error(t.col, f"query nested too deeply (more than {_MAX_DEPTH} levels)")

    def parse_primary(self, fld: str | None) -> Node:
        t = self.next()
        if t.kind == "WORD":
            return _word_term(t, fld)
        if t.kind == "PHRASE":
            return _phrase_term(t, fld)
        if t.kind == "LP":
            return self.parse_group(t, fld)
        if t.kind == "FIELD":
            if fld is not None:
                raise _error(t.col, f"fields cannot be nested: {t.value}: inside {fld}:( ... )")
            nxt = self.peek()
            if nxt.kind == "WORD":
                return _word_term(self.next(), t.value)
            if nxt.kind == "PHRASE":
                return _phrase_term(self.next(), t.value)
            if nxt.kind == "LP":
                return self.parse_group(self.next(), t.value)
            raise _error(nxt.col, f'expected a term, phrase or "(" after {t.value}:, found {_describe(nxt)}',
                         hint=f"to exclude, put the minus first: -{t.value}:word")
        if t.kind == "RP":
            raise _error(t.col, 'unbalanced parenthesis: ")" without a matching "("')
        if t.kind in ("OR", "AND"):
            raise _error(t.col, f'expected a term or "(" before {t.value}',
                         hint=f'{t.value} joins two terms; to search for the word, write it in lower case')
        raise _error(t.col, f'expected a term or "(", found {_describe(t)}')  # END

    def parse_group(self, lp: _Tok, fld: str | None) -> Node:
        self.enter(lp)
        self.expect_start('"("')
        node = self.parse_or(fld)
        t = self.peek()
        if t.kind != "RP":
            raise _error(t.col, f'unbalanced parenthesis: expected ")" to close the "(" at column {lp.col}, '
                         f"found {_describe(t)}")
        self.next()
        self.depth -= 1
        return node


def _flatten(items: list[Node], kind: type) -> list[Node]:
    out: list[Node] = []
    for it in items:
        out.extend(it.children if isinstance(it, kind) else [it])  # type: ignore[union-attr]
    return out


def _word_term(t: _Tok, fld: str | None) -> Term:
    raw = t.value
    star = raw.find("*")
    if star >= 0 and star != len(raw) - 1:
        raise _error(t.col + star, '"*" can only end a term (sanction* finds sanctions, sanctioned, ...)')
    prefix = star >= 0
    words = tuple(_WORDS.findall(fold(raw[:-1] if prefix else raw)))
    if not words:
        raise _error(t.col, f'"{raw}" has no letters or digits to search for',
                     hint='drop it, or put the words around it in a phrase: "rock & roll"')
    return Term(words, prefix, fld, raw, t.col)


def _phrase_term(t: _Tok, fld: str | None) -> Term:
    body = t.value.rstrip()
    prefix = body.endswith("*")
    words = tuple(_WORDS.findall(fold(body)))
    if not words:
        raise _error(t.col, f'empty phrase "{t.value}": expected words inside the quotes')
    return Term(words, prefix, fld, f'"{t.value}"', t.col)


# -- explaining a match ----------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One occurrence of a query term, as a span of an original (unfolded) string."""

    term: str  # the term as written, with its field: ``title:strike*``
    where: str  # title | text | actor | speaker | quote | source
    index: int  # which actor / quote / source name (0 for title and text)
    value: str  # the string searched: the title, the text, an actor's name or alias, a speaker, ...
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.value[self.start:self.end]


@dataclass(frozen=True)
class Match:
    """Why a document matched: every hit of the satisfied terms, and what to show for context."""

    hits: tuple[Hit, ...]
    actor: dict[str, Any] | None = None  # the first actor an actor: term matched
    quote: dict[str, Any] | None = None  # the first quote a speaker: or quote: term matched
    sentence: str | None = None  # the sentence of the text holding the first hit in the text

    def spans(self, where: str = "text") -> list[tuple[int, int]]:
        """Sorted, merged (start, end) spans in the title or text, ready for highlighting."""
        spans = sorted((h.start, h.end) for h in self.hits if h.where == where)
        merged: list[tuple[int, int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
            else:
                merged.append((s, e))
        return merged


_SENTENCE_BREAK = re.compile(
    r'(?:(?<=[.!?])|(?<=[.!?]["\u201d\u2019)]))\s+(?=["\u201c\u2018(]?[A-Z0-9])|\n\s*'
)


def _sentence_at(text: str, pos: int) -> str:
    start, end = 0, len(text)
    for m in _SENTENCE_BREAK.finditer(text):
        if m.end() <= pos:
            start = m.end()
        elif m.start() >= pos:
            end = m.start()
            break
    return text[start:end].strip()


class _Explainer:
    """Folds a document's strings (with offset maps) on demand and runs term regexes over them."""

    def __init__(self, doc: MatchDoc) -> None:
        self.doc = doc
        self.prep = doc.prepared()
        self.folded: dict[int, list[tuple[str, int, str, list[int] | None]]] = {}

    def slot(self, slot: int) -> list[tuple[str, int, str, list[int] | None]]:
        if slot not in self.folded:
            self.folded[slot] = [(s, i, *_fold_with_map(s)) for s, i in self.prep.parts[slot]]
        return self.folded[slot]

    def term(self, t: Term) -> list[Hit]:
        slot = _FIELD_SLOT[t.field]
        hits: list[Hit] = []
        for sl in (_TITLE, _TEXT) if slot == _ANY else (slot,):
            for value, index, folded, starts in self.slot(sl):
                for m in t.regex.finditer(folded):
                    a, b = m.span()
                    if starts is not None:
                        a, b = starts[a], starts[b - 1] + 1
                    hits.append(Hit(str(t), _SLOT_WHERE[sl], index, value, a, b))
        return hits

    def run(self, node: Node) -> tuple[bool, list[Hit]]:
        if isinstance(node, Term):
            hits = self.term(node)
            return bool(hits), hits
        if isinstance(node, Not):
            ok, _ = self.run(node.child)
            return not ok, []
        if isinstance(node, And):
            out: list[Hit] = []
            for c in node.children:
                ok, hits = self.run(c)
                if not ok:
                    return False, []
                out.extend(hits)
            return True, out
        any_ok, out = False, []
        for c in node.children:
            ok, hits = self.run(c)
            if ok:
                any_ok = True
                out.extend(hits)
        return any_ok, out


_WHERE_ORDER = {"title": 0, "text": 1, "actor": 2, "speaker": 3, "quote": 4, "source": 5}


# -- compiled queries ------------------------------------------------------------------------

_Eval = Callable[[tuple[str, ...]], bool]


def _compile_eval(node: Node) -> _Eval:
    """A closure testing the node on a document's squashed fields (substring tests only)."""
    if isinstance(node, Term):
        k, slot = node.key, _FIELD_SLOT[node.field]
        if slot == _ANY:
            return lambda s: k in s[_TITLE] or k in s[_TEXT]
        return lambda s: k in s[slot]
    if isinstance(node, Not):
        f = _compile_eval(node.child)
        return lambda s: not f(s)
    fs = [_compile_eval(c) for c in node.children]
    if isinstance(node, And):
        return lambda s: all(f(s) for f in fs)
    return lambda s: any(f(s) for f in fs)


class CompiledQuery:
    """A parsed query. Callable, so it still works as ``brief.py``'s predicate."""

    def __init__(self, query: str, root: Node | None) -> None:
        self.query = query
        self.root = root
        self._eval: _Eval | None = _compile_eval(root) if root is not None else None

    def matches(self, doc: MatchDoc) -> bool:
        """True if the document matches; an empty query matches everything."""
        return self._eval is None or self._eval(doc.prepared().squashed)

    def __call__(self, doc: MatchDoc | str) -> bool:
        """Like ``matches``; a plain string is taken as the text of a document with no title or analysis."""
        return self.matches(MatchDoc(text=doc) if isinstance(doc, str) else doc)

    def explain(self, doc: MatchDoc) -> Match | None:
        """Why the document matches (terms and spans, actor, quote, sentence), or None if it does not."""
        if self.root is None:
            return Match(())
        ok, hits = _Explainer(doc).run(self.root)
        if not ok:
            return None
        hits.sort(key=lambda h: (_WHERE_ORDER[h.where], h.index, h.start, h.end))
        uniq = tuple(dict.fromkeys(hits))
        actor = next((doc.actors[h.index] for h in uniq if h.where == "actor"), None)
        quote = next((doc.quotes[h.index] for h in uniq if h.where in ("speaker", "quote")), None)
        first_text = next((h for h in uniq if h.where == "text"), None)
        sentence = _sentence_at(doc.text, first_text.start) if first_text else None
        return Match(uniq, actor, quote, sentence)

    def terms(self) -> list[Term]:
        """Every term of the query, in order (negated ones included)."""
        out: list[Term] = []
        stack: list[Node] = [self.root] if self.root is not None else []
        while stack:
            n = stack.pop()
            if isinstance(n, Term):
                out.append(n)
            elif isinstance(n, Not):
                stack.append(n.child)
            else:
                stack.extend(reversed(n.children))
        return out

    def __str__(self) -> str:
        return str(self.root) if self.root is not None else ""

    def __repr__(self) -> str:
        return f"CompiledQuery({self.query!r})"


def compile_query(query: str | None) -> CompiledQuery:
    """Parse a query; raises QueryError (with column) on bad syntax. Empty or None matches everything."""
    q = query or ""
    return CompiledQuery(q, _Parser(q).parse())


# -- many watches at once --------------------------------------------------------------------

_HitEval = Callable[[set[int]], bool]
_SCAN_SLOTS = (_TITLE, _TEXT, _ACTOR, _SPEAKER, _QUOTE, _SOURCE)
# How much a hit in a slot narrows things down: titles, actors, speakers are short, hence rarer.
_SLOT_RARITY = {_TITLE: 0.3, _TEXT: 1.0, _ANY: 1.0, _ACTOR: 0.5, _SPEAKER: 0.3, _QUOTE: 0.5, _SOURCE: 1.0}


class WatchIndex:
    """Match one document against many watches with one Aho-Corasick pass over its fields.

    Each watch gets an *anchor*: a set of (field, key) pairs one of which must be present for
    the watch to match (a term; the cheapest child of an AND; the union of an OR). Watches
    whose anchor is hit are evaluated exactly on the set of keys found; watches with no
    anchor (pure NOT, an empty query) are evaluated for every document.
    """

    def __init__(
        self,
        queries: Mapping[str, str | CompiledQuery | None],
        sample: Iterable[MatchDoc] = (),
    ) -> None:
        """Compile every watch (QueryError names the bad one) and index them.

        ``sample``: recent articles, optional. Anchors are then chosen by how often each key
        actually appears in them, rather than guessed from word length; this only changes
        speed, never the answers.
        """
        self.names: list[str] = list(queries)
        self.queries: dict[str, CompiledQuery] = {}
        for name, q in queries.items():
            if isinstance(q, CompiledQuery):
                self.queries[name] = q
                continue
            try:
                self.queries[name] = compile_query(q)
            except QueryError as e:
                raise QueryError(f"watch {name!r}: {e.message}", hint=e.hint, column=e.column) from None
        self._key_ids: dict[str, int] = {}
        refs: dict[int, int] = {}
        for cq in self.queries.values():
            for t in cq.terms():
                pid = self._pid(t)
                refs[pid] = refs.get(pid, 0) + 1
        self._key_ids_rev = {v: k for k, v in self._key_ids.items()}
        self._automaton: Any = None
        if self._key_ids:
            self._automaton = ahocorasick.Automaton()
            for key, kid in self._key_ids.items():
                self._automaton.add_word(key, kid * _NSLOTS)
            self._automaton.make_automaton()
        seen: dict[int, int] = {}
        n_sample = 0
        for doc in sample:
            n_sample += 1
            for pid in self.present(doc):
                seen[pid] = seen.get(pid, 0) + 1
        costs: dict[int, float] = {}

        def cost(pid: int) -> float:
            if pid not in costs:
                guess = self._guess(pid, refs)
                # observed share of documents, the guess only breaking ties and filling gaps
                costs[pid] = (seen.get(pid, 0) + guess) / (n_sample + 1) if n_sample else guess
            return costs[pid]

        self._evals: list[_HitEval | None] = []  # None: anchor hit means match
        self._always: list[int] = []  # evaluated for every document
        self._match_all: list[int] = []
        postings: dict[int, list[int]] = {}
        for wi, name in enumerate(self.names):
            root = self.queries[name].root
            if root is None:
                self._match_all.append(wi)
                self._evals.append(None)
                continue
            anchor = self._anchor(root, cost)
            exact = _is_positive_or(root)
            self._evals.append(None if exact and anchor is not None else self._compile(root))
            if anchor is None:
                self._always.append(wi)
            else:
                for pid in anchor:
                    postings.setdefault(pid, []).append(wi)
        self._postings = postings

    def _pid(self, t: Term) -> int:
        kid = self._key_ids.setdefault(t.key, len(self._key_ids))
        return kid * _NSLOTS + _FIELD_SLOT[t.field]

    def _guess(self, pid: int, refs: Mapping[int, int]) -> float:
        """How often the pair may be present, without data: popular with watches, short, a prefix: often."""
        kid, slot = divmod(pid, _NSLOTS)
        key = self._key_ids_rev[kid]
        words = key.split()
        length = sum(len(w) for w in words)
        est = min(1.0, 0.05 * (1 + refs.get(pid, 0)) ** 0.5 * 6 / max(length, 2) * _SLOT_RARITY[slot])
        if len(words) > 1:
            est *= 0.2
        if not key.endswith(" "):
            est = min(1.0, est * 3.0)
        return est

    def _anchor(self, node: Node, cost: Callable[[int], float]) -> frozenset[int] | None:
        """Pairs one of which is present whenever ``node`` matches; None if no such set exists."""
        if isinstance(node, Term):
            return frozenset([self._pid(node)])
        if isinstance(node, Not):
            return None
        subs = [self._anchor(c, cost) for c in node.children]
        if isinstance(node, Or):
            if any(s is None for s in subs):
                return None
            return frozenset().union(*subs)  # type: ignore[arg-type]
        known = [s for s in subs if s is not None]
        if not known:
            return None
        return min(known, key=lambda s: sum(cost(p) for p in s))

    def _compile(self, node: Node) -> _HitEval:
        """A closure testing the node on the set of (field, key) pairs found in a document."""
        if isinstance(node, Term):
            pid = self._pid(node)
            return lambda h: pid in h
        if isinstance(node, Not):
            f = self._compile(node.child)
            return lambda h: not f(h)
        # Terms (and negated terms) of an AND or OR become one C-level set test each.
        pos = frozenset(self._pid(c) for c in node.children if isinstance(c, Term))
        neg = frozenset(self._pid(c.child) for c in node.children
                        if isinstance(c, Not) and isinstance(c.child, Term))
        fs = [self._compile(c) for c in node.children
              if not isinstance(c, Term) and not (isinstance(c, Not) and isinstance(c.child, Term))]
        if isinstance(node, And):
            if not fs:
                return (lambda h: pos <= h and neg.isdisjoint(h)) if neg else pos.issubset
            return lambda h: pos <= h and neg.isdisjoint(h) and all(f(h) for f in fs)
        if not fs and not neg:
            return lambda h: not pos.isdisjoint(h)
        return lambda h: (not pos.isdisjoint(h)) or not neg <= h or any(f(h) for f in fs)

    def present(self, doc: MatchDoc) -> set[int]:
        """The (field, key) pairs present in the document: one automaton pass per non-empty field."""
        found: set[int] = set()
        if self._automaton is None:
            return found
        squashed = doc.prepared().squashed
        it = self._automaton.iter
        for slot in _SCAN_SLOTS:
            s = squashed[slot]
            if len(s) <= 2:
                continue
            base = {v for _, v in it(s)}
            found.update(v + slot for v in base)
            if slot == _TITLE or slot == _TEXT:
                found.update(v + _ANY for v in base)
        return found

    def match(self, doc: MatchDoc) -> list[str]:
        """Names of the watches the document matches, in the order they were given."""
        found = self.present(doc)
        cand: set[int] = set(self._always)
        cand.update(self._match_all)
        postings = self._postings
        for pid in found:
            ws = postings.get(pid)
            if ws is not None:
                cand.update(ws)
        evals, names = self._evals, self.names
        hits = [wi for wi in cand if (f := evals[wi]) is None or f(found)]
        hits.sort()
        return [names[wi] for wi in hits]

    def explain(self, doc: MatchDoc) -> dict[str, Match]:
        """For each watch the document matches, why (see ``CompiledQuery.explain``)."""
        out: dict[str, Match] = {}
        for name in self.match(doc):
            m = self.queries[name].explain(doc)
            if m is not None:
                out[name] = m
        return out

    def stats(self) -> dict[str, int]:
        """Sizes, for logs and the benchmark."""
        return {"watches": len(self.names), "keys": len(self._key_ids),
                "always_evaluated": len(self._always), "match_all": len(self._match_all)}

    def __len__(self) -> int:
        return len(self.names)


def _is_positive_or(node: Node) -> bool:
    """A term or an OR of terms: its anchor being present is the match itself."""
    if isinstance(node, Term):
        return True
    return isinstance(node, Or) and all(isinstance(c, Term) for c in node.children)
