"""Which files a run covers: walk the given paths, keep Python files and notebooks.

Paths are kept as the user typed them (``src/`` yields ``src/pkg/mod.py``), so
every output format shows the paths the user knows.  Directories that never
hold project code (virtual environments, build output, caches) are skipped, and
so is anything matching ``exclude`` from the configuration.  A path that does
not exist becomes an LL901 error instead of stopping the run.
"""

from __future__ import annotations

import fnmatch
import os
from typing import Iterable, List, Sequence, Tuple

from lintloop.types import FileError

SKIP_DIRECTORIES = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "build", "dist", "__pycache__",
    "node_modules", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".lintloop_cache",
    ".eggs", ".ipynb_checkpoints", "site-packages", ".direnv",
})
SOURCE_SUFFIXES = (".py", ".ipynb")


def is_notebook(path: str) -> bool:
    return path.endswith(".ipynb")


def discover(paths: Sequence[str], exclude: Iterable[str] = (), root: str = ".") -> Tuple[List[str], List[FileError]]:
    """(files to lint, errors for paths that could not be walked)."""
    patterns = tuple(exclude)
    files: List[str] = []
    errors: List[FileError] = []
    seen = set()
    # one directory walked yields each file once: only several paths can name a file twice
    several = len(paths) > 1

    def add(path: str) -> None:
        if not several:
            files.append(path)
            return
        key = os.path.normcase(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            files.append(path)

    for given in paths or ["."]:
        if excluded(given, patterns, root):
            continue
        if os.path.isdir(given):
            walk_errors: List[FileError] = []
            for path in _walk(given, patterns, root, walk_errors):
                # `lintloop .` prints loop.py, not ./loop.py (as ruff does)
                add(path[2:] if given in (".", "./") and path.startswith("./") else path)
            for error in walk_errors:  # directories too
                if given in (".", "./") and error.path.startswith("./"):
                    error = FileError(error.path[2:], error.code, error.message)
                errors.append(error)
        elif os.path.lexists(given):  # files, and what is not one (reported when read)
            add(given)
        else:
            errors.append(FileError(given, "LL901", "No such file or directory"))
    return files, errors


def _walk(top: str, patterns: Tuple[str, ...], root: str, errors: List[FileError]) -> List[str]:
    found: List[str] = []

    def on_error(exc: OSError) -> None:
        errors.append(FileError(exc.filename or top, "LL901", f"cannot read directory: {exc.strerror or exc}"))

    for directory, subdirectories, filenames in os.walk(top, onerror=on_error, followlinks=False):
        subdirectories[:] = sorted(
            d for d in subdirectories
            if d not in SKIP_DIRECTORIES and not d.endswith(".egg-info")
            and not excluded(os.path.join(directory, d), patterns, root)
        )
        for filename in sorted(filenames):
            if filename.endswith(SOURCE_SUFFIXES):
                path = os.path.join(directory, filename)
                if not excluded(path, patterns, root):
                    found.append(path)
    return found


def excluded(path: str, patterns: Tuple[str, ...], root: str) -> bool:
    """``exclude`` patterns match a path relative to the project root, or any of its parts."""
    if not patterns:
        return False
    normal = os.path.normpath(path)
    try:
        relative = os.path.relpath(os.path.abspath(path), os.path.abspath(root))
    except ValueError:
        relative = normal
    candidates = {normal, relative, relative.replace(os.sep, "/"), normal.replace(os.sep, "/")}
    parts = relative.replace(os.sep, "/").split("/")
    for pattern in patterns:
        cleaned = pattern.rstrip("/")
        for candidate in candidates:
            if fnmatch.fnmatch(candidate, cleaned) or fnmatch.fnmatch(candidate, cleaned + "/*"):
                return True
        if "/" not in cleaned and any(fnmatch.fnmatch(part, cleaned) for part in parts):
            return True
    return False
