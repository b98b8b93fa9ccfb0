"""The summary cache: per-file facts and Summaries kept between runs.

Layout (ruff's, adapted)::

    .lintloop_cache/                  CACHEDIR.TAG and a ``*`` .gitignore
      <lintloop version>/<key>/       key: hash(SUMMARY_VERSION, vocabulary, Python version,
                                      lintloop's own code, project root)
        index.json                    path -> size, mtime, content digest
        scans.json                    content digest -> prefilter scan (read only when needed)
        blobs/<ab>/<digest>.json      a Summary, by content digest, with a checksum
        results/<run key>.json        the last findings for an exact set of file contents

A file is unchanged when its (size, mtime) match the index, or, when they do
not (``touch``, a fresh checkout), when its content digest does.  A Summary is a
pure function of (bytes, vocabulary, lintloop version), so it is stored under its
content digest.  Findings depend on every file, so they are only reused for the
exact same set of (path, digest) pairs, codes and options: that is what makes a
warm run with nothing changed cost a few stat calls.

Every write goes to a temporary file renamed over the target (``os.replace``),
so two processes at once (pre-commit runs hooks in parallel) never leave a torn
file: the last index written wins, merged with what the other wrote.  A damaged
or foreign file is ignored with a one-line warning and rebuilt; it can cost
time, never findings.  Nothing here raises for a cache problem.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, fields
from typing import Any, Dict, Iterable, List, Optional, Tuple

from lintloop.summary import SUMMARY_VERSION, Summary, validate

DEFAULT_DIR = ".lintloop_cache"
ENV_VAR = "LINTLOOP_CACHE_DIR"
INDEX_FORMAT = 1
#: A file modified this close (ns) to when it was hashed may change again within the
#: same mtime tick; its stat is not trusted and its digest is checked next time.
RACY_NS = 2_000_000_000
#: Entries and key directories unused for this long are pruned.
STALE_SECONDS = 30 * 24 * 3600
#: Unreferenced blobs younger than this may belong to a concurrent run: kept.
GRACE_SECONDS = 600
#: How many run results are kept (one per recent set of paths and options).
KEEP_RESULTS = 16

CACHEDIR_TAG = ("Signature: 8a477f597d28d172789f06886806bc55\n"
                "# This file is a cache directory tag created by lintloop.\n"
                "# For information about cache directory tags see https://bford.info/cachedir/\n")


def digest(data: bytes) -> str:
    """Content digest of a file (BLAKE2b, 128 bits)."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def cache_key(fingerprint: str, extra: str = "") -> str:
    """Everything a Summary depends on besides the file's bytes.

    Besides the vocabulary and ``SUMMARY_VERSION`` this includes the Python version
    (``ast`` differs between them) and the size and mtime of lintloop's own modules,
    so a development checkout never reuses summaries or findings of older code.
    """
    payload = json.dumps([SUMMARY_VERSION, fingerprint, list(sys.version_info[:2]), _code_fingerprint(), extra])
    return hashlib.blake2b(payload.encode(), digest_size=8).hexdigest()


def _code_fingerprint() -> List[List[Any]]:
    package = os.path.dirname(os.path.abspath(__file__))
    out: List[List[Any]] = []
    for directory, subdirectories, names in os.walk(package):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                try:
                    stat = os.stat(os.path.join(directory, name))
                except OSError:
                    continue
                out.append([os.path.relpath(os.path.join(directory, name), package), stat.st_size,
                            stat.st_mtime_ns])
    return out


def resolve_dir(root: str, option: Optional[str], configured: Optional[str]) -> str:
    """--cache-dir, else $LINTLOOP_CACHE_DIR, else ``cache-dir`` (relative to the root), else default."""
    if option:
        return os.path.abspath(option)
    env = os.environ.get(ENV_VAR)
    if env:
        return os.path.abspath(env)
    if configured:
        return os.path.abspath(os.path.join(root, os.path.expanduser(configured)))
    return os.path.join(os.path.abspath(root), DEFAULT_DIR)


@dataclass
class Entry:
    """What the index knows about one file."""

    size: int
    mtime_ns: int
    digest: str
    #: the stat can be trusted (the file was not modified just before it was hashed)
    settled: bool

    def row(self) -> list:
        return [self.size, self.mtime_ns, self.digest, self.settled]


class Cache:
    """One cache directory for one key; create it with :meth:`open`."""

    def __init__(self, base: str, key: str, version: str) -> None:
        self.base = base
        self.directory = os.path.join(base, _safe(version), key)
        self.index_path = os.path.join(self.directory, "index.json")
        self.scans_path = os.path.join(self.directory, "scans.json")
        #: content digest -> prefilter scan row; None until first needed
        self.scans: Optional[Dict[str, Any]] = None
        self.new_scans: Dict[str, Any] = {}
        self.entries: Dict[str, Entry] = {}
        self.touched: Dict[str, Optional[Entry]] = {}
        self.warnings: List[str] = []
        self._damaged_blobs = 0
        self._loaded_mtime: Optional[int] = None

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def open(cls, base: str, key: str, version: str) -> Tuple[Optional["Cache"], List[str]]:
        """The cache, or None and a warning when the directory cannot be used."""
        cache = cls(base, key, version)
        try:
            _prepare(base)
            os.makedirs(cache.directory, exist_ok=True)
            if not os.access(cache.directory, os.W_OK | os.X_OK):
                raise PermissionError(13, "Permission denied")
        except OSError as exc:
            return None, [f"cache disabled: cannot write {base}: {exc.strerror or exc}"]
        cache._load_index()
        return cache, cache.warnings

    def _load_index(self) -> None:
        try:
            with open(self.index_path, "rb") as handle:
                stat = os.fstat(handle.fileno())
                raw = handle.read()
        except FileNotFoundError:
            return
        except OSError as exc:
            self.warnings.append(f"cache index unreadable ({exc.strerror or exc}); rebuilding it")
            return
        self._loaded_mtime = stat.st_mtime_ns
        try:
            self.entries = _parse_index(raw)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            self.warnings.append(f"cache index {self.index_path} is damaged ({exc}); rebuilding it")
            self.entries = {}
            self._loaded_mtime = None

    # -- per-file lookups --------------------------------------------------------------

    def get(self, key: str) -> Optional[Entry]:
        return self.entries.get(key)

    def put(self, key: str, entry: Entry, scan: Any = None) -> None:
        """Record a (new or refreshed) entry, and its file's scan; written by :meth:`save`."""
        old = self.entries.get(key)
        if old is None or old.row() != entry.row():
            self.entries[key] = entry
            self.touched[key] = entry
        if scan is not None:
            self.new_scans[entry.digest] = scan

    def scan(self, content_digest: str) -> Any:
        """The stored scan row of some content, or None."""
        if content_digest in self.new_scans:
            return self.new_scans[content_digest]
        if self.scans is None:
            self.scans = self._load_scans()
        return self.scans.get(content_digest)

    def _load_scans(self) -> Dict[str, Any]:
        try:
            with open(self.scans_path, "rb") as handle:
                data = json.loads(handle.read())
            if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT or \
                    not isinstance(data.get("scans"), dict):
                raise ValueError("not a lintloop scan table of this format")
            return data["scans"]
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            warning = f"cache scans {self.scans_path} are damaged ({exc}); rebuilding them"
            if warning not in self.warnings:
                self.warnings.append(warning)
            return {}

    def prune(self, seen: Iterable[str], root: str) -> None:
        """Forget entries of files that no longer exist (those not in this run are stat'ed)."""
        seen = set(seen)
        for key in [k for k in self.entries if k not in seen]:
            if not os.path.exists(os.path.join(root, key)):
                del self.entries[key]
                self.touched[key] = None

    def load_summary(self, content_digest: str) -> Optional[Summary]:
        """The Summary stored under a blob key (a content digest, possibly with a suffix)."""
        path = self._blob_path(content_digest)
        try:
            with open(path, "rb") as handle:
                raw = handle.read()
        except FileNotFoundError:
            return None
        except OSError:
            self._damaged_blobs += 1
            return None
        try:
            header, _, payload = raw.partition(b"\n")
            tag, stored_digest, checksum = header.decode("ascii").split(" ")
            if tag != "lintloop-summary" or stored_digest != content_digest or checksum != _checksum(payload):
                raise ValueError("header does not match")
            summary = decode_summary(payload)
            validate(summary)  # a well-formed file with ill-typed contents is damage too
            return summary
        except (ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError, RecursionError, AttributeError):
            self._damaged_blobs += 1
            _remove(path)
            return None

    def store_summary(self, content_digest: str, payload: bytes) -> None:
        """Write an encoded Summary (see :func:`encode_summary`) under its content digest."""
        path = self._blob_path(content_digest)
        header = f"lintloop-summary {content_digest} {_checksum(payload)}\n".encode("ascii")
        _atomic_write(path, header + payload)

    def _blob_path(self, content_digest: str) -> str:
        return os.path.join(self.directory, "blobs", content_digest[:2], content_digest + ".json")

    # -- whole-run results -------------------------------------------------------------

    def load_result(self, run_key: str) -> Optional[dict]:
        path = os.path.join(self.directory, "results", run_key + ".json")
        try:
            with open(path, "rb") as handle:
                data = json.loads(handle.read())
            if not isinstance(data, dict) or data.get("key") != run_key:
                raise ValueError("foreign result")
            return data
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError) as exc:
            self.warnings.append(f"cached result {path} is damaged ({exc}); recomputing it")
            _remove(path)
            return None

    def store_result(self, run_key: str, data: dict) -> None:
        directory = os.path.join(self.directory, "results")
        data = dict(data, key=run_key)
        _atomic_write(os.path.join(directory, run_key + ".json"), json.dumps(data).encode("utf-8"))
        _keep_newest(directory, KEEP_RESULTS)

    # -- saving ------------------------------------------------------------------------

    @property
    def changed(self) -> bool:
        return bool(self.touched)

    def save(self, root: str) -> None:
        """Write the index when something changed: merged with a concurrent writer's, pruned."""
        if self._damaged_blobs:
            self.warnings.append(f"{self._damaged_blobs} damaged cache entr"
                                 f"{'y was' if self._damaged_blobs == 1 else 'ies were'} ignored and rebuilt")
            self._damaged_blobs = 0
        if not self.touched and not self.new_scans:
            return
        entries = self._merged()
        entries = {key: entry for key, entry in entries.items() if os.path.exists(os.path.join(root, key))}
        live = {entry.digest for entry in entries.values()}
        # the scan table is rewritten only when it gains or loses content (not after a `touch`)
        rewrite_scans = bool(self.new_scans) or any(v is None for v in self.touched.values())
        index = json.dumps({"format": INDEX_FORMAT, "files": {k: e.row() for k, e in sorted(entries.items())}},
                           separators=(",", ":"))
        try:
            if rewrite_scans:
                if self.scans is None:
                    self.scans = self._load_scans()
                self.scans = {d: row for d, row in list(self.scans.items()) + list(self.new_scans.items())
                              if d in live}
                # scans first: an index never names content whose scan is missing for long
                table = json.dumps({"format": INDEX_FORMAT, "scans": self.scans}, separators=(",", ":"))
                _atomic_write(self.scans_path, table.encode("utf-8"))
            _atomic_write(self.index_path, index.encode("utf-8"))
        except OSError as exc:
            self.warnings.append(f"cache not saved: {exc.strerror or exc}")
            return
        self.entries = entries
        self.touched, self.new_scans = {}, {}
        if rewrite_scans:  # content came or went: some blobs may be unreferenced now
            self._collect_garbage(entries)

    def _merged(self) -> Dict[str, Entry]:
        """Our entries over those another process wrote since we read the index."""
        try:
            current = os.stat(self.index_path).st_mtime_ns
        except OSError:
            return dict(self.entries)
        if current == self._loaded_mtime:
            return dict(self.entries)
        try:
            with open(self.index_path, "rb") as handle:
                theirs = _parse_index(handle.read())
        except (OSError, ValueError, TypeError, KeyError, IndexError):
            return dict(self.entries)
        theirs.update({k: v for k, v in self.entries.items()})
        return theirs

    def _collect_garbage(self, entries: Dict[str, Entry]) -> None:
        """Drop blobs no entry refers to, other keys' directories and versions unused for long."""
        live = {entry.digest for entry in entries.values()}
        now = time.time()
        blobs = os.path.join(self.directory, "blobs")
        for shard in _listdir(blobs):
            for name in _listdir(os.path.join(blobs, shard)):
                path = os.path.join(blobs, shard, name)
                if name[:32] not in live and _age(path, now) > GRACE_SECONDS:
                    _remove(path)
        for version in _listdir(self.base):
            version_dir = os.path.join(self.base, version)
            if not os.path.isdir(version_dir):
                continue
            for key in _listdir(version_dir):
                key_dir = os.path.join(version_dir, key)
                if key_dir != self.directory and _age(os.path.join(key_dir, "index.json"), now) > STALE_SECONDS:
                    shutil.rmtree(key_dir, ignore_errors=True)


# -- Summary codec: JSON, positional, with field lists computed once ---------------------
#
# Encoding lets the C JSON encoder walk the records: ``default`` turns one record
# into the tuple of its fields (an ``attrgetter``), and tuples are JSON lists.
# Decoding turns lists back into records and tuples, field by field, with the
# conversion of each field chosen once from its declared type.

_NESTED = re.compile(r"Tuple\[(\w+), \.\.\.\]")


class _Codec:
    def __init__(self) -> None:
        from lintloop import summary as module

        self.getters: Dict[type, Any] = {}
        #: record types with scalar fields only: built straight from their row
        self.flat: set = set()
        self.fields: Dict[type, List[Tuple[Optional[type], bool]]] = {}
        pending = [Summary]
        while pending:
            cls = pending.pop()
            if cls in self.fields:
                continue
            spec: List[Tuple[Optional[type], bool]] = []
            for item in fields(cls):
                kind = str(item.type)
                match = _NESTED.fullmatch(kind)
                nested = getattr(module, match.group(1), None) if match else None
                if not (isinstance(nested, type) and hasattr(nested, "__dataclass_fields__")):
                    nested = None
                # True: a tuple (possibly nested) that JSON turned into a list
                spec.append((nested, nested is None and ("Tuple" in kind or "Refs" in kind)))
                if nested is not None:
                    pending.append(nested)
            self.fields[cls] = spec
            if not any(nested is not None or is_tuple for nested, is_tuple in spec):
                self.flat.add(cls)
            names = [item.name for item in fields(cls)]
            self.getters[cls] = operator.attrgetter(*names) if len(names) > 1 else (
                lambda value, _name=names[0]: (getattr(value, _name),))

    def default(self, value: Any) -> Any:
        getter = self.getters.get(type(value))
        if getter is None:
            raise TypeError(f"cannot encode {type(value).__name__}")
        return getter(value)

    def decode(self, cls: type, row: Any) -> Any:
        spec = self.fields[cls]
        if type(row) is not list or len(row) != len(spec):
            raise ValueError(f"bad {cls.__name__} record")
        if cls in self.flat:
            for raw in row:
                if type(raw) in (list, dict):
                    raise ValueError(f"bad {cls.__name__} record")
            return cls(*row)
        values = []
        for (nested, is_tuple), raw in zip(spec, row):
            if nested is not None:
                if type(raw) is not list:
                    raise ValueError(f"bad {cls.__name__} record")
                values.append(tuple([self.decode(nested, item) for item in raw]))
            elif is_tuple:
                values.append(_tuples(raw))
            elif type(raw) in (list, dict):
                raise ValueError(f"bad {cls.__name__} record")
            else:
                values.append(raw)
        return cls(*values)


_CODEC: Optional[_Codec] = None


def _codec() -> _Codec:
    global _CODEC
    if _CODEC is None:
        _CODEC = _Codec()
    return _CODEC


def encode_summary(summary: Summary) -> bytes:
    """A Summary as compact JSON (lists by field position)."""
    return json.dumps(summary, default=_codec().default, separators=(",", ":")).encode("utf-8")


def decode_summary(payload: bytes) -> Summary:
    """The inverse of :func:`encode_summary`; ValueError when the shape is not a Summary's."""
    data = json.loads(payload)
    if type(data) is not list or not data or data[0] != SUMMARY_VERSION:
        raise ValueError("not a summary of this version")
    return _codec().decode(Summary, data)


def _tuples(value: Any) -> Any:
    if type(value) is list:
        return tuple([_tuples(v) for v in value])
    if type(value) is dict:
        raise ValueError("unexpected object in a summary")
    return value


def encode_records(records: Tuple[Any, ...]) -> list:
    """Summary records (imports, directives) as JSON-ready lists."""
    codec = _codec()
    return [_plain(codec.default(record)) for record in records]


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def decode_records(cls: type, rows: Any) -> tuple:
    if type(rows) is not list:
        raise ValueError(f"bad {cls.__name__} list")
    codec = _codec()
    return tuple([codec.decode(cls, row) for row in rows])


def encode_result(findings: Tuple[Any, ...], errors: Tuple[Any, ...], notes: Tuple[str, ...]) -> dict:
    """The part of a LintResult that depends on the files (not stats or warnings)."""
    from dataclasses import asdict

    return {"findings": [asdict(f) for f in findings], "errors": [asdict(e) for e in errors],
            "notes": list(notes)}


def decode_result(data: dict) -> Tuple[tuple, tuple, tuple]:
    """(findings, errors, notes); ValueError or TypeError when the shape is foreign."""
    from lintloop.types import FileError, Finding, Span, Step

    findings = []
    for raw in data["findings"]:
        raw = dict(raw)
        raw["span"] = Span(**raw["span"])
        raw["flow"] = tuple(Step(**step) for step in raw["flow"])
        findings.append(Finding(**raw))
    errors = tuple(FileError(**raw) for raw in data["errors"])
    notes = tuple(str(n) for n in data["notes"])
    return tuple(findings), errors, notes


# -- file helpers --------------------------------------------------------------------------


def _parse_index(raw: bytes) -> Dict[str, Entry]:
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT or not isinstance(data.get("files"), dict):
        raise ValueError("not a lintloop cache index of this format")
    out: Dict[str, Entry] = {}
    for key, row in data["files"].items():
        size, mtime_ns, content_digest, settled = row
        if not (isinstance(size, int) and isinstance(mtime_ns, int) and isinstance(content_digest, str)):
            raise ValueError(f"bad entry for {key}")
        out[key] = Entry(size, mtime_ns, content_digest, bool(settled))
    return out


def _prepare(base: str) -> None:
    """Create the cache directory with its CACHEDIR.TAG and a ``*`` .gitignore."""
    os.makedirs(base, exist_ok=True)
    for name, content in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", "# Created by lintloop.\n*\n")):
        path = os.path.join(base, name)
        if not os.path.exists(path):
            _atomic_write(path, content.encode("utf-8"))


def _atomic_write(path: str, data: bytes) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it 0600; a shared CI cache needs more
        os.replace(temporary, path)
    except BaseException:
        _remove(temporary)
        raise


_UMASK: Optional[int] = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


def _checksum(payload: bytes) -> str:
    return hashlib.blake2b(payload, digest_size=8).hexdigest()


def _safe(version: str) -> str:
    return "".join(c if c.isalnum() or c in ".-_+" else "_" for c in version)


def _listdir(path: str) -> List[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def _age(path: str, now: float) -> float:
    try:
        return now - os.stat(path).st_mtime
    except OSError:
        return float("inf")


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def _keep_newest(directory: str, count: int) -> None:
    paths = [os.path.join(directory, n) for n in _listdir(directory) if n.endswith(".json")]
    if len(paths) <= count:
        return
    paths.sort(key=lambda p: _age(p, 0.0))
    for path in paths[count:]:
        _remove(path)


__all__ = ["Cache", "Entry", "cache_key", "digest", "encode_summary", "decode_summary", "encode_records",
           "decode_records", "encode_result", "decode_result", "resolve_dir", "DEFAULT_DIR", "ENV_VAR"]
