"""Deciding what a selection is worth: does its predicate bring information?

A ``filter`` edge keeps some items according to a predicate.  It only breaks a
self-feeding loop if the predicate depends on something the items do not
already carry: a verifier, a reward model, ground truth, an external call.  It
is judged once, on the graph of the function it appears in:

* the predicate must depend on the items (``if step % 100 == 0`` selects
  nothing), otherwise the edge is an ordinary flow;
* walking back from the predicate (and not into the items' own history), the
  first informative values met are what it consults; none means the filter only
  looks at the items themselves (``len(s) > 10``, ``s.strip()``) and adds nothing;
* informative values that ask a model (a forward pass, ``model.score``) name
  that model as a *judge*; anything else (a file, an API, a parameter) is
  *foreign* information.

The rules then let a loop pass a judged filter only when every judge is the
trained model itself and nothing foreign was consulted.
"""

from __future__ import annotations

from collections import deque
from typing import Dict, FrozenSet, Iterable, List, Mapping, Set, Tuple

from lintloop.link.edges import DEPENDENCY, GEdge, NodeInfo

#: node -> the values it depends on, one entry per edge of a dependency kind into it
Dependencies = Dict[str, List[str]]
_BUDGET = 4000
#: what a value depends on, selections included (kept items still come from their source)
_DEPENDS = DEPENDENCY | {"filter"}


def dependencies(incoming: Mapping[str, Iterable[GEdge]]) -> Dependencies:
    """Built once per function graph, so the searches below follow plain lists."""
    out: Dependencies = {}
    for node, edges in incoming.items():
        sources = [edge.src for edge in edges if edge.kind in _DEPENDS]
        if sources:
            out[node] = sources
    return out


def _ancestors(starts: Iterable[str], depends: Dependencies, limit: int = _BUDGET) -> Set[str]:
    seen: Set[str] = set(starts)
    queue = deque(seen)
    while queue and len(seen) < limit:
        for source in depends.get(queue.popleft(), ()):
            if source not in seen:
                seen.add(source)
                queue.append(source)
    return seen


def is_informative(node: str, nodes: Dict[str, NodeInfo]) -> bool:
    info = nodes.get(node)
    if info is not None:
        return info.info
    return True  # a field, global, file or import: data from elsewhere


class Memo:
    """One function's dependencies, and the ancestor sets its filters share (every
    flow under one ``if`` shares that condition's ancestry)."""

    def __init__(self, depends: Dependencies) -> None:
        self.depends = depends
        self._sets: Dict[FrozenSet[str], Set[str]] = {}
        self._outside: Dict[FrozenSet[str], bool] = {}

    def ancestors(self, starts: FrozenSet[str]) -> Set[str]:
        found = self._sets.get(starts)
        if found is None:
            found = self._sets[starts] = _ancestors(starts, self.depends)
        return found

    def asks_outside(self, starts: FrozenSet[str], nodes: Dict[str, NodeInfo]) -> bool:
        """Whether the values behind ``starts`` include an external call (a human, an API)."""
        found = self._outside.get(starts)
        if found is None:
            found = self._outside[starts] = any(
                nodes[n].kind == "ext" for n in self.ancestors(starts) if n in nodes)
        return found


def judge(edge: GEdge, memo: Memo, nodes: Dict[str, NodeInfo]) -> Tuple[str, FrozenSet[str], bool]:
    """("open", ...) when the filter adds nothing, else ("judged", judges, foreign)."""
    predicate = set(edge.extra)
    if not predicate:
        return "open", frozenset(), False
    items = memo.ancestors(frozenset((edge.src,)))
    looked_at = frozenset(predicate) | frozenset(edge.reads)
    context = memo.ancestors(looked_at)
    if context.isdisjoint(items) and not memo.asks_outside(looked_at, nodes):
        # `if step % 100 == 0`: the condition does not look at what it keeps
        # (an external answer - a human, a web service - may look at anything)
        return "open", frozenset(), False
    judges: Set[str] = set()
    foreign = False
    found = False
    seen: Set[str] = set()
    queue = deque(n for n in predicate if n not in items)
    seen.update(queue)
    while queue and len(seen) < _BUDGET:
        node = queue.popleft()
        if is_informative(node, nodes):
            found = True
            consults = nodes[node].consults if node in nodes else ()
            if consults:
                judges.update(consults)
            else:
                foreign = True
            continue
        for source in memo.depends.get(node, ()):
            if source not in seen and source not in items:
                seen.add(source)
                queue.append(source)
    if not found:
        return "open", frozenset(), False
    return "judged", frozenset(judges), foreign
