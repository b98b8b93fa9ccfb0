"""The per-file phase of a run: cached, prefiltered, spread over processes.

1. **Check** every file against the cache: same (size, mtime), or same content
   digest, means its prefilter scan (and Summary, if it has one) is reused.
   Changed files are read, hashed and scanned; the relevant ones are also
   summarised in the same job (one read, one process hop).
2. **Promote** (:func:`lintloop.extract.prefilter.promote`): helpers and glue of
   relevant files are interpreted in full too; the rest get stub summaries.
3. **Summarise** whatever still lacks a Summary.

Jobs run in a process pool when there is enough work (``--jobs``; 1 means
serial).  Workers ignore SIGINT: on Ctrl-C the main process terminates them and
writes nothing, so the cache stays as the last complete run left it.  If a pool
cannot be created, or dies, the remaining work runs serially.  Job functions
are module-level and return plain tuples, so they pickle.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Dict, FrozenSet, Iterator, List, Optional, Sequence, Tuple, Union

from lintloop.cache import RACY_NS, Cache, Entry, digest, encode_summary
from lintloop.discover import is_notebook
from lintloop.progress import Progress
from lintloop.summary import Summary
from lintloop.types import FileError
from lintloop.vocabulary import Vocabulary

_LINTLOOP_NOQA = re.compile(rb"noqa[ \t]*:[^\n]*ll[0-9]")
#: Files per job sent to a worker: large enough to amortise a round trip.
CHUNK = 16
#: Below this much work (bytes to read and analyse) a pool costs more than it saves.
POOL_THRESHOLD = 2_000_000


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# -- jobs (run in workers; module-level, plain values in and out) ----------------------

_VOCAB: Optional[Vocabulary] = None


def _init_worker(vocab: Vocabulary) -> None:
    """Pool initializer: Ctrl-C is the main process's business."""
    global _VOCAB
    gc.disable()  # as in the main process (see lintloop.gc_pause); a forked worker inherits it anyway
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _VOCAB = vocab


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C while workers are started: a worker forked then inherits the block and
    ignores SIGINT before it is unblocked, so a Ctrl-C sent to the whole process group
    never kills a worker half-way through its start (with a traceback)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


#: (path, size, mtime_ns, settled, digest, scan row or None, error, summary).
#: Summaries cross the process boundary as objects: unpickling them measured 2.4x
#: faster than decoding their JSON, and a serial run needs neither; the parent encodes
#: them for the cache only when there is one.
Checked = Tuple[str, int, int, bool, str, Any, Optional[FileError], Optional[Summary]]


def check_file(path: str, vocab: Vocabulary) -> Checked:
    """Read, hash and scan one file; summarise it now when the prefilter keeps it."""
    from lintloop.extract.prefilter import scan
    from lintloop.worker import read_bytes

    try:
        stat = os.stat(path)
    except OSError:
        stat = None
    data = read_bytes(path)
    if isinstance(data, FileError) or stat is None:
        error = data if isinstance(data, FileError) else FileError(path, "LL901", "cannot read: file vanished")
        return path, -1, -1, False, "", None, error, None
    settled = stat.st_mtime_ns < time.time_ns() - RACY_NS
    item = scan(data, is_notebook(path), vocab.extra_words, check_syntax=False)
    row = scan_row(item)
    outcome: Optional[FileError] = None
    payload = None
    if item.relevant:
        summary = _summarise_relevant(path, data, vocab)
        if isinstance(summary, Summary):
            payload = summary
        else:
            outcome = summary
    return path, stat.st_size, stat.st_mtime_ns, settled, digest(data), row, outcome, payload


def _summarise_relevant(path: str, data: bytes, vocab: Vocabulary, needed: FrozenSet[str] = frozenset()
                        ) -> Union[Summary, FileError]:
    """The Summary of a relevant file; a long one is first reduced to its relevant blocks.

    Suppression comments are read from the whole file, so none is lost with a
    dropped block.  A file with a coding cookie, a ``skip-file`` or an error is
    summarised whole (the full extraction reports it as it would anyway).
    """
    from dataclasses import replace

    from lintloop.extract import summarise_tree
    from lintloop.extract.directives import read_directives
    from lintloop.extract.prefilter import REDUCE_LINES, reduce_source
    from lintloop.worker import summarise_bytes

    if is_notebook(path) or data.count(b"\n") < REDUCE_LINES or b"coding" in b"\n".join(data.split(b"\n", 2)[:2]):
        return summarise_bytes(path, data, vocab)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return summarise_bytes(path, data, vocab)
    lowered = data.lower()
    # only comments that name lintloop or its codes matter beyond the kept code (LL902)
    whole = b"lintloop" in lowered or (b"noqa" in lowered and _LINTLOOP_NOQA.search(lowered))
    directives, skip = read_directives(text) if whole else ((), False)
    reduced = None if skip else reduce_source(text, vocab.extra_words, needed)
    if reduced is None:
        return summarise_bytes(path, data, vocab)
    try:
        summary = summarise_tree(reduced, text, vocab)
    except Exception:  # noqa: BLE001 - the whole file, the normal way, reports what went wrong
        return summarise_bytes(path, data, vocab)
    return replace(summary, directives=directives)


def scan_row(item: Any) -> list:
    """A prefilter Scan as JSON-ready data (what the cache index keeps per file)."""
    from lintloop.cache import encode_records

    return [item.relevant, encode_records(item.imports), list(item.active), encode_records(item.directives),
            item.skip_file, list(item.called), item.checked]


def row_scan(row: Any) -> Any:
    """The inverse of :func:`scan_row`; ValueError or TypeError when the row is damaged."""
    from lintloop.cache import decode_records
    from lintloop.extract.prefilter import Scan
    from lintloop.summary import Directive, Import

    relevant, imports, active, directives, skip, called, checked = row
    if not all(isinstance(v, list) for v in (active, called)):
        raise ValueError("bad scan")
    return Scan(bool(relevant), decode_records(Import, imports), tuple(str(a) for a in active),
                decode_records(Directive, directives), bool(skip), tuple(str(c) for c in called), bool(checked))


#: (path, digest, error, summary)
Summarised = Tuple[str, str, Optional[FileError], Optional[Summary]]


def summarise_file(item: Tuple[str, Optional[FrozenSet[str]]], vocab: Vocabulary) -> Summarised:
    """Summarise a promoted file: all of it, or (a long helper) the names others import."""
    from lintloop.worker import read_bytes, summarise_bytes

    path, needed = item
    data = read_bytes(path)
    if isinstance(data, FileError):
        return path, "", data, None
    if needed is None:
        summary = summarise_bytes(path, data, vocab)
    else:
        summary = _summarise_relevant(path, data, vocab, needed)
    if isinstance(summary, FileError):
        return path, digest(data), summary, None
    return path, digest(data), None, summary


def syntax_file(path: str, vocab: Vocabulary) -> Tuple[str, Optional[bool]]:
    """(path, whether it parses); None when it cannot be read (reported elsewhere)."""
    from lintloop.extract.prefilter import compiles
    from lintloop.worker import read_bytes

    data = read_bytes(path)
    return path, None if isinstance(data, FileError) else compiles(data)


def _syntax_chunk(paths: Sequence[str]) -> List[Tuple[str, Optional[bool]]]:
    return [syntax_file(p, _VOCAB) for p in paths]  # type: ignore[arg-type]


def _check_chunk(paths: Sequence[str]) -> List[Checked]:
    assert _VOCAB is not None
    return [check_file(p, _VOCAB) for p in paths]


def _summarise_chunk(items: Sequence[Tuple[str, Optional[FrozenSet[str]]]]) -> List[Summarised]:
    assert _VOCAB is not None
    return [summarise_file(item, _VOCAB) for item in items]


# -- running jobs ------------------------------------------------------------------------


class Runner:
    """Runs chunked jobs in a process pool (created on first need) or serially."""

    def __init__(self, vocab: Vocabulary, jobs: int, progress: Optional[Callable[[int], None]] = None,
                 display: Optional[Progress] = None) -> None:
        self.vocab = vocab
        self.jobs = max(1, jobs)
        self.progress = progress or (lambda n: None)
        self.display = display
        self._pool: Any = None
        self._pool_failed = False

    def map(self, chunk_job: Callable[[Sequence[Any]], List[Any]], one: Callable[[Any, Vocabulary], Any],
            paths: Sequence[Any], work: int) -> Iterator[Any]:
        """Results of ``one(item)`` for every item (a path, or a path and names), in any order."""
        pending = list(paths)
        if self.jobs > 1 and work >= POOL_THRESHOLD and len(pending) > CHUNK:
            # largest files first, so that no worker is left with a big one at the end
            pending.sort(key=lambda item: -_size(item if isinstance(item, str) else item[0]))
            pool = self._get_pool()
            if pool is not None:
                yield from self._pooled(pool, chunk_job, one, pending)
                return
        for path in pending:
            yield one(path, self.vocab)
            self.progress(1)

    def _pooled(self, pool: Any, chunk_job: Callable, one: Callable[[str, Vocabulary], Any],
                pending: List[str]) -> Iterator[Any]:
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        chunks = _chunks(pending, self.jobs)
        futures: Dict[Any, List[Any]] = {}
        try:
            with _sigint_deferred():
                for chunk in chunks:
                    futures[pool.submit(chunk_job, chunk)] = chunk
        except (OSError, RuntimeError, BrokenProcessPool):  # workers cannot be started
            futures = {}
        done = set()
        try:
            for future in as_completed(futures):
                chunk = futures[future]
                try:
                    results = future.result()
                except (BrokenProcessPool, OSError):
                    break
                done.add(future)
                self.progress(len(chunk))
                yield from results
        except BaseException:
            self.close(kill=True)
            raise
        remaining = [chunk for future, chunk in futures.items() if future not in done] if futures else chunks
        if remaining:  # the pool could not start or died (a worker was killed): finish serially
            self.close(kill=True)
            self._pool_failed = True
            for chunk in remaining:
                for path in chunk:
                    yield one(path, self.vocab)
                self.progress(len(chunk))

    def _get_pool(self) -> Any:
        if self._pool is not None or self._pool_failed:
            return self._pool
        try:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            if multiprocessing.current_process().daemon:
                # inside a pool worker (flake8 -j, a user's multiprocessing.Pool): daemonic
                # processes may not have children, so this run stays serial
                self._pool_failed = True
                return None
            method = "fork" if sys.platform.startswith("linux") else None
            context = multiprocessing.get_context(method)
            self._pool = ProcessPoolExecutor(self.jobs, mp_context=context, initializer=_init_worker,
                                             initargs=(self.vocab,))
        except (OSError, ImportError, ValueError, NotImplementedError, RuntimeError):
            self._pool_failed = True
            self._pool = None
        return self._pool

    def close(self, kill: bool = False) -> None:
        if self.display is not None:
            self.display.end()
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if not kill:
            pool.shutdown(wait=True)
            return
        # Ctrl-C or a broken pool: stop the workers now.  Waiting in shutdown() after a
        # terminate() can hang (Python 3.9), so the workers are joined here, with a bound.
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            try:
                process.terminate()
            except (OSError, AttributeError):
                pass
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            try:
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
                    process.join(timeout=5)
            except (OSError, AttributeError, ValueError):
                pass


# -- the phase ------------------------------------------------------------------------------


class FilePhase:
    """Summaries for a run's files, through the cache, the prefilter and the pool."""

    def __init__(self, files: Sequence[str], vocab: Vocabulary, root: str, cache: Optional[Cache],
                 jobs: Optional[int] = None, progress: Optional[Progress] = None) -> None:
        self.files = list(files)
        self.vocab = vocab
        self.root = os.path.abspath(root)
        self.cache = cache
        self.jobs = jobs if jobs and jobs > 0 else default_jobs()
        self.progress = progress
        self.digests: Dict[str, str] = {}
        self.rows: Dict[str, Any] = {}
        self.outcomes: Dict[str, Union[Summary, FileError]] = {}
        self.errors: Dict[str, FileError] = {}
        self.analysed: set = set()
        self._cwd: Optional[str] = None
        self.scans: Dict[str, Any] = {}
        self.unchecked: List[str] = []
        self._syntax_results = {}
        self._syntax_futures = {}

    # -- 1. check ------------------------------------------------------------------------

    def check(self) -> None:
        """Find each file's digest and scan: from the cache when unchanged, else by reading it."""
        changed: List[str] = []
        work = 0
        seen = set()
        for path in self.files:
            key = self._key(path)
            seen.add(key)
            entry = self.cache.get(key) if self.cache is not None else None
            try:
                stat = os.stat(path)
            except OSError:
                changed.append(path)  # reported as unreadable by the job
                continue
            if entry is not None and entry.size == stat.st_size and entry.mtime_ns == stat.st_mtime_ns \
                    and entry.settled:
                self.digests[path] = entry.digest
                continue
            if entry is not None and entry.size == stat.st_size and self._same_content(path, entry, stat):
                continue
            changed.append(path)
            work += stat.st_size
        if self.cache is not None:
            self.cache.prune(seen, self.root)
        if not changed:
            return
        runner = self._runner(len(changed))
        try:
            for result in runner.map(_check_chunk, check_file, changed, work):
                self._record(*result)
        finally:
            runner.close()

    def _same_content(self, path: str, entry: Entry, stat: os.stat_result) -> bool:
        """A touched file (new mtime, same bytes) keeps its entry, with the new stat."""
        try:
            with open(path, "rb") as handle:
                content = digest(handle.read())
        except OSError:
            return False
        if content != entry.digest:
            return False
        settled = stat.st_mtime_ns < time.time_ns() - RACY_NS
        assert self.cache is not None
        self.cache.put(self._key(path), Entry(stat.st_size, stat.st_mtime_ns, content, settled))
        self.digests[path] = content
        return True

    # -- 2. and 3. summarise --------------------------------------------------------------

    def summaries(self) -> Tuple[Dict[str, Summary], List[FileError]]:
        """Every readable file's Summary (full or stub), and the files that failed."""
        from lintloop.extract.prefilter import Scan, promote, stub_summary

        self._rescan_missing()
        scans: Dict[str, Scan] = {}
        for path, row in self.rows.items():
            try:
                scans[path] = row_scan(row)
            except (ValueError, TypeError):
                scans[path] = Scan(True, ())  # a damaged scan: analyse the file in full
        # the raw rows (and the cache's table of them) are not needed past this point: the
        # global pass that follows is where a run's memory peaks
        self.rows = {}
        if self.cache is not None:
            self.cache.scans = None
        chosen = promote(scans, self.root)
        self.scans = scans
        self.unchecked = [p for p in self.files if p in scans and p not in chosen and not scans[p].checked]
        summaries: Dict[str, Summary] = {}
        missing: List[Tuple[str, Optional[FrozenSet[str]]]] = []
        work = 0
        for path in self.files:
            if path not in scans:
                continue
            if path not in chosen:
                summaries[path] = stub_summary(scans[path])
                continue
            outcome = self.outcomes.get(path)
            if outcome is None and self.cache is not None:
                outcome = self.cache.load_summary(blob_key(self.digests[path], chosen[path]))
            if outcome is None:
                missing.append((path, chosen[path]))
                work += _size(path)
            elif isinstance(outcome, FileError):
                self.errors[path] = outcome
            else:
                summaries[path] = outcome
        if missing:
            runner = self._runner(len(missing))
            try:
                for path, content, error, payload in runner.map(_summarise_chunk, summarise_file, missing, work):
                    self.analysed.add(path)
                    if error is not None or payload is None:
                        self.errors[path] = error or FileError(path, "LL999", "internal error: no summary")
                        continue
                    summaries[path] = payload
                    if self.cache is not None:
                        self._store(blob_key(content, chosen[path]), encode_summary(payload))
            finally:
                runner.close()
        return summaries, [self.errors[p] for p in self.files if p in self.errors]

    # -- 4. syntax checks of stubbed files, beside the global pass ---------------------------

    def start_syntax_checks(self) -> None:
        """Check the stubbed files not yet checked, in worker processes (one core stays free
        for the global pass), or right now when there is no pool."""
        self._syntax_results: Dict[str, Optional[bool]] = {}
        self._syntax_runner: Optional[Runner] = None
        self._syntax_futures: Dict[Any, List[str]] = {}
        if not self.unchecked:
            return
        work = sum(_size(p) for p in self.unchecked)
        runner = Runner(self.vocab, max(1, self.jobs - 1))
        pool = runner._get_pool() if self.jobs > 1 and work >= POOL_THRESHOLD else None
        if pool is not None:
            try:
                with _sigint_deferred():
                    for chunk in _chunks(sorted(self.unchecked, key=lambda p: -_size(p)), max(1, self.jobs - 1)):
                        self._syntax_futures[pool.submit(_syntax_chunk, chunk)] = chunk
                self._syntax_runner = runner
                return
            except (OSError, RuntimeError):
                runner.close(kill=True)
                self._syntax_futures = {}
        for path in self.unchecked:
            self._syntax_results[path] = syntax_file(path, self.vocab)[1]

    def finish_syntax_checks(self) -> Dict[str, Union[Summary, FileError]]:
        """Record the verdicts in the cache; files that do not parse, analysed in full."""
        try:
            # the global pass is done: this process takes the chunks no worker has started
            pending = list(self._syntax_futures.items())
            for future, chunk in reversed(pending):
                if future.cancel():
                    self._syntax_results.update(syntax_file(p, self.vocab) for p in chunk)
            for future, chunk in pending:
                if future.cancelled():
                    continue
                try:
                    results = future.result()
                except Exception:  # noqa: BLE001 - a dead pool: check here instead
                    results = [syntax_file(p, self.vocab) for p in chunk]
                self._syntax_results.update(dict(results))
        except BaseException:
            self.stop_syntax_checks()
            raise
        self.stop_syntax_checks(kill=False)
        broken: Dict[str, Union[Summary, FileError]] = {}
        for path, ok in self._syntax_results.items():
            if ok is None:
                continue
            if not ok:
                _, _, error, payload = summarise_file((path, None), self.vocab)
                broken[path] = error if error is not None else payload  # type: ignore[assignment]
            if self.cache is not None:
                from dataclasses import replace

                entry = self.cache.get(self._key(path))
                if entry is not None and entry.digest == self.digests.get(path):
                    row = scan_row(replace(self.scans[path], relevant=not ok, checked=True))
                    self.cache.put(self._key(path), entry, row)
        return broken

    def stop_syntax_checks(self, kill: bool = True) -> None:
        """Close the syntax-check workers: at once when the run is interrupted."""
        runner = getattr(self, "_syntax_runner", None)
        if runner is not None:
            self._syntax_runner = None
            runner.close(kill=kill)

    def run_key(self, codes: Sequence[str], verbose: bool, errors: Sequence[FileError]) -> str:
        """What a run's findings depend on: every (path, content), the root, codes and options."""
        import hashlib
        import json
        from dataclasses import astuple

        items = [[p, self.digests.get(p) or "!" + (self.errors[p].message if p in self.errors else "")]
                 for p in self.files]
        payload = json.dumps([1, self.root, sorted(codes), verbose, self.vocab.fingerprint(), items,
                              [list(astuple(e)) for e in errors]])
        return hashlib.blake2b(payload.encode("utf-8"), digest_size=16).hexdigest()

    def _rescan_missing(self) -> None:
        """Scans of cached files come from the scan table; content without one is read again."""
        missing = []
        for path in self.files:
            if path in self.digests and path not in self.rows:
                row = self.cache.scan(self.digests[path]) if self.cache is not None else None
                if row is None:
                    missing.append(path)
                else:
                    self.rows[path] = row
        if not missing:
            return
        runner = self._runner(len(missing))
        try:
            for path, size, mtime_ns, settled, content, row, outcome, payload in runner.map(
                    _check_chunk, check_file, missing, sum(_size(p) for p in missing)):
                self._record(path, size, mtime_ns, settled, content, row, outcome, payload)
        finally:
            runner.close()

    def _record(self, path: str, size: int, mtime_ns: int, settled: bool, content: str, row: Any,
                outcome: Optional[FileError], payload: Optional[Summary]) -> None:
        if row is None:
            self.errors[path] = outcome  # type: ignore[assignment]
            self.digests.pop(path, None)
            return
        self.analysed.add(path)
        self.digests[path], self.rows[path] = content, row
        if outcome is not None:
            self.outcomes[path] = outcome
        elif payload is not None:
            self.outcomes[path] = payload
        if self.cache is not None:
            self.cache.put(self._key(path), Entry(size, mtime_ns, content, settled), row)
            if payload is not None:
                self._store(content, encode_summary(payload))

    # -- helpers ---------------------------------------------------------------------------

    @property
    def parsed(self) -> int:
        """Files read and analysed in this run (by the parser or the prefilter)."""
        return len(self.analysed)

    @property
    def cached(self) -> int:
        """Files whose scan and summary came from the cache."""
        return sum(1 for p in self.digests if p not in self.analysed)

    def _key(self, path: str) -> str:
        """The file's cache key: its path from the project root (absolute when outside it)."""
        if os.path.isabs(path):
            absolute = path
        else:
            if self._cwd is None:
                self._cwd = os.getcwd()
            absolute = self._cwd + os.sep + path
        if os.sep + "." in absolute or os.sep * 2 in absolute or (os.altsep and os.altsep in absolute):
            absolute = os.path.abspath(absolute)
        prefix = self.root.rstrip(os.sep) + os.sep
        if absolute.startswith(prefix):
            return absolute[len(prefix):].replace(os.sep, "/")
        return absolute

    def _store(self, content: str, payload: bytes) -> None:
        assert self.cache is not None
        try:
            self.cache.store_summary(content, payload)
        except OSError:
            pass  # a full disk or a vanished directory costs time next run, nothing else

    def _runner(self, total: int) -> "Runner":
        advance = self.progress.begin(total).advance if self.progress is not None else None
        return Runner(self.vocab, self.jobs, advance, self.progress)


def _chunks(items: List[Any], jobs: int) -> List[List[Any]]:
    """Batches of at most CHUNK items and about 1/(8 * jobs) of the bytes each."""
    sizes = [_size(item if isinstance(item, str) else item[0]) for item in items]
    target = max(1, sum(sizes) // (jobs * 8))
    chunks: List[List[Any]] = []
    current: List[Any] = []
    weight = 0
    for item, size in zip(items, sizes):
        current.append(item)
        weight += size
        if len(current) >= CHUNK or weight >= target:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


def blob_key(content: str, needed: Optional[FrozenSet[str]]) -> str:
    """Where a Summary is cached: its content digest, plus the names a reduced helper keeps."""
    if not needed:
        return content
    import hashlib

    return content + "-" + hashlib.blake2b("\0".join(sorted(needed)).encode("utf-8"), digest_size=6).hexdigest()


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


__all__ = ["FilePhase", "Runner", "check_file", "summarise_file", "default_jobs"]
