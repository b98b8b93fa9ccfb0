"""``--format json``: the stable machine contract of DESIGN.md (version 1)."""

from __future__ import annotations

import json
from typing import Any, Dict, TextIO

from lintloop.types import FileError, Finding, LintResult, Step

JSON_VERSION = 1


def step_dict(step: Step) -> Dict[str, Any]:
    out: Dict[str, Any] = {"path": step.path, "line": step.line, "column": step.column, "note": step.note}
    if step.cell is not None:
        out["cell"] = step.cell
    return out


def finding_dict(finding: Finding) -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "path": finding.path, "line": finding.span.line, "column": finding.span.column,
        "end_line": finding.span.end_line, "end_column": finding.span.end_column,
        "code": finding.code, "severity": finding.severity, "message": finding.message,
        "flow": [step_dict(s) for s in finding.flow],
    }
    if finding.cell is not None:
        out["cell"] = finding.cell
    return out


def error_dict(error: FileError) -> Dict[str, Any]:
    return {"path": error.path, "code": error.code, "message": error.message,
            "line": error.line, "column": error.column}


def document(result: LintResult) -> Dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "findings": [finding_dict(f) for f in result.findings],
        "errors": [error_dict(e) for e in result.errors],
        "stats": {"files": result.stats.files, "parsed": result.stats.parsed,
                  "cached": result.stats.cached, "seconds": result.stats.seconds},
    }


def render(result: LintResult, out: TextIO) -> None:
    json.dump(document(result), out, indent=2)
    out.write("\n")
