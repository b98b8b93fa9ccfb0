"""LL9xx: lintloop's own diagnostics, documented like rules (they have no graph query)."""

from __future__ import annotations

from lintloop.rules.base import Rule

PARSE_ERROR = Rule(
    code="LL900", name="syntax-error", severity="error", enabled=True,
    summary="a file could not be parsed as Python",
    what="Reports a file that is not valid Python for the interpreter running lintloop, with the "
         "parser's line, column and message. Every other file is still linted.",
    why="A file lintloop cannot parse cannot be checked, and a loop through it would go unseen. "
        "Fix the syntax, exclude the file (`exclude` in `[tool.lintloop]`), or run lintloop on the "
        "Python version the code targets.",
    example="def train(:\n    pass\n", use_instead="def train():\n    pass\n",
)

READ_ERROR = Rule(
    code="LL901", name="unreadable-file", severity="error", enabled=True,
    summary="a file could not be read or decoded",
    what="Reports a file that cannot be read (permissions, a broken link, a directory where a file "
         "was expected) or decoded (bytes that are not valid in the declared encoding, null bytes, "
         "a notebook that is not valid JSON). Every other file is still linted.",
    why="lintloop reports the file instead of skipping it silently, so nothing is missed without "
        "being said.",
    example="", use_instead="",
)

UNUSED_SUPPRESSION = Rule(
    code="LL902", name="unused-suppression", severity="warning", enabled=False,
    summary="a suppression comment suppresses nothing",
    what="Reports `# lintloop: ignore[...]` and `# noqa: LL...` comments that no finding matched.",
    why="A stale suppression hides the next real finding on that line. Like ruff's RUF100, it is "
        "off by default; select it to keep suppressions honest.",
    example="model.fit(real_data)  # lintloop: ignore[LL001]\n",
    use_instead="model.fit(real_data)\n",
    off_reason="opt-in housekeeping, like ruff's RUF100",
)

INTERNAL_ERROR = Rule(
    code="LL999", name="internal-error", severity="error", enabled=True,
    summary="lintloop failed on a file (a bug in lintloop)",
    what="Reports a file on which lintloop itself failed, with the exception type. The run goes on "
         "with the other files and exits with status 2.",
    why="An internal error is never a silent skip. Please report it with the file (or a reduced "
        "version of it).",
    example="", use_instead="",
)
