"""Inline suppressions, decided from the directives each Summary recorded.

``# lintloop: ignore[LL001]`` works on the finding's line or alone on the line
above; ``# noqa: LL001`` on the finding's line; ``# lintloop: skip-file``
drops the file's findings.  Unused lintloop directives become LL902.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Set, Tuple

from lintloop.rules import REGISTRY
from lintloop.summary import Directive, Summary
from lintloop.types import Finding, Span


def _matches(directive: Directive, code: str) -> bool:
    return not directive.codes or any(code.startswith(c) for c in directive.codes)


def _applies(directive: Directive, line: int, cells: Tuple[Tuple[int, int], ...]) -> bool:
    """Does the directive cover ``line``?  A comment alone on the last line of a
    notebook cell does not reach into the next cell (cells are concatenated)."""
    if directive.applies_to != line:
        return False
    return directive.applies_to == directive.line or all(start != line for start, _ in cells)


def apply(findings: List[Finding], summaries: Dict[str, Summary], report_unused: bool,
          enabled: Optional[Iterable[str]] = None) -> List[Finding]:
    """Findings left after suppressions, plus LL902 for unused directives when asked.

    ``enabled`` is the set of codes this run reports (None: all).  A directive code
    that no enabled rule could produce is never called unused: the run cannot tell.
    """
    used: Dict[Tuple[str, int, int], Set[str]] = {}
    kept: List[Finding] = []
    for finding in findings:
        summary = summaries.get(finding.path)
        if summary is not None and summary.skip_file:
            continue
        line = finding.source_line or finding.span.line
        suppressed = False
        for directive in (summary.directives if summary is not None else ()):
            if _applies(directive, line, summary.cells) and _matches(directive, finding.code):
                used.setdefault((finding.path, directive.line, directive.column), set()).add(finding.code)
                suppressed = True
        if not suppressed:
            kept.append(finding)
    if report_unused:
        kept.extend(_unused(summaries, used, None if enabled is None else set(enabled)))
    return kept


def _unused(summaries: Dict[str, Summary], used: Dict[Tuple[str, int, int], Set[str]],
            enabled: Optional[Set[str]]) -> List[Finding]:
    rule = REGISTRY["LL902"]
    out = []
    for path, summary in summaries.items():
        if summary.skip_file:
            continue  # a skipped file reports nothing, not even its stale comments
        for directive in summary.directives:
            matched = used.get((path, directive.line, directive.column), set())
            if not directive.codes:
                if matched or directive.kind == "noqa":
                    continue  # a bare noqa may be for another tool
                shown = "all codes"
            else:
                unused = [c for c in directive.codes if c.startswith("LL")
                          and not any(m.startswith(c) for m in matched)
                          and (enabled is None or any(e.startswith(c) for e in enabled))]
                if not unused:
                    continue  # used, for another tool, or for a rule this run does not check
                shown = ", ".join(unused)
            comment = "lintloop: ignore" if directive.kind == "ignore" else "noqa"
            out.append(Finding("LL902", path, Span(directive.line, directive.column, directive.line,
                                                  directive.column + 1),
                               f"unused suppression: `# {comment}` for {shown} matches no finding",
                               rule.severity, (), None, f"LL902|{path}|{directive.line}", directive.line))
    return out
