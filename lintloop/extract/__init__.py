"""Per-file extraction: source bytes -> :class:`~lintloop.summary.Summary`.

This is the only stage that parses code.  It uses the standard library's
``ast`` (lintloop never imports or runs the code it reads) and interprets the
module body, then every function and method, into small value-flow graphs.
"""

from __future__ import annotations

import ast
import warnings
from typing import Dict, List, Optional, Tuple

from lintloop.extract.builder import FunctionBuilder
from lintloop.extract.directives import read_directives
from lintloop.extract.interpreter import Interpreter, ModuleState
from lintloop.extract.scope import ModuleScope, collect
from lintloop.extract.source import Source, SourceError, decode_python, read_notebook
from lintloop.summary import SUMMARY_VERSION, ClassInfo, Function, Summary, empty_summary
from lintloop.vocabulary import Vocabulary

__all__ = ["ParseError", "SourceError", "summarise", "summarise_text", "summarise_tree", "read_source"]


class ParseError(Exception):
    """The source is not valid Python (becomes LL900)."""

    def __init__(self, message: str, line: Optional[int], column: Optional[int]) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def read_source(data: bytes, notebook: bool = False) -> Source:
    return read_notebook(data) if notebook else Source(decode_python(data))


def summarise(data: bytes, vocab: Vocabulary, notebook: bool = False) -> Summary:
    """The Summary of a file's bytes.  Raises SourceError or ParseError."""
    source = read_source(data, notebook)
    return summarise_text(source.text, vocab, source.cells)


def summarise_text(text: str, vocab: Vocabulary, cells: Tuple[Tuple[int, int], ...] = ()) -> Summary:
    directives, skip = read_directives(text)
    if skip:
        return empty_summary(True, directives, True, cells)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except SyntaxError as exc:
        raise ParseError(exc.msg or "invalid syntax", exc.lineno, (exc.offset or 0) or None) from None
    except (MemoryError, RecursionError):  # Python's own parser gives up on such nesting too
        raise ParseError("code nested too deeply for Python's parser", None, None) from None
    except ValueError as exc:
        raise ParseError(f"cannot parse: {exc}", None, None) from None
    return _summarise_tree(tree, text, vocab, directives, cells)


def summarise_tree(tree: ast.Module, text: str, vocab: Vocabulary) -> Summary:
    """The Summary of an already parsed (possibly pruned) module; positions refer to ``text``."""
    return _summarise_tree(tree, text, vocab, (), ())


def _summarise_tree(tree: ast.Module, text: str, vocab: Vocabulary, directives, cells) -> Summary:
    scope = collect(tree, text, vocab)
    state = ModuleState()
    functions: List[Function] = []

    module = FunctionBuilder("<module>", "", 1, scope.column)
    interpreter = Interpreter(scope, state, module, is_module=True)
    interpreter.run(tree.body)
    state.module_bindings = {
        name: frozenset(_global_ref("<module>", r) for r in refs)
        for name, refs in interpreter.all_bindings.items()
    }
    functions.append(module.freeze())

    for name, node in scope.functions.items():
        functions.extend(_function(scope, state, node, name, "", {}))
    classes = []
    for facts in scope.classes.values():
        for method_name, node in facts.methods.items():
            functions.extend(_function(scope, state, node, f"{facts.name}.{method_name}", facts.name, {}))
        classes.append(ClassInfo(facts.name, facts.node.lineno, tuple(facts.bases), tuple(facts.methods), facts.tag))

    constants = tuple(sorted(
        (name, state.templates[next(iter(refs))]) for name, refs in state.module_bindings.items()
        if len(refs) == 1 and next(iter(refs)) in state.templates
    ))
    bindings = tuple(sorted((name, tuple(sorted(refs, key=str))) for name, refs in state.module_bindings.items()))
    return Summary(SUMMARY_VERSION, tuple(scope.imports.values()), tuple(functions), tuple(classes),
                   bindings, constants, directives, False, cells, False)


def _global_ref(qualname: str, ref):
    return f"L:{qualname}#{ref}" if isinstance(ref, int) else ref


def _function(scope: ModuleScope, state: ModuleState, node: ast.AST, qualname: str, cls: str,
              closure: Dict[str, frozenset], outer_self: str = "", outer_cls: str = "") -> List[Function]:
    """Interpret one function (and, after it, the functions nested in it)."""
    builder = FunctionBuilder(qualname, cls, node.lineno, scope.column)  # type: ignore[attr-defined]
    arguments: ast.arguments = node.args  # type: ignore[attr-defined]
    params = list(getattr(arguments, "posonlyargs", [])) + list(arguments.args)
    if arguments.vararg:
        params.append(arguments.vararg)
    params += list(arguments.kwonlyargs)
    if arguments.kwarg:
        params.append(arguments.kwarg)
    decorators = {_decorator_name(d) for d in node.decorator_list}  # type: ignore[attr-defined]
    self_name = params[0].arg if cls and params and "staticmethod" not in decorators else outer_self
    interpreter = Interpreter(scope, state, builder, closure=closure, self_name=self_name,
                              facts=scope.function_facts.get(id(node)), cls=cls or outer_cls)
    for param in params:
        ref = builder.node_for("param", param, "param", param.arg, ())
        builder.nodes[ref].name = param.arg
        builder.params.append(param.arg)
        builder.param_nodes.append(ref)
        interpreter.env[param.arg] = frozenset({ref})
        interpreter.all_bindings.setdefault(param.arg, set()).add(ref)
    interpreter.run(node.body)  # type: ignore[attr-defined]
    out = [builder.freeze()]
    inner_closure = dict(closure)
    for name, refs in interpreter.all_bindings.items():
        inner_closure[name] = frozenset(_global_ref(qualname, r) for r in refs)
    for nested, nested_qualname in interpreter.nested:
        # a closure inside a method still sees `self` as the instance
        out.extend(_function(scope, state, nested, nested_qualname, "", inner_closure, self_name,
                             cls or outer_cls))
    return out


def _decorator_name(node: ast.AST) -> str:
    while isinstance(node, (ast.Attribute, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
        if isinstance(node, ast.Attribute):
            return node.attr
    return node.id if isinstance(node, ast.Name) else ""
