"""The library entry point: ``lint_paths`` does everything the CLI does.

Each layer wraps the one below (as in Fixit's api): ``lint_sources`` links
and checks Summaries, ``lint_paths`` adds configuration, discovery and the
per-file work.  Nothing here prints; reporters render the returned result.
"""

from __future__ import annotations

import os
import time
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from lintloop.config import enabled_codes, load_config
from lintloop.discover import discover
from lintloop.gc_pause import cyclic_gc_paused
from lintloop.summary import Summary
from lintloop.types import Config, FileError, Finding, LintResult, Options, Stats
from lintloop.vocabulary import Vocabulary

# The link, graph and rule modules (and networkx) are imported where they are used:
# a warm run with nothing changed never needs them.


def vocabulary_for(config: Config) -> Vocabulary:
    return Vocabulary(config.extend_generators, config.extend_trainers, config.extend_filters,
                      config.extend_external)


def lint_paths(paths: Sequence[str], options: Optional[Options] = None) -> LintResult:
    """Lint files and directories; configuration comes from the nearest pyproject.toml."""
    with cyclic_gc_paused():
        return _lint_paths(paths, options or Options())


def _lint_paths(paths: Sequence[str], options: Options) -> LintResult:
    started = time.perf_counter()
    config = load_config(paths or ["."], options.config_file, options.isolated)
    codes = enabled_codes(config, options.select, options.extend_select, options.ignore)
    vocab = vocabulary_for(config)
    files, errors = discover(list(paths) or ["."], config.exclude, config.root)
    result, parsed, cached, warnings = summarise_and_check(files, errors, vocab, config, options, codes)
    elapsed = time.perf_counter() - started
    return LintResult(result.findings, result.errors, Stats(len(files), parsed, cached, round(elapsed, 3)),
                      result.notes, tuple(warnings) + tuple(result.warnings))


def summarise_and_check(files: Sequence[str], errors: List[FileError], vocab: Vocabulary, config: Config,
                        options: Options, codes: Sequence[str]) -> Tuple[LintResult, int, int, List[str]]:
    """The per-file phase through the cache and the pool, then the global pass.

    When every file's content and the options are those of a cached run, its
    findings are reused (they are a pure function of exactly those inputs).
    Returns (result, files parsed now, files from the cache, cache warnings).
    """
    from lintloop import cache as caching
    from lintloop.parallel import FilePhase
    from lintloop.progress import Progress

    store, warnings = open_cache(config, options, vocab)
    phase = FilePhase(files, vocab, config.root, store, options.jobs, Progress() if options.progress else None)
    phase.check()
    key = phase.run_key(codes, options.verbose, errors)
    result: Optional[LintResult] = None
    if store is not None:
        stored = store.load_result(key)
        if stored is not None:
            try:
                findings, kept, notes = caching.decode_result(stored)
                result = LintResult(findings, kept, Stats(len(files)), notes)
            except (KeyError, TypeError, ValueError) as exc:
                warnings.append(f"cached result for this run is damaged ({type(exc).__name__}); recomputing it")
    if result is None:
        summaries, file_errors = phase.summaries()
        phase.start_syntax_checks()
        try:
            result = lint_summaries(summaries, config.root, codes, list(errors) + file_errors, options.verbose)
            broken = phase.finish_syntax_checks()
        finally:
            phase.stop_syntax_checks()
        if broken:  # a stubbed file does not parse: lint as if it had been analysed from the start
            for path, outcome in broken.items():
                summaries.pop(path, None)
                if isinstance(outcome, FileError):
                    file_errors.append(outcome)
                else:
                    summaries[path] = outcome
            result = lint_summaries(summaries, config.root, codes, list(errors) + file_errors, options.verbose)
        if store is not None and not any(e.code == "LL999" for e in result.errors):
            try:
                store.store_result(key, caching.encode_result(result.findings, result.errors, result.notes))
            except OSError:
                pass
    if store is not None:
        store.save(config.root)
        warnings.extend(w for w in store.warnings if w not in warnings)
    return result, phase.parsed, phase.cached, warnings


def open_cache(config: Config, options: Options, vocab: Vocabulary):
    """(the cache or None, warnings): None with ``--no-cache`` or an unwritable directory."""
    if not options.use_cache:
        return None, []
    from lintloop import __version__
    from lintloop.cache import Cache, cache_key, resolve_dir

    directory = resolve_dir(config.root, options.cache_dir, config.cache_dir)
    # one key directory per project root: a shared $LINTLOOP_CACHE_DIR never mixes two checkouts
    return Cache.open(directory, cache_key(vocab.fingerprint(), os.path.abspath(config.root)), __version__)


def summarise_files(files: Sequence[str], vocab: Vocabulary, config: Config, options: Options
                    ) -> Tuple[Dict[str, Summary], List[FileError], Tuple[int, int]]:
    """Summaries of every file (no cache), the files that failed, and (parsed, cached)."""
    from lintloop.parallel import FilePhase

    phase = FilePhase(files, vocab, config.root, None, options.jobs)
    phase.check()
    summaries, errors = phase.summaries()
    phase.start_syntax_checks()
    for path, outcome in phase.finish_syntax_checks().items():
        summaries.pop(path, None)
        if isinstance(outcome, FileError):
            errors.append(outcome)
        else:
            summaries[path] = outcome
    return summaries, errors, (phase.parsed, phase.cached)


def lint_summaries(summaries: Dict[str, Summary], root: str, codes: Iterable[str],
                   errors: Sequence[FileError] = (), verbose: bool = False) -> LintResult:
    """Link Summaries into one flow graph, run the enabled rules, apply suppressions."""
    from lintloop import suppress
    from lintloop.graph import FlowGraph
    from lintloop.link import link
    from lintloop.rules import GRAPH_RULES

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
