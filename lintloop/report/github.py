"""``--format github``: GitHub Actions workflow commands, one annotation per finding.

GitHub turns ``::warning file=...,line=...::message`` lines printed by a step into
annotations on the pull request's diff.  Severities map warning → ``warning``,
error → ``error``, info → ``notice``; file errors (LL900, LL901, LL999) are
``error`` annotations.  Values are escaped as the Actions toolkit does
(``command.ts``): ``%``, CR and LF in the message; also ``:`` and ``,`` in
properties.  A range over several lines drops ``col``/``endColumn``, which GitHub
rejects there (as ruff's ``github.rs`` does).

GitHub shows only the first 10 annotations of each level per step, so a plain
summary line with the totals follows the annotations: nothing is lost silently.
"""

from __future__ import annotations

from typing import Dict, List, Optional, TextIO, Tuple

from lintloop.report import text
from lintloop.report.paths import relative_to, repository_root
from lintloop.types import FileError, Finding, LintResult

#: finding severity -> workflow command
COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}
#: annotations GitHub displays per level and step
SHOWN_PER_LEVEL = 10


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(level: str, properties: List[Tuple[str, object]], message: str) -> str:
    """One workflow command line: ``::level key=value,...::message``."""
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{level} {props}::{escape_data(message)}"


def _file(path: str, root: str) -> str:
    return relative_to(path, root) or path


def finding_command(finding: Finding, root: str) -> str:
    span = finding.span
    properties: List[Tuple[str, object]] = [("file", _file(finding.path, root))]
    message = finding.message
    if finding.cell is not None:
        # an .ipynb's lines are JSON, not code: say where in the notebook instead
        message = f"cell {finding.cell}, line {span.line}: {message}"
    elif span.end_line == span.line:
        properties += [("line", span.line), ("col", span.column), ("endLine", span.end_line),
                       ("endColumn", span.end_column)]
    else:
        properties += [("line", span.line), ("endLine", span.end_line)]
    properties.append(("title", f"lintloop ({finding.code})"))
    if finding.flow:
        steps = [f"{number}. {text.location(s.path, s.line, s.column, s.cell)} {s.note}"
                 for number, s in enumerate(finding.flow, start=1)]
        message = "\n".join([message, "", "Loop path:"] + steps)
    return command(COMMANDS.get(finding.severity, "warning"), properties, message)


def error_command(error: FileError, root: str) -> str:
    properties: List[Tuple[str, object]] = [("file", _file(error.path, root))]
    if error.line is not None:
        properties += [("line", error.line), ("col", error.column or 1)]
    properties.append(("title", f"lintloop ({error.code})"))
    return command("error", properties, error.message)


def render(result: LintResult, out: TextIO, root: Optional[str] = None) -> None:
    root = root or repository_root()
    counts: Dict[str, int] = {}
    for error in result.errors:
        out.write(error_command(error, root) + "\n")
        counts["error"] = counts.get("error", 0) + 1
    for finding in result.findings:
        out.write(finding_command(finding, root) + "\n")
        level = COMMANDS.get(finding.severity, "warning")
        counts[level] = counts.get(level, 0) + 1
    out.write(text.summary_line(result) + "\n")
    hidden = [f"{count} {level}s" for level, count in sorted(counts.items()) if count > SHOWN_PER_LEVEL]
    if hidden:
        out.write(f"GitHub shows only the first {SHOWN_PER_LEVEL} annotations of each level per step; "
                  f"this step has {' and '.join(hidden)}: all are listed above.\n")
