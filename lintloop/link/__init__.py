"""The global pass: all Summaries -> one list of edges over global value ids.

Steps, in order:

1. name every file's module and every value globally
   (``module::qualname::id``, ``module::F:Class.attr``, ``A:path/template``);
2. resolve every call site (same-module functions, imports and re-exports,
   ``self.method``, methods of objects whose class is known);
3. walk functions callees-first: copy callee summaries onto call sites (or let
   data pass through an unknown call), judge filters, turn backward passes and
   diffusion sampler steps into training and generation, and summarise;
4. join files on disk whose path templates match, imported module-level
   values, and the fields of classes and their bases.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Sequence, Set, Tuple


from lintloop.extract.templates import has_literal, normalise, templates_match
from lintloop.link.edges import TRANSPARENT, GEdge, NodeInfo
from lintloop.link.filters import Memo, dependencies, judge
from lintloop.link.modules import ModuleFile, ModuleIndex
from lintloop.module_names import ModuleNamer
from lintloop.link.summaries import (
    FunctionGraph,
    FunctionSummary,
    Interface,
    compute_summary,
    instantiate,
    substitute,
)
from lintloop.summary import CallSite, Function, Summary
from lintloop.vocabulary import FILTER_WORDS, LIBRARY_ROOTS, SELF_SCORE_METHODS, is_filter_name

#: how a call's explanation step reads, by the kind of summary edge it copies
_VERBS = {"train": "trained through", "generate": "generated through", "predict": "labelled through"}
_HOLE_NAME = __import__("re").compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_IMPORTED_HOLE = __import__("re").compile(r"\{@([^{}]+)\}")


@dataclass
class LinkResult:
    edges: List[GEdge]
    nodes: Dict[str, NodeInfo]
    cells: Dict[str, Tuple[int, ...]] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)


@dataclass
class _Fn:
    key: str
    module: ModuleFile
    fn: Function
    partifacts: Dict[str, str] = field(default_factory=dict)
    raw: List[GEdge] = field(default_factory=list)
    #: call result -> {position: node} for `a, b = f()`
    unpacks: Dict[str, Dict[int, GEdge]] = field(default_factory=dict)
    markers: List[Tuple[str, Tuple[str, ...], str, object]] = field(default_factory=list)


def link(files: Sequence[Tuple[str, Summary]], root: str) -> LinkResult:
    return _Linker(files, root).run()


class _Linker:
    def __init__(self, files: Sequence[Tuple[str, Summary]], root: str) -> None:
        names = ModuleNamer([p for p, _ in files], root)
        modules: List[ModuleFile] = []
        aliases: Dict[str, str] = {}
        for path, summary in files:
            canonical, extra, package, is_package = names(path)
            modules.append(ModuleFile(path, canonical, package, summary, is_package))
            for alias in extra:
                aliases.setdefault(alias, canonical)
        self.modules = modules
        self.index = ModuleIndex(modules, aliases)
        self.nodes: Dict[str, NodeInfo] = {}
        self.functions: Dict[str, _Fn] = {}
        self.classes: Dict[str, Tuple[ModuleFile, object]] = {}
        self.constructed: Dict[str, Set[str]] = {}  # result node -> class keys
        self.resolved: Dict[Tuple[str, int], List[Tuple[str, str]]] = {}
        self.summaries: Dict[str, FunctionSummary] = {}
        self.edges: List[GEdge] = []
        self.notes: List[str] = []

    # -- ids ---------------------------------------------------------------------------

    def gid(self, fn: _Fn, ref) -> str:
        module = fn.module.name
        if isinstance(ref, int):
            return f"{fn.key}::{ref}"
        kind, _, rest = ref.partition(":")
        if kind == "L":
            qualname, _, number = rest.rpartition("#")
            return f"{module}::{qualname}::{number}"
        if kind == "F":
            return f"{module}::F:{rest}"
        if kind == "G":
            return f"{module}::G:{rest}"
        if kind == "A":
            template = self._resolve_constants(fn.module, rest)
            if _parametric(template, fn.fn.params):
                node = f"{fn.key}::A:{template}"
                fn.partifacts[node] = template
                self._global_node(node, fn.module.path, template, "artifact")
                return node
            node = "A:" + normalise(template)
            self._global_node(node, fn.module.path, template, "artifact")
            return node
        if kind == "I":
            level, _, tail = rest.partition(":")
            module_name, _, name = tail.rpartition(":")
            dotted = f"{module_name}.{name}" if module_name else name
            found = self.index.resolve(fn.module, int(level), dotted)
            if found is not None and found[1]:
                node = f"import:{found[0].name}.{found[1]}"
            else:
                node = f"{module}::I:{dotted}"
            self._global_node(node, fn.module.path, name, "global")
            return node
        return f"{module}::{ref}"

    def _resolve_constants(self, module: ModuleFile, template: str) -> str:
        def replace(match):
            dotted = match.group(1)
            level = len(dotted) - len(dotted.lstrip("."))
            found = self.index.resolve(module, level, dotted.lstrip("."))
            if found is not None:
                for name, value in found[0].summary.constants:
                    if name == found[1]:
                        return value
            return "{" + dotted.lstrip(".").rsplit(".", 1)[-1] + "}"
        return _IMPORTED_HOLE.sub(replace, template)

    def _global_node(self, node: str, path: str, text: str, kind: str) -> None:
        if node not in self.nodes:
            self.nodes[node] = NodeInfo(path, "", 0, 0, text, "", kind, True)

    # -- run ---------------------------------------------------------------------------

    def run(self) -> LinkResult:
        for module in self.modules:
            for info in module.summary.classes:
                self.classes[f"{module.name}::{info.name}"] = (module, info)
            for fn in module.summary.functions:
                key = f"{module.name}::{fn.qualname}"
                self.functions[key] = _Fn(key, module, fn)
        for fn in self.functions.values():
            self._load_function(fn)
        field_classes = self._field_classes()
        for fn in self.functions.values():
            for site in fn.fn.calls:
                self.resolved[(fn.key, site.result)] = self._resolve(fn, site, field_classes)
        for key in self._order():
            self._process(self.functions[key])
        self._join_globals(field_classes)
        cells = {m.path: m.summary.cells for m in self.modules if m.summary.cells}
        return LinkResult(self.edges, self.nodes, cells, self.notes)

    def _load_function(self, fn: _Fn) -> None:
        path = fn.module.path
        prefix = fn.key + "::"
        key = fn.key
        nodes = self.nodes

        def ref(r) -> str:  # the hot path of the global pass: plain ints first
            return prefix + str(r) if type(r) is int else self.gid(fn, r)

        for node in fn.fn.nodes:
            nodes[prefix + str(node.id)] = NodeInfo(
                path, key, node.line, node.column, node.text, node.name, node.kind, node.info,
                tuple(ref(r) for r in node.consults) if node.consults else (),
                tuple(prefix + str(loop) for loop in node.loops) if node.loops else (), node.template)
        raw = fn.raw
        for edge in fn.fn.edges:
            note = self._resolve_constants(fn.module, edge.note) if "{@" in edge.note else edge.note
            raw.append(GEdge(ref(edge.src), ref(edge.dst), edge.kind, path, edge.line,
                             edge.column, edge.end_line, edge.end_column, edge.text, note,
                             tuple(ref(r) for r in edge.extra) if edge.extra else (), function=key,
                             reads=tuple(ref(r) for r in edge.reads) if edge.reads else ()))
        for marker in fn.fn.markers:
            refs = tuple(self.gid(fn, r) for r in marker.refs)
            result = f"{fn.key}::{marker.result}" if marker.result >= 0 else ""
            fn.markers.append((marker.kind, refs, result, marker))
        for edge in fn.raw:
            for node in (edge.src, edge.dst):
                if node not in self.nodes:
                    self._global_node(node, path, node.split("::")[-1], "global")

    # -- call resolution ---------------------------------------------------------------

    def _function_key(self, module: ModuleFile, qualname: str) -> Optional[str]:
        key = f"{module.name}::{qualname}"
        return key if key in self.functions else None

    def _class_key(self, module: ModuleFile, name: str) -> Optional[str]:
        key = f"{module.name}::{name}"
        return key if key in self.classes else None

    def _bases(self, class_key: str) -> List[str]:
        module, info = self.classes[class_key]
        out = []
        for base in info.bases:  # type: ignore[attr-defined]
            if base[0] == "def":
                key = self._class_key(module, base[1])
            else:
                found = self.index.resolve(module, int(base[1]), base[2])
                key = self._class_key(found[0], found[1]) if found is not None and found[1] else None
            if key is not None and key != class_key:
                out.append(key)
        return out

    def _method(self, class_key: str, name: str, seen: Optional[Set[str]] = None) -> Optional[str]:
        seen = seen or set()
        if class_key in seen:
            return None
        seen.add(class_key)
        module, info = self.classes[class_key]
        if name in info.methods:  # type: ignore[attr-defined]
            return self._function_key(module, f"{info.name}.{name}")  # type: ignore[attr-defined]
        for base in self._bases(class_key):
            found = self._method(base, name, seen)
            if found is not None:
                return found
        return None

    def _lookup(self, module: ModuleFile, name: str, site: CallSite) -> List[Tuple[str, str]]:
        key = self._function_key(module, name)
        if key is not None:
            return [(key, "function")]
        class_key = self._class_key(module, name)
        if class_key is not None:
            return self._construct(class_key, module, site)
        if "." in name:
            owner, _, method = name.rpartition(".")
            class_key = self._class_key(module, owner)
            if class_key is not None:
                found = self._method(class_key, method)
                if found is not None:
                    return [(found, "function")]
        return []

    def _construct(self, class_key: str, module: ModuleFile, site: CallSite) -> List[Tuple[str, str]]:
        """A class call: its ``__init__`` (if the project defines one) on the new object."""
        init = self._method(class_key, "__init__")
        return [(init or "", "constructor:" + class_key)]

    def _resolve(self, fn: _Fn, site: CallSite, field_classes: Dict[str, Set[str]]) -> List[Tuple[str, str]]:
        callee = site.callee
        kind = callee[0]
        found: List[Tuple[str, str]] = []
        if kind == "def":
            found = self._lookup(fn.module, callee[1], site)
        elif kind == "import":
            target = self.index.resolve(fn.module, int(callee[1]), callee[2])
            if target is not None and target[1]:
                found = self._lookup(target[0], target[1], site)
        elif kind in ("self", "super"):
            class_key = self._class_key(fn.module, callee[1])
            if class_key is not None:
                if kind == "self":
                    method = self._method(class_key, callee[2])
                    found = [(method, "method")] if method else []
                else:
                    for base in self._bases(class_key):
                        method = self._method(base, callee[2])
                        if method:
                            found = [(method, "method")]
                            break
        elif kind == "method":
            for ref in site.receiver:
                for class_key in self._classes_of(self.gid(fn, ref), field_classes):
                    method = self._method(class_key, callee[1])
                    if method and (method, "method") not in found:
                        found.append((method, "method"))
        for _, mode in found:
            if mode.startswith("constructor:"):
                self.constructed.setdefault(f"{fn.key}::{site.result}", set()).add(mode.split(":", 1)[1])
        return found

    def _classes_of(self, ref: str, field_classes: Dict[str, Set[str]]) -> Set[str]:
        return self.constructed.get(ref, set()) | field_classes.get(ref, set())

    def _field_classes(self) -> Dict[str, Set[str]]:
        """Classes of objects stored in fields and module-level names (``self.agent = Agent()``)."""
        # constructor calls first, so stores of their results can be typed
        for fn in self.functions.values():
            for site in fn.fn.calls:
                if site.callee[0] in ("def", "import"):
                    self._resolve(fn, site, {})
        out: Dict[str, Set[str]] = {}
        for fn in self.functions.values():
            for edge in fn.raw:
                if edge.kind in ("store", "flow") and edge.src in self.constructed:
                    out.setdefault(edge.dst, set()).update(self.constructed[edge.src])
        return out

    def _order(self) -> List[str]:
        import networkx as nx  # the call graph's strongly connected components

        graph = nx.DiGraph()
        graph.add_nodes_from(self.functions)
        for (caller, _), targets in self.resolved.items():
            for callee, _ in targets:
                if callee:
                    graph.add_edge(caller, callee)
        order: List[str] = []
        condensed = nx.condensation(graph)
        for component in reversed(list(nx.topological_sort(condensed))):
            members = sorted(condensed.nodes[component]["members"])
            order.extend(members)
            if len(members) > 1:
                order.extend(members)  # recursion: a second pass sees the first's summaries
        return order

    # -- per-function processing ------------------------------------------------------

    def _process(self, fn: _Fn) -> None:
        fg = FunctionGraph(fn.key)
        for edge in fn.raw:
            if edge.kind == "unpack":
                fn.unpacks.setdefault(edge.src, {})[int(edge.text)] = edge
            else:
                fg.add(edge)
        markers = [(kind, refs, result, marker) for kind, refs, result, marker in fn.markers]
        for site in fn.fn.calls:
            self._link_call(fn, fg, site, markers)
        self._judge_filters(fg)
        self._promote(fn, fg, markers)
        params = [f"{fn.key}::{n}" for n in fn.fn.param_nodes]
        positions = [f"{fn.key}::{n}" for n in fn.fn.return_positions]
        iface = Interface(fg, params, f"{fn.key}::{fn.fn.return_node}", fn.partifacts, fn.key + "::", positions)
        self.summaries[fn.key] = compute_summary(fg, iface, self.nodes,
                                                 [(k, refs) for k, refs, _, _ in markers])
        self.edges.extend(fg.edges)

    def _link_call(self, fn: _Fn, fg: FunctionGraph, site: CallSite, markers: list) -> None:
        targets = self.resolved.get((fn.key, site.result), [])
        result = f"{fn.key}::{site.result}"
        path = fn.module.path
        receiver = {self.gid(fn, r) for r in site.receiver}
        args = [{self.gid(fn, r) for r in refs} for refs in site.args]
        kwargs = {k: {self.gid(fn, r) for r in refs} for k, refs in site.kwargs}
        linked = False
        unpacks = fn.unpacks.get(result, {})
        positional = False
        for callee_key, mode in targets:
            if mode.startswith("constructor:") and not callee_key:
                self._default(fn, fg, site, result, receiver, args, kwargs, constructor=True)
                linked = True
                continue
            summary = self.summaries.get(callee_key)
            callee = self.functions[callee_key]
            if summary is None:
                continue  # recursion on the first pass
            linked = True
            bound = mode in ("method",) or mode.startswith("constructor:")
            first = {result} if mode.startswith("constructor:") else receiver
            mapping = self._param_map(callee.fn, first if bound else None, args, kwargs, site.star)
            note = f"through `{callee.fn.qualname}()`"
            if callee.module.path != path:
                note += f" in {callee.module.path}"

            by_position = bool(unpacks) and len(callee.fn.return_positions) >= len(unpacks)
            positional = positional or by_position

            def resolve_iface(point, _mapping=mapping, _result=result, _callee=callee, _by_position=by_position):
                kind = point[0]
                if kind == "param":
                    return _mapping.get(point[1], set())
                if kind == "ret":
                    return {_result}
                if kind == "retpos":
                    if _by_position and point[1] in unpacks:
                        return {unpacks[point[1]].dst}
                    return set() if _by_position else {_result}
                if kind == "global":
                    return {point[1]}
                if kind == "partifact":
                    values = {name: self._template_of(_mapping.get(i, set()))
                              for i, name in enumerate(_callee.fn.params)}
                    filled = substitute(point[1], values)
                    if filled is None:
                        return set()
                    node = "A:" + normalise(filled)
                    self._global_node(node, path, filled, "artifact")
                    return {node}
                return set()

            def make_edges(sources, targets, kind, via, extra, judges, target_kind, _note=note, _result=result):
                pairs = [(src, dst) for src in sorted(sources) for dst in sorted(targets) if src != dst]
                if kind == "alias":
                    return [GEdge(src, dst, kind, path, site.line, site.column, site.end_line, site.end_column,
                                  site.text, "", (), (), None, False, fn.key) for src, dst in pairs]
                if kind == "train":
                    extra = self.nodes[_result].loops  # the loops around this call site
                here = (path, site.line, site.column, _note.replace("through", _VERBS.get(kind, "through"), 1))
                # the explanation reads in data order: into the call, or out of it
                steps = via + (here,) if target_kind in ("ret", "retpos") else (here,) + via
                return [GEdge(src, dst, kind, path, site.line, site.column, site.end_line, site.end_column,
                              site.text, "", extra, steps, judges, False, fn.key) for src, dst in pairs]

            for edge in instantiate(summary, resolve_iface, make_edges):
                fg.add(edge)
            for index in summary.backward_params:
                loss = mapping.get(index, set())
                if loss:
                    markers.append(("backward", tuple(sorted(loss)), "", site))
            if summary.return_source:
                self.nodes[result].source = summary.return_source
            if summary.return_info:
                info = self.nodes[result]
                info.info = True
                info.consults = tuple(sorted({n for point in summary.return_consults for n in resolve_iface(point)}))
        if not linked:
            self._default(fn, fg, site, result, receiver, args, kwargs)
        if not positional:
            for edge in unpacks.values():  # each unpacked name gets the whole result
                fg.add(edge.copy(kind="flow", text=site.text))

    def _default(self, fn: _Fn, fg: FunctionGraph, site: CallSite, result: str, receiver: Set[str],
                 args: List[Set[str]], kwargs: Dict[str, Set[str]], constructor: bool = False) -> None:
        """An unknown call: data passes through it (and a judge's name makes it a judge)."""
        sources = set(receiver)
        for refs in args:
            sources |= refs
        for refs in kwargs.values():
            sources |= refs
        info = self.nodes[result]
        name = site.name
        is_method = site.callee[0] == "method"
        root = site.callee[2].split(".", 1)[0] if site.callee[0] == "import" else ""
        judged_by_name = root not in LIBRARY_ROOTS and (
            is_filter_name(name) or (is_method and any(w in FILTER_WORDS for w in _receiver_words(site.text))))
        if is_method and name in SELF_SCORE_METHODS:
            judged_by_name = True
        note = f"`{info.name}` = {site.text}" if info.name and info.kind != "elem" else ""
        if judged_by_name:
            info.info = True
            info.consults = tuple(sorted(receiver)) if is_method else ()
            judges = frozenset(receiver) if is_method else frozenset()
            for src in sorted(sources - receiver):
                fg.add(GEdge(src, result, "filter", fn.module.path, site.line, site.column, site.end_line,
                             site.end_column, site.text, f"filtered by {site.text}", (), (), judges,
                             not is_method, fn.key))
            for src in sorted(receiver):
                fg.add(GEdge(src, result, "flow", fn.module.path, site.line, site.column, site.end_line,
                             site.end_column, site.text, note, function=fn.key))
            return
        if site.callee[0] in ("def", "import", "unknown") and not constructor:
            self.notes.append(f"{fn.module.path}:{site.line}:{site.column}: `{site.text}` is not resolved; "
                              "data is assumed to pass through it")
        for src in sorted(sources):
            fg.add(GEdge(src, result, "flow", fn.module.path, site.line, site.column, site.end_line,
                         site.end_column, site.text, note, function=fn.key))

    def _param_map(self, callee: Function, first: Optional[Set[str]], args: List[Set[str]],
                   kwargs: Dict[str, Set[str]], star: bool) -> Dict[int, Set[str]]:
        mapping: Dict[int, Set[str]] = {}
        offset = 0
        if first is not None:
            mapping[0] = set(first)
            offset = 1
        params = callee.params
        if star:
            everything = set().union(*args, *kwargs.values()) if (args or kwargs) else set()
            for index in range(offset, len(params)):
                mapping[index] = set(everything)
            return mapping
        for position, refs in enumerate(args):
            index = position + offset
            if index < len(params):
                mapping.setdefault(index, set()).update(refs)
            elif params:
                mapping.setdefault(len(params) - 1, set()).update(refs)
        for name, refs in kwargs.items():
            if name in params:
                mapping.setdefault(params.index(name), set()).update(refs)
            elif params:
                mapping.setdefault(len(params) - 1, set()).update(refs)
        return mapping

    def _template_of(self, refs: Set[str]) -> Optional[str]:
        found = {self.nodes[r].template for r in refs if r in self.nodes and self.nodes[r].template}
        if len(found) == 1:
            return found.pop()
        return None

    def _judge_filters(self, fg: FunctionGraph) -> None:
        """Judge every selection of a function on the graph as it stands, then apply the
        verdicts (so no verdict depends on the order filters were judged in)."""
        pending = [edge for edge in fg.edges if edge.kind == "filter" and edge.judges is None]
        if not pending:
            return
        memo = Memo(dependencies(fg.inc))
        verdicts = [(edge, judge(edge, memo, self.nodes)) for edge in pending]
        for edge, (verdict, judges, foreign) in verdicts:
            if verdict == "open":
                edge.kind = "flow"
            else:
                edge.judges = judges
                edge.foreign = foreign

    def _promote(self, fn: _Fn, fg: FunctionGraph, markers: list) -> None:
        """Backward passes make forward passes training; sampler steps make them generation."""
        if not markers:
            return
        forwards = [e for e in fg.edges if e.kind == "forward"]
        if not forwards:
            return
        for kind, refs, result, marker in markers:
            ancestors = _ancestors(fg, refs)
            for edge in forwards:
                if edge.dst not in ancestors:
                    continue
                line, column = marker.line, marker.column
                end_line, end_column = marker.end_line, marker.end_column
                if kind == "backward":
                    loops = self.nodes[edge.dst].loops if edge.dst in self.nodes else ()
                    for data in edge.extra:
                        # the loss goes along: a reward in it is information from outside
                        fg.add(GEdge(data, edge.src, "train", fn.module.path, line, column, end_line, end_column,
                                     marker.text, f"trained: {marker.text}", loops, edge.via + (edge.step(),),
                                     function=fn.key, reads=tuple(refs)))
                elif kind == "sampler" and result:
                    fg.add(GEdge(edge.src, result, "generate", fn.module.path, line, column, end_line, end_column,
                                 marker.text, f"generated by the sampling loop: {marker.text}", (),
                                 edge.via + (edge.step(),), function=fn.key))

    # -- cross-module joins ---------------------------------------------------------------

    def _join_globals(self, field_classes: Dict[str, Set[str]]) -> None:
        extra: List[GEdge] = []

        def alias(a: str, b: str, path: str, line: int, note: str) -> None:
            extra.append(GEdge(a, b, "alias", path, line, 1, line, 1, "", note))

        # files on disk: writes and reads whose path templates match
        artifacts = sorted({n for n in self.nodes if n.startswith("A:")})
        buckets: Dict[str, List[str]] = {}
        for node in artifacts:
            template = node[2:]
            buckets.setdefault(os.path.splitext(template)[1], []).append(node)
        for group in buckets.values():
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    if templates_match(a[2:], b[2:]):
                        alias(a, b, self.nodes[a].path, 0, f"`{a[2:]}` is `{b[2:]}`")
        # imported module-level values
        for node in [n for n in self.nodes if n.startswith("import:")]:
            dotted = node[len("import:"):]
            module_name, _, name = dotted.rpartition(".")
            module = self.index.by_name.get(module_name)
            if module is None:
                continue
            for binding, refs in module.summary.bindings:
                if binding == name:
                    owner = self.functions.get(f"{module.name}::<module>")
                    if owner is None:
                        continue
                    for ref in refs:
                        alias(node, self.gid(owner, ref), module.path, 0, f"imported from {module.path}")
        # instance attributes read outside the class, and fields shared with base classes
        for fn in self.functions.values():
            for edge in fn.raw:
                if edge.kind == "attr":
                    for class_key in sorted(self._classes_of(edge.src, field_classes)):
                        module, info = self.classes[class_key]
                        alias(edge.dst, f"{module.name}::F:{info.name}.{edge.text}", edge.path, edge.line, "")  # type: ignore[attr-defined]
        fields = [n for n in self.nodes if "::F:" in n]
        field_set = set(fields)
        by_class: Dict[str, Set[str]] = {}
        for node in fields:
            module_name, _, rest = node.partition("::F:")
            class_name, _, attr = rest.partition(".")
            by_class.setdefault(f"{module_name}::{class_name}", set()).add(attr)
        for class_key, attrs in by_class.items():
            if class_key not in self.classes:
                continue
            stack = list(self._bases(class_key))
            seen: Set[str] = set()
            while stack:
                base = stack.pop()
                if base in seen:
                    continue
                seen.add(base)
                stack.extend(self._bases(base))
                base_module, base_info = self.classes[base]
                for attr in sorted(attrs):
                    inherited = f"{base_module.name}::F:{base_info.name}.{attr}"  # type: ignore[attr-defined]
                    if inherited not in field_set:
                        # the base's own code never touches it: sibling classes that both set
                        # `transduction_` hold different objects, not one shared field
                        continue
                    module_name = class_key.split("::")[0]
                    alias(f"{module_name}::F:{class_key.split('::')[1]}.{attr}", inherited, "", 0, "")
        for edge in extra:
            for node in (edge.src, edge.dst):
                if node not in self.nodes:
                    self._global_node(node, edge.path, node.split("::")[-1], "global")
        self.edges.extend(extra)


def _parametric(template: str, params: Sequence[str]) -> bool:
    """A path that only its caller knows: ``{path}`` or ``{out_dir}/{name}.json`` built from parameters.

    ``out/gen_{round_index}.jsonl`` is not: its literal part names the file family already.
    """
    holes = _HOLE_NAME.findall(template)
    if not any(name in params for name in holes):
        return False
    return not has_literal(template)


def _ancestors(fg: FunctionGraph, refs: Iterable[str]) -> Set[str]:
    seen = set(refs)
    queue = deque(seen)
    while queue:
        node = queue.popleft()
        for edge in fg.inc.get(node, ()):
            if (edge.kind in TRANSPARENT or edge.kind == "filter") and edge.src not in seen:
                seen.add(edge.src)
                queue.append(edge.src)
    return seen


def _receiver_words(text: str) -> List[str]:
    from lintloop.vocabulary import name_words

    head = text.split("(", 1)[0]
    parts = head.split(".")[:-1]
    return [w for part in parts for w in name_words(part)]
