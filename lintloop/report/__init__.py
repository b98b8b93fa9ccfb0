"""Reporters: one module per output format, one protocol.

Each reporter is ``render(result, out)`` and writes to the stream it is given.
Findings arrive sorted by (path, line, column, code), with paths as typed.
"""

from __future__ import annotations

from typing import Callable, Dict, TextIO

from lintloop.types import LintResult

Reporter = Callable[[LintResult, TextIO], None]


def reporters() -> Dict[str, Reporter]:
    from lintloop.report import github, json_format, markdown, sarif, text

    return {"text": text.render, "json": json_format.render, "github": github.render,
            "sarif": sarif.render, "markdown": markdown.render}


FORMATS = ("text", "json", "github", "sarif", "markdown")
