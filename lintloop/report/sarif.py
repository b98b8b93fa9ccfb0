"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning (``upload-sarif``).

One run: the tool driver lists every rule of the registry (texts from the same
objects as ``lintloop rule``, as ruff's ``sarif.rs`` does), each result points
at its rule by id and index, and the loop's path is a ``codeFlow`` whose thread
flow has one location per step, with the step's note as its message.

Locations are repository-relative URIs against ``%SRCROOT%`` (GitHub resolves
them in the checkout); a file outside the repository gets an absolute
``file://`` URI.  ``partialFingerprints`` is the baseline's hash (code, path, the
line's text, the loop's path), so an alert survives unrelated edits above it.
Notebook lines are not lines of the ``.ipynb`` file: their regions point at line
1 and the message says which cell and line.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, TextIO

from lintloop import __version__
from lintloop.baseline import SourceLines, fingerprint
from lintloop.report.paths import file_uri, relative_to, repository_root
from lintloop.rules import ALL_RULES
from lintloop.rules.base import Rule
from lintloop.types import FileError, Finding, LintResult, Step

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#: where the project lives (a placeholder until it is published)
PROJECT_URL = "https://github.com/lintloop/lintloop"
RULES_URL = f"{PROJECT_URL}/blob/main/README.md#rules"
FINGERPRINT_KEY = "lintloop/v1"
#: lintloop severity -> SARIF level
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SRCROOT = "%SRCROOT%"


def rule_descriptor(rule: Rule) -> Dict[str, Any]:
    help_text = rule.explanation()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.what},
        "help": {"text": help_text, "markdown": help_text},
        "helpUri": RULES_URL,
        "defaultConfiguration": {"level": LEVELS[rule.severity], "enabled": rule.enabled},
    }


class _Locator:
    """Builds SARIF locations relative to one repository root."""

    def __init__(self, root: str) -> None:
        self.root = root

    def artifact(self, path: str) -> Dict[str, str]:
        relative = relative_to(path, self.root)
        if relative is None:
            return {"uri": file_uri(path)}
        return {"uri": relative, "uriBaseId": SRCROOT}

    def physical(self, path: str, line: Optional[int], column: Optional[int] = None,
                 end_line: Optional[int] = None, end_column: Optional[int] = None,
                 cell: Optional[int] = None) -> Dict[str, Any]:
        region: Dict[str, int] = {"startLine": 1}
        if cell is None and line is not None:
            region = {"startLine": line}
            if column is not None:
                region["startColumn"] = column
            if end_line is not None:
                region["endLine"] = end_line
            if end_column is not None:
                region["endColumn"] = end_column
        return {"artifactLocation": self.artifact(path), "region": region}


def _in_cell(text: str, cell: Optional[int], line: int) -> str:
    return text if cell is None else f"{text} (notebook cell {cell}, line {line})"


def _step(step: Step, locator: _Locator) -> Dict[str, Any]:
    return {"location": {
        "physicalLocation": locator.physical(step.path, step.line, step.column, cell=step.cell),
        "message": {"text": _in_cell(step.note, step.cell, step.line)},
    }}


def finding_result(finding: Finding, index: Dict[str, int], locator: _Locator,
                   lines: SourceLines) -> Dict[str, Any]:
    span = finding.span
    out: Dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": index[finding.code],
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": _in_cell(finding.message, finding.cell, span.line)},
        "locations": [{"physicalLocation": locator.physical(
            finding.path, span.line, span.column, span.end_line, span.end_column, finding.cell)}],
        "partialFingerprints": {
            FINGERPRINT_KEY: fingerprint(finding, lambda p: relative_to(p, locator.root) or p, lines)},
    }
    if finding.flow:
        out["codeFlows"] = [{"threadFlows": [{"locations": [_step(s, locator) for s in finding.flow]}]}]
    return out


def error_result(error: FileError, index: Dict[str, int], locator: _Locator) -> Dict[str, Any]:
    return {
        "ruleId": error.code,
        "ruleIndex": index[error.code],
        "level": "error",
        "message": {"text": error.message},
        "locations": [{"physicalLocation": locator.physical(error.path, error.line or 1, error.column)}],
    }


def document(result: LintResult, root: Optional[str] = None) -> Dict[str, Any]:
    locator = _Locator(root or repository_root())
    index = {rule.code: number for number, rule in enumerate(ALL_RULES)}
    lines = SourceLines()
    results: List[Dict[str, Any]] = [error_result(e, index, locator) for e in result.errors]
    results += [finding_result(f, index, locator, lines) for f in result.findings]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "lintloop",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": PROJECT_URL,
                "rules": [rule_descriptor(rule) for rule in ALL_RULES],
            }},
            "invocations": [{"executionSuccessful": not any(e.code == "LL999" for e in result.errors)}],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(result: LintResult, out: TextIO, root: Optional[str] = None) -> None:
    json.dump(document(result, root), out, indent=2, ensure_ascii=False)
    out.write("\n")
