"""The per-file unit of work: bytes -> Summary, or a FileError. Never raises.

It runs in worker processes, so it takes and returns picklable values only.
"""

from __future__ import annotations

import traceback
from typing import Optional, Tuple, Union

from lintloop.discover import is_notebook
from lintloop.summary import Summary
from lintloop.types import FileError
from lintloop.vocabulary import Vocabulary


def read_bytes(path: str) -> Union[bytes, FileError]:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except IsADirectoryError:
        return FileError(path, "LL901", "is a directory, not a file")
    except OSError as exc:
        return FileError(path, "LL901", f"cannot read: {exc.strerror or exc}")


def summarise_bytes(path: str, data: bytes, vocab: Vocabulary) -> Union[Summary, FileError]:
    """Extract a Summary; parse, decode and internal errors become FileErrors."""
    from lintloop.extract import ParseError, SourceError, summarise

    try:
        return summarise(data, vocab, notebook=is_notebook(path))
    except ParseError as exc:
        return FileError(path, "LL900", f"syntax error: {exc.message}", exc.line, exc.column)
    except SourceError as exc:
        return FileError(path, "LL901", str(exc))
    except RecursionError:
        return FileError(path, "LL900", "syntax error: code nested too deeply to analyse")
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the run
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return FileError(path, "LL999", f"internal error: {type(exc).__name__}: {exc} "
                                        f"(at {where.filename.rsplit('/', 1)[-1]}:{where.lineno})")


def process(path: str, vocab: Vocabulary) -> Tuple[str, Union[Summary, FileError], Optional[bytes]]:
    data = read_bytes(path)
    if isinstance(data, FileError):
        return path, data, None
    return path, summarise_bytes(path, data, vocab), data
