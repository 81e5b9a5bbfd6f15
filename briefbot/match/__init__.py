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

Modules: ``fold`` (folding and offset maps), ``doc`` (``MatchDoc``), ``tree`` (``Term``,
``And``, ``Or``, ``Not``), ``query`` (parsing, ``CompiledQuery``, ``compile_query``),
``explain`` (``Hit``, ``Match``), ``index`` (``WatchIndex``). Everything public is
re-exported here: import from ``briefbot.match``.
"""

from __future__ import annotations

from .doc import ANY as _ANY  # noqa: F401  (bench/match.py)
from .doc import FIELD_SLOT as _FIELD_SLOT  # noqa: F401  (bench/match.py)
from .doc import SLOT_WHERE as _SLOT_WHERE  # noqa: F401  (bench/match.py)
from .doc import TEXT as _TEXT  # noqa: F401  (bench/match.py)
from .doc import TITLE as _TITLE  # noqa: F401  (bench/match.py)
from .doc import MatchDoc
from .explain import Hit, Match
from .fold import fold
from .fold import fold_with_map as _fold_with_map  # noqa: F401
from .fold import squash as _squash  # noqa: F401
from .index import WatchIndex
from .query import FIELDS, WHERE, CompiledQuery, QueryError, compile_query
from .tree import And, Node, Not, Or, Term

__all__ = [
    "FIELDS",
    "WHERE",
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
