"""``--format markdown``: a report for people reading a pull request or a job summary.

A table of everything found, then, for each finding with a loop, its path drawn
as a Mermaid ``flowchart`` (GitHub renders ``mermaid`` code blocks): the
generation (a rounded node), what happens to the samples, the training (a
subroutine node), and a dotted edge back to the generation — the next round.
Every node is labelled ``file:line`` and what happens there.

Labels are escaped for Mermaid (``#``, ``"``, ``<``, ``>`` and backticks become
entity codes) and table cells for Markdown (``|`` and newlines).
"""

from __future__ import annotations

from typing import List, Optional, Sequence, TextIO

from lintloop.report import text
from lintloop.types import Finding, LintResult, Step

#: Mermaid entity codes, ``#`` first so later codes are not escaped again
_MERMAID = (("#", "#35;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("`", "#96;"))


def mermaid_label(value: str) -> str:
    for raw, code in _MERMAID:
        value = value.replace(raw, code)
    return " ".join(value.split())


def table_cell(value: str) -> str:
    """A Markdown table cell: no newlines, ``|`` escaped."""
    return " ".join(value.split()).replace("|", "\\|")


def _where(path: str, line: Optional[int], column: Optional[int] = None, number: Optional[int] = None) -> str:
    if line is None:
        return path
    if number is not None:
        return text.location(path, line, column or 1, number)
    return f"{path}:{line}:{column or 1}"


def flowchart(steps: Sequence[Step]) -> List[str]:
    """The loop as Mermaid lines: ``n1(["file:line<br/>note"])`` nodes, then edges."""
    lines = ["flowchart TD"]
    last = len(steps)
    for number, step in enumerate(steps, start=1):
        place = f"{step.path}:cell {step.cell}:{step.line}" if step.cell is not None else f"{step.path}:{step.line}"
        label = f'"{mermaid_label(place)}<br/>{mermaid_label(step.note)}"'
        if number == 1:
            shape = f"([{label}])"
        elif number == last:
            shape = f"[[{label}]]"
        else:
            shape = f"[{label}]"
        lines.append(f"    n{number}{shape}")
    for number in range(1, last):
        lines.append(f"    n{number} --> n{number + 1}")
    if last > 1:
        lines.append(f"    n{last} -.->|next round| n1")
    return lines


def _table(result: LintResult) -> List[str]:
    rows = ["| Severity | Location | Code | Message |", "| --- | --- | --- | --- |"]
    for error in result.errors:
        rows.append(f"| error | `{table_cell(_where(error.path, error.line, error.column))}` | {error.code} "
                    f"| {table_cell(error.message)} |")
    for finding in result.findings:
        where = _where(finding.path, finding.span.line, finding.span.column, finding.cell)
        rows.append(f"| {finding.severity} | `{table_cell(where)}` | {finding.code} | {table_cell(finding.message)} |")
    return rows


def _loop_section(number: int, finding: Finding) -> List[str]:
    where = _where(finding.path, finding.span.line, finding.span.column, finding.cell)
    return ([f"### {number}. {finding.code} at `{where}`", "", finding.message, "", "```mermaid"]
            + flowchart(finding.flow) + ["```", ""])


def render(result: LintResult, out: TextIO) -> None:
    lines = ["## lintloop", "", text.summary_line(result), ""]
    if result.findings or result.errors:
        lines += _table(result) + [""]
    for number, finding in enumerate((f for f in result.findings if f.flow), start=1):
        lines += _loop_section(number, finding)
    out.write("\n".join(lines).rstrip("\n") + "\n")
