"""lintloop: find self-feeding data loops in ML training code.

A model's own generations flowing back into its own training, with nothing
external in between, is a perpetual-motion machine: it adds no information and
degrades the model.  ``lintloop.lint_paths(["src/"])`` finds such loops.
"""

from __future__ import annotations

__version__ = "0.1.0"

from lintloop.api import lint_paths, lint_source, lint_sources  # noqa: E402
from lintloop.types import Finding, FileError, LintResult, Options, Span, Step  # noqa: E402

__all__ = ["__version__", "lint_paths", "lint_source", "lint_sources", "Finding", "FileError",
           "LintResult", "Options", "Span", "Step"]
