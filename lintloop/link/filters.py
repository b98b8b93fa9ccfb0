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
from typing import Callable, Dict, FrozenSet, Iterable, Set, Tuple

from lintloop.link.edges import DEPENDENCY, GEdge, NodeInfo

Preds = Callable[[str], Iterable[GEdge]]
_BUDGET = 4000
#: what a value depends on, selections included (kept items still come from their source)
_DEPENDS = DEPENDENCY | {"filter"}


def _ancestors(starts: Iterable[str], preds: Preds, limit: int = _BUDGET) -> Set[str]:
    seen: Set[str] = set(starts)
    queue = deque(seen)
    while queue and len(seen) < limit:
        node = queue.popleft()
        for edge in preds(node):
            if edge.kind in _DEPENDS and edge.src not in seen:
                seen.add(edge.src)
                queue.append(edge.src)
    return seen


def is_informative(node: str, nodes: Dict[str, NodeInfo]) -> bool:
    info = nodes.get(node)
    if info is not None:
        return info.info
    return True  # a field, global, file or import: data from elsewhere


class Memo:
    """Ancestor sets shared by the filters of one function (every flow under one ``if``
    shares that condition's ancestry)."""

    def __init__(self, preds: Preds) -> None:
        self.preds = preds
        self._sets: Dict[FrozenSet[str], Set[str]] = {}

    def ancestors(self, starts: FrozenSet[str]) -> Set[str]:
        found = self._sets.get(starts)
        if found is None:
            found = self._sets[starts] = _ancestors(starts, self.preds)
        return found


def judge(edge: GEdge, preds: Preds, nodes: Dict[str, NodeInfo],
          memo: "Memo" = None) -> Tuple[str, FrozenSet[str], bool]:  # type: ignore[assignment]
    """("open", ...) when the filter adds nothing, else ("judged", judges, foreign)."""
    predicate = set(edge.extra)
    if not predicate:
        return "open", frozenset(), False
    memo = memo or Memo(preds)
    items = memo.ancestors(frozenset((edge.src,)))
    context = memo.ancestors(frozenset(predicate) | frozenset(edge.reads))
    asks_outside = any(nodes[n].kind == "ext" for n in context if n in nodes)
    if not (context & items) and not asks_outside:
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
        for parent in preds(node):
            if parent.kind in _DEPENDS and parent.src not in seen and parent.src not in items:
                seen.add(parent.src)
                queue.append(parent.src)
    if not found:
        return "open", frozenset(), False
    return "judged", frozenset(judges), foreign
