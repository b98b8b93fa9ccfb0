"""Function summaries: what a call does, seen from its caller.

Calls are linked *by summary*, not by wiring arguments into the callee's
parameters: a helper called with generated text in one place and real text in
another must not mix the two.  For each function we compute, on its own graph
(its body plus the summaries of what it calls), the relations between its
interface points — parameters, return value, module-level state, and files
whose path is a parameter — and copy them to every call site:

* ``flow``: data of one point reaches another (parameter -> return, or into a
  mutated parameter, a field, a file);
* ``generate`` / ``predict`` / ``forward``: the return value is produced by a
  model that is an interface point (``def sample(m): return m.generate()``);
* ``train``: data from one point trains a model that is another;
* ``identity``: two points are the same model (``def unwrap(m): return m.module``);
* a backward pass on a parameter (``def step(loss): loss.backward()``).

Each summary edge keeps the steps it stands for, so a finding can still show
every line of a loop that runs through helpers and other files.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from lintloop.link.edges import IDENTITY, TRANSPARENT, GEdge, NodeInfo, StepTuple
from lintloop.link.filters import is_informative

#: Interface points: ("param", index) | ("ret",) | ("global", id) | ("partifact", template)
Iface = Tuple
_MAX_VIA = 24


@dataclass
class SummaryEdge:
    src: Iface
    dst: Iface
    kind: str
    via: Tuple[StepTuple, ...] = ()
    extra: Tuple[Iface, ...] = ()
    judges: Optional[FrozenSet[Iface]] = None
    foreign: bool = False


@dataclass
class FunctionSummary:
    edges: List[SummaryEdge] = field(default_factory=list)
    return_info: bool = False
    return_consults: Tuple[Iface, ...] = ()
    backward_params: Tuple[int, ...] = ()
    #: "external" / "real" when the return value carries such data (a loader, an API call)
    return_source: str = ""


class FunctionGraph:
    """One function's edges, indexed both ways, while it is linked."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.edges: List[GEdge] = []
        self.out: Dict[str, List[GEdge]] = {}
        self.inc: Dict[str, List[GEdge]] = {}

    def add(self, edge: GEdge) -> None:
        self.edges.append(edge)
        self.out.setdefault(edge.src, []).append(edge)
        self.inc.setdefault(edge.dst, []).append(edge)


# -- traversal ---------------------------------------------------------------------------

def _passable(edge: GEdge) -> bool:
    """Transparent for data, judged filters included (their judges travel with the path)."""
    if edge.kind in TRANSPARENT:
        return True
    return edge.kind == "filter" and edge.judges is not None and not edge.foreign


#: node -> the (edge, next node) moves data can make from it, in a fixed order
Moves = Dict[str, List[Tuple[GEdge, str]]]


def data_moves(fg: FunctionGraph) -> Tuple[Moves, Moves]:
    """(forward, backward) moves over data edges of a finished function graph.

    Built once per summary: every search of :func:`compute_summary` then follows
    plain lists instead of testing each edge again.  Forward: passable edges out,
    then aliases in; backward: passable edges in, then aliases out (aliases run
    both ways).  The order is that of the edges, so searches find the same paths.
    """
    forward: Moves = {}
    backward: Moves = {}
    for node, edges in fg.out.items():
        moves = [(edge, edge.dst) for edge in edges if _passable(edge)]
        if moves:
            forward[node] = moves
    for node, edges in fg.inc.items():
        moves = [(edge, edge.src) for edge in edges if _passable(edge)]
        if moves:
            backward[node] = moves
        aliases = [(edge, edge.src) for edge in edges if edge.kind == "alias"]
        if aliases:
            forward.setdefault(node, []).extend(aliases)
    for node, edges in fg.out.items():
        aliases = [(edge, edge.dst) for edge in edges if edge.kind == "alias"]
        if aliases:
            backward.setdefault(node, []).extend(aliases)
    return forward, backward


def search(moves: Moves, start: str) -> Dict[str, Tuple[Optional[GEdge], str]]:
    """BFS along ``moves``: node -> (edge it was reached by, the node it was reached from).

    With backward moves, that is the edge a node's data takes, and the next node
    toward ``start`` (see :func:`chain_to_target`)."""
    parents: Dict[str, Tuple[Optional[GEdge], str]] = {start: (None, "")}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for edge, following in moves.get(node, ()):
            if following not in parents:
                parents[following] = (edge, node)
                queue.append(following)
    return parents


def reachable(moves: Moves, start: str) -> Set[str]:
    """The nodes :func:`search` finds, without the paths."""
    seen = {start}
    queue = deque(seen)
    while queue:
        for _, following in moves.get(queue.popleft(), ()):
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return seen


def steps_of(edges: Iterable[GEdge]) -> Tuple[StepTuple, ...]:
    steps: List[StepTuple] = []
    for edge in edges:
        if edge.via:
            steps.extend(edge.via)
        if edge.note:
            steps.append(edge.step())
    return tuple(steps[-_MAX_VIA:])


def judges_on(edges: Iterable[GEdge]) -> Tuple[FrozenSet[str], bool]:
    judges: Set[str] = set()
    for edge in edges:
        if edge.kind == "filter" and edge.judges:
            judges |= edge.judges
    return frozenset(judges), False


_SUMMARY_IDENTITY = IDENTITY | {"returns"}


# -- summary computation ---------------------------------------------------------------

class Interface:
    """The interface points of one function, by global id."""

    def __init__(self, fg: FunctionGraph, params: List[str], ret: str,
                 partifacts: Dict[str, str], local_prefix: str, positions: Sequence[str] = ()) -> None:
        self.by_id: Dict[str, Iface] = {}
        for index, node in enumerate(params):
            self.by_id[node] = ("param", index)
        self.by_id[ret] = ("ret",)
        for index, node in enumerate(positions):
            self.by_id[node] = ("retpos", index)
        for node, template in partifacts.items():
            self.by_id[node] = ("partifact", template)
        for node in list(fg.out) + list(fg.inc):  # in edge order: never a set's (see _edge_order)
            if node not in self.by_id and not node.startswith(local_prefix):
                self.by_id[node] = ("global", node)
        self.params = params
        self.ret = ret



def _is_global(point: Iface) -> bool:
    """Module-level state: two such points are related by the global pass, not by a summary."""
    return point[0] == "global"


def compute_summary(fg: FunctionGraph, iface: Interface, nodes: Dict[str, NodeInfo],
                    markers: List[Tuple[str, Tuple[str, ...]]]) -> FunctionSummary:
    """Relations between a function's interface points, on the function's own graph.

    Searches run backward from the few points data can leave through (the return
    value, mutated parameters, written fields and files), so the cost grows with the
    function, not with the number of its parameters, fields and forward passes.
    """
    summary = FunctionSummary()
    edges = summary.edges
    points = iface.by_id
    outputs = [(node, point) for node, point in points.items()
               if point[0] in ("ret", "retpos", "partifact") or (point[0] in ("param", "global") and node in fg.inc)]
    inputs = [(node, point) for node, point in points.items()
              if point[0] not in ("ret", "retpos") and (node in fg.out or node in fg.inc)]
    forward_moves, backward_moves = data_moves(fg)
    back = {node: search(backward_moves, node) for node, _ in outputs}
    components = _identity_components(fg)
    param_reach: Dict[str, Set[str]] = {}

    def reached_from(param: str) -> Set[str]:
        if param not in param_reach:
            param_reach[param] = reachable(forward_moves, param)
        return param_reach[param]

    model_cache: Dict[str, List[Iface]] = {}

    def model_points(model: str) -> List[Iface]:
        found = model_cache.get(model)
        if found is None:
            found = [points[n] for n in components.get(model, (model,)) if n in points] or [("global", model)]
            model_cache[model] = found
        return found

    def both_global(a: Iface, b: Iface) -> bool:
        return _is_global(a) and _is_global(b)

    # data flows between interface points
    input_points = dict(inputs)
    for out_node, out_point in outputs:
        parents = back[out_node]
        candidates = ((n, input_points[n]) for n in parents if n in input_points) \
            if len(parents) < len(input_points) else ((n, p) for n, p in inputs if n in parents)
        for in_node, in_point in candidates:
            if in_node == out_node or in_point == out_point or both_global(in_point, out_point):
                continue
            if in_node in parents:
                path = chain_to_target(parents, in_node)
                judges, _ = judges_on(path)
                edges.append(SummaryEdge(in_point, out_point, "flow" if not judges else "filter", steps_of(path),
                                         judges=_map_set(judges, iface) if judges else None))

    # models and what they produce, and what trains them
    forwards: Dict[Tuple[Iface, Iface], SummaryEdge] = {}
    for edge in fg.edges:
        if edge.kind in ("generate", "predict", "forward"):
            extra: Tuple[Iface, ...] = ()
            if edge.extra:
                found = [points[p] for p in iface.params if not reached_from(p).isdisjoint(edge.extra)]
                found += [("global", x) for x in edge.extra if x in points and _is_global(points[x])]
                extra = tuple(found)
            sources = model_points(edge.src)
            for out_node, out_point in outputs:
                parents = back[out_node]
                if edge.dst not in parents:
                    continue
                if edge.kind == "forward":
                    # forward passes only matter to a caller's backward pass: one edge per
                    # model and output, with their inputs, and the call as its explanation
                    for source in sources:
                        if source != out_point and not both_global(source, out_point):
                            known = forwards.get((source, out_point))
                            if known is None:
                                forwards[(source, out_point)] = SummaryEdge(source, out_point, "forward",
                                                                            (edge.step(),), extra)
                            elif extra:
                                known.extra = tuple(dict.fromkeys(known.extra + extra))
                    continue
                chain = chain_to_target(parents, edge.dst)
                via = steps_of([edge] + chain)
                # a generation returned through a judged filter (a reward model's top-k)
                # carries its judges: the caller decides whether they are the same model
                judges, _ = judges_on(chain)
                judged = _map_set(judges, iface) if judges else None
                for source in sources:
                    if source != out_point and not both_global(source, out_point):
                        edges.append(SummaryEdge(source, out_point, edge.kind, via, extra, judges=judged))
        elif edge.kind == "train":
            models = model_points(edge.dst)
            parents = search(backward_moves, edge.src)
            for in_node, in_point in inputs:
                if in_node not in parents:
                    continue
                via = steps_of(chain_to_target(parents, in_node) + [edge])
                for model in models:
                    if not both_global(in_point, model):
                        edges.append(SummaryEdge(in_point, model, "train", via))

    edges.extend(forwards.values())

    # identity between interface points (wrappers, stores into fields, loaded checkpoints)
    seen_roots: Set[int] = set()
    for node in points:
        members = components.get(node)
        if members is None or id(members) in seen_roots:
            continue
        seen_roots.add(id(members))
        found = sorted({points[n] for n in members if n in points}, key=repr)
        for i, a in enumerate(found):
            for b in found[i + 1:]:
                if not both_global(a, b):
                    edges.append(SummaryEdge(a, b, "identity"))

    # backward passes on a parameter's value
    backward: Set[int] = set()
    for loss_refs in (refs for kind, refs in markers if kind == "backward"):
        for index, param in enumerate(iface.params):
            if not reached_from(param).isdisjoint(loss_refs):
                backward.add(index)
    summary.backward_params = tuple(sorted(backward))

    summary.return_source = _return_source(fg, iface.ret, nodes)

    # does the return value carry information of its own (a judge's verdict)?
    info, consults = _informative_sources(fg, iface.ret, nodes, set(iface.params))
    summary.return_info = info
    summary.return_consults = tuple(sorted({_map(c, iface) for c in consults}, key=repr))
    return summary


def chain_to_target(parents: Dict[str, Tuple[Optional[GEdge], str]], start: str) -> List[GEdge]:
    """The edges from ``start`` to the start of a backward :func:`search`, in data order."""
    out: List[GEdge] = []
    node = start
    while True:
        edge, following = parents.get(node, (None, ""))
        if edge is None:
            return out
        out.append(edge)
        node = following


def _identity_components(fg: FunctionGraph) -> Dict[str, Tuple[str, ...]]:
    """node -> all values that are the same model within this function (returns included)."""
    parent: Dict[str, str] = {}

    def find(x: str) -> str:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for edge in fg.edges:
        if edge.kind in _SUMMARY_IDENTITY:
            parent.setdefault(edge.src, edge.src)
            parent.setdefault(edge.dst, edge.dst)
            a, b = find(edge.src), find(edge.dst)
            if a != b:
                parent[a] = b
    groups: Dict[str, List[str]] = {}
    for node in list(parent):
        groups.setdefault(find(node), []).append(node)
    out: Dict[str, Tuple[str, ...]] = {}
    for members in groups.values():
        frozen = tuple(members)
        for member in members:
            out[member] = frozen
    return out


def _return_source(fg: FunctionGraph, start: str, nodes: Dict[str, NodeInfo]) -> str:
    found = ""
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        info = nodes.get(node)
        if info is not None:
            if info.kind == "ext" or info.source == "external":
                return "external"
            if info.kind == "load" or info.source == "real":
                found = "real"
        for edge in fg.inc.get(node, ()):
            if edge.kind in TRANSPARENT and edge.src not in seen:
                seen.add(edge.src)
                queue.append(edge.src)
    return found


def _informative_sources(fg: FunctionGraph, start: str, nodes: Dict[str, NodeInfo],
                         params: Set[str]) -> Tuple[bool, Set[str]]:
    found = False
    consults: Set[str] = set()
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node != start and node not in params and is_informative(node, nodes):
            info = nodes.get(node)
            if info is None or info.kind not in ("param",):
                found = True
                if info is not None:
                    consults.update(info.consults)
                continue
        for edge in fg.inc.get(node, ()):
            if edge.kind in TRANSPARENT | {"forward", "predict", "generate", "filter"} and edge.src not in seen:
                seen.add(edge.src)
                queue.append(edge.src)
    return found, consults


def _map(node: str, iface: Interface) -> Iface:
    return iface.by_id.get(node, ("global", node))


def _map_set(nodes: Iterable[str], iface: Interface) -> FrozenSet[Iface]:
    return frozenset(_map(n, iface) for n in nodes)


# -- instantiation at a call site -------------------------------------------------------

_HOLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def instantiate(summary: FunctionSummary, resolve_iface: Callable[[Iface], Set[str]],
                make_edges: Callable[..., Iterable[GEdge]]) -> List[GEdge]:
    """The caller-side edges of a callee's summary.

    ``make_edges(sources, targets, kind, via, extra, judges, target_kind)`` makes one
    summary edge's copies, one per (source, target) pair of distinct caller values;
    what they share (the explanation) is built once.
    """
    out: List[GEdge] = []
    for edge in summary.edges:
        sources = resolve_iface(edge.src)
        targets = resolve_iface(edge.dst)
        if not sources or not targets:
            continue
        extra = tuple(sorted({n for i in edge.extra for n in resolve_iface(i)}))
        judges = None
        if edge.judges is not None:
            judges = frozenset(n for i in edge.judges for n in resolve_iface(i))
        kind = "alias" if edge.kind == "identity" else edge.kind
        out.extend(make_edges(sources, targets, kind, edge.via, extra, judges, edge.dst[0]))
    return out


def substitute(template: str, values: Dict[str, Optional[str]]) -> Optional[str]:
    """Fill a parameter-dependent path template with the caller's argument templates."""
    missing = False

    def fill(match: "re.Match[str]") -> str:
        nonlocal missing
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        if value is None:
            missing = True
            return match.group(0)
        return value

    out = _HOLE.sub(fill, template)
    return None if missing else out
