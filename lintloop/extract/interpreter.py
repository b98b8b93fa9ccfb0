"""Abstract interpretation of one function body into a value-flow graph.

The walk is flow-sensitive: the environment maps each variable to the values
it may hold *at this point*, branches are merged, and loop bodies are walked
until the environment stops changing, so ``data = model.sample()`` at the end
of a ``for`` body reaches ``model.fit(data)`` at its top on the next round.
Plain assignment shares values (``a = b`` aliases); new values are made by
calls, containers, comprehensions and attribute reads.

Selection is recorded, not judged: a flow under an ``if``, a comprehension
condition or a ``filter()`` becomes a ``filter`` edge carrying the predicate's
values; the global pass decides whether that predicate brings information.
"""

from __future__ import annotations

import ast
import builtins
import re
from typing import Dict, List, Optional, Set, Tuple

from lintloop.extract.builder import FunctionBuilder
from lintloop.extract.scope import FunctionFacts, ModuleScope, imports_of
from lintloop.extract.templates import template_of
from lintloop.extract.values import EMPTY, NO_PREDICATE, Predicate, Refs, Seq, Tup, Value, flat, merge, union
from lintloop.summary import Import, Ref
from lintloop.vocabulary import IDENTITY_ATTRIBUTES, NON_DATA_ATTRIBUTES, PIPELINE_COMPONENTS

_EXITS = (ast.Continue, ast.Return, ast.Break, ast.Raise)
_GUARDING_EXITS = (ast.Continue, ast.Return, ast.Raise)
#: expressions whose value is new (arithmetic, comparisons), never one of their operands
_COMPUTED = (ast.BinOp, ast.UnaryOp, ast.Compare)
_BUILTINS = frozenset(dir(builtins))
_STRINGISH = (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Call)
_ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_MATCHING = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)
_TABLE_NAME = re.compile(r"^(itos|stoi|vocab|vocabulary|alphabet|chars|charset|id2\w+|idx2\w+|index2\w+|"
                         r"\w+_vocab|\w*_?to_(char|token|word|label|idx|id|ix|index)s?|i2\w+|\w+2(idx|id|ix)|"
                         r"decoder|encoder_map|lookup|table|mapping|classes_?|label_names|"
                         r"class_names|target_names)$")
_MAX_LOOP_PASSES = 3


class ModuleState:
    """Facts shared by all functions of one module while it is interpreted."""

    def __init__(self) -> None:
        #: object tags by module-unique key: trainer, pl_trainer, generator, predictor,
        #: env, handle, gradfn, dataframe, distribution, rng, path
        self.tags: Dict[str, Set[str]] = {}
        #: string templates by module-unique key
        self.templates: Dict[str, str] = {}
        #: module-level name -> refs (as seen from functions)
        self.module_bindings: Dict[str, Refs] = {}


class Interpreter:
    def __init__(self, scope: ModuleScope, state: ModuleState, builder: FunctionBuilder,
                 closure: Optional[Dict[str, Refs]] = None, self_name: str = "",
                 facts: Optional[FunctionFacts] = None, is_module: bool = False, cls: str = "") -> None:
        self.scope = scope
        self.state = state
        self.b = builder
        self.cls = cls or builder.cls
        self.self_name = self_name
        self.is_module = is_module
        self.closure = closure or {}
        self.env: Dict[str, Value] = {}
        self.all_bindings: Dict[str, Set[Ref]] = {}
        self.locals: Set[str] = facts.locals if facts is not None and not is_module else set()
        self.globals: Set[str] = facts.globals if facts is not None and not is_module else set()
        self.local_imports: Dict[str, Import] = {}
        self.local_defs: Dict[str, str] = {}
        self.nested: List[Tuple[ast.AST, str]] = []
        self.loops: List[int] = []
        self.guards: List[Predicate] = []
        self.no_grad = 0
        self._last_test: Predicate = NO_PREDICATE
        self._recorders: List[Set[Ref]] = []
        self._loop_cache: Dict[int, Tuple[Dict[str, Value], Dict[str, Value], int]] = {}

    # -- helpers -------------------------------------------------------------------

    def key(self, ref: Ref) -> str:
        """A module-unique key for a ref (tags and templates are module-wide)."""
        return f"L:{self.b.qualname}#{ref}" if isinstance(ref, int) else ref

    def tags_of(self, refs: Refs) -> Set[str]:
        out: Set[str] = set()
        for ref in refs:
            out |= self.state.tags.get(self.key(ref), set())
        return out

    def tag(self, ref: Ref, tag: str) -> None:
        self.state.tags.setdefault(self.key(ref), set()).add(tag)

    def template_of_refs(self, refs: Refs) -> Optional[str]:
        found = {self.state.templates.get(self.key(r)) for r in refs}
        found.discard(None)
        return found.pop() if len(found) == 1 else None

    def node(self, tag: str, at: ast.AST, kind: str, text: str = "", extra=None) -> int:
        return self.b.node_for(tag, at, kind, text, tuple(self.loops), extra, self.scope.snippet)

    def flow(self, sources: Refs, dst: Ref, at: ast.AST, text: str = "", note: str = "",
             kind: str = "flow") -> None:
        """Data moves from sources into dst; under an ``if`` it is a selection."""
        guard = self.guard()
        for src in sources:
            if guard and kind in ("flow", "store"):
                self.b.edge(src, dst, "filter", at, guard.text or text, note, tuple(guard.values),
                            tuple(guard.reads))
            else:
                self.b.edge(src, dst, kind, at, text, note)

    def guard(self) -> Predicate:
        out = NO_PREDICATE
        for guard in self.guards:
            out = out | guard
        return out

    def template(self, expr: ast.AST) -> Optional[str]:
        return template_of(expr, self._name_template, self.qualify, self.scope.snippet)

    def _name_template(self, name: str) -> Optional[str]:
        refs = flat(self.lookup(name))
        found = self.template_of_refs(refs) if refs else None
        if found is not None:
            return found
        imp = self.local_imports.get(name) or self.scope.imports.get(name)
        if imp is not None and imp.name:
            return "{@" + "." * imp.level + (imp.module + "." if imp.module else "") + imp.name + "}"
        return None

    def qualify(self, expr: ast.AST) -> Optional[str]:
        return self.scope.qualify(expr, self.local_imports)

    # -- names ---------------------------------------------------------------------

    def lookup(self, name: str) -> Value:
        if name in self.env:
            return self.env[name]
        if name in self.locals and not self.is_module:
            return EMPTY
        if name in self.globals:
            return frozenset({f"G:{name}"}) | self.state.module_bindings.get(name, EMPTY)
        if name in self.closure:
            return self.closure[name]
        if not self.is_module and name in self.state.module_bindings:
            return self.state.module_bindings[name]
        imp = self.local_imports.get(name) or self.scope.imports.get(name)
        if imp is not None:
            return frozenset({f"I:{imp.level}:{imp.module}:{imp.name}"}) if imp.name else EMPTY
        if name in self.scope.functions or name in self.scope.classes or name in _BUILTINS:
            return EMPTY
        # defined nowhere we can see (a star import, a notebook's earlier kernel state):
        # one shared value per name, so `clf` is the same object everywhere
        return frozenset({f"G:{name}"})

    def bind_name(self, name: str, value: Value, at: ast.AST, value_expr: Optional[ast.AST] = None) -> None:
        refs = flat(value)
        if value_expr is not None and isinstance(value_expr, _STRINGISH) and self.template_of_refs(refs) is None:
            # a path or name built from pieces: remember its template, keep its data
            template = self.template(value_expr)
            if template is not None:
                lit = self.node("lit", value_expr, "lit" if not refs else "value", self.scope.snippet(value_expr))
                self.b.nodes[lit].template = template
                self.state.templates[self.key(lit)] = template
                for ref in refs:
                    self.b.edge(ref, lit, "flow", value_expr, self.scope.snippet(value_expr))
                value = refs = frozenset({lit})
        guard = self.guard()
        if guard and refs:
            guarded = self.node("guarded", at, "value", name, extra=name)
            self.b.nodes[guarded].name = self.b.nodes[guarded].name or name
            for src in refs:
                self.b.edge(src, guarded, "filter", at, guard.text or self.scope.snippet(at), f"kept in `{name}`",
                            tuple(guard.values), tuple(guard.reads))
            value = refs = frozenset({guarded})
        for ref in refs:
            if isinstance(ref, int) and not self.b.nodes[ref].name:
                self.b.nodes[ref].name = name
        if name in self.globals:
            for ref in refs:
                self.b.edge(ref, f"G:{name}", "store", at, self.scope.snippet(at), f"stored in global `{name}`")
                self.b.edge(ref, f"G:{name}", "identity", at, "")
        self.env[name] = value
        self.all_bindings.setdefault(name, set()).update(refs)

    # -- statements ----------------------------------------------------------------

    def run(self, body: List[ast.stmt]) -> None:
        self.block(body)

    def block(self, body: List[ast.stmt]) -> None:
        pushed = 0
        for stmt in body:
            self.statement(stmt)
            if isinstance(stmt, ast.If) and stmt.body and isinstance(stmt.body[-1], _GUARDING_EXITS) and not stmt.orelse:
                # `if not ok: continue` guards the rest of the block; `if done: break` does
                # not: it decides how many rounds run, not which items are kept
                test = self._last_test
                if test:
                    self.guards.append(test)
                    pushed += 1
        for _ in range(pushed):
            self.guards.pop()

    def statement(self, stmt: ast.stmt) -> None:
        method = getattr(self, "stmt_" + type(stmt).__name__, None)
        if method is not None:
            method(stmt)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self.expr(child)

    def stmt_Expr(self, stmt: ast.Expr) -> None:
        self.expr(stmt.value)

    def stmt_Assign(self, stmt: ast.Assign) -> None:
        value = self.expr(stmt.value)
        for target in stmt.targets:
            self.bind(target, value, stmt, stmt.value)

    def stmt_AnnAssign(self, stmt: ast.AnnAssign) -> None:
        if stmt.value is not None:
            self.bind(stmt.target, self.expr(stmt.value), stmt, stmt.value)

    def stmt_AugAssign(self, stmt: ast.AugAssign) -> None:
        value = flat(self.expr(stmt.value))
        target = stmt.target
        current = flat(self.expr(target)) if not isinstance(target, ast.Name) else flat(self.lookup(target.id))
        if isinstance(target, ast.Name):
            mutable = {r for r in current if isinstance(r, int) and self.b.nodes[r].kind in ("container", "call", "elem", "param")}
            label = target.id
            for dst in mutable or current:
                self.flow(value, dst, stmt, self.scope.snippet(stmt), f"added to `{label}`")
            if not current:
                self.bind_name(target.id, value, stmt)
            elif value and not mutable:
                self.bind_name(target.id, current | value, stmt)
        else:
            for dst in current:
                self.flow(value, dst, stmt, self.scope.snippet(stmt), f"added to `{self.scope.snippet(target)}`")
            if isinstance(target, ast.Attribute):
                self.store_attribute(target, value, stmt)

    def stmt_Return(self, stmt: ast.Return) -> None:
        if stmt.value is None:
            self.b.return_arities.add(0)
            return
        value = self.expr(stmt.value)
        note = f"returned by `{self.b.qualname.rsplit('.', 1)[-1]}()`"
        targets = [(flat(value), self.b.return_node)]
        if isinstance(stmt.value, ast.Tuple) and isinstance(value, Tup) and not any(
                isinstance(e, ast.Starred) for e in stmt.value.elts):
            self.b.return_arities.add(len(value.items))
            targets += [(flat(item), self.b.return_position(i)) for i, item in enumerate(value.items)]
        else:
            self.b.return_arities.add(0)
        # the caller gets this very object (a model keeps its identity), unless the value is
        # computed: `np.sum(r) / (n - self.fit_intercept)` is a new number, not the field
        computed = isinstance(stmt.value, _COMPUTED)
        for refs, node in targets:
            self.flow(refs, node, stmt, self.scope.snippet(stmt.value), note)
            if computed:
                continue
            for ref in refs:
                self.b.edge(ref, node, "returns", stmt, "")

    def stmt_If(self, stmt: ast.If) -> None:
        self._last_test = self._if(stmt)

    def _if(self, stmt: ast.If) -> Predicate:
        test = self.predicate_refs(stmt.test)
        before = dict(self.env)
        if test:
            self.guards.append(test)
        self.block(stmt.body)
        after_body = self.env
        self.env = dict(before)
        self.block(stmt.orelse)
        if test:
            self.guards.pop()
        body_exits = bool(stmt.body) and isinstance(stmt.body[-1], _EXITS)
        else_exits = bool(stmt.orelse) and isinstance(stmt.orelse[-1], _EXITS)
        if body_exits and not else_exits:
            return test  # only the else-branch environment continues
        if else_exits and not body_exits:
            self.env = after_body
            return test
        self.env = _merge_env(after_body, self.env)
        return test

    def _loop(self, stmt: ast.AST, body: List[ast.stmt], orelse: List[ast.stmt], before_each) -> None:
        loop_id = self.b.new_node(("loop", stmt.lineno, stmt.col_offset), "loop", stmt.lineno,  # type: ignore[attr-defined]
                                  stmt.col_offset + 1, "loop", tuple(self.loops))  # type: ignore[attr-defined]
        entry = dict(self.env)
        cached = self._loop_cache.get(loop_id)
        if cached is not None and cached[0] == entry and cached[2] == self.no_grad and not self.guards:
            # walked before from this very environment (an enclosing loop's second pass):
            # nodes and edges are keyed by position, so walking again would add nothing
            self.env = dict(cached[1])
            return
        self.loops.append(loop_id)
        for _ in range(_MAX_LOOP_PASSES):
            start = dict(self.env)
            before_each()
            self.block(body)
            self.env = _merge_env(start, self.env)
            if self.env == start:
                break
        self.env = _merge_env(entry, self.env)
        self.loops.pop()
        self.block(orelse)
        if not self.guards:
            self._loop_cache[loop_id] = (entry, dict(self.env), self.no_grad)

    def stmt_For(self, stmt: ast.For) -> None:
        iterable = self.expr(stmt.iter)
        self._loop(stmt, stmt.body, stmt.orelse,
                   lambda: self.bind(stmt.target, self.item_of(iterable, stmt.target, stmt.iter), stmt))

    stmt_AsyncFor = stmt_For

    def stmt_While(self, stmt: ast.While) -> None:
        self._loop(stmt, stmt.body, stmt.orelse, lambda: self.expr(stmt.test))

    def stmt_With(self, stmt: ast.With) -> None:
        entered_no_grad = 0
        for item in stmt.items:
            call = item.context_expr
            if isinstance(call, ast.Call) and self.qualify(call.func) in ("torch.no_grad", "torch.inference_mode"):
                entered_no_grad += 1
            value = self.expr(call)
            if item.optional_vars is not None:
                self.bind(item.optional_vars, value, stmt, call)
        self.no_grad += entered_no_grad
        self.block(stmt.body)
        self.no_grad -= entered_no_grad

    stmt_AsyncWith = stmt_With

    def stmt_Try(self, stmt: ast.AST) -> None:
        before = dict(self.env)
        self.block(stmt.body)  # type: ignore[attr-defined]
        after = self.env
        for handler in stmt.handlers:  # type: ignore[attr-defined]
            self.env = _merge_env(before, after)
            if handler.type is not None:
                self.expr(handler.type)
            self.block(handler.body)
            after = _merge_env(after, self.env)
        self.env = after
        self.block(stmt.orelse)  # type: ignore[attr-defined]
        self.block(stmt.finalbody)  # type: ignore[attr-defined]

    stmt_TryStar = stmt_Try

    def stmt_Match(self, stmt: ast.AST) -> None:
        subject = self.expr(stmt.subject)  # type: ignore[attr-defined]
        before = dict(self.env)
        merged = None
        for case in stmt.cases:  # type: ignore[attr-defined]
            self.env = dict(before)
            for sub in ast.walk(case.pattern):
                name = getattr(sub, "name", None)
                if isinstance(name, str):
                    self.bind_name(name, flat(subject), case.pattern)
            if case.guard is not None:
                self.expr(case.guard)
            self.block(case.body)
            merged = self.env if merged is None else _merge_env(merged, self.env)
        self.env = _merge_env(before, merged) if merged is not None else before

    def stmt_FunctionDef(self, stmt: ast.FunctionDef) -> None:
        if self.is_module:
            return  # module-level functions are interpreted on their own
        for decorator in stmt.decorator_list:
            self.expr(decorator)
        qualname = f"{self.b.qualname}.{stmt.name}"
        self.local_defs[stmt.name] = qualname
        self.nested.append((stmt, qualname))

    stmt_AsyncFunctionDef = stmt_FunctionDef

    def stmt_ClassDef(self, stmt: ast.ClassDef) -> None:
        if self.is_module:
            # class-level attributes: `model = AutoModel.from_pretrained(...)` in a class body
            for item in stmt.body:
                if isinstance(item, ast.Assign):
                    value = flat(self.expr(item.value))
                    for target in item.targets:
                        if isinstance(target, ast.Name):
                            for ref in value:
                                self.b.edge(ref, f"F:{stmt.name}.{target.id}", "store", item, self.scope.snippet(item))
                                self.b.edge(ref, f"F:{stmt.name}.{target.id}", "identity", item, "")

    def stmt_Import(self, stmt: ast.AST) -> None:
        if not self.is_module:
            for imp in imports_of(stmt):
                self.local_imports[imp.local] = imp

    stmt_ImportFrom = stmt_Import

    def stmt_Global(self, stmt: ast.Global) -> None:
        return

    stmt_Nonlocal = stmt_Global

    def stmt_Delete(self, stmt: ast.Delete) -> None:
        return

    # -- binding -------------------------------------------------------------------

    def bind(self, target: ast.AST, value: Value, at: ast.AST, value_expr: Optional[ast.AST] = None) -> None:
        if isinstance(target, ast.Name):
            self.bind_name(target.id, value, at, value_expr)
        elif isinstance(target, (ast.Tuple, ast.List)):
            elts = target.elts
            starred = any(isinstance(e, ast.Starred) for e in elts)
            if isinstance(value, Tup) and len(value.items) == len(elts) and not starred:
                sub_exprs = value_expr.elts if isinstance(value_expr, (ast.Tuple, ast.List)) and len(value_expr.elts) == len(elts) else [None] * len(elts)  # type: ignore[attr-defined]
                for elt, item, sub in zip(elts, value.items, sub_exprs):
                    self.bind(elt, item, at, sub)
            elif not starred and self._single_call(value):
                # `tokenizer, model = load()`: one value per position, matched to the
                # callee's `return a, b` by the linker
                result = next(iter(flat(value)))
                for index, elt in enumerate(elts):
                    part = self.b.new_node(("unpack", result, index), "elem", getattr(elt, "lineno", 1),
                                           getattr(elt, "col_offset", 0) + 1, self.scope.snippet(elt), tuple(self.loops))
                    self.b.edge(result, part, "unpack", at, str(index))
                    self.bind(elt, frozenset({part}), at)
            else:
                refs = flat(value)
                for elt in elts:
                    self.bind(elt.value if isinstance(elt, ast.Starred) else elt, refs, at)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, value, at)
        elif isinstance(target, ast.Attribute):
            self.store_attribute(target, flat(value), at)
        elif isinstance(target, ast.Subscript):
            container = flat(self.expr(target.value))
            # x[i, char_to_idx[ch]] = 1.0: where a value is stored carries data too (one-hot encoding)
            index = flat(self.expr(target.slice))
            label = self.scope.snippet(target.value)
            for dst in container:
                self.flow(flat(value) | index, dst, at, self.scope.snippet(at), f"stored in `{label}`")

    def _single_call(self, value: Value) -> bool:
        refs = flat(value)
        if len(refs) != 1:
            return False
        ref = next(iter(refs))
        return isinstance(ref, int) and ref in self.b.calls

    def store_attribute(self, target: ast.Attribute, refs: Refs, at: ast.AST) -> None:
        text = self.scope.snippet(at)
        note = f"stored in `{self.scope.snippet(target)}`"
        tags = self.tags_of(refs)
        for owner_field in self.attribute_refs(target, create=True):
            for tag in tags:
                self.tag(owner_field, tag)  # self.pipe = pipeline(...) keeps being a pipeline
            self.flow(refs, owner_field, at, text, note, kind="store")
            for ref in refs:
                self.b.edge(ref, owner_field, "identity", at, "")

    def attribute_refs(self, expr: ast.Attribute, create: bool = False) -> Refs:
        """The refs of ``x.attr``: a class field for ``self.attr``, else a field node per owner."""
        if isinstance(expr.value, ast.Name) and expr.value.id == self.self_name and self.cls:
            return frozenset({f"F:{self.cls}.{expr.attr}"})
        if self.qualify(expr.value) is not None and not flat(self.lookup(_head(expr.value))):
            return EMPTY  # attribute of an imported module (torch.float16)
        owners = flat(self.expr(expr.value))
        return frozenset(self.field(owner, expr.attr, expr) for owner in owners)

    def field(self, owner: Ref, attr: str, at: ast.AST) -> Ref:
        """The node for ``owner.attr`` (one per owner and attribute)."""
        key = ("field", owner, attr)
        existing = self.b.has_key(key)
        if existing is not None:
            return existing
        line, column = getattr(at, "lineno", 1), getattr(at, "col_offset", 0) + 1
        node = self.b.new_node(key, "attr", line, column, self.scope.snippet(at), tuple(self.loops))
        text = self.scope.snippet(at)
        owner_tags = self.tags_of(frozenset({owner}))
        if (attr in IDENTITY_ATTRIBUTES and "trainer" not in owner_tags) or (
                "generator" in owner_tags and attr in PIPELINE_COMPONENTS):
            self.b.edge(owner, node, "alias", at, text)
        else:
            self.b.edge(owner, node, "flow", at, text)
        self.b.edge(owner, node, "attr", at, attr)
        return node

    def item_of(self, iterable: Value, target: ast.AST, at: ast.AST) -> Value:
        """The value of one item when iterating over ``iterable``."""
        if isinstance(iterable, Seq):
            return iterable.item
        if isinstance(iterable, Tup):
            return union(iterable.items)
        refs = flat(iterable)
        if not refs:
            return EMPTY
        elem = self.node("elem", at, "elem", self.scope.snippet(at))
        for ref in refs:
            self.b.edge(ref, elem, "flow", at, self.scope.snippet(at))
        return frozenset({elem})

    # -- expressions ---------------------------------------------------------------

    def expr(self, node: Optional[ast.AST]) -> Value:
        if node is None:
            return EMPTY
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is not None:
            value = method(node)
        else:
            value = union(self.expr(child) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))
        if self._recorders:
            refs = flat(value)
            for recorder in self._recorders:
                recorder |= refs
        return value

    def predicate_refs(self, test: ast.AST) -> Predicate:
        """A condition's verdict values and everything it reads: ``passes_tests(code)``
        reads ``code`` even when the verdict carries none of its data."""
        recorder: Set[Ref] = set()
        self._recorders.append(recorder)
        try:
            value = flat(self.expr(test))
        finally:
            self._recorders.pop()
        return Predicate(value, frozenset(recorder), self.scope.snippet(test, 60))

    def expr_Name(self, node: ast.Name) -> Value:
        return self.lookup(node.id)

    def expr_Constant(self, node: ast.Constant) -> Value:
        return EMPTY

    def expr_Attribute(self, node: ast.Attribute) -> Value:
        if node.attr in NON_DATA_ATTRIBUTES:
            # `max_proba.shape[0]`: a size says nothing about the items' content (and a
            # condition on it does not read them)
            recorders, self._recorders = self._recorders, []
            try:
                self.expr(node.value)
            finally:
                self._recorders = recorders
            return EMPTY
        return self.attribute_refs(node)

    def expr_Subscript(self, node: ast.Subscript) -> Value:
        base = self.expr(node.value)
        index = node.slice
        if isinstance(index, ast.Index):  # Python 3.8 compatibility shape
            index = index.value  # type: ignore[attr-defined]
        if isinstance(base, Tup) and isinstance(index, ast.Constant) and isinstance(index.value, int):
            if -len(base.items) <= index.value < len(base.items):
                return base.items[index.value]
        selector = self._selector(index)
        refs = flat(base)
        if selector and self._is_table(refs, node.value):
            # ALPHABET[i], itos[token]: a lookup table decodes the index; the data is the index
            looked_up = self.node("lookup", node, "value")
            self.flow(selector, looked_up, node, self.scope.snippet(node))
            return frozenset({looked_up})
        if selector and refs:
            picked = self.node("pick", node, "value")
            for ref in refs:
                self.b.edge(ref, picked, "filter", node, self.scope.snippet(node), "", tuple(selector))
            return frozenset({picked})
        return refs

    def _selector(self, index: ast.AST) -> Refs:
        """What an index selects by.  Slice bounds (``x[:n]``, ``x[:, :k]``) choose by
        position, never by content, so they are read but select nothing."""
        parts = index.elts if isinstance(index, ast.Tuple) else [index]
        selector: Set[Ref] = set()
        for part in parts:
            refs = flat(self.expr(part))
            if not isinstance(part, ast.Slice):
                selector |= refs
        return frozenset(selector)

    def _is_table(self, refs: Refs, base: ast.AST) -> bool:
        """A constant lookup table (a string literal, an ``itos`` vocabulary)."""
        if not refs:
            return True
        if all(self.key(r) in self.state.templates for r in refs):
            return True
        name = _head(base) if isinstance(base, (ast.Name, ast.Attribute)) else ""
        leaf = base.attr if isinstance(base, ast.Attribute) else name
        return bool(_TABLE_NAME.search(leaf.lower()))

    def expr_Tuple(self, node: ast.Tuple) -> Value:
        return Tup(tuple(self.expr(e) for e in node.elts))

    def expr_List(self, node: ast.AST) -> Value:
        container = self.node("container", node, "container")
        for elt in node.elts:  # type: ignore[attr-defined]
            self.flow(flat(self.expr(elt)), container, elt, self.scope.snippet(elt))
        return frozenset({container})

    expr_Set = expr_List

    def expr_Dict(self, node: ast.Dict) -> Value:
        container = self.node("container", node, "container")
        for key, value in zip(node.keys, node.values):
            if key is not None:
                self.expr(key)
            self.flow(flat(self.expr(value)), container, value, self.scope.snippet(value))
        return frozenset({container})

    def expr_JoinedStr(self, node: ast.JoinedStr) -> Value:
        return union(self.expr(v.value) for v in node.values if isinstance(v, ast.FormattedValue))

    def expr_Lambda(self, node: ast.Lambda) -> Value:
        return EMPTY

    def expr_NamedExpr(self, node: ast.AST) -> Value:
        value = self.expr(node.value)  # type: ignore[attr-defined]
        self.bind(node.target, value, node, node.value)  # type: ignore[attr-defined]
        return value

    def expr_IfExp(self, node: ast.IfExp) -> Value:
        self.expr(node.test)
        return merge(self.expr(node.body), self.expr(node.orelse))

    def expr_Yield(self, node: ast.AST) -> Value:
        value = getattr(node, "value", None)
        if value is not None:
            refs = flat(self.expr(value))
            self.flow(refs, self.b.return_node, node, self.scope.snippet(value),
                      f"yielded by `{self.b.qualname.rsplit('.', 1)[-1]}()`")
        return EMPTY

    expr_YieldFrom = expr_Yield

    def expr_Await(self, node: ast.Await) -> Value:
        return self.expr(node.value)

    def expr_Starred(self, node: ast.Starred) -> Value:
        return self.expr(node.value)

    def expr_Compare(self, node: ast.Compare) -> Value:
        operands = [node.left] + list(node.comparators)
        values = [flat(self.expr(operand)) for operand in operands]
        if all(isinstance(op, _ORDERING) for op in node.ops) and len(values) > 1:
            # `len(t) > min_len`, `score >= self.threshold`: a bare scalar the items are
            # compared with says nothing about them; keep only the most data-like operands
            ranks = [self._data_rank(v) for v in values]
            top = max(ranks)
            return union(v for v, rank in zip(values, ranks) if rank == top)
        if any(isinstance(op, _MATCHING) for op in node.ops):
            # `answer == gold`, `task not in seed_pool`: data handed in by the caller and
            # compared with the items is outside information (ground truth, a seed pool)
            values = [self._consulted(v, node) for v in values]
        return union(values)

    def _consulted(self, refs: Refs, at: ast.AST) -> Refs:
        params = [r for r in refs if isinstance(r, int) and self.b.nodes[r].kind == "param"]
        if not params:
            return refs
        checked = self.node("checked", at, "value", extra=tuple(params))
        self.b.nodes[checked].info = True
        for ref in params:
            self.b.edge(ref, checked, "flow", at, self.scope.snippet(at))
        return (refs - frozenset(params)) | frozenset({checked})

    def _data_rank(self, refs: Refs) -> int:
        """How much an ordering operand looks like data rather than a threshold: a constant
        (0), a field of ``self`` set from the constructor (1), a parameter (2), anything
        computed (3; ``len(t)`` computes a size, so it ranks here though it carries nothing).
        Inside a helper ``keep(confidence)`` the items are themselves a parameter, and
        ``confidence > self.threshold`` must still keep them, not the threshold."""
        if not refs:
            return 3
        rank = 0
        for ref in refs:
            if isinstance(ref, str):
                rank = max(rank, 1 if ref.startswith("F:") else 3)
            else:
                kind = self.b.nodes[ref].kind
                rank = max(rank, 0 if kind == "lit" else 2 if kind == "param" else 3)
        return rank

    def comprehension(self, node: ast.AST, elements: List[ast.AST]) -> Value:
        saved = dict(self.env)
        predicate = NO_PREDICATE
        for generator in node.generators:  # type: ignore[attr-defined]
            iterable = self.expr(generator.iter)
            self.bind(generator.target, self.item_of(iterable, generator.target, generator.iter), generator)
            for condition in generator.ifs:
                predicate = predicate | self.predicate_refs(condition)
        values = union(self.expr(e) for e in elements)
        self.env = saved
        result = self.node("comp", node, "container")
        text = self.scope.snippet(node)
        for ref in values:
            if predicate:
                combined = predicate | self.guard()
                self.b.edge(ref, result, "filter", node, combined.text or text, "", tuple(combined.values),
                            tuple(combined.reads))
            else:
                self.flow(frozenset({ref}), result, node, text)
        return frozenset({result})

    def expr_ListComp(self, node: ast.ListComp) -> Value:
        return self.comprehension(node, [node.elt])

    expr_SetComp = expr_ListComp
    expr_GeneratorExp = expr_ListComp

    def expr_DictComp(self, node: ast.DictComp) -> Value:
        return self.comprehension(node, [node.value])

    def expr_Call(self, node: ast.Call) -> Value:
        from lintloop.extract.calls import evaluate_call

        return evaluate_call(self, node)

    # -- predicates (filter(fn, xs), ds.filter(fn), sorted(key=fn)) ---------------

    def predicate(self, fn: ast.AST, item: Value) -> Predicate:
        """The refs a predicate function depends on when applied to ``item``."""
        if isinstance(fn, ast.Lambda):
            saved = dict(self.env)
            params = [a.arg for a in fn.args.posonlyargs + fn.args.args] if hasattr(fn.args, "posonlyargs") else [a.arg for a in fn.args.args]
            for index, name in enumerate(params):
                self.env[name] = item if index == 0 else EMPTY
            refs = self.predicate_refs(fn.body)
            self.env = saved
            return refs
        from lintloop.extract.calls import call_function_value

        verdict = call_function_value(self, fn, item)
        return Predicate(verdict, verdict | flat(item))


def _merge_env(a: Dict[str, Value], b: Dict[str, Value]) -> Dict[str, Value]:
    out = dict(a)
    for name, value in b.items():
        out[name] = merge(out[name], value) if name in out else value
    return out


def _head(expr: ast.AST) -> str:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else ""
