"""Shared helpers for the test suite."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List, Set, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
EXPECT = re.compile(r"#\s*expect:\s*((?:LL\d{3}[,\s]*)+)")


def expected_findings(path: Path) -> Set[Tuple[str, int, str]]:
    """(relative path, line, code) for every `# expect: LLxxx` comment under path."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in (".py", ".ipynb"))
    out = set()
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        if file.suffix == ".ipynb":
            continue  # notebooks declare expectations in tests/test_notebooks.py
        for number, line in enumerate(text.splitlines(), start=1):
            match = EXPECT.search(line)
            if match:
                for code in re.findall(r"LL\d{3}", match.group(1)):
                    out.add((os.path.relpath(file, ROOT), number, code))
    return out


def fixture_cases() -> List[Path]:
    """Each top-level fixture file or fixture package directory."""
    return sorted(p for p in FIXTURES.iterdir()
                  if (p.suffix in (".py", ".ipynb") or (p.is_dir() and not p.name.startswith((".", "_"))))
                  and p.name != "README.md")


@pytest.fixture
def chdir_root(monkeypatch):
    monkeypatch.chdir(ROOT)
    return ROOT
