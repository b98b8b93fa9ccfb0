"""The per-file Summary: everything the global pass needs to know about one file.

A Summary is a pure function of (source bytes, vocabulary).  It holds no ``ast``
objects and round-trips through JSON exactly (``from_json(to_json(s)) == s``),
because it is the unit of caching and crosses process boundaries.

Inside a Summary each function (and the module body, as ``<module>``) is a small
value-flow graph over *abstract values* (nodes).  References to values are:

* ``int`` — a node of the same function;
* ``"L:<qualname>#<id>"`` — a node of another function of the same module
  (closures and module-level names read inside functions);
* ``"F:<Class>.<attr>"`` — the attribute ``attr`` of instances of a class of
  this module (``self.model``);
* ``"A:<template>"`` — a file, checkpoint or hosted-model name, by its path
  template (``out/gen_{i}.jsonl``, ``gpt2``);
* ``"G:<name>"`` — a module global assigned through a ``global`` statement;
* ``"I:<level>:<module>:<name>"`` — a name imported from another module.

Calls that the extractor could not interpret from the vocabulary alone are kept
as :class:`CallSite` records; the linker connects them to the summaries of
project functions, or lets data pass through them when they stay unknown.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from typing import Any, Dict, Tuple, Union

#: Bump when the shape or meaning of a Summary changes (invalidates caches).
SUMMARY_VERSION = 1

Ref = Union[int, str]
Refs = Tuple[Ref, ...]


@dataclass(frozen=True)
class Node:
    """An abstract value created at one place of a function."""

    id: int
    #: what created it: param, call, gen, predict, forward, ext, load, lit,
    #: container, elem, attr, ret, value, module
    kind: str
    line: int
    column: int
    #: short source text of the expression (for notes)
    text: str
    #: the first variable it was bound to, if any (for notes)
    name: str = ""
    #: ids of the loops (per function) that enclose its creation
    loops: Tuple[int, ...] = ()
    #: True when a predicate that depends on it consults outside information
    info: bool = False
    #: what the information came from (a model, a reward function): used to tell
    #: a filter that asks the *same* model from a real one
    consults: Refs = ()
    #: the string value, when known, as a template (``{expr}`` for unknown parts)
    template: str = ""


@dataclass(frozen=True)
class Edge:
    """A flow of information between two values.

    Kinds: ``flow`` (data moves, transparent), ``store`` (data stored in an
    attribute or global: transparent and keeps model identity), ``alias``
    (the same object under another name, both directions), ``copy``
    (``copy.deepcopy``), ``generate`` (model → its samples), ``predict`` (model →
    its labels), ``forward`` (model → output of a forward pass; ``extra`` holds
    the input refs), ``train`` (data → model), ``filter`` (data → selected data;
    ``extra`` holds the predicate refs), ``external`` (data → a value produced
    outside, which does not carry it), ``save``/``load`` (model ↔ checkpoint),
    ``write``/``read`` (data ↔ file).
    """

    src: Ref
    dst: Ref
    kind: str
    line: int
    column: int
    end_line: int
    end_column: int
    text: str
    note: str = ""
    extra: Refs = ()
    #: filter: everything the predicate reads (``extra`` holds its verdict's values)
    reads: Refs = ()


@dataclass(frozen=True)
class CallSite:
    """A call whose meaning depends on code elsewhere (a project function, a class)."""

    result: int
    #: ("def", qualname) | ("import", level, module, dotted-name) |
    #: ("method", name) | ("objcall",) | ("unknown", name)
    callee: Tuple[str, ...]
    receiver: Refs
    args: Tuple[Refs, ...]
    kwargs: Tuple[Tuple[str, Refs], ...]
    line: int
    column: int
    end_line: int
    end_column: int
    text: str
    #: the function-or-method name as written (for the name vocabulary)
    name: str = ""
    #: ``*args``/``**kwargs`` present: map every argument to every parameter
    star: bool = False


@dataclass(frozen=True)
class Marker:
    """A place whose meaning is decided on the whole graph.

    ``backward``: ``refs`` is a loss; the forward passes that reach it are training.
    ``sampler``: ``refs`` is a model output fed to a diffusion scheduler step;
    the forward passes that reach it generate ``result``.
    """

    kind: str
    refs: Refs
    result: int
    line: int
    column: int
    end_line: int
    end_column: int
    text: str
    #: explicit models trained (``tape.gradient(loss, model.trainable_variables)``)
    models: Refs = ()


@dataclass(frozen=True)
class Function:
    qualname: str
    #: owning class name for methods, else ""
    cls: str
    params: Tuple[str, ...]
    param_nodes: Tuple[int, ...]
    return_node: int
    line: int
    nodes: Tuple[Node, ...]
    edges: Tuple[Edge, ...]
    calls: Tuple[CallSite, ...]
    markers: Tuple[Marker, ...] = ()
    #: ``return a, b`` everywhere: one node per position (callers unpack them apart)
    return_positions: Tuple[int, ...] = ()


@dataclass(frozen=True)
class ClassInfo:
    name: str
    line: int
    #: base classes as references: ("def", name) or ("import", level, module, dotted)
    bases: Tuple[Tuple[str, ...], ...]
    methods: Tuple[str, ...]
    #: "trainer" | "pl_module" | "" — what the vocabulary says the bases make it
    tag: str = ""


@dataclass(frozen=True)
class Import:
    """``local`` names ``module`` (a module import) or ``module.name``."""

    local: str
    level: int
    module: str
    name: str = ""


@dataclass(frozen=True)
class Directive:
    """A suppression comment: ``codes`` empty means every code."""

    line: int
    kind: str  # "ignore" (lintloop: ignore[...]) or "noqa"
    codes: Tuple[str, ...]
    column: int = 1
    #: the line it suppresses: its own, or the next one for a comment alone on its line
    applies_to: int = 0


@dataclass(frozen=True)
class Summary:
    version: int
    imports: Tuple[Import, ...]
    functions: Tuple[Function, ...]
    classes: Tuple[ClassInfo, ...]
    #: module-level names: name -> refs of what they were bound to
    bindings: Tuple[Tuple[str, Refs], ...]
    #: module-level string constants: name -> template
    constants: Tuple[Tuple[str, str], ...]
    directives: Tuple[Directive, ...] = ()
    skip_file: bool = False
    #: notebooks: (first line in the concatenated source, cell number) of each code cell
    cells: Tuple[Tuple[int, int], ...] = ()
    #: True when the byte prefilter found nothing worth parsing
    trivial: bool = False

    def to_json(self) -> str:
        return json.dumps(_encode(self), separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> "Summary":
        """The inverse of :meth:`to_json`; ValueError (only) for anything else."""
        try:
            data = json.loads(text)
        except RecursionError:
            raise ValueError("not a lintloop summary: nested too deeply") from None
        if not isinstance(data, list) or not data or data[0] != SUMMARY_VERSION:
            raise ValueError("not a lintloop summary of this version")
        summary = _decode_summary(data)
        validate(summary)
        return summary


def empty_summary(trivial: bool = True, directives: Tuple[Directive, ...] = (),
                  skip_file: bool = False, cells: Tuple[Tuple[int, int], ...] = ()) -> Summary:
    return Summary(SUMMARY_VERSION, (), (), (), (), (), directives, skip_file, cells, trivial)


# -- JSON encoding: positional lists keep the cache small and the decoder simple.

def _encode(value: Any) -> Any:
    if isinstance(value, (Node, Edge, CallSite, Marker, Function, ClassInfo, Import, Directive, Summary)):
        return [_encode(getattr(value, f.name)) for f in fields(value)]
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _tuple(value: Any) -> Any:
    """Lists back to (nested) tuples; scalars unchanged."""
    if isinstance(value, list):
        return tuple(_tuple(v) for v in value)
    return value


def _build(cls: Any, row: list, nested: Dict[str, Any]) -> Any:
    names = [f.name for f in fields(cls)]
    if not isinstance(row, list) or len(row) != len(names):
        raise ValueError(f"bad {cls.__name__} record")
    kwargs = {}
    for name, raw in zip(names, row):
        if name in nested:
            if not isinstance(raw, list):
                raise ValueError(f"bad {cls.__name__}.{name}")
            kwargs[name] = tuple(nested[name](item) for item in raw)
        else:
            kwargs[name] = _tuple(raw)
    return cls(**kwargs)


def _decode_summary(row: list) -> Summary:
    node = lambda r: _build(Node, r, {})  # noqa: E731
    edge = lambda r: _build(Edge, r, {})  # noqa: E731
    call = lambda r: _build(CallSite, r, {})  # noqa: E731
    marker = lambda r: _build(Marker, r, {})  # noqa: E731
    function = lambda r: _build(Function, r, {"nodes": node, "edges": edge, "calls": call, "markers": marker})  # noqa: E731
    return _build(Summary, row, {
        "imports": lambda r: _build(Import, r, {}),
        "functions": function,
        "classes": lambda r: _build(ClassInfo, r, {}),
        "directives": lambda r: _build(Directive, r, {}),
    })


# -- validation: a decoded Summary has exactly the shape its annotations say --------------------


def validate(summary: Summary) -> None:
    """Raise ValueError unless every field of ``summary`` has its annotated type
    and every node a function refers to by number exists."""
    _check(summary, Summary, "summary")
    for info in summary.classes:
        for base in info.bases:
            _reference(base, f"base of {info.name}")
    for imported in summary.imports:
        if imported.level < 0:
            raise ValueError(f"bad summary: import of {imported.module} at level {imported.level}")
    refs = [ref for _, refs in summary.bindings for ref in refs]
    for function in summary.functions:
        for call in function.calls:
            _reference(call.callee, f"callee in {function.qualname}")
        refs += [ref for edge in function.edges for ref in (edge.src, edge.dst, *edge.extra, *edge.reads)]
        refs += [ref for call in function.calls for ref in call.receiver]
        refs += [ref for call in function.calls for group in call.args for ref in group]
        refs += [ref for call in function.calls for _, group in call.kwargs for ref in group]
    for ref in refs:
        if isinstance(ref, str) and not _REF.match(ref):
            raise ValueError(f"bad summary: reference {ref!r}")
    for function in summary.functions:
        ids = {node.id for node in function.nodes}
        local = [function.return_node, *function.param_nodes, *function.return_positions]
        local += [ref for edge in function.edges for ref in (edge.src, edge.dst, *edge.extra, *edge.reads)]
        for call in function.calls:
            local += [call.result, *call.receiver, *(r for refs in call.args for r in refs),
                      *(r for _, refs in call.kwargs for r in refs)]
        for marker in function.markers:
            local += [*([marker.result] if marker.result != -1 else []), *marker.refs, *marker.models]  # -1: none
        local += [ref for node in function.nodes for ref in node.consults]
        missing = [ref for ref in local if isinstance(ref, int) and ref not in ids]
        if missing:
            raise ValueError(f"bad summary: {function.qualname} refers to missing node {missing[0]}")


#: The string references of the module docstring.
_REF = re.compile(r"L:.*#-?[0-9]+|F:.*|A:.*|G:.*|I:[0-9]+:.*:.*", re.S)
#: callee and base kinds -> their lengths (``import`` has a numeric level second)
_REFERENCE_LENGTHS = {"def": (2,), "method": (2,), "unknown": (2,), "objcall": (1,), "self": (3,), "super": (3,),
                      "import": (3, 4)}


def _reference(reference: Tuple[str, ...], where: str) -> None:
    lengths = _REFERENCE_LENGTHS.get(reference[0] if reference else "")
    if lengths is None or len(reference) not in lengths or \
            (reference[0] == "import" and not re.fullmatch("[0-9]+", reference[1])):
        raise ValueError(f"bad summary: {where} is {reference!r}")


_CHECKERS: Dict[Any, Any] = {}


def _check(value: Any, hint: Any, where: str) -> None:
    checker = _CHECKERS.get(hint)
    if checker is None:
        checker = _CHECKERS[hint] = _checker(hint)
    if not checker(value):
        raise ValueError(f"bad summary: {where} is not {getattr(hint, '__name__', hint)}")


def _checker(hint: Any):
    import typing

    if hint is int:
        return lambda v: type(v) is int
    if hint in (str, bool):
        return lambda v: type(v) is hint
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is Union:
        parts = [_checker(a) for a in args]
        return lambda v: any(part(v) for part in parts)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _checker(args[0])
            return lambda v: type(v) is tuple and all(item(x) for x in v)
        items = [_checker(a) for a in args]
        return lambda v: type(v) is tuple and len(v) == len(items) and all(c(x) for c, x in zip(items, v))
    if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
        hints = typing.get_type_hints(hint)
        members = [(f.name, _checker(hints[f.name])) for f in fields(hint)]
        return lambda v: type(v) is hint and all(check(getattr(v, name)) for name, check in members)
    raise TypeError(f"no checker for {hint!r}")  # a new annotation: teach _checker about it
