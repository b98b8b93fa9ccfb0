"""Adopting lintloop in a legacy repository: record today's findings, report only new ones.

``lintloop --write-baseline lintloop-baseline.json`` records every current finding;
``lintloop --baseline lintloop-baseline.json`` then reports only findings that
are not in it.  An entry is keyed by path, code and a hash of *what* the finding
is — the text of its source line and its loop's path (files and notes) — never
by line numbers, so inserting lines above a baselined loop does not bring it
back, while a new loop (a different line or a different path) is reported.
Identical findings are counted, so a copy of a baselined loop is still new.

Paths in the file are relative to the baseline file's own directory, so it works
from any working directory.  File errors (LL900...) are never baselined: they
say lintloop could not check a file at all.  The same hash is SARIF's
``partialFingerprints`` (see :mod:`lintloop.report.sarif`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Tuple

from lintloop.types import Finding, LintResult

BASELINE_VERSION = 1

#: (path relative to the baseline, code, fingerprint)
Key = Tuple[str, str, str]


class BaselineError(Exception):
    """A baseline file that cannot be read, parsed or written (exit status 2)."""


class SourceLines:
    """The lines of each file a finding points at, read once (notebooks as code cells)."""

    def __init__(self) -> None:
        self._lines: Dict[str, List[str]] = {}

    def line(self, path: str, number: int) -> str:
        if path not in self._lines:
            self._lines[path] = _read_lines(path)
        lines = self._lines[path]
        return lines[number - 1] if 0 < number <= len(lines) else ""


def _read_lines(path: str) -> List[str]:
    from lintloop.discover import is_notebook
    from lintloop.extract import SourceError, read_source

    try:
        with open(path, "rb") as handle:
            data = handle.read()
        return read_source(data, is_notebook(path)).text.splitlines()
    except (OSError, SourceError):
        return []


def fingerprint(finding: Finding, relative: Callable[[str], str], lines: SourceLines) -> str:
    """A hash of what a finding is, not where: code, path, its line's text, its loop's path."""
    source = " ".join(lines.line(finding.path, finding.source_line or finding.span.line).split())
    facts = [finding.code, relative(finding.path), source,
             [[relative(step.path), step.note] for step in finding.flow]]
    return hashlib.sha256(json.dumps(facts, separators=(",", ":")).encode("utf-8")).hexdigest()[:32]


def relative_to_directory(directory: str) -> Callable[[str], str]:
    """A function giving paths relative to ``directory`` with ``/`` separators."""
    base = os.path.abspath(directory)

    def relative(path: str) -> str:
        try:
            return os.path.relpath(os.path.abspath(path), base).replace(os.sep, "/")
        except ValueError:  # another drive on Windows
            return os.path.abspath(path).replace(os.sep, "/")

    return relative


@dataclass(frozen=True)
class Entry:
    path: str
    code: str
    fingerprint: str
    count: int = 1
    #: for people reading the file; not part of the key
    message: str = ""

    @property
    def key(self) -> Key:
        return (self.path, self.code, self.fingerprint)


@dataclass(frozen=True)
class Baseline:
    """The findings a project has accepted, and where the file lives (paths are relative to it)."""

    entries: Tuple[Entry, ...]
    directory: str = "."

    # -- building and filtering -------------------------------------------------------

    def keys(self, findings: Tuple[Finding, ...]) -> List[Key]:
        relative = relative_to_directory(self.directory)
        lines = SourceLines()
        return [(relative(f.path), f.code, fingerprint(f, relative, lines)) for f in findings]

    @classmethod
    def from_result(cls, result: LintResult, directory: str = ".") -> "Baseline":
        keys = cls((), directory).keys(result.findings)
        counts = Counter(keys)
        messages: Dict[Key, str] = {}
        for key, finding in zip(keys, result.findings):
            messages.setdefault(key, finding.message)
        entries = tuple(Entry(path, code, digest, counts[(path, code, digest)], messages[(path, code, digest)])
                        for path, code, digest in sorted(counts))
        return cls(entries, directory)

    def filter(self, result: LintResult) -> LintResult:
        """The result without the findings this baseline accepts (each entry as often as counted)."""
        remaining = Counter({entry.key: entry.count for entry in self.entries})
        kept: List[Finding] = []
        for key, finding in zip(self.keys(result.findings), result.findings):
            if remaining[key] > 0:
                remaining[key] -= 1
            else:
                kept.append(finding)
        return replace(result, findings=tuple(kept))

    # -- the file ---------------------------------------------------------------------

    def to_json(self) -> str:
        document = {
            "version": BASELINE_VERSION,
            "findings": [{"path": e.path, "code": e.code, "fingerprint": e.fingerprint, "count": e.count,
                          "message": e.message} for e in self.entries],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    def write(self, path: str) -> None:
        """Write atomically (a temp file renamed over the old one)."""
        temporary = f"{path}.tmp{os.getpid()}"
        try:
            with open(temporary, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(self.to_json())
            os.replace(temporary, path)
        except OSError as exc:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise BaselineError(f"cannot write baseline {path}: {exc.strerror or exc}") from None

    @classmethod
    def load(cls, path: str) -> "Baseline":
        try:
            with open(path, encoding="utf-8") as handle:
                document = json.load(handle)
        except OSError as exc:
            raise BaselineError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise BaselineError(f"baseline {path} is not valid JSON: {exc}") from None
        return cls(_entries(document, path), os.path.dirname(os.path.abspath(path)))


def _entries(document: object, path: str) -> Tuple[Entry, ...]:
    if not isinstance(document, dict) or "version" not in document:
        raise BaselineError(f"baseline {path} is not a lintloop baseline (no version)")
    if document["version"] != BASELINE_VERSION:
        raise BaselineError(f"baseline {path} has version {document['version']!r}; this lintloop reads "
                            f"version {BASELINE_VERSION} (rewrite it with --write-baseline)")
    raw = document.get("findings")
    if not isinstance(raw, list):
        raise BaselineError(f"baseline {path}: 'findings' must be a list")
    entries = []
    for number, item in enumerate(raw, start=1):
        try:
            entry = Entry(str(item["path"]), str(item["code"]), str(item["fingerprint"]),
                          int(item.get("count", 1)), str(item.get("message", "")))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise BaselineError(f"baseline {path}: entry {number} needs 'path', 'code' and "
                                f"'fingerprint'") from None
        entries.append(entry)
    return tuple(entries)
