"""Exact output of every format on fixtures with multi-step loops (ruff-style snapshots).

Each (format, fixture) pair has its expected output in
``tests/snapshots/<format>/<fixture>.<ext>``; a reviewer reads the diff when it
changes.  ``LINTLOOP_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_snapshots.py``
rewrites them.  Timings, cache counts and the version are normalised, and no
snapshot may hold an absolute path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List

import pytest

from lintloop import __version__
from lintloop.cli import main
from tests.conftest import ROOT
from tests.test_report_formats import cli_runner

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
UPDATE = os.environ.get("LINTLOOP_UPDATE_SNAPSHOTS") == "1"

#: format -> (file extension, extra options)
FORMATS = {
    "text": ("txt", []),
    "json": ("json", []),
    "github": ("txt", []),
    "sarif": ("sarif", []),
    "markdown": ("md", []),
    "statistics": ("txt", ["--statistics"]),
}
CASES = [
    "fixtures/ll001_canonical_transformers.py",
    "fixtures/ll001_disk_roundtrip_json.py",
]


def normalise(output: str) -> str:
    """Timings, and how many files the cache served, vary from run to run: zero them."""
    output = re.sub(r'"seconds": [0-9.e-]+', '"seconds": 0.0', output)
    output = re.sub(r'"(parsed|cached)": [0-9]+', r'"\1": 0', output)
    return output.replace(f'"version": "{__version__}"', '"version": "<version>"').replace(
        f'"semanticVersion": "{__version__}"', '"semanticVersion": "<version>"')


def run(args: List[str]):
    return cli_runner().invoke(main, ["check", "--isolated"] + args, catch_exceptions=False)


def check_snapshot(name: str, output: str) -> None:
    path = SNAPSHOTS / name
    assert str(ROOT) not in output, "snapshots must not hold absolute paths"
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"no snapshot {path.relative_to(ROOT)}; run with LINTLOOP_UPDATE_SNAPSHOTS=1 to create it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(output, encoding="utf-8")
    assert output == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=lambda c: Path(c).stem)
@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_format_snapshot(output_format, case, chdir_root):
    extension, extra = FORMATS[output_format]
    shown = "text" if output_format == "statistics" else output_format
    result = run(["--format", shown] + extra + [case])
    assert result.exit_code == 1, result.output  # each case holds a loop
    check_snapshot(f"{output_format}/{Path(case).stem}.{extension}", normalise(result.stdout))


@pytest.mark.parametrize("output_format", ["text", "github", "markdown", "sarif"])
def test_file_error_snapshot(output_format, tmp_path, monkeypatch):
    """A file that cannot be read is an error in every format (exit status 1).

    (An undecodable file, not a syntax error: parser messages differ between Pythons.)
    """
    monkeypatch.chdir(tmp_path)
    (tmp_path / "binary.py").write_bytes(b"\x00\x01model.fit(x)\n")
    result = run(["--format", output_format, "binary.py"])
    assert result.exit_code == 1
    assert str(tmp_path) not in result.stdout
    extension = FORMATS[output_format][0]
    check_snapshot(f"{output_format}/file_error.{extension}", normalise(result.stdout))
