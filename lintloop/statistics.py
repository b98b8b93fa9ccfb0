"""``--statistics``: how many findings each code has, instead of the findings.

Like ruff's ``--statistics`` (and flake8's), for a first look at a large legacy
repository: one line per code that occurs, ``count  code  name``, sorted by
code; with ``--format json`` a list of ``{"code", "name", "count"}`` objects.
File errors (LL900...) are counted under their codes too.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import List, TextIO, Tuple

from lintloop.rules import REGISTRY
from lintloop.types import LintResult


def counts(result: LintResult) -> List[Tuple[str, str, int]]:
    """(code, rule name, count) for every code in the result, sorted by code."""
    tally = Counter(f.code for f in result.findings) + Counter(e.code for e in result.errors)
    return [(code, REGISTRY[code].name if code in REGISTRY else "", tally[code]) for code in sorted(tally)]


def render(result: LintResult, out: TextIO, as_json: bool = False) -> None:
    rows = counts(result)
    if as_json:
        json.dump([{"code": code, "name": name, "count": count} for code, name, count in rows], out, indent=2)
        out.write("\n")
        return
    width = max((len(str(count)) for _, _, count in rows), default=1)
    for code, name, count in rows:
        out.write(f"{count:>{width}}  {code}  {name}\n")
