"""Module-level facts gathered before any body is interpreted (pyflakes-style).

Function bodies are interpreted after the module body, so they can see every
module-level name, import, function and class, wherever it is defined.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Iterator, List, Optional, Set, Tuple

from lintloop.summary import Import
from lintloop.vocabulary import LIGHTNING_TRAINERS, TRAINER_CLASSES, Vocabulary

FunctionNode = (ast.FunctionDef, ast.AsyncFunctionDef)
_NEWLINE = re.compile(r"\r\n|\r|\n")


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
    function_facts: Dict[int, "FunctionFacts"] = field(default_factory=dict)
    _lines: Optional[List[int]] = None
    _text_lines: Optional[List[str]] = None
    #: lines holding non-ASCII text, where UTF-8 byte offsets and character offsets differ
    _wide_lines: FrozenSet[int] = frozenset()

    # -- source snippets -----------------------------------------------------------

    def _split(self) -> None:
        """Lines as Python counts them: only \\n, \\r\\n and \\r end a line (not \\f or \\u2028)."""
        lines = _NEWLINE.split(self.text)
        self._text_lines = lines
        self._lines = [0] + [match.end() for match in _NEWLINE.finditer(self.text)] + [len(self.text)]
        self._wide_lines = frozenset() if self.text.isascii() else frozenset(
            number for number, text in enumerate(lines, 1) if not text.isascii())

    def snippet(self, node: ast.AST, limit: int = 80) -> str:
        """The source text of a node on one line, shortened (and cheap on huge nodes)."""
        if self._lines is None:
            self._split()
        try:
            line, end_line = node.lineno, node.end_lineno  # type: ignore[attr-defined]
            start = self._lines[line - 1] + self.column(line, node.col_offset)  # type: ignore[attr-defined]
            end = self._lines[end_line - 1] + self.column(end_line, node.end_col_offset)  # type: ignore[attr-defined]
        except (AttributeError, IndexError, TypeError):
            return ""
        text = " ".join(self.text[start:min(end, start + 4 * limit)].split())
        if len(text) > limit or end > start + 4 * limit:
            text = text[: limit - 3].rstrip() + "..."
        return text

    def lines_holding(self, needle: str) -> List[int]:
        """The 1-based numbers of the lines where ``needle`` occurs, in order."""
        if self._lines is None:
            self._split()
        out: List[int] = []
        position = self.text.find(needle)
        while position >= 0:
            line = bisect_right(self._lines, position)  # type: ignore[arg-type]
            if not out or out[-1] != line:
                out.append(line)
            position = self.text.find(needle, position + len(needle))
        return out

    def column(self, line: int, offset: int) -> int:
        """The character offset of a UTF-8 byte offset in a line (they differ only on non-ASCII lines)."""
        if self._text_lines is None:
            self._split()
        if line not in self._wide_lines:
            return offset
        text = self._text_lines[line - 1]  # type: ignore[index]
        return len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))

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
    scope.function_facts = function_facts(tree, scope, text)
    return scope


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


@dataclass
class FunctionFacts:
    """Names a function body binds (its locals) and declares ``global``; one walk finds them all."""

    locals: Set[str] = field(default_factory=set)
    globals: Set[str] = field(default_factory=set)


_TARGET_FIELDS = {
    ast.Assign: ("targets",), ast.AugAssign: ("target",), ast.AnnAssign: ("target",),
    ast.For: ("target",), ast.AsyncFor: ("target",),
}
_BODY_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def function_facts(tree: ast.Module, scope: "ModuleScope", text: str = "") -> Dict[int, FunctionFacts]:
    """Locals and globals of every function (by ``id`` of its node), and the ``self.<name>``
    attributes of every class, in one walk over statements and assignment targets only
    (expressions are entered only on statements whose lines hold ``:=``, the one expression
    that binds)."""
    facts: Dict[int, FunctionFacts] = {}
    walrus_lines = scope.lines_holding(":=") if ":=" in text else []
    # (statement, facts of the enclosing function or None, self name, class facts)
    stack: List[Tuple[ast.AST, Optional[FunctionFacts], str, Optional[ClassFacts]]] = [
        (stmt, None, "", None) for stmt in tree.body]
    while stack:
        node, current, self_name, owner = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if current is not None:
                current.locals.add(node.name)
            inner = facts.setdefault(id(node), FunctionFacts())
            params = list(getattr(node.args, "posonlyargs", [])) + list(node.args.args)
            method_self = params[0].arg if owner is not None and params and current is None else self_name
            stack.extend((child, inner, method_self, owner) for child in node.body)
            continue
        if isinstance(node, ast.ClassDef):
            if current is not None:
                current.locals.add(node.name)
            class_facts = scope.classes.get(node.name) if current is None else None
            stack.extend((child, current, "", class_facts) for child in node.body)
            continue
        targets: List[ast.AST] = []
        for name in _TARGET_FIELDS.get(type(node), ()):
            value = getattr(node, name)
            targets.extend(value if isinstance(value, list) else [value])
        if isinstance(node, (ast.With, ast.AsyncWith)):
            targets.extend(item.optional_vars for item in node.items if item.optional_vars is not None)
        for target in targets:
            _bind_targets(target, current, self_name, owner)
        if current is not None:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                current.locals.update(imp.local for imp in imports_of(node))
            elif isinstance(node, ast.ExceptHandler) and node.name:
                current.locals.add(node.name)
            elif isinstance(node, ast.Global):
                current.globals.update(node.names)
            elif type(node).__name__ == "match_case":  # Python 3.10+
                current.locals.update(_capture_names(node.pattern))  # type: ignore[attr-defined]
            if walrus_lines and not isinstance(node, ast.ExceptHandler) and \
                    _any_between(walrus_lines, node):
                current.locals.update(_walrus_names(node))
        for name in _BODY_FIELDS:
            children = getattr(node, name, None)
            if children:
                stack.extend((child, current, self_name, owner) for child in children)
    return facts


def _capture_names(pattern: ast.AST) -> Iterator[str]:
    """Names a ``case`` pattern binds: ``case [x, *rest]``, ``case {"k": v, **others}``."""
    for sub in ast.walk(pattern):
        kind = type(sub).__name__
        if kind in ("MatchAs", "MatchStar") and sub.name:  # type: ignore[attr-defined]
            yield sub.name  # type: ignore[attr-defined]
        elif kind == "MatchMapping" and sub.rest:  # type: ignore[attr-defined]
            yield sub.rest  # type: ignore[attr-defined]


def _any_between(lines: List[int], node: ast.AST) -> bool:
    """Whether one of ``lines`` falls within the node (a ``case``: its pattern and guard)."""
    if not hasattr(node, "lineno"):
        parts = [getattr(node, "pattern", None), getattr(node, "guard", None)]
        return any(_any_between(lines, part) for part in parts if part is not None)
    first, last = getattr(node, "lineno", 0), getattr(node, "end_lineno", None)
    index = bisect_left(lines, first)
    return index < len(lines) and lines[index] <= (last or first)


def _walrus_names(stmt: ast.AST) -> Iterator[str]:
    """Names bound by ``:=`` in a statement's own expressions.  Nested statements
    (an ``if``'s body) are left to their own turn, so each expression is walked once."""
    for name, value in ast.iter_fields(stmt):
        if name in _BODY_FIELDS:
            continue
        for expr in value if isinstance(value, list) else (value,):
            if isinstance(expr, ast.AST):
                for sub in ast.walk(expr):
                    if isinstance(sub, ast.NamedExpr) and isinstance(sub.target, ast.Name):
                        yield sub.target.id


def _bind_targets(target: ast.AST, current: Optional[FunctionFacts], self_name: str,
                  owner: Optional[ClassFacts]) -> None:
    if isinstance(target, ast.Name):
        if current is not None:
            current.locals.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _bind_targets(element, current, self_name, owner)
    elif isinstance(target, ast.Starred):
        _bind_targets(target.value, current, self_name, owner)
    elif isinstance(target, ast.Attribute):
        if owner is not None and self_name and isinstance(target.value, ast.Name) and target.value.id == self_name:
            owner.attributes.add(target.attr)
