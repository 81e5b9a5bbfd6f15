"""The parsed form of a query: ``Term`` leaves under ``And``/``Or``/``Not``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as _field
from functools import cached_property
from typing import TypeAlias

__all__ = ["And", "Node", "Not", "Or", "Term"]


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
