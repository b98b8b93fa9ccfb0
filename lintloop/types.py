"""Shared value types: what every stage hands to the next.

All of them are frozen dataclasses built from tuples, so they hash, compare and
cross process boundaries.  Lines and columns are 1-based everywhere in lintloop:
the extractor converts ``ast``'s 0-based columns once, when it builds a Summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Tuple

#: Rule codes are strings such as ``"LL001"``.
Code = str


@dataclass(frozen=True)
class Span:
    """A region of a source file (1-based lines and columns, end exclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Step:
    """One step of a loop's path, as shown under a finding."""

    path: str
    line: int
    column: int
    note: str
    #: For notebooks: the 1-based cell number (``line`` is then relative to the cell).
    cell: Optional[int] = None


@dataclass(frozen=True)
class Finding:
    """A rule violation at one place, with the path that explains it."""

    code: Code
    path: str
    span: Span
    message: str
    severity: str
    flow: Tuple[Step, ...] = ()
    #: For notebooks: the 1-based cell number (``span`` lines are then relative to the cell).
    cell: Optional[int] = None
    #: Stable facts used by the baseline and SARIF fingerprints (not line numbers).
    fingerprint: str = ""
    #: The line in the file as parsed (differs from ``span.line`` only in notebooks);
    #: suppression comments are matched against it.
    source_line: int = 0


@dataclass(frozen=True)
class FileError:
    """A file lintloop could not analyse (LL900 parse, LL901 read/decode, LL999 internal)."""

    path: str
    code: Code
    message: str
    line: Optional[int] = None
    column: Optional[int] = None


@dataclass(frozen=True)
class Stats:
    files: int = 0
    parsed: int = 0
    cached: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class LintResult:
    """Everything one run produced; reporters render exactly this."""

    findings: Tuple[Finding, ...]
    errors: Tuple[FileError, ...]
    stats: Stats = field(default_factory=Stats)
    #: Human-readable notes for ``--verbose`` (unresolved calls and similar).
    notes: Tuple[str, ...] = ()
    warnings: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """Settings from ``[tool.lintloop]``, validated (see :mod:`lintloop.config`)."""

    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    exclude: Tuple[str, ...] = ()
    extend_generators: Tuple[str, ...] = ()
    extend_trainers: Tuple[str, ...] = ()
    extend_filters: Tuple[str, ...] = ()
    extend_external: Tuple[str, ...] = ()
    cache_dir: Optional[str] = None
    #: the pyproject.toml it came from (None: defaults)
    source: Optional[str] = None
    #: the project root: where pyproject.toml or .git is, or the common parent of the paths
    root: str = "."


@dataclass(frozen=True)
class Options:
    """What the caller (CLI or Python) asks for; overrides the configuration."""

    select: Optional[Tuple[str, ...]] = None
    extend_select: Tuple[str, ...] = ()
    ignore: Tuple[str, ...] = ()
    config_file: Optional[str] = None
    #: read and write the summary cache (``--no-cache`` turns it off)
    use_cache: bool = True
    #: where the cache lives (default: ``$LINTLOOP_CACHE_DIR``, ``cache-dir``, ``.lintloop_cache``)
    cache_dir: Optional[str] = None
    #: worker processes for files that must be parsed (None: one per CPU; 1: no pool)
    jobs: Optional[int] = None
    #: show ``files done / total`` on stderr while parsing (only if stderr is a terminal)
    progress: bool = False
    verbose: bool = False
    #: ignore pyproject.toml entirely
    isolated: bool = False
