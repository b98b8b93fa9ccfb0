"""The loop search shared by LL001, LL003 and LL004.

For every training call (grouped by place and trained model) we search backward
from the data it consumes.  What we find decides the rule:

* a generation by the same model  -> LL001 (self-feeding loop);
* a ``predict`` by the same model on real inputs -> LL004 (self-labelling),
  on generated inputs -> LL001;
* a generation by another model   -> a leg of a possible LL003 cycle.

A loop is broken when new information reaches the training data: an external
call, a different model's output, or real data loaded afresh inside a loop
that also encloses the training call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from lintloop.graph import FlowGraph, chain
from lintloop.link.edges import GEdge

_CACHE_ATTR = "_lintloop_loops"


@dataclass
class TrainCall:
    """All train edges of one call site into one model class."""

    edge: GEdge  # a representative (the span, the text, the function)
    model: str  # model class id
    model_node: str
    data: Set[str] = field(default_factory=set)
    loops: Set[str] = field(default_factory=set)
    #: the loss of a manual training step (its reward or labels may bring information)
    loss: Set[str] = field(default_factory=set)


@dataclass
class Loop:
    kind: str  # "self" | "label" | "cross"
    train: TrainCall
    producer: GEdge  # the generate/predict edge
    path: List[GEdge]  # from the producer's output to the training data
    same_model_filters: List[GEdge]
    real_sources: List[str]


@dataclass
class Sources:
    external: List[str] = field(default_factory=list)
    other_models: List[str] = field(default_factory=list)
    real_fixed: List[str] = field(default_factory=list)
    real_fresh: List[str] = field(default_factory=list)


def analyse(graph: FlowGraph) -> List[Loop]:
    cached = getattr(graph, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    loops = list(_analyse(graph))
    setattr(graph, _CACHE_ATTR, loops)
    return loops


def _train_calls(graph: FlowGraph) -> List[TrainCall]:
    calls: Dict[Tuple[str, int, int, str], TrainCall] = {}
    for edge in graph.edges_of("train"):
        model = graph.model_class(edge.dst)
        key = (edge.path, edge.line, edge.column, model)
        call = calls.get(key)
        if call is None:
            call = calls[key] = TrainCall(edge, model, edge.dst)
        call.data.add(edge.src)
        call.loops.update(edge.extra)
        call.loss.update(edge.reads)
    return sorted(calls.values(), key=lambda c: (c.edge.path, c.edge.line, c.edge.column, c.model))


def _analyse(graph: FlowGraph):
    producers: Dict[str, List[GEdge]] = {}
    all_generations: List[GEdge] = []
    # (function, model class) of every training: a parameter model trained in its own
    # function is a loop inside a helper
    trained_in = {(e.function, graph.model_class(e.dst)) for e in graph.edges_of("train")}
    for edge in graph.edges_of("generate", "predict"):
        if graph.is_parametric(edge.src) and (edge.function, graph.model_class(edge.src)) not in trained_in:
            continue  # a helper's parameter: its callers see this generation through summaries
        producers.setdefault(graph.model_class(edge.src), []).append(edge)
        if edge.kind == "generate":
            all_generations.append(edge)
    generated_outputs = {e.dst for e in all_generations}
    for call in _train_calls(graph):
        own = producers.get(call.model, [])
        others_exist = len(producers) > (1 if own else 0)
        if not own and not others_exist:
            continue
        parents = graph.backward(call.data, call.model)
        sources = _sources(graph, call, graph.backward(call.data | call.loss, call.model) if call.loss else parents)
        broken = bool(sources.external or sources.other_models or sources.real_fresh)
        found_self = False
        for producer in sorted(own, key=lambda e: (e.kind != "generate", e.path, e.line, e.column)):
            if producer.dst not in parents:
                continue
            if producer.judges is not None and not graph.same_model_filter(producer, call.model):
                continue  # generated in a helper that kept only what another model chose
            path = chain(parents, producer.dst)
            kind = "self"
            if producer.kind == "predict" and not _generated_inputs(graph, producer, generated_outputs, call.model):
                kind = "label"
            if broken:
                continue
            filters = [e for e in [producer] + path if e.kind == "filter" or e.judges]
            yield Loop(kind, call, producer, path, filters, sources.real_fixed)
            if kind == "self":
                found_self = True
                break
        if found_self:
            continue
        # generations of other models: legs of cross-model cycles
        if sources.external or sources.real_fresh:
            continue
        for model, edges in producers.items():
            if model == call.model:
                continue
            for producer in edges:
                if producer.judges is not None and not graph.same_model_filter(producer, call.model):
                    continue
                if producer.kind == "generate" and producer.dst in parents:
                    path = chain(parents, producer.dst)
                    yield Loop("cross", call, producer, path, [], sources.real_fixed)
                    break


def _generated_inputs(graph: FlowGraph, producer: GEdge, generated: Set[str], model: str) -> bool:
    """A ``predict`` whose inputs are themselves model outputs generates (autoregression)."""
    if not producer.extra:
        return False
    parents = graph.backward(producer.extra)
    if generated & parents.keys():
        return True
    for node in parents:
        for edge in graph.inc.get(node, ()):
            if edge.kind == "predict" and graph.model_class(edge.src) == model:
                return True
    return False


def _sources(graph: FlowGraph, call: TrainCall, parents) -> Sources:
    """Where the training data's information comes from, besides the model itself."""
    out = Sources()
    function = call.edge.function
    for node in parents:
        info = graph.nodes.get(node)
        if info is None:
            continue
        kind = info.kind
        if info.source == "external":
            kind = "ext"
        elif info.source == "real":
            kind = "load"
        if kind not in ("ext", "load", "gen", "predict", "forward"):
            continue
        same_place = info.function == function
        inside = bool(call.loops & set(info.loops))
        if kind == "ext":
            # asked afresh (inside some loop, or in another function): new information;
            # fetched once up front: a fixed data set like any other
            if not same_place or inside or info.loops:
                out.external.append(node)
            else:
                out.real_fixed.append(node)
        elif kind == "load":
            if _is_generated_file(graph, node):
                continue
            if same_place and inside:
                out.real_fresh.append(node)
            else:
                out.real_fixed.append(node)
        else:
            producers = [e for e in graph.inc.get(node, ()) if e.kind in ("generate", "predict", "forward")
                         and not graph.is_parametric(e.src) and not graph.is_preprocessor(e.src)]
            if producers and all(graph.model_class(e.src) != call.model for e in producers):
                if not same_place or inside:
                    out.other_models.append(node)
    return out


def _is_generated_file(graph: FlowGraph, node: str) -> bool:
    """Data read from a file the project itself wrote: its content is what was written."""
    upstream = graph.backward([node])
    return any(step is not None and step.kind == "write" for step, _ in upstream.values())


def model_label(graph: FlowGraph, call: TrainCall, producer: Optional[GEdge] = None) -> str:
    """A name the user knows for the trained model (``lm``, ``self.model``)."""
    return node_label(graph, call.model_node, call.edge.function) or _callee_text(call.edge.text)


def node_label(graph: FlowGraph, start: str, function: str = "") -> str:
    """The nearest named value of the same model: ``student`` for ``Trainer(model=student).model``."""
    if start.startswith("A:"):
        return start[2:]  # a hosted model id or a checkpoint path
    seen = {start}
    frontier = [start]
    fallback = ""  # `trainer.model`, when nothing nearer has a name of its own
    for _ in range(4):
        named = []
        for node in frontier:
            if "::F:" in node:
                return "self." + node.rsplit(".", 1)[-1]
            info = graph.nodes.get(node)
            if info is not None and info.name and info.name.isidentifier():
                named.append((info.function != function, node, info.name))
            elif info is not None and info.kind == "attr" and not fallback:
                fallback = _attribute_owner(graph, node)
        if named:
            return sorted(named)[0][2]
        following = []
        for node in frontier:
            for edge in list(graph.inc.get(node, ())) + list(graph.out.get(node, ())):
                if edge.kind in ("store", "alias", "identity", "copy", "load", "save"):
                    other = edge.src if edge.dst == node else edge.dst
                    if other not in seen:
                        seen.add(other)
                        following.append(other)
        frontier = following
    return fallback


def _attribute_owner(graph: FlowGraph, node: str) -> str:
    """``trainer.model`` for the field node of a named object."""
    for edge in graph.inc.get(node, ()):
        if edge.kind == "attr":
            owner = graph.nodes.get(edge.src)
            if owner is not None and owner.name and owner.name.isidentifier():
                return f"{owner.name}.{edge.text}"
    return ""


def _callee_text(text: str) -> str:
    head = text.split("(", 1)[0]
    return head.rsplit(".", 1)[0] if "." in head else head


def filter_note(graph: FlowGraph, filters: List[GEdge]) -> str:
    if not filters:
        return ""
    texts = sorted({_shorten(f.text) if f.kind == "filter" else f"inside `{_shorten(f.text)}`"
                    for f in filters if f.text})
    shown = " and ".join(t if t.startswith("inside") else f"`{t}`" for t in texts[:2]) or "on the way"
    return f": the filter {shown} only asks the same model, which adds no information"


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."
