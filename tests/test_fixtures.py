"""Every fixture yields exactly the findings its `# expect:` comments declare."""

from __future__ import annotations

import os

import pytest

from lintloop import Options, lint_paths
from tests.conftest import FIXTURES, ROOT, expected_findings, fixture_cases

ALL_LOOP_RULES = ("LL001", "LL003", "LL004")


def found(path) -> set:
    result = lint_paths([os.path.relpath(path, ROOT)], Options(select=ALL_LOOP_RULES, isolated=True))
    assert not result.errors, result.errors
    return {(f.path, f.cell, f.span.line, f.code) for f in result.findings}


@pytest.mark.parametrize("case", fixture_cases(), ids=lambda p: p.name)
def test_fixture_expectations(case, chdir_root):
    assert found(case) == expected_findings(case)


def test_whole_fixture_tree_equals_sum_of_fixtures(chdir_root):
    """Linting all fixtures together adds nothing: no accidental cross-fixture links."""
    assert found(FIXTURES) == expected_findings(FIXTURES)
