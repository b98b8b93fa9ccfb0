"""lintloop: find self-feeding data loops in ML training code.

A model's own generations flowing back into its own training, with nothing
external in between, is a perpetual-motion machine: it adds no information and
degrades the model.  ``lintloop.lint_paths(["src/"])`` finds such loops.
"""

from __future__ import annotations

import os as _os
import sys as _sys

__version__ = "0.1.0"

# `python -m lintloop` puts the current directory first on sys.path: a project with its own
# `difflib.py` or `tomllib.py` must not be imported (let alone run) in place of the standard
# library. lintloop itself is already imported by now, so nothing of ours needs that entry.
if _sys.argv and _sys.argv[0] == "-m" and _sys.path and _sys.path[0] in ("", _os.getcwd()):
    del _sys.path[0]

from lintloop.api import lint_paths, lint_source, lint_sources  # noqa: E402
from lintloop.types import Finding, FileError, LintResult, Options, Span, Step  # noqa: E402

__all__ = ["__version__", "lint_paths", "lint_source", "lint_sources", "Finding", "FileError",
           "LintResult", "Options", "Span", "Step"]
