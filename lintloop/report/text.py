"""The default human format, one line per finding (``path:line:col: CODE message``)
followed by the loop's path, indented, and a one-line total."""

from __future__ import annotations

from typing import List, TextIO

from lintloop.types import FileError, Finding, LintResult

LOOP_CODES = ("LL001", "LL003")


def location(path: str, line: int, column: int, cell=None) -> str:
    if cell is not None:
        return f"{path}:cell {cell}:{line}:{column}"
    return f"{path}:{line}:{column}"


def finding_line(finding: Finding) -> str:
    where = location(finding.path, finding.span.line, finding.span.column, finding.cell)
    return f"{where}: {finding.code} {finding.message}"


def step_lines(finding: Finding) -> List[str]:
    """The loop's path, one step a line, notes aligned."""
    places = [location(s.path, s.line, s.column, s.cell) for s in finding.flow]
    width = max((len(p) for p in places), default=0)
    return [f"    {place:<{width}}  {step.note}" for place, step in zip(places, finding.flow)]


def error_line(error: FileError) -> str:
    if error.line is not None:
        where = f"{error.path}:{error.line}:{error.column or 1}"
    else:
        where = error.path
    return f"{where}: {error.code} {error.message}"


def render(result: LintResult, out: TextIO, quiet: bool = False) -> None:
    for error in result.errors:
        out.write(error_line(error) + "\n")
    for finding in result.findings:
        out.write(finding_line(finding) + "\n")
        if not quiet:
            for line in step_lines(finding):
                out.write(line + "\n")
    if quiet:
        return
    for note in result.notes:
        out.write(f"note: {note}\n")
    out.write(summary_line(result) + "\n")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(result: LintResult) -> str:
    loops = sum(1 for f in result.findings if f.code in LOOP_CODES)
    others = len(result.findings) - loops
    errors = len(result.errors)
    checked = f"({_plural(result.stats.files, 'file')} checked)"
    if not result.findings and not errors:
        return f"No loops found {checked}."
    parts = []
    if loops:
        parts.append(_plural(loops, "loop"))
    if others:
        parts.append(_plural(others, "other finding"))
    if errors:
        parts.append(_plural(errors, "file error"))
    paths = {f.path for f in result.findings} | {e.path for e in result.errors}
    return f"Found {' and '.join(parts)} in {_plural(len(paths), 'file')} {checked}."
