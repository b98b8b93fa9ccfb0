"""The library entry point: ``lint_paths`` does everything the CLI does.

Each layer wraps the one below (as in Fixit's api): ``lint_sources`` links
and checks Summaries, ``lint_paths`` adds configuration, discovery and the
per-file work.  Nothing here prints; reporters render the returned result.
"""

from __future__ import annotations

import time
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from lintloop.config import enabled_codes, load_config
from lintloop.discover import discover
from lintloop.graph import FlowGraph
from lintloop.link import link
from lintloop.rules import GRAPH_RULES
from lintloop.summary import Summary
from lintloop import suppress
from lintloop.types import Config, FileError, Finding, LintResult, Options, Stats
from lintloop.vocabulary import Vocabulary
from lintloop.worker import process


def vocabulary_for(config: Config) -> Vocabulary:
    return Vocabulary(config.extend_generators, config.extend_trainers, config.extend_filters,
                      config.extend_external)


def lint_paths(paths: Sequence[str], options: Optional[Options] = None) -> LintResult:
    """Lint files and directories; configuration comes from the nearest pyproject.toml."""
    options = options or Options()
    started = time.perf_counter()
    config = load_config(paths or ["."], options.config_file, options.isolated)
    codes = enabled_codes(config, options.select, options.extend_select, options.ignore)
    vocab = vocabulary_for(config)
    files, errors = discover(list(paths) or ["."], config.exclude, config.root)
    summaries, file_errors, stats = summarise_files(files, vocab, config, options)
    errors.extend(file_errors)
    result = lint_summaries(summaries, config.root, codes, errors, options.verbose)
    elapsed = time.perf_counter() - started
    return LintResult(result.findings, result.errors,
                      Stats(len(files), stats[0], stats[1], round(elapsed, 3)), result.notes, result.warnings)


def summarise_files(files: Sequence[str], vocab: Vocabulary, config: Config, options: Options
                    ) -> Tuple[Dict[str, Summary], List[FileError], Tuple[int, int]]:
    """Summaries of every file (parsed now), and the files that failed."""
    summaries: Dict[str, Summary] = {}
    errors: List[FileError] = []
    for path in files:
        _, outcome, _ = process(path, vocab)
        if isinstance(outcome, FileError):
            errors.append(outcome)
        else:
            summaries[path] = outcome
    return summaries, errors, (len(files), 0)


def lint_summaries(summaries: Dict[str, Summary], root: str, codes: Iterable[str],
                   errors: Sequence[FileError] = (), verbose: bool = False) -> LintResult:
    """Link Summaries into one flow graph, run the enabled rules, apply suppressions."""
    enabled = set(codes)
    graph = FlowGraph(link(sorted(summaries.items()), root))
    findings: List[Finding] = []
    for rule in GRAPH_RULES:
        if rule.code in enabled and rule.check is not None:
            findings.extend(rule.check(graph))
    findings = suppress.apply(findings, summaries, report_unused="LL902" in enabled, enabled=enabled)
    findings.sort(key=lambda f: (f.path, f.source_line or f.span.line, f.span.column, f.code))
    kept_errors = sorted((e for e in errors if e.code in enabled or e.code == "LL999"),
                         key=lambda e: (e.path, e.line or 0, e.code))
    notes = tuple(sorted(set(graph.notes))) if verbose else ()
    return LintResult(tuple(findings), tuple(kept_errors), Stats(len(summaries)), notes)


def lint_source(source: str, path: str = "<string>", codes: Optional[Iterable[str]] = None,
                vocab: Optional[Vocabulary] = None) -> LintResult:
    """Lint one source text (tests, editors)."""
    return lint_sources({path: source}, codes, vocab)


def lint_sources(sources: Dict[str, str], codes: Optional[Iterable[str]] = None,
                 vocab: Optional[Vocabulary] = None, root: str = ".") -> LintResult:
    """Lint several in-memory files together, as if they were one project."""
    from lintloop.worker import summarise_bytes

    vocab = vocab or Vocabulary()
    if codes is None:
        codes = enabled_codes(Config(), None, (), ())
    summaries: Dict[str, Summary] = {}
    errors: List[FileError] = []
    for path, text in sources.items():
        outcome = summarise_bytes(path, text.encode("utf-8"), vocab)
        if isinstance(outcome, FileError):
            errors.append(outcome)
        else:
            summaries[path] = outcome
    return lint_summaries(summaries, root, codes, errors)
