"""Module-level facts gathered before any body is interpreted (pyflakes-style).

Function bodies are interpreted after the module body, so they can see every
module-level name, import, function and class, wherever it is defined.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Set, Tuple

from lintloop.summary import Import
from lintloop.vocabulary import LIGHTNING_TRAINERS, TRAINER_CLASSES, Vocabulary

FunctionNode = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class ClassFacts:
    name: str
    node: ast.ClassDef
    methods: Dict[str, ast.AST] = field(default_factory=dict)
    bases: List[Tuple[str, ...]] = field(default_factory=list)
    tag: str = ""
    #: attributes assigned through ``self.<name> = ...`` in any method
    attributes: Set[str] = field(default_factory=set)


@dataclass
class ModuleScope:
    text: str
    vocab: Vocabulary
    imports: Dict[str, Import] = field(default_factory=dict)
    functions: Dict[str, ast.AST] = field(default_factory=dict)
    classes: Dict[str, ClassFacts] = field(default_factory=dict)
    assigned: Set[str] = field(default_factory=set)
    _lines: Optional[List[int]] = None

    # -- source snippets -----------------------------------------------------------

    def snippet(self, node: ast.AST, limit: int = 80) -> str:
        """The source text of a node on one line, shortened."""
        if self._lines is None:
            offsets = [0]
            for line in self.text.splitlines(keepends=True):
                offsets.append(offsets[-1] + len(line))
            self._lines = offsets
        try:
            start = self._lines[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
            end = self._lines[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
        except (AttributeError, IndexError, TypeError):
            return ""
        text = " ".join(self.text[start:end].split())
        if len(text) > limit:
            text = text[: limit - 3].rstrip() + "..."
        return text

    def call_text(self, call: ast.Call) -> str:
        """``lm.generate(...)``: the callee and an elided argument list."""
        callee = self.snippet(call.func, 60)
        return callee + ("(...)" if call.args or call.keywords else "()")

    # -- names ---------------------------------------------------------------------

    def qualify(self, expr: ast.AST, local_imports: Optional[Dict[str, Import]] = None) -> Optional[str]:
        """``np.random.choice`` -> ``numpy.random.choice`` when ``np`` is an import."""
        parts: List[str] = []
        while isinstance(expr, ast.Attribute):
            parts.append(expr.attr)
            expr = expr.value
        if not isinstance(expr, ast.Name):
            return None
        imp = (local_imports or {}).get(expr.id) or self.imports.get(expr.id)
        if imp is None:
            return None
        head = import_target(imp)
        return ".".join([head] + parts[::-1])

    def import_of(self, expr: ast.AST, local_imports: Optional[Dict[str, Import]] = None) -> Optional[Import]:
        while isinstance(expr, ast.Attribute):
            expr = expr.value
        if isinstance(expr, ast.Name):
            return (local_imports or {}).get(expr.id) or self.imports.get(expr.id)
        return None


def import_target(imp: Import) -> str:
    """The dotted name an import binds (relative imports keep their leading dots)."""
    base = "." * imp.level + imp.module
    if imp.name:
        return f"{base}.{imp.name}" if imp.module else f"{base}{imp.name}"
    return base


def imports_of(stmt: ast.AST) -> List[Import]:
    if isinstance(stmt, ast.Import):
        out = []
        for alias in stmt.names:
            if alias.asname:
                out.append(Import(alias.asname, 0, alias.name))
            else:
                top = alias.name.split(".", 1)[0]
                out.append(Import(top, 0, top))
        return out
    if isinstance(stmt, ast.ImportFrom):
        module = stmt.module or ""
        return [Import(alias.asname or alias.name, stmt.level or 0, module, alias.name)
                for alias in stmt.names if alias.name != "*"]
    return []


def collect(tree: ast.Module, text: str, vocab: Vocabulary) -> ModuleScope:
    scope = ModuleScope(text, vocab)
    for stmt in _module_statements(tree.body):
        for imp in imports_of(stmt):
            scope.imports[imp.local] = imp
        if isinstance(stmt, FunctionNode):
            scope.functions[stmt.name] = stmt
        elif isinstance(stmt, ast.ClassDef):
            facts = ClassFacts(stmt.name, stmt)
            for item in stmt.body:
                if isinstance(item, FunctionNode):
                    facts.methods[item.name] = item
                    facts.attributes |= _self_attributes(item)
                elif isinstance(item, (ast.Assign, ast.AnnAssign)):
                    targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                    facts.attributes |= {t.id for t in targets if isinstance(t, ast.Name)}
            scope.classes[stmt.name] = facts
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for name in _target_names(target):
                    scope.assigned.add(name)
    for facts in scope.classes.values():
        _tag_class(scope, facts)
    return scope


def _self_attributes(method: ast.AST) -> Set[str]:
    """Names assigned as ``self.<name> = ...`` in a method (its first parameter is self)."""
    args = method.args.posonlyargs + method.args.args if hasattr(method.args, "posonlyargs") else method.args.args  # type: ignore[attr-defined]
    if not args:
        return set()
    self_name = args[0].arg
    out: Set[str] = set()
    for node in ast.walk(method):
        if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name) and node.value.id == self_name):
            out.add(node.attr)
    return out


def _tag_class(scope: ModuleScope, facts: ClassFacts) -> None:
    for base in facts.node.bases:
        if isinstance(base, ast.Name) and base.id in scope.classes:
            facts.bases.append(("def", base.id))
            parent = scope.classes[base.id]
            if parent is not facts and not facts.tag:
                if not parent.tag:
                    _tag_class(scope, parent)
                facts.tag = parent.tag
            continue
        qualified = scope.qualify(base)
        imp = scope.import_of(base)
        if qualified is None or imp is None:
            continue
        facts.bases.append(("import", str(imp.level), qualified.lstrip(".")))
        if imp.level == 0 and qualified in TRAINER_CLASSES:
            facts.tag = "trainer"
        elif imp.level == 0 and qualified in LIGHTNING_TRAINERS:
            facts.tag = "pl_trainer"


def _module_statements(body: List[ast.stmt]):
    """Module-level statements, looking inside if/try/with blocks (guarded imports)."""
    for stmt in body:
        yield stmt
        if isinstance(stmt, ast.If):
            yield from _module_statements(stmt.body)
            yield from _module_statements(stmt.orelse)
        elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
            yield from _module_statements(stmt.body)  # type: ignore[attr-defined]
            for handler in stmt.handlers:  # type: ignore[attr-defined]
                yield from _module_statements(handler.body)
            yield from _module_statements(stmt.orelse)  # type: ignore[attr-defined]
            yield from _module_statements(stmt.finalbody)  # type: ignore[attr-defined]
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from _module_statements(stmt.body)


def _target_names(target: ast.AST):
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for elt in target.elts:
            yield from _target_names(elt)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def assigned_names(body: List[ast.stmt]) -> Set[str]:
    """Names bound anywhere in a function body (not in nested functions): its locals."""
    names: Set[str] = set()
    stack: List[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for imp in imports_of(node):
                names.add(imp.local)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            # comprehension targets are not function locals, but walrus targets are
            for sub in ast.walk(node):
                if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                    names.add(sub.target.id)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return names


def declared(body: List[ast.stmt], kind: type) -> Set[str]:
    """Names declared ``global`` (or ``nonlocal``) in a function body."""
    out: Set[str] = set()
    stack: List[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, kind):
            out.update(node.names)  # type: ignore[attr-defined]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out
