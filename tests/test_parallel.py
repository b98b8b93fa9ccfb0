"""Worker processes: same findings as one process, picklable results, a serial fallback."""

from __future__ import annotations

import io
import os
import pickle

import pytest

from lintloop import Options, lint_paths, parallel
from lintloop.progress import Progress
from lintloop.vocabulary import Vocabulary
from tests.conftest import FIXTURES, GMM_LOOP

LOOP_RULES = ("LL001", "LL003", "LL004")


def lint_fixtures(**options):
    return lint_paths([os.path.relpath(FIXTURES)], Options(select=LOOP_RULES, isolated=True, **options))


@pytest.fixture
def small_pool(monkeypatch):
    """Use the pool even for the small fixture tree."""
    monkeypatch.setattr(parallel, "POOL_THRESHOLD", 0)
    monkeypatch.setattr(parallel, "CHUNK", 4)


def test_one_and_two_processes_find_the_same(chdir_root, small_pool, tmp_path):
    serial = lint_fixtures(jobs=1, use_cache=False)
    pooled = lint_fixtures(jobs=2, use_cache=False)
    pooled_cached = lint_fixtures(jobs=2, cache_dir=str(tmp_path / "cache"))
    assert serial.findings and serial.findings == pooled.findings == pooled_cached.findings
    assert serial.errors == pooled.errors == pooled_cached.errors
    assert serial.stats.parsed == pooled.stats.parsed == pooled.stats.files


def test_pool_that_cannot_start_falls_back_to_serial(chdir_root, small_pool, monkeypatch):
    import concurrent.futures

    def refuse(*args, **kwargs):
        raise OSError(38, "Function not implemented")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", refuse)
    fallback = lint_fixtures(jobs=2, use_cache=False)
    assert fallback.findings == lint_fixtures(jobs=1, use_cache=False).findings


def test_worker_results_pickle():
    path = str(FIXTURES / "ll001_canonical_transformers.py")
    for result in (parallel.check_file(path, Vocabulary()), parallel.summarise_file((path, None), Vocabulary()),
                   parallel.check_file(str(FIXTURES / "missing.py"), Vocabulary())):
        assert pickle.loads(pickle.dumps(result)) == result


def test_interrupt_stops_the_run_and_saves_nothing(chdir_root, small_pool, tmp_path, monkeypatch):
    calls = []
    original = parallel.encode_summary  # called in the parent for each summary it caches

    def interrupt(summary):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return original(summary)

    monkeypatch.setattr(parallel, "encode_summary", interrupt)
    with pytest.raises(KeyboardInterrupt):
        lint_fixtures(jobs=2, cache_dir=str(tmp_path / "cache"))
    assert not list((tmp_path / "cache").glob("*/*/index.json"))
    monkeypatch.setattr(parallel, "encode_summary", original)
    assert lint_fixtures(jobs=2, cache_dir=str(tmp_path / "cache")).findings == \
        lint_fixtures(jobs=1, use_cache=False).findings


def test_progress_is_silent_off_a_terminal():
    stream = io.StringIO()
    progress = Progress(stream, delay=0.0, rate=1e9).begin(3)
    for _ in range(3):
        progress.advance()
    progress.end()
    assert stream.getvalue() == ""


def test_progress_on_a_terminal_counts_and_erases_itself():
    stream = io.StringIO()
    progress = Progress(stream, delay=0.0, rate=1e9, force=True).begin(2)
    progress.advance()
    progress.advance()
    progress.end()
    assert stream.getvalue() == "\rlintloop: 1/2 files\rlintloop: 2/2 files\r\x1b[K"


def test_syntax_errors_in_stubbed_files_found_by_workers(tmp_path, small_pool, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("[tool.lintloop]\n")
    for index in range(20):
        (tmp_path / f"util_{index}.py").write_text(f"def add_{index}(a, b):\n    return a + b\n")
    (tmp_path / "broken.py").write_text("x = = 1\n")
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # cold, then from the cache
        result = lint_paths(["."], Options(jobs=2, cache_dir=str(tmp_path / "cache")))
        assert [(e.path, e.code, e.line) for e in result.errors] == [("broken.py", "LL900", 1)]
    (tmp_path / "util_3.py").write_text("x = (\n")
    result = lint_paths(["."], Options(jobs=2, cache_dir=str(tmp_path / "cache")))
    assert [(e.path, e.code) for e in result.errors] == [("broken.py", "LL900"), ("util_3.py", "LL900")]


@pytest.mark.parametrize("enabled", [True, False])
def test_a_run_gives_the_garbage_collector_back_as_it_found_it(chdir_root, tmp_path, enabled, monkeypatch):
    """A run pauses the cyclic collector (lintloop.gc_pause); a library caller such as
    flake8 gets it back as it was, when the run succeeds and when it raises."""
    import gc

    seen_during = []
    original = parallel.FilePhase.check

    def check(self):
        seen_during.append(gc.isenabled())
        return original(self)

    monkeypatch.setattr(parallel.FilePhase, "check", check)
    (tmp_path / "loop.py").write_text(GMM_LOOP)
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        result = lint_paths([str(tmp_path)], Options(jobs=1, use_cache=False, isolated=True))
        assert [(f.code, f.span.line) for f in result.findings] == [("LL001", 6)]
        assert gc.isenabled() is enabled

        def fail(self):
            raise RuntimeError("stop")

        monkeypatch.setattr(parallel.FilePhase, "check", fail)
        with pytest.raises(RuntimeError):
            lint_paths([str(tmp_path)], Options(jobs=1, use_cache=False, isolated=True))
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
    assert seen_during == [False]
