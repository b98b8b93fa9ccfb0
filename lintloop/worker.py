"""The per-file unit of work: bytes -> Summary, or a FileError. Never raises.

It runs in worker processes, so it takes and returns picklable values only.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
import traceback
from typing import Optional, Tuple, Union

from lintloop.discover import is_notebook
from lintloop.summary import Summary
from lintloop.types import FileError
from lintloop.vocabulary import Vocabulary


#: What a path that is not a regular file is (reading a FIFO would block, /dev/zero never end).
_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"))


def read_bytes(path: str) -> Union[bytes, FileError]:
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            return FileError(path, "LL901", "is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            return FileError(path, "LL901", f"not a regular file: {_kind(info.st_mode)}")
        # O_NONBLOCK: should the path become a FIFO after the stat, opening it must not hang
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return FileError(path, "LL901", "not a regular file")
            return handle.read()
    except IsADirectoryError:
        return FileError(path, "LL901", "is a directory, not a file")
    except FileNotFoundError as exc:
        if os.path.islink(path):
            return FileError(path, "LL901", f"cannot read: broken symbolic link to {_link_target(path)}")
        return FileError(path, "LL901", f"cannot read: {exc.strerror or exc}")
    except OSError as exc:
        return FileError(path, "LL901", f"cannot read: {exc.strerror or exc}")


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a file")


def _link_target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "a missing file"


def summarise_bytes(path: str, data: bytes, vocab: Vocabulary) -> Union[Summary, FileError]:
    """Extract a Summary; parse, decode and internal errors become FileErrors."""
    from lintloop.extract import ParseError, SourceError, summarise

    try:
        try:
            return summarise(data, vocab, notebook=is_notebook(path))
        except RecursionError:
            # deeper than the default stack allows (Python compiles 1 000-term expressions):
            # once more with a large stack, rather than losing what the file holds
            return _deep(summarise, data, vocab, notebook=is_notebook(path))
    except ParseError as exc:
        if is_notebook(path) and exc.line is not None:
            # a line of the notebook's code cells joined, not of the .ipynb file: name the cell
            return FileError(path, "LL900", f"syntax error in {_cell_place(data, exc.line, exc.column)}: "
                                            f"{exc.message}")
        return FileError(path, "LL900", f"syntax error: {exc.message}", exc.line, exc.column)
    except SourceError as exc:
        return FileError(path, "LL901", str(exc), exc.line, exc.column)
    except RecursionError:
        return FileError(path, "LL900", "code nested too deeply to analyse")
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the run
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return FileError(path, "LL999", f"internal error: {type(exc).__name__}: {exc} "
                                        f"(at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})")


def _cell_place(data: bytes, line: int, column: Optional[int]) -> str:
    """``cell 3, line 2, column 7`` for a line of a notebook's joined code cells."""
    from lintloop.extract.source import cell_position, read_notebook

    cell, cell_line = cell_position(read_notebook(data).cells, line)
    return f"cell {cell}, line {cell_line}" + (f", column {column}" if column else "")


#: Recursion allowed while summarising one file: Python's parser accepts expressions
#: nested deeper than the default limit lets a recursive visitor follow, so code that
#: Python compiles (a 1 000-term concatenation) must not hit RecursionError here.
DEEP_RECURSION_LIMIT = 10_000
DEEP_STACK_SIZE = 512 * 1024 * 1024


def _deep(function, *args, **kwargs):
    """Run ``function`` in a thread with a large stack and a high recursion limit."""
    outcome: list = []

    def target() -> None:
        previous_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous_limit, DEEP_RECURSION_LIMIT))
        try:
            outcome.append((True, function(*args, **kwargs)))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome.append((False, exc))
        finally:
            sys.setrecursionlimit(previous_limit)

    try:
        previous_size = threading.stack_size(DEEP_STACK_SIZE)
    except (ValueError, RuntimeError):  # the platform refuses: run inline
        return function(*args, **kwargs)
    try:
        thread = threading.Thread(target=target, name="lintloop-summarise", daemon=True)
        thread.start()
    except RuntimeError:  # no room for such a stack (a 32-bit process, a ulimit): run inline
        return function(*args, **kwargs)
    finally:
        threading.stack_size(previous_size)
    thread.join()
    ok, value = outcome[0]
    if ok:
        return value
    raise value


def process(path: str, vocab: Vocabulary) -> Tuple[str, Union[Summary, FileError], Optional[bytes]]:
    data = read_bytes(path)
    if isinstance(data, FileError):
        return path, data, None
    return path, summarise_bytes(path, data, vocab), data
