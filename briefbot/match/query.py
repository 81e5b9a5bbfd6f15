"""The query language: lexing, parsing, and the compiled query that matches, explains and highlights."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import BriefbotError
from .doc import ANY, FIELD_SLOT, TEXT, TITLE, MatchDoc
from .explain import Match, explain, merge_spans
from .fold import WORDS, find_spans, fold, fold_with_map
from .tree import And, Node, Not, Or, Term

__all__ = ["FIELDS", "WHERE", "CompiledQuery", "QueryError", "compile_query"]

#: Field names a query may use before a colon (``title:strike``).
FIELDS: tuple[str, ...] = ("title", "actor", "speaker", "quote", "source")

#: What a string may be, for ``CompiledQuery.spans``: the article text, or one of the fields.
WHERE: tuple[str, ...] = ("title", "text", "actor", "speaker", "quote", "source")

_MAX_DEPTH = 64  # nesting of parentheses and NOTs; deeper is surely not a human query


class QueryError(BriefbotError):
    """A query could not be parsed; the message says where (1-based ``column``) and what was expected."""

    def __init__(self, message: str, hint: str | None = None, column: int | None = None) -> None:
        super().__init__(message, hint)
        self.column = column


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
                raise _error(
                    col, 'unclosed quote: expected a closing "', hint="close every quote, or drop it"
                )
            toks.append(_Tok("PHRASE", q[i + 1 : j], col))
            i = j + 1
        elif c == "-":
            if i + 1 >= n or q[i + 1].isspace() or q[i + 1] == ")":
                raise _error(
                    col,
                    'expected a term or "(" right after "-"',
                    hint='write -word to exclude a word (no space after "-")',
                )
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
                    raise _error(
                        col,
                        f'unknown field "{m.group(1)}:"{mean}',
                        hint="fields are "
                        + ", ".join(f + ":" for f in FIELDS)
                        + f'; to search for the text itself, quote it: "{word}"',
                    )
                toks.append(_Tok("FIELD", name, col))
                i += m.end()
                if i >= n or q[i].isspace():
                    raise _error(
                        i + 1,
                        f'expected a term, phrase or "(" right after {name}:',
                        hint=f"no space after the colon: {name}:word",
                    )
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
            raise _error(
                nxt.col,
                f'expected a term, phrase or "(" after {t.value}:, found {_describe(nxt)}',
                hint=f"to exclude, put the minus first: -{t.value}:word",
            )
        if t.kind == "RP":
            raise _error(t.col, 'unbalanced parenthesis: ")" without a matching "("')
        if t.kind in ("OR", "AND"):
            raise _error(
                t.col,
                f'expected a term or "(" before {t.value}',
                hint=f"{t.value} joins two terms; to search for the word, write it in lower case",
            )
        raise _error(t.col, f'expected a term or "(", found {_describe(t)}')  # END

    def parse_group(self, lp: _Tok, fld: str | None) -> Node:
        self.enter(lp)
        self.expect_start('"("')
        node = self.parse_or(fld)
        t = self.peek()
        if t.kind != "RP":
            raise _error(
                t.col,
                f'unbalanced parenthesis: expected ")" to close the "(" at column {lp.col}, '
                f"found {_describe(t)}",
            )
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
    words = tuple(WORDS.findall(fold(raw[:-1] if prefix else raw)))
    if not words:
        raise _error(
            t.col,
            f'"{raw}" has no letters or digits to search for',
            hint='drop it, or put the words around it in a phrase: "rock & roll"',
        )
    return Term(words, prefix, fld, raw, t.col)


def _phrase_term(t: _Tok, fld: str | None) -> Term:
    body = t.value.rstrip()
    prefix = body.endswith("*")
    words = tuple(WORDS.findall(fold(body)))
    if not words:
        raise _error(t.col, f'empty phrase "{t.value}": expected words inside the quotes')
    return Term(words, prefix, fld, f'"{t.value}"', t.col)


# -- compiled queries ------------------------------------------------------------------------

_Eval = Callable[[tuple[str, ...]], bool]


def _compile_eval(node: Node) -> _Eval:
    """A closure testing the node on a document's squashed fields (substring tests only)."""
    if isinstance(node, Term):
        k, slot = node.key, FIELD_SLOT[node.field]
        if slot == ANY:
            return lambda s: k in s[TITLE] or k in s[TEXT]
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
        self._highlight: dict[str | None, list[re.Pattern[str]]] = {}  # spans(): the regexes per ``where``

    def matches(self, doc: MatchDoc) -> bool:
        """True if the document matches; an empty query matches everything."""
        return self._eval is None or self._eval(doc.prepared().squashed)

    def __call__(self, doc: MatchDoc | str) -> bool:
        """Like ``matches``; a plain string is taken as the text of a document with no title or analysis."""
        return self.matches(MatchDoc(text=doc) if isinstance(doc, str) else doc)

    def explain(self, doc: MatchDoc) -> Match | None:
        """Why the document matches (terms and spans, actor, quote, sentence), or None if it does not."""
        return explain(self.root, doc)

    def spans(self, text: str, where: str | None = "text") -> list[tuple[int, int]]:
        """Where the query's terms occur in ``text``: sorted, merged ``(start, end)`` offsets into ``text``.

        For highlighting any string (a title, a sentence, a quote), found exactly as matching
        finds terms: the same folding ("Straße" is "strasse", "ﬁ" is "fi", accents dropped),
        the same term regexes, spans mapped back to the original characters. ``where`` says what
        the string is, and only terms that could match there are looked for: unfielded terms
        everywhere, a fielded term only in its own field (``title:dock*`` in a title, ``quote:``
        terms in a quote, ``speaker:``/``actor:``/``source:`` terms in those). ``where=None``:
        every term, whatever its field. Terms under a NOT are never highlighted.
        """
        if where is not None and where not in WHERE:
            raise ValueError(f"where must be one of {', '.join(WHERE)} or None, not {where!r}")
        if not text:
            return []
        regexes = self._highlight.get(where)
        if regexes is None:
            terms = (
                t for t in self._positive_terms() if where is None or t.field is None or t.field == where
            )
            regexes = self._highlight[where] = list(dict.fromkeys(t.regex for t in terms))
        if not regexes:
            return []
        folded, starts = fold_with_map(text)
        found: list[tuple[int, int]] = []
        for rx in regexes:
            found.extend(find_spans(rx, folded, starts))
        return merge_spans(found)

    def _positive_terms(self) -> list[Term]:
        """The terms not under a NOT: the ones whose occurrences say why a document matched."""
        out: list[Term] = []
        stack: list[Node] = [self.root] if self.root is not None else []
        while stack:
            n = stack.pop()
            if isinstance(n, Term):
                out.append(n)
            elif not isinstance(n, Not):
                stack.extend(reversed(n.children))
        return out

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
