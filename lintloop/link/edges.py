"""Edges and nodes of the global flow graph, and what each edge kind means.

One vocabulary of kinds is shared by the extractor, the linker and the rules:

* transparent kinds carry data unchanged in information content (``flow``,
  ``store``, ``write``, ``read``, ``copy``; ``alias`` in both directions);
* identity kinds say two values are the same model (``alias``, ``identity``,
  ``copy``, ``save``, ``load``);
* ``generate`` / ``predict`` / ``forward`` run from a model to its output,
  ``train`` from data to a model;
* ``filter`` edges are selections, judged once (see :mod:`lintloop.link.filters`).
"""

from __future__ import annotations

from typing import FrozenSet, Optional, Tuple

TRANSPARENT = frozenset({"flow", "store", "write", "read", "copy", "alias"})
IDENTITY = frozenset({"alias", "identity", "copy", "save", "load"})
#: edges a predicate's value depends on (asking a model counts)
DEPENDENCY = TRANSPARENT | {"forward", "predict", "generate"}

#: (path, line, column, note) — one step of an explanation
StepTuple = Tuple[str, int, int, str]


class GEdge:
    """An edge of the global graph (or of one function's graph while linking)."""

    __slots__ = ("src", "dst", "kind", "path", "line", "column", "end_line", "end_column", "text",
                 "note", "extra", "via", "judges", "foreign", "function", "reads")

    def __init__(self, src: str, dst: str, kind: str, path: str, line: int, column: int,
                 end_line: int, end_column: int, text: str = "", note: str = "",
                 extra: Tuple[str, ...] = (), via: Tuple[StepTuple, ...] = (),
                 judges: Optional[FrozenSet[str]] = None, foreign: bool = False,
                 function: str = "", reads: Tuple[str, ...] = ()) -> None:
        self.src = src
        self.dst = dst
        self.kind = kind
        self.path = path
        self.line = line
        self.column = column
        self.end_line = end_line
        self.end_column = end_column
        self.text = text
        self.note = note
        #: filter: predicate refs (until judged); forward/predict: input refs
        self.extra = extra
        #: steps inside a callee, for edges that summarise a call
        self.via = via
        #: filter verdict: the models it consults (None until judged)
        self.judges = judges
        #: filter verdict: it consults information from outside any model
        self.foreign = foreign
        #: the function (module::qualname) the edge belongs to
        self.function = function
        #: filter: everything its predicate reads
        self.reads = reads

    def step(self) -> StepTuple:
        return (self.path, self.line, self.column, self.note)

    def copy(self, **changes) -> "GEdge":
        out = GEdge(self.src, self.dst, self.kind, self.path, self.line, self.column, self.end_line,
                    self.end_column, self.text, self.note, self.extra, self.via, self.judges,
                    self.foreign, self.function, self.reads)
        for name, value in changes.items():
            setattr(out, name, value)
        return out

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"GEdge({self.src} -{self.kind}-> {self.dst} @{self.path}:{self.line})"


class NodeInfo:
    """What the rules need to know about a value (slotted: there is one per value)."""

    __slots__ = ("path", "function", "line", "column", "text", "name", "kind", "info", "consults", "loops",
                 "template", "source")

    def __init__(self, path: str, function: str, line: int, column: int, text: str, name: str = "",
                 kind: str = "value", info: bool = False, consults: Tuple[str, ...] = (),
                 loops: Tuple[str, ...] = (), template: str = "", source: str = "") -> None:
        self.path = path
        self.function = function
        self.line = line
        self.column = column
        self.text = text
        self.name = name
        self.kind = kind
        self.info = info
        self.consults = consults
        self.loops = loops
        self.template = template
        #: "real" or "external" when a call's result carries such data from inside the callee
        self.source = source

    @property
    def label(self) -> str:
        return self.name or self.text

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"NodeInfo({self.kind} {self.label!r} @{self.path}:{self.line})"
