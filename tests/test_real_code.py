"""lintloop over large real codebases: no crash, no LL999, no finding that was not reviewed.

The sources come from the projects' wheels (``benchmarks/real_code.py`` downloads
and caches them outside the repository); without a network the tests skip.  TRL
(130 files of training code) runs by default; scikit-learn and transformers
(3,600 files, 1.6 M lines, under a minute on 2 cores) run with
``LINTLOOP_REAL_CODE=all``.  Every finding on them is listed, with its verdict, in
``benchmarks/README.md`` ("Real code") and in ``REVIEWED``.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from tests.conftest import ROOT

_spec = importlib.util.spec_from_file_location("lintloop_bench_real_code", ROOT / "benchmarks" / "real_code.py")
real_code = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(real_code)  # type: ignore[union-attr]

EVERYTHING = os.environ.get("LINTLOOP_REAL_CODE", "").lower() in ("all", "1", "yes")


@pytest.mark.parametrize("name", [
    "trl",
    pytest.param("scikit-learn", marks=pytest.mark.skipif(not EVERYTHING, reason="slow: LINTLOOP_REAL_CODE=all")),
    pytest.param("transformers", marks=pytest.mark.skipif(not EVERYTHING, reason="slow: LINTLOOP_REAL_CODE=all")),
])
def test_real_codebase_has_no_internal_error_and_only_reviewed_findings(name):
    project = real_code.PROJECTS[name]
    try:
        real_code.fetch(project)
    except real_code.Unavailable as exc:
        pytest.skip(f"cannot download the {name} wheel (offline?): {exc}")
    outcome = real_code.run(project)
    assert outcome.files > 100
    assert outcome.errors == []  # no LL999, and no file these projects ship fails to parse or decode
    assert outcome.unreviewed == []
    assert {real_code.key(project, f) for f in outcome.findings} == \
        {k for k in real_code.REVIEWED if k[0] == project.name}
