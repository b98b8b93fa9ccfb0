"""Inline suppressions, decided from the directives each Summary recorded.

``# lintloop: ignore[LL001]`` works on the finding's line or alone on the line
above; ``# noqa: LL001`` on the finding's line; ``# lintloop: skip-file``
drops the file's findings.  Unused lintloop directives become LL902.
"""

from __future__ import annotations

from typing import Dict, List, Set, Tuple

from lintloop.rules import REGISTRY
from lintloop.summary import Directive, Summary
from lintloop.types import Finding, Span


def _matches(directive: Directive, code: str) -> bool:
    return not directive.codes or any(code.startswith(c) for c in directive.codes)


def apply(findings: List[Finding], summaries: Dict[str, Summary], report_unused: bool) -> List[Finding]:
    """Findings left after suppressions, plus LL902 for unused directives when asked."""
    used: Set[Tuple[str, int, int]] = set()
    kept: List[Finding] = []
    for finding in findings:
        summary = summaries.get(finding.path)
        if summary is not None and summary.skip_file:
            continue
        line = finding.source_line or finding.span.line
        suppressed = False
        for directive in (summary.directives if summary is not None else ()):
            if directive.applies_to == line and _matches(directive, finding.code):
                used.add((finding.path, directive.line, directive.column))
                suppressed = True
        if not suppressed:
            kept.append(finding)
    if report_unused:
        kept.extend(_unused(summaries, used))
    return kept


def _unused(summaries: Dict[str, Summary], used: Set[Tuple[str, int, int]]) -> List[Finding]:
    rule = REGISTRY["LL902"]
    out = []
    for path, summary in summaries.items():
        for directive in summary.directives:
            if (path, directive.line, directive.column) in used:
                continue
            ours = [c for c in directive.codes if c.startswith("LL")]
            if directive.kind == "noqa" and not ours:
                continue  # a noqa for another tool
            shown = ", ".join(ours) if ours else "all codes"
            comment = "lintloop: ignore" if directive.kind == "ignore" else "noqa"
            out.append(Finding("LL902", path, Span(directive.line, directive.column, directive.line,
                                                  directive.column + 1),
                               f"unused suppression: `# {comment}` for {shown} matches no finding",
                               rule.severity, (), None, f"LL902|{path}|{directive.line}", directive.line))
    return out
