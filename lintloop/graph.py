"""The flow graph the rules query: values, edges and which values are one model.

Built once from the linker's edges as a ``networkx.MultiDiGraph`` (nodes are
global value ids, each edge keeps its :class:`~lintloop.link.edges.GEdge`).
Model identity is an equivalence: two values are the same model when a chain
of identity edges joins them (alias, ``copy.deepcopy``, a wrapper, a checkpoint
saved and loaded), computed once with union-find.

The query rules need is *backward reachability*: from the data a training call
consumes, which values does it come from?  A self-feeding loop is a generation
of the trained model's class among them, reached without passing a filter that
brings information.
"""

from __future__ import annotations

from collections import deque
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import networkx as nx

from lintloop.link import LinkResult
from lintloop.link.edges import IDENTITY, TRANSPARENT, GEdge, NodeInfo

_SEARCH_LIMIT = 200_000


class FlowGraph:
    def __init__(self, result: LinkResult) -> None:
        self.nodes: Dict[str, NodeInfo] = result.nodes
        self.cells = result.cells
        self.notes = result.notes
        self.graph = nx.MultiDiGraph()
        self.inc: Dict[str, List[GEdge]] = {}
        self.out: Dict[str, List[GEdge]] = {}
        for edge in result.edges:
            self.graph.add_edge(edge.src, edge.dst, edge=edge)
            self.out.setdefault(edge.src, []).append(edge)
            self.inc.setdefault(edge.dst, []).append(edge)
        self._parent: Dict[str, str] = {}
        for edge in result.edges:
            if edge.kind in IDENTITY:
                self._union(edge.src, edge.dst)

    # -- identity --------------------------------------------------------------------

    def _find(self, node: str) -> str:
        parent = self._parent.get(node, node)
        if parent == node:
            return node
        root = self._find(parent)
        self._parent[node] = root
        return root

    def _union(self, a: str, b: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            if ra < rb:
                ra, rb = rb, ra
            self._parent[ra] = rb

    def model_class(self, node: str) -> str:
        """A representative id of the model identity class of ``node``."""
        return self._find(node)

    def identity_path(self, a: str, b: str) -> List[GEdge]:
        """The identity edges that make ``a`` and ``b`` one model (for explanations)."""
        if a == b:
            return []
        parents: Dict[str, Tuple[Optional[GEdge], str]] = {a: (None, "")}
        queue = deque([a])
        while queue:
            node = queue.popleft()
            if node == b:
                break
            for edge in self.out.get(node, ()):
                if edge.kind in IDENTITY and edge.dst not in parents:
                    parents[edge.dst] = (edge, node)
                    queue.append(edge.dst)
            for edge in self.inc.get(node, ()):
                if edge.kind in IDENTITY and edge.src not in parents:
                    parents[edge.src] = (edge, node)
                    queue.append(edge.src)
        path: List[GEdge] = []
        node = b
        while node in parents and parents[node][0] is not None:
            edge, previous = parents[node]
            path.append(edge)  # type: ignore[arg-type]
            node = previous
        return path[::-1]

    # -- edges by kind -----------------------------------------------------------------

    def edges_of(self, *kinds: str) -> Iterable[GEdge]:
        wanted = set(kinds)
        for _, _, data in self.graph.edges(data=True):
            edge = data["edge"]
            if edge.kind in wanted:
                yield edge

    # -- reachability ------------------------------------------------------------------

    def backward(self, starts: Iterable[str], model_class: Optional[str] = None
                 ) -> Dict[str, Tuple[Optional[GEdge], str]]:
        """Values whose data reaches ``starts``, each with the edge that leads on.

        Filters are crossed only when every model they consult is ``model_class``
        and they consult nothing else (a filter that asks the same model).
        """
        parents: Dict[str, Tuple[Optional[GEdge], str]] = {s: (None, "") for s in starts}
        queue = deque(parents)
        while queue and len(parents) < _SEARCH_LIMIT:
            node = queue.popleft()
            for edge in self.inc.get(node, ()):
                if edge.src in parents:
                    continue
                if edge.kind in TRANSPARENT or (edge.kind == "filter" and self.same_model_filter(edge, model_class)):
                    parents[edge.src] = (edge, node)
                    queue.append(edge.src)
            for edge in self.out.get(node, ()):
                if edge.kind == "alias" and edge.dst not in parents:
                    parents[edge.dst] = (edge, node)
                    queue.append(edge.dst)
        return parents

    def same_model_filter(self, edge: GEdge, model_class: Optional[str]) -> bool:
        if model_class is None or edge.judges is None or edge.foreign or not edge.judges:
            return False
        return all(self.model_class(j) == model_class for j in edge.judges)

    def label(self, node: str) -> str:
        info = self.nodes.get(node)
        return info.label if info is not None else node.rsplit("::", 1)[-1]


def chain(parents: Dict[str, Tuple[Optional[GEdge], str]], start: str) -> List[GEdge]:
    """Edges from ``start`` forward to the search origin (the order data moves)."""
    out: List[GEdge] = []
    node = start
    seen: Set[str] = set()
    while node in parents and node not in seen:
        seen.add(node)
        edge, following = parents[node]
        if edge is None:
            break
        out.append(edge)
        node = following
    return out


def judges_of(edges: Iterable[GEdge]) -> FrozenSet[str]:
    found: Set[str] = set()
    for edge in edges:
        if edge.kind == "filter" and edge.judges:
            found |= edge.judges
    return frozenset(found)
