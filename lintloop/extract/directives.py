"""Suppression comments, read once at extraction so later stages never re-read files.

``# lintloop: ignore[LL001]`` (or bare ``# lintloop: ignore``) on the finding's
line or alone on the line above; ``# noqa: LL001`` (or bare ``# noqa``) on the
finding's line; ``# lintloop: skip-file`` anywhere.  Anything after the codes is
a free-text reason.
"""

from __future__ import annotations

import io
import re
import tokenize
from typing import List, Tuple

from lintloop.summary import Directive

_IGNORE = re.compile(r"#\s*lintloop\s*:\s*ignore(?![\w-])(?:\s*\[(?P<codes>[^\]]*)\])?", re.I)
_SKIP = re.compile(r"#\s*lintloop\s*:\s*skip-file\b", re.I)
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)


def read_directives(text: str) -> Tuple[Tuple[Directive, ...], bool]:
    """All suppression directives of a source text, and whether it skips the file."""
    lowered = text.lower()
    if "lintloop" not in lowered and "noqa" not in lowered:
        return (), False
    directives: List[Directive] = []
    skip = False
    for line, column, comment, own_line in _comments(text):
        if _SKIP.search(comment):
            skip = True
            continue
        match = _IGNORE.search(comment)
        if match:
            codes = _codes(match.group("codes"))
            # a directive alone on its line covers the next line
            directives.append(Directive(line, "ignore", codes, column, line + 1 if own_line else line))
            continue
        match = _NOQA.search(comment)
        if match:
            directives.append(Directive(line, "noqa", _codes(match.group("codes")), column, line))
    return tuple(directives), skip


def _codes(raw: str) -> Tuple[str, ...]:
    if not raw:
        return ()
    return tuple(sorted({c.upper() for c in re.split(r"[,\s]+", raw) if c}))


def _comments(text: str):
    """(line, column, comment, alone on its line) for every comment token."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens = []
    if not tokens:
        return
    previous_line = -1
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            own_line = previous_line != tok.start[0]
            yield tok.start[0], tok.start[1] + 1, tok.string, own_line
        elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            previous_line = tok.end[0]
