"""Path templates: what a path expression looks like without running it.

``f"out/gen_{i}.jsonl"`` becomes ``out/gen_{i}.jsonl``; ``os.path.join(OUT, "a.json")``
with ``OUT = "data"`` becomes ``data/a.json``; an unknown part keeps its source
text in braces (``{args.output}``).  Two templates name the same file when their
literal parts line up (:func:`templates_match`), which is how a file written in
one round (``gen_{i}``) is joined to the one read in the next (``gen_{i - 1}``).
"""

from __future__ import annotations

import ast
import posixpath
import re
from functools import lru_cache
from typing import Callable, Optional

#: resolves a bare name to its template, or None when unknown
NameResolver = Callable[[str], Optional[str]]

_JOIN_FUNCTIONS = {"os.path.join", "posixpath.join", "ntpath.join"}
_PATH_CLASSES = {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "Path", "PurePath"}
_TRANSPARENT_FUNCTIONS = {"str", "os.path.abspath", "os.path.normpath", "os.path.expanduser",
                          "os.fspath", "os.path.realpath"}
_HOLE = re.compile(r"\{[^{}]*\}")


def template_of(expr: ast.AST, resolve: NameResolver, dotted: Callable[[ast.AST], Optional[str]],
                source: Callable[[ast.AST], str]) -> Optional[str]:
    """The template of a string/path expression, or None when it is not one."""
    if isinstance(expr, ast.Constant):
        return str(expr.value).replace("{", "(").replace("}", ")") if isinstance(expr.value, str) else None
    if isinstance(expr, ast.JoinedStr):
        parts = []
        for value in expr.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                inner = template_of(value.value, resolve, dotted, source)
                parts.append(inner if inner is not None else "{" + source(value.value) + "}")
        return "".join(parts)
    if isinstance(expr, ast.Name):
        return resolve(expr.id)
    if isinstance(expr, ast.BinOp):
        left = template_of(expr.left, resolve, dotted, source)
        right = template_of(expr.right, resolve, dotted, source)
        if isinstance(expr.op, ast.Add) and (left is not None or right is not None):
            return _part(left, expr.left, source) + _part(right, expr.right, source)
        if isinstance(expr.op, ast.Div) and left is not None:
            return _join(left, _part(right, expr.right, source))
        if isinstance(expr.op, ast.Mod) and left is not None:
            return re.sub(r"%[-#0 +]*\d*(?:\.\d+)?[sdifr]", "{" + source(expr.right) + "}", left)
        return None
    if isinstance(expr, ast.Call):
        name = dotted(expr.func) or (expr.func.id if isinstance(expr.func, ast.Name) else None)
        args = [template_of(a, resolve, dotted, source) for a in expr.args]
        if name in _JOIN_FUNCTIONS and args:
            out = _part(args[0], expr.args[0], source)
            for value, node in zip(args[1:], expr.args[1:]):
                out = _join(out, _part(value, node, source))
            return out
        if (name in _PATH_CLASSES or name in _TRANSPARENT_FUNCTIONS) and len(args) >= 1:
            out = _part(args[0], expr.args[0], source)
            for value, node in zip(args[1:], expr.args[1:]):
                out = _join(out, _part(value, node, source))
            return out
        if isinstance(expr.func, ast.Attribute):
            base = template_of(expr.func.value, resolve, dotted, source)
            method = expr.func.attr
            if base is not None:
                if method == "format":
                    return _HOLE.sub(lambda m: "{" + m.group(0)[1:-1] + "}", base) if "{" in base else base
                if method == "with_suffix" and args and args[0] is not None:
                    return posixpath.splitext(base)[0] + args[0]
                if method in ("joinpath",) and args:
                    out = base
                    for value, node in zip(args, expr.args):
                        out = _join(out, _part(value, node, source))
                    return out
                if method in ("resolve", "absolute", "expanduser", "strip", "as_posix"):
                    return base
        return None
    return None


def _part(value: Optional[str], node: ast.AST, source: Callable[[ast.AST], str]) -> str:
    return value if value is not None else "{" + source(node) + "}"


def _join(left: str, right: str) -> str:
    if not left:
        return right
    return left.rstrip("/") + "/" + right.lstrip("/")


def normalise(template: str) -> str:
    """Drop ``./`` prefixes and repeated slashes so spellings of one path agree."""
    text = re.sub(r"/+", "/", template.replace("\\", "/"))
    while text.startswith("./"):
        text = text[2:]
    return text


def has_literal(template: str) -> bool:
    """True when the template fixes some characters beyond holes, separators and
    the extension: ``{out}/{name}.json`` could be any JSON file, ``gen_{i}.json`` not."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,8}$", "", template)
    return bool(re.sub(r"[/._\-]", "", _HOLE.sub("", stem.replace("*", ""))))


@lru_cache(maxsize=4096)
def _regex(template: str) -> "re.Pattern[str]":
    pieces = []
    position = 0
    for match in re.finditer(r"\{[^{}]*\}|\*", template):
        pieces.append(re.escape(template[position:match.start()]))
        pieces.append(".*")
        position = match.end()
    pieces.append(re.escape(template[position:]))
    return re.compile("(?:.*/)?" + "".join(pieces))


def _skeleton(template: str) -> str:
    return re.sub(r"\{[^{}]*\}|\*", "\x01", template)


def templates_match(a: str, b: str) -> bool:
    """Whether two templates may name the same file (or the same model name)."""
    a, b = normalise(a), normalise(b)
    if a == b:
        return True
    if not (has_literal(a) and has_literal(b)):
        return False
    return bool(_regex(a).fullmatch(_skeleton(b)) or _regex(b).fullmatch(_skeleton(a)))
