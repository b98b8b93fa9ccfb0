"""Inline suppressions: ``# lintloop: ignore[...]``, ``# noqa: LL...``, ``skip-file``, and LL902."""

from __future__ import annotations

import json
from typing import List, Optional, Sequence, Tuple

import pytest

from lintloop import lint_source, lint_sources
from lintloop.cli import main
from tests.test_report_formats import cli_runner

DEFAULT = ("LL001", "LL003", "LL900", "LL901", "LL999")
WITH_UNUSED = DEFAULT + ("LL902",)

#: A self-feeding loop; the finding is on line 5, the training call.
LOOP = """\
from sklearn.mixture import GaussianMixture
data = real_points
for generation in range(10):
    gmm = GaussianMixture(n_components=4)
    gmm.fit(data){comment}
    data, _ = gmm.sample(1000)
"""


def loop(comment: str = "", above: Optional[str] = None) -> str:
    """The loop with ``comment`` after the training call, or ``above`` on a line of its own before it."""
    source = LOOP.format(comment=comment)
    if above is not None:
        lines = source.splitlines(keepends=True)
        lines.insert(4, f"    {above}\n")
        source = "".join(lines)
    return source


def found(source: str, codes: Sequence[str] = DEFAULT, path: str = "train.py") -> List[Tuple[int, int, str]]:
    return [(f.span.line, f.span.column, f.code) for f in lint_source(source, path, codes).findings]


def messages(source: str, codes: Sequence[str] = WITH_UNUSED) -> List[str]:
    return [f"{f.span.line}:{f.span.column}: {f.code} {f.message}" for f in lint_source(source, "t.py", codes).findings]


def test_the_loop_is_found_without_suppression():
    assert found(loop()) == [(5, 5, "LL001")]


@pytest.mark.parametrize("comment", [
    "  # lintloop: ignore[LL001]",
    "  # lintloop: ignore[LL001] studying collapse on purpose",
    "  # lintloop: ignore",
    "  # lintloop:ignore[LL001]",
    "  # lintloop: ignore [LL001]",
    "  # lintloop: ignore[LL001, LL003]",
    "  # lintloop: ignore[LL0]",
    "  # LintLoop: IGNORE[ll001]",
    "  # noqa: LL001",
    "  # noqa:LL001",
    "  # NOQA: E501, LL001",
    "  # noqa",
    "  # type: ignore  # noqa: LL001",
])
def test_suppressed_on_the_line(comment):
    assert found(loop(comment)) == []


@pytest.mark.parametrize("comment", [
    "  # lintloop: ignore[LL003]",
    "  # lintloop: ignore [LL003]",  # a space before the codes does not widen it to all codes
    "  # lintloop: ignore[LL01]",  # a typo is not a prefix of LL001
    "  # lintloop: ignored",  # not a directive
    "  # noqa: E501",
    "  # lintloop ignore[LL001]",  # no colon: not a directive
    "  # see lintloop docs",
])
def test_not_suppressed_on_the_line(comment):
    assert found(loop(comment)) == [(5, 5, "LL001")]


@pytest.mark.parametrize("above", ["# lintloop: ignore[LL001] deliberate", "# lintloop: ignore"])
def test_suppressed_from_the_line_above(above):
    source = loop(above=above)
    assert "gmm.fit(data)" in source.splitlines()[5]
    assert found(source) == []


def test_noqa_alone_on_the_line_above_does_not_apply():
    """flake8's noqa covers its own line only; lintloop agrees."""
    assert found(loop(above="# noqa: LL001")) == [(6, 5, "LL001")]


def test_directive_two_lines_above_does_not_apply():
    source = LOOP.format(comment="").replace(
        "    gmm.fit(data)", "    # lintloop: ignore[LL001]\n    pass\n    gmm.fit(data)")
    assert found(source) == [(7, 5, "LL001")]


def test_directive_after_code_on_the_line_above_covers_that_line_only():
    source = LOOP.format(comment="").replace(
        "    gmm = GaussianMixture(n_components=4)",
        "    gmm = GaussianMixture(n_components=4)  # lintloop: ignore[LL001]")
    assert found(source) == [(5, 5, "LL001")]


def test_directive_inside_a_string_is_not_a_comment():
    source = LOOP.format(comment="; note = '# lintloop: ignore[LL001]'")
    assert found(source) == [(5, 5, "LL001")]


@pytest.mark.parametrize("where", ["first", "last", "inside"])
def test_skip_file_anywhere(where):
    source = loop()
    directive = "# lintloop: skip-file\n"
    if where == "first":
        source = directive + source
    elif where == "last":
        source = source + directive
    else:
        source = source.replace("data = real_points\n", "data = real_points\n" + directive)
    assert found(source, WITH_UNUSED) == []


def test_skip_file_reports_no_stale_suppressions():
    source = "# lintloop: skip-file\nmodel.fit(real)  # lintloop: ignore[LL001]\n"
    assert found(source, WITH_UNUSED) == []


def test_skip_file_in_a_string_does_not_skip():
    assert found('"""# lintloop: skip-file"""\n' + loop()) == [(6, 5, "LL001")]


# -- LL902: suppressions that suppress nothing ---------------------------------------------

def test_unused_suppression_is_ll902_when_selected():
    source = "model.fit(real)  # lintloop: ignore[LL001] old reason\n"
    assert messages(source) == [
        "1:18: LL902 unused suppression: `# lintloop: ignore` for LL001 matches no finding"]
    assert found(source, DEFAULT) == []  # off by default


def test_unused_bare_ignore_and_noqa():
    source = ("a = 1  # lintloop: ignore\n"
              "b = 2  # noqa: LL001\n"
              "c = 3  # noqa\n"  # a bare noqa may be for flake8: not lintloop's to judge
              "d = 4  # noqa: E501\n")
    assert messages(source) == [
        "1:8: LL902 unused suppression: `# lintloop: ignore` for all codes matches no finding",
        "2:8: LL902 unused suppression: `# noqa` for LL001 matches no finding",
    ]


def test_used_suppression_is_not_ll902():
    assert messages(loop("  # lintloop: ignore[LL001]")) == []
    assert messages(loop(above="# lintloop: ignore[LL001]")) == []
    assert messages(loop("  # noqa: LL001")) == []


def test_partly_used_suppression_names_the_unused_codes():
    assert messages(loop("  # lintloop: ignore[LL001, LL003]")) == [
        "5:20: LL902 unused suppression: `# lintloop: ignore` for LL003 matches no finding"]


def test_suppression_for_a_rule_not_checked_is_not_called_unused():
    """LL004 is off by default: this run cannot know whether the comment is stale."""
    source = "model.fit(real)  # lintloop: ignore[LL004]\n"
    assert messages(source) == []
    assert messages(source, WITH_UNUSED + ("LL004",)) == [
        "1:18: LL902 unused suppression: `# lintloop: ignore` for LL004 matches no finding"]


def test_ll902_through_the_command_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "train.py").write_text("model.fit(real)  # noqa: LL001\n", encoding="utf-8")
    quiet = cli_runner().invoke(main, ["--isolated", "train.py"])
    assert (quiet.exit_code, quiet.stdout) == (0, "No loops found (1 file checked).\n")
    loud = cli_runner().invoke(main, ["--isolated", "--extend-select", "LL902", "train.py"])
    assert loud.exit_code == 1
    assert loud.stdout == ("train.py:1:18: LL902 unused suppression: `# noqa` for LL001 matches no finding\n"
                           "Found 1 other finding in 1 file (1 file checked).\n")


# -- where a loop closes, and notebooks ----------------------------------------------------

CROSS = {
    "gen.py": "def make(model):\n    return model.generate(max_new_tokens=20){a}\n",
    "train.py": ("from transformers import AutoModelForCausalLM, Trainer\n"
                 "from gen import make\n"
                 "lm = AutoModelForCausalLM.from_pretrained('gpt2')\n"
                 "for r in range(3):\n"
                 "    Trainer(model=lm, train_dataset=make(lm)).train(){b}\n"),
}


def cross(a: str = "", b: str = "") -> List[Tuple[str, int, str]]:
    sources = {path: text.format(a=a, b=b) for path, text in CROSS.items()}
    return [(f.path, f.span.line, f.code) for f in lint_sources(sources, DEFAULT).findings]


def test_cross_file_loop_is_suppressed_where_it_closes():
    assert cross() == [("train.py", 5, "LL001")]
    assert cross(b="  # lintloop: ignore[LL001]") == []
    assert cross(a="  # lintloop: ignore[LL001]") == [("train.py", 5, "LL001")]


def notebook(*cells: str) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [],
                                  "execution_count": None} for c in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


NB_SETUP = "from sklearn.mixture import GaussianMixture\ndata = real_points\ngmm = GaussianMixture(4)\n"
NB_LOOP = "for g in range(10):\n    gmm.fit(data)\n    data, _ = gmm.sample(100)\n"


def nb_found(*cells: str) -> List[Tuple[Optional[int], int, str]]:
    result = lint_sources({"nb.ipynb": notebook(*cells)}, DEFAULT)
    return [(f.cell, f.span.line, f.code) for f in result.findings]


def test_notebook_suppression_on_the_line_and_above():
    assert nb_found(NB_SETUP, NB_LOOP) == [(2, 2, "LL001")]
    assert nb_found(NB_SETUP, NB_LOOP.replace("gmm.fit(data)", "gmm.fit(data)  # lintloop: ignore")) == []
    assert nb_found(NB_SETUP, NB_LOOP.replace("    gmm.fit", "    # lintloop: ignore\n    gmm.fit")) == []


def test_notebook_comment_ending_a_cell_does_not_reach_the_next_cell():
    cells = (NB_SETUP, "for g in range(10):\n    # lintloop: ignore[LL001]", "    gmm.fit(data)\n"
             "    data, _ = gmm.sample(100)\n")
    # the cells are concatenated for analysis, but a comment is not "the line above" across cells
    assert nb_found(*cells) == [(3, 1, "LL001")]
