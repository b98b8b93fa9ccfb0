"""Turning file bytes into Python source text, for ``.py`` files and notebooks.

Decoding follows Python's own rules (PEP 263 coding cookie, UTF-8 BOM, UTF-8
default), so a file that Python can import decodes here too.  Notebooks become
one module: code cells in order, IPython magics blanked out so line numbers stay
put, and the first line of each cell recorded to map findings back to cells.
"""

from __future__ import annotations

import codecs
import io
import json
import re
import tokenize
from dataclasses import dataclass
from typing import List, Optional, Tuple


class SourceError(Exception):
    """The bytes are not Python source lintloop can read (becomes LL901).

    ``line`` and ``column`` (1-based) locate an undecodable byte when known.
    """

    def __init__(self, message: str, line: Optional[int] = None, column: Optional[int] = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Source:
    text: str
    #: notebooks: (first line in ``text``, cell number) of each code cell; cells are
    #: numbered from 1 among all cells, markdown included, as ruff and editors count them
    cells: Tuple[Tuple[int, int], ...] = ()


#: Byte-order marks of encodings Python source can never be in (UTF-32 before UTF-16:
#: the UTF-32-LE mark starts with the UTF-16-LE one).
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
              (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))
_PEP263 = "save it as UTF-8 or declare its encoding in a coding comment (PEP 263)"


def decode_python(data: bytes) -> str:
    """Source text as Python reads it: decoded, without a BOM, newlines as ``\\n``.

    CRLF and lone CR line ends become ``\\n`` exactly as Python's tokenizer turns
    them, so every stage (``ast``, ``tokenize``, line offsets) counts lines alike.
    """
    for bom, name in _WIDE_BOMS:
        if data.startswith(bom):
            raise SourceError(f"cannot decode: the file is {name} text; Python source must be UTF-8 "
                              f"or another ASCII-compatible encoding")
    if b"\x00" in data:
        raise SourceError("file contains null bytes; is it a binary file?")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise _cookie_error(data, str(exc)) from None
    try:
        if b"a = 1\n".decode(encoding) != "a = 1\n":
            raise SourceError(f"cannot decode: the coding comment declares {encoding}, which is not "
                              f"ASCII-compatible; Python cannot read such a file")
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start, encoding)
        hint = "" if encoding != "utf-8" or _has_cookie(data) else f"; {_PEP263}"
        raise SourceError(f"cannot decode as {encoding}: invalid byte 0x{exc.object[exc.start]:02x}{hint}",
                          line, column) from None
    except LookupError:  # a codec that is not a text encoding (rot13)
        raise SourceError(f"cannot decode: the coding comment declares {encoding}, which is not a text "
                          f"encoding") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _cookie_error(data: bytes, message: str) -> SourceError:
    """The error for what ``tokenize.detect_encoding`` refused."""
    if message.startswith("invalid or missing encoding declaration"):
        # the first two lines are not UTF-8 and no coding comment says what they are
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, column = _position(data, exc.start, "utf-8")
            return SourceError(f"cannot decode as utf-8: invalid byte 0x{exc.object[exc.start]:02x}; {_PEP263}",
                               line, column)
    if message.startswith("encoding problem: utf-8"):
        return SourceError("cannot decode: the file starts with a UTF-8 byte-order mark but its coding "
                           "comment declares another encoding")
    if message.startswith("unknown encoding"):
        return SourceError(f"cannot decode: {message.split(':', 1)[0]} '{message.rsplit(':', 1)[-1].strip()}' "
                           f"in the coding comment")
    return SourceError(f"cannot decode: {message}")


def _has_cookie(data: bytes) -> bool:
    for line in data.split(b"\n", 2)[:2]:
        if _COOKIE.match(line):
            return True
    return False


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


def _position(data: bytes, offset: int, encoding: str) -> Tuple[int, int]:
    """1-based (line, column in characters) of a byte offset in undecodable data."""
    start = max(data.rfind(b"\n", 0, offset), data.rfind(b"\r", 0, offset)) + 1
    line = data.count(b"\n", 0, offset) + 1
    if b"\r" in data[:offset]:
        line = data[:offset].replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
    return line, len(data[start:offset].decode(encoding, "replace")) + 1


def read_notebook(data: bytes) -> Source:
    """The code cells of a Jupyter notebook as one module."""
    try:
        notebook = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SourceError(f"not a valid notebook (JSON): {exc}") from None
    except RecursionError:
        raise SourceError("not a valid notebook (JSON): nested too deeply") from None
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise SourceError("not a valid notebook: no 'cells' list")
    lines: List[str] = []
    starts: List[Tuple[int, int]] = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            text = "".join(source)
        elif isinstance(source, str):
            text = source
        else:
            raise SourceError(f"not a valid notebook: the source of cell {number} is not text")
        starts.append((len(lines) + 1, number))
        # Python's line ends only: str.splitlines() also splits at \f, \x1c or \u2028
        cell_lines = _LINE_END.split(text)
        if cell_lines[-1] == "" and len(cell_lines) > 1:
            cell_lines.pop()
        cell_magic = cell_lines[0].lstrip().startswith("%%")
        for line in cell_lines:
            lines.append("" if cell_magic or _is_magic(line) else line)
    return Source("\n".join(lines) + "\n", tuple(starts))


_LINE_END = re.compile(r"\r\n|\r|\n")


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
