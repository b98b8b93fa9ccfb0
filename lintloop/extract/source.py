"""Turning file bytes into Python source text, for ``.py`` files and notebooks.

Decoding follows Python's own rules (PEP 263 coding cookie, UTF-8 BOM, UTF-8
default), so a file that Python can import decodes here too.  Notebooks become
one module: code cells in order, IPython magics blanked out so line numbers stay
put, and the first line of each cell recorded to map findings back to cells.
"""

from __future__ import annotations

import io
import json
import tokenize
from dataclasses import dataclass
from typing import List, Tuple


class SourceError(Exception):
    """The bytes are not Python source lintloop can read (becomes LL901)."""


@dataclass(frozen=True)
class Source:
    text: str
    #: notebooks: (first line in ``text``, cell number) of each code cell; cells are
    #: numbered from 1 among all cells, markdown included, as ruff and editors count them
    cells: Tuple[Tuple[int, int], ...] = ()


def decode_python(data: bytes) -> str:
    if b"\x00" in data:
        raise SourceError("file contains null bytes; is it a binary file?")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # unknown encoding in the cookie
        raise SourceError(f"cannot decode: {exc}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"cannot decode as {encoding}: {_reason(exc)}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def _reason(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"invalid byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
    return str(exc)


def read_notebook(data: bytes) -> Source:
    """The code cells of a Jupyter notebook as one module."""
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SourceError(f"not a valid notebook (JSON): {exc}") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise SourceError("not a valid notebook: no 'cells' list")
    lines: List[str] = []
    starts: List[Tuple[int, int]] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(str(s) for s in source) if isinstance(source, list) else str(source)
        starts.append((len(lines) + 1, number))
        cell_lines = text.splitlines() or [""]
        cell_magic = cell_lines[0].lstrip().startswith("%%")
        for line in cell_lines:
            lines.append("" if cell_magic or _is_magic(line) else line)
    return Source("\n".join(lines) + "\n", tuple(starts))


def _is_magic(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("%", "!", "?")) or (stripped.endswith("?") and not stripped.startswith("#"))


def cell_position(cells: Tuple[Tuple[int, int], ...], line: int) -> Tuple[int, int]:
    """(cell number, line within that cell), both 1-based, for a line of the module."""
    start, number = cells[0]
    for cell_start, cell_number in cells:
        if cell_start > line:
            break
        start, number = cell_start, cell_number
    return number, line - start + 1
