"""Accumulates one function's value-flow graph while the interpreter walks it.

Nodes are keyed by the source position that creates them, so walking a loop
body twice (to reach a fixpoint) finds the same nodes instead of new ones, and
an edge added twice is kept once.
"""

from __future__ import annotations

import ast
from typing import Callable, Dict, Hashable, List, Optional, Tuple

from lintloop.summary import CallSite, Edge, Function, Marker, Node, Ref, Refs


class NodeData:
    """A mutable node while its function is being built (a :class:`Node` after)."""

    __slots__ = ("id", "kind", "line", "column", "text", "name", "loops", "info", "consults", "template")

    def __init__(self, id: int, kind: str, line: int, column: int, text: str,
                 loops: Tuple[int, ...]) -> None:
        self.id = id
        self.kind = kind
        self.line = line
        self.column = column
        self.text = text
        self.name = ""
        self.loops = loops
        self.info = False
        self.consults: Refs = ()
        self.template = ""

    def freeze(self) -> Node:
        return Node(self.id, self.kind, self.line, self.column, self.text, self.name,
                    self.loops, self.info, tuple(self.consults), self.template)


#: maps (line, UTF-8 byte offset) to a 0-based character offset in that line
ColumnMap = Callable[[int, int], int]


def _bytes_are_characters(line: int, offset: int) -> int:
    return offset


def position(node: ast.AST, columns: ColumnMap = _bytes_are_characters) -> Tuple[int, int, int, int]:
    """1-based (line, column, end line, end column) of an ast node, columns in characters
    (``ast`` counts UTF-8 bytes, which differ on lines with non-ASCII text)."""
    try:  # expressions and statements: every attribute is there
        line, offset = node.lineno, node.col_offset  # type: ignore[attr-defined]
        end_line, end_offset = node.end_lineno or line, node.end_col_offset  # type: ignore[attr-defined]
    except AttributeError:
        line, offset = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        end_line, end_offset = getattr(node, "end_lineno", None) or line, getattr(node, "end_col_offset", None)
    column = columns(line, offset) + 1
    end_column = (columns(end_line, end_offset) if end_offset is not None else column - 1) + 1
    return line, column, end_line, end_column


class FunctionBuilder:
    def __init__(self, qualname: str, cls: str, line: int,
                 columns: ColumnMap = _bytes_are_characters) -> None:
        self.columns = columns
        self.qualname = qualname
        self.cls = cls
        self.line = line
        self.nodes: List[NodeData] = []
        self._keys: Dict[Hashable, int] = {}
        self._edges: Dict[Tuple, Edge] = {}
        self.calls: Dict[int, CallSite] = {}
        self._markers: Dict[Tuple, Marker] = {}
        self.params: List[str] = []
        self.param_nodes: List[int] = []
        self.return_node = self.new_node(("return",), "ret", line, 1, qualname.rsplit(".", 1)[-1] + "()", ())
        #: arity of each ``return`` (0 for a non-tuple return)
        self.return_arities: set = set()

    def new_node(self, key: Hashable, kind: str, line: int, column: int, text: str,
                 loops: Tuple[int, ...]) -> int:
        found = self._keys.get(key)
        if found is not None:
            return found
        node = NodeData(len(self.nodes), kind, line, column, text, loops)
        self.nodes.append(node)
        self._keys[key] = node.id
        return node.id

    def node_for(self, tag: str, at: ast.AST, kind: str, text: str, loops: Tuple[int, ...],
                 extra: Hashable = None, describe: Optional[Callable[[ast.AST], str]] = None) -> int:
        """The node for ``at`` (made once: a loop's second pass finds the first's).  Without
        ``text``, ``describe(at)`` gives it, and only for a new node."""
        line, column, end_line, end_column = position(at, self.columns)
        key = (tag, line, column, end_line, end_column, extra)
        found = self._keys.get(key)
        if found is not None:
            return found
        if not text and describe is not None:
            text = describe(at)
        return self.new_node(key, kind, line, column, text, loops)

    def has_key(self, key: Hashable) -> Optional[int]:
        return self._keys.get(key)

    def edge(self, src: Ref, dst: Ref, kind: str, at: ast.AST, text: str, note: str = "",
             extra: Refs = (), reads: Refs = ()) -> None:
        if src == dst and kind in ("flow", "store", "alias"):
            return
        line, column, end_line, end_column = position(at, self.columns)
        key = (src, dst, kind, line, column)
        existing = self._edges.get(key)
        if existing is not None:
            if set(extra) - set(existing.extra) or set(reads) - set(existing.reads):
                merged = tuple(sorted(set(existing.extra) | set(extra), key=str))
                merged_reads = tuple(sorted(set(existing.reads) | set(reads), key=str))
                self._edges[key] = Edge(src, dst, kind, line, column, end_line, end_column,
                                        existing.text, existing.note, merged, merged_reads)
            return
        self._edges[key] = Edge(src, dst, kind, line, column, end_line, end_column, text, note,
                                tuple(sorted(set(extra), key=str)) if extra else (),
                                tuple(sorted(set(reads), key=str)) if reads else ())

    def call_site(self, site: CallSite) -> None:
        self.calls[site.result] = site

    def marker(self, marker: Marker) -> None:
        self._markers[(marker.kind, marker.line, marker.column, marker.refs)] = marker

    def position(self, node: ast.AST) -> Tuple[int, int, int, int]:
        return position(node, self.columns)

    def return_position(self, index: int) -> int:
        return self.new_node(("return", index), "ret", self.line, 1,
                             f"{self.qualname.rsplit('.', 1)[-1]}()[{index}]", ())

    def freeze(self) -> Function:
        positions: Tuple[int, ...] = ()
        if len(self.return_arities) == 1:
            arity = next(iter(self.return_arities))
            if arity > 1:
                positions = tuple(self.return_position(i) for i in range(arity))
        return Function(
            self.qualname, self.cls, tuple(self.params), tuple(self.param_nodes), self.return_node,
            self.line, tuple(n.freeze() for n in self.nodes), tuple(sorted(self._edges.values(), key=_edge_order)),
            tuple(self.calls.values()), tuple(self._markers.values()), positions,
        )


def _edge_order(edge: Edge) -> Tuple:
    """Edges in source order, whatever order they were made in.  The interpreter walks sets
    of values, whose order changes with Python's string hashing from one process to the
    next; the searches that explain a finding take the first path they meet, so the same
    code must give the same order, and so the same explanation, in every run."""
    return (edge.line, edge.column, edge.end_line, edge.end_column, edge.kind, str(edge.src), str(edge.dst))
