"""Paths as a code host sees them: relative to the repository root, with ``/``.

Text and JSON show paths as the user typed them.  GitHub annotations and SARIF
are read by GitHub, which resolves paths against the repository it checked out,
so those two formats rewrite ``./src/train.py`` (typed in ``ml/``) to
``ml/src/train.py``.  The repository root is the nearest directory above the
working directory that holds ``.git``; without one, the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional


def repository_root(start: Optional[str] = None) -> str:
    """The nearest directory at or above ``start`` (default: the cwd) holding ``.git``."""
    first = os.path.abspath(start or os.getcwd())
    current = first
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return first
        current = parent


def relative_to(path: str, root: str) -> Optional[str]:
    """``path`` relative to ``root`` with ``/`` separators, or None when it lies outside."""
    try:
        relative = os.path.relpath(os.path.abspath(path), root)
    except ValueError:  # another drive on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative.replace(os.sep, "/")


def file_uri(path: str) -> str:
    """An absolute ``file://`` URI (for files outside the repository)."""
    return Path(os.path.abspath(path)).as_uri()
