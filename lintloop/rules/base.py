"""What a rule is: data (code, texts, examples) plus a query on the flow graph."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from lintloop.types import Finding, Span, Step

if TYPE_CHECKING:  # the registry is read on every run; the engine only when a graph is checked
    from lintloop.graph import FlowGraph
    from lintloop.link.edges import GEdge, StepTuple

#: A rule example: one source text, or ``{path: source}`` for several files.
Example = Union[str, Dict[str, str]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str  # "warning" | "info" | "error"
    enabled: bool
    summary: str
    #: ruff-style sections: what it does, why it matters, example, use instead, references
    what: str
    why: str
    example: str
    use_instead: str
    references: Tuple[str, ...] = ()
    valid: Tuple[Example, ...] = ()
    invalid: Tuple[Example, ...] = ()
    check: Optional[Callable[[FlowGraph], Iterator[Finding]]] = field(default=None, compare=False)
    #: why the rule is off by default, for ``lintloop rules``
    off_reason: str = ""

    def explanation(self) -> str:
        """The long text of ``lintloop rule CODE`` (and SARIF ``help``)."""
        parts = [f"# {self.code} {self.name}", "", f"Default: {'on' if self.enabled else 'off'}, "
                 f"severity {self.severity}.", "", "## What it does", self.what, "", "## Why is this bad?",
                 self.why]
        if self.example:
            parts += ["", "## Example", "```python", self.example.strip("\n"), "```"]
        if self.use_instead:
            parts += ["", "## Use instead", "```python", self.use_instead.strip("\n"), "```"]
        if self.references:
            parts += ["", "## References"] + [f"- {r}" for r in self.references]
        return "\n".join(parts) + "\n"


# -- building findings -------------------------------------------------------------------

def display(graph: FlowGraph, path: str, line: int) -> Tuple[Optional[int], int]:
    """(cell, line) for output: notebooks count lines within each cell."""
    cells = graph.cells.get(path)
    if not cells:
        return None, line
    from lintloop.extract.source import cell_position  # not at import: a warm run never loads the extractor

    return cell_position(cells, line)


def steps_for(graph: FlowGraph, edges: Sequence[GEdge], leading: Iterable[GEdge] = ()) -> Tuple[Step, ...]:
    """The explanation of a path: every noted step, callee steps included, no repeats."""
    raw: List[StepTuple] = []
    for edge in leading:
        if edge.note:
            raw.extend(edge.via)
            raw.append(edge.step())
    for edge in edges:
        raw.extend(edge.via)
        if edge.note:
            raw.append(edge.step())
    out: List[Step] = []
    seen = set()
    for path, line, column, note in raw:
        if not path or line <= 0:
            continue
        key = (path, line, note)
        if key in seen:
            continue
        seen.add(key)
        cell, shown = display(graph, path, line)
        out.append(Step(path, shown, column, note, cell))
    return tuple(out)


def make_finding(graph: FlowGraph, rule: Rule, edge: GEdge, message: str, flow: Tuple[Step, ...],
                 identity: str) -> Finding:
    cell, line = display(graph, edge.path, edge.line)
    end_line = line + (edge.end_line - edge.line)
    # the path as typed may be `src/x.py` or `./src/x.py`: the fingerprint must not care
    where = os.path.normpath(edge.path).replace(os.sep, "/")
    digest = hashlib.sha256(f"{rule.code}|{where}|{edge.text}|{identity}".encode("utf-8", "surrogateescape")
                            ).hexdigest()[:20]  # surrogateescape: file names that are not UTF-8
    return Finding(rule.code, edge.path, Span(line, edge.column, end_line, edge.end_column), message,
                   rule.severity, flow, cell, digest, edge.line)
