"""Shared helpers for the test suite."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*((?:LL\d{3}[,\s]*)+)")


def expected_findings(path: Path) -> Set[Tuple[str, object, int, str]]:
    """(relative path, cell, line, code) for every `# expect: LLxxx` comment under path.

    ``cell`` is None for Python files; in notebooks lines count within each cell and
    cells are numbered from 1 among all cells (markdown included)."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in (".py", ".ipynb"))
    out = set()
    for file in files:
        relative = os.path.relpath(file, ROOT)
        for cell, number, line in _lines(file):
            match = EXPECT.search(line)
            if match:
                for code in re.findall(r"LL\d{3}", match.group(1)):
                    out.add((relative, cell, number, code))
    return out


def _lines(file: Path):
    if file.suffix != ".ipynb":
        for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            yield None, number, line
        return
    notebook = json.loads(file.read_text(encoding="utf-8"))
    for cell_number, cell in enumerate(notebook["cells"], start=1):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for number, line in enumerate(source.splitlines(), start=1):
            yield cell_number, number, line


def fixture_cases() -> List[Path]:
    """Each top-level fixture file or fixture package directory."""
    return sorted(p for p in FIXTURES.iterdir()
                  if (p.suffix in (".py", ".ipynb") or (p.is_dir() and not p.name.startswith((".", "_"))))
                  and p.name != "README.md")


@pytest.fixture
def chdir_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    return ROOT


#: The smallest loop a user writes: a mixture refitted on its own samples each generation
#: (used where a test needs one finding through a real tool: pre-commit, the action, reports).
GMM_LOOP = """\
from sklearn.mixture import GaussianMixture

data = load_real_points()
for generation in range(10):
    gmm = GaussianMixture(n_components=4)
    gmm.fit(data)
    data, _ = gmm.sample(1000)
"""
