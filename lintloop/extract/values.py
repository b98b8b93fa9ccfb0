"""Abstract values the interpreter computes for expressions.

A value is the set of nodes (refs) an expression may evaluate to.  Two shapes
keep precision where Python code relies on structure: :class:`Tup` for tuples
(``a, b = b, a``; ``zip``) and :class:`Seq` for iterables whose items are known
(``enumerate(xs)`` yields ``(index, item)``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import FrozenSet, Iterable, Tuple, Union

from lintloop.summary import Ref

Refs = FrozenSet[Ref]
EMPTY: Refs = frozenset()


@dataclass(frozen=True)
class Tup:
    items: Tuple["Value", ...]


@dataclass(frozen=True)
class Seq:
    """An iterable whose items are ``item``."""

    item: "Value"


Value = Union[Refs, Tup, Seq]


@dataclass(frozen=True)
class Predicate:
    """A condition: the values its verdict is made of, and everything it reads.

    ``passes_tests(code)`` has the test run's result as its value but reads
    ``code``: the reads tell *what* is selected, the values *by what*.
    """

    values: Refs
    reads: Refs
    #: the condition's source text, for messages
    text: str = ""

    def __bool__(self) -> bool:
        return bool(self.values or self.reads)

    def __or__(self, other: "Predicate") -> "Predicate":
        text = " and ".join(t for t in (self.text, other.text) if t)
        return Predicate(self.values | other.values, self.reads | other.reads, text)


NO_PREDICATE = Predicate(frozenset(), frozenset())


def flat(value: "Value") -> Refs:
    """Every ref a value may hold."""
    if isinstance(value, frozenset):
        return value
    if isinstance(value, Tup):
        out: set = set()
        for item in value.items:
            out |= flat(item)
        return frozenset(out)
    if isinstance(value, Seq):
        return flat(value.item)
    return EMPTY


def union(values: Iterable["Value"]) -> Refs:
    out: set = set()
    for value in values:
        out |= flat(value)
    return frozenset(out)


def merge(a: "Value", b: "Value") -> "Value":
    """The value of a name after two branches join."""
    if a == b:
        return a
    if isinstance(a, Tup) and isinstance(b, Tup) and len(a.items) == len(b.items):
        return Tup(tuple(merge(x, y) for x, y in zip(a.items, b.items)))
    if isinstance(a, Seq) and isinstance(b, Seq):
        return Seq(merge(a.item, b.item))
    return flat(a) | flat(b)


def sort_refs(refs: Iterable[Ref]) -> Tuple[Ref, ...]:
    return tuple(sorted(refs, key=lambda r: (isinstance(r, str), str(r) if isinstance(r, str) else r)))
