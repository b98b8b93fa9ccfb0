"""The flake8 plugin (code prefix ``LL``): lintloop's findings in every editor that runs flake8.

flake8 checks one file at a time, in parallel processes, but a loop can start in
one module and close in another.  So the plugin does not analyse the file it is
given: it lints the file's whole project (``lintloop.lint_paths`` on the project
root, with the project's ``[tool.lintloop]`` configuration and the summary
cache), once per process, and reports the findings that close in this file.
A file in no project (no pyproject.toml or .git above it) is linted alone.
Editors thus see exactly what ``lintloop`` reports for the file.

flake8 requires an AST plugin to accept ``tree`` even though lintloop parses
files itself.  flake8 adds 1 to the column a plugin yields, so the plugin yields
lintloop's 1-based column minus 1.  ``# noqa: LL001`` is honoured by flake8 and by
lintloop alike.  lintloop reads the project from disk, so when flake8 is given
text that differs from the file on disk (an editor's unsaved buffer on stdin),
the plugin reports nothing for it until the file is saved, rather than findings
on lines that have moved.
"""

from __future__ import annotations

import ast
import os
import time
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from lintloop import __version__

#: (line, column as flake8 expects it, "LL001 message", plugin type)
Report = Tuple[int, int, str, type]


class _ProjectRun:
    """One analysis of a project: its findings by file, and when it started."""

    def __init__(self, scope: str) -> None:
        from lintloop.api import lint_paths
        from lintloop.types import Options

        self.started = time.time()
        # jobs=1: flake8's workers are daemonic processes, which may not start a pool of their own
        # (and flake8 already keeps every CPU busy)
        result = lint_paths([scope], Options(jobs=1))
        self.by_file: Dict[str, List[Tuple[int, int, str]]] = {}
        for finding in result.findings:
            line = finding.source_line or finding.span.line
            self._add(finding.path, line, finding.span.column, f"{finding.code} {finding.message}")
        for error in result.errors:
            if error.code != "LL900":  # flake8 reports syntax errors itself (E999)
                self._add(error.path, error.line or 1, error.column or 1, f"{error.code} {error.message}")

    def _add(self, path: str, line: int, column: int, text: str) -> None:
        self.by_file.setdefault(_key(path), []).append((line, column, text))


#: what was linted (a project root, or a lone file) -> its analysis, for the life of this process
_RUNS: Dict[str, _ProjectRun] = {}
_SCOPES: Dict[str, str] = {}


def _key(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def project_scope(filename: str) -> str:
    """What to lint for this file: its project root (where pyproject.toml or .git is), or,
    outside any project, the file alone (never a whole home or temp directory)."""
    from lintloop.config import load_config

    directory = os.path.dirname(os.path.abspath(filename))
    if directory not in _SCOPES:
        config = load_config([filename])
        root = os.path.abspath(config.root)
        in_project = config.source is not None or os.path.exists(os.path.join(root, ".git"))
        _SCOPES[directory] = root if in_project else ""
    return _SCOPES[directory] or os.path.abspath(filename)


def findings_for(filename: str) -> List[Tuple[int, int, str]]:
    """(line, 1-based column, "CODE message") of every finding lintloop reports in ``filename``."""
    if not os.path.isfile(filename):
        return []  # stdin or a buffer never saved: lintloop reads the project from disk
    scope = project_scope(filename)
    run = _RUNS.get(scope)
    if run is None or os.path.getmtime(filename) > run.started:
        # first file of this project in this process, or the file changed since (a long-lived editor)
        run = _RUNS[scope] = _ProjectRun(scope)
    return sorted(run.by_file.get(_key(filename), []))


class Plugin:
    """flake8 entry point ``LL = lintloop.flake8_plugin:Plugin`` (group ``flake8.extension``)."""

    name = "lintloop"
    version = __version__

    def __init__(self, tree: ast.AST, filename: Optional[str] = None,
                 lines: Optional[Sequence[str]] = None) -> None:
        self.tree = tree  # unused: lintloop reads the project itself
        self.filename = filename or ""
        self.lines = lines

    def run(self) -> Iterator[Report]:
        if self.lines is not None and not same_as_disk(self.filename, self.lines):
            return  # an unsaved editor buffer: findings on disk would point at the wrong lines
        for line, column, text in findings_for(self.filename):
            yield line, column - 1, text, type(self)


def same_as_disk(filename: str, lines: Sequence[str]) -> bool:
    """Is the text flake8 checks (perhaps from stdin) the file's text on disk?"""
    from lintloop.extract import SourceError, read_source

    try:
        with open(filename, "rb") as handle:
            disk = read_source(handle.read()).text
    except (OSError, SourceError):
        return False
    return _normal("".join(lines)) == _normal(disk)


def _normal(text: str) -> str:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
