"""The flake8 plugin, through the real ``flake8`` executable (as editors run it).

flake8 runs every plugin in its own processes, file by file; the plugin must
still find loops that start in another module, report 1-based columns after
flake8's own +1, and leave ``# noqa`` to work as usual.  ``--select LL`` keeps
pyflakes and pycodestyle out of the output; ``--isolated`` ignores any flake8
configuration around.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import List

import pytest

from lintloop.flake8_plugin import Plugin
from tests.conftest import ROOT

pytest.importorskip("flake8", reason="flake8 is a test dependency: python -m pip install '.[test]'")

GEN = """\
def make_batch(model, prompts):
    outs = model.generate(**prompts, do_sample=True)
    return outs
"""
TRAIN = """\
from transformers import AutoModelForCausalLM, Trainer
from gen import make_batch

lm = AutoModelForCausalLM.from_pretrained("gpt2")
for round in range(3):
    batch = make_batch(lm, prompts)
    Trainer(model=lm, train_dataset=batch).train()
"""
MESSAGE = ("LL001 self-feeding loop: `lm` is trained on its own generations with no filter or external "
           "signal (purely synthetic: nothing else reaches the training data)")


def _plugin_installed() -> bool:
    found = entry_points()
    group = found.select(group="flake8.extension") if hasattr(found, "select") else found.get(
        "flake8.extension", [])
    return any(ep.name == "LL" and ep.value == "lintloop.flake8_plugin:Plugin" for ep in group)


def flake8(*args: str, cwd: Path, stdin: str = None) -> subprocess.CompletedProcess:
    assert _plugin_installed(), ("the flake8.extension entry point LL is not installed: "
                                 "reinstall lintloop (python -m pip install -e '.[test]')")
    return subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "LL"] + list(args),
                          cwd=str(cwd), input=stdin, capture_output=True, text=True, timeout=600)


def lintloop(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lintloop.cli"] + list(args), cwd=str(cwd),
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose loop starts in gen.py and closes in train.py."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n', encoding="utf-8")
    (tmp_path / "gen.py").write_text(GEN, encoding="utf-8")
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")
    return tmp_path


def test_plugin_is_registered_with_flake8(project):
    result = subprocess.run([sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True)
    assert "lintloop: " in result.stdout


def test_cross_file_loop_is_reported_where_it_closes(project):
    result = flake8("train.py", cwd=project)
    assert (result.returncode, result.stdout, result.stderr) == (1, f"train.py:7:5: {MESSAGE}\n", "")


def test_the_file_where_the_loop_starts_is_clean(project):
    result = flake8("gen.py", cwd=project)
    assert (result.returncode, result.stdout) == (0, "")


def test_parallel_flake8_on_the_whole_project(project):
    """flake8 -j 2 checks the files in two processes: each finds the loop, one reports it."""
    result = flake8("-j", "2", ".", cwd=project)
    assert (result.returncode, result.stdout) == (1, f"./train.py:7:5: {MESSAGE}\n")


def test_noqa_through_flake8(project):
    train = project / "train.py"
    train.write_text(TRAIN.replace(".train()\n", ".train()  # noqa: LL001\n"), encoding="utf-8")
    assert flake8("train.py", cwd=project).stdout == ""


def test_noqa_for_another_code_does_not_hide_the_loop(project):
    train = project / "train.py"
    train.write_text(TRAIN.replace(".train()\n", ".train()  # noqa: E501\n"), encoding="utf-8")
    assert flake8("train.py", cwd=project).stdout == f"train.py:7:5: {MESSAGE}\n"


def test_lintloop_configuration_applies(project):
    (project / "pyproject.toml").write_text('[tool.lintloop]\nignore = ["LL001"]\n', encoding="utf-8")
    assert flake8("train.py", cwd=project).stdout == ""


def test_columns_are_one_based_like_lintloop(project):
    """flake8 adds 1 to a plugin's column: a loop at column 9 shows as 9."""
    (project / "train.py").write_text(TRAIN.replace("    Trainer(", "    if True:\n        Trainer("),
                                      encoding="utf-8")
    assert flake8("train.py", cwd=project).stdout == f"train.py:8:9: {MESSAGE}\n"


def findings(stdout: str) -> List[str]:
    """`path:line:col: CODE message` lines (lintloop's text also has paths and totals)."""
    return [line for line in stdout.splitlines() if line and not line.startswith((" ", "Found", "No loops"))]


def test_editor_gets_what_lintloop_reports_for_the_file(project):
    """An editor runs flake8 on one file; lintloop checks the project: same findings."""
    from_lintloop = lintloop("-q", "train.py", "gen.py", cwd=project)
    from_editor = flake8("train.py", cwd=project)
    assert findings(from_editor.stdout) == findings(from_lintloop.stdout) == [f"train.py:7:5: {MESSAGE}"]


def test_editor_on_stdin_sees_the_same_findings(project):
    """pylsp and others send the buffer on stdin with --stdin-display-name."""
    result = flake8("--stdin-display-name", "train.py", "-", cwd=project, stdin=TRAIN)
    assert result.stdout == f"train.py:7:5: {MESSAGE}\n"


def test_unsaved_buffer_gets_no_stale_findings(project):
    """Lines typed above the loop but not saved: disk findings would point at the wrong line."""
    result = flake8("--stdin-display-name", "train.py", "-", cwd=project, stdin="# new line\n" + TRAIN)
    assert (result.returncode, result.stdout) == (0, "")


def test_fixture_matches_lintloop(chdir_root):
    """On a bundled fixture, flake8 and lintloop print the same finding lines."""
    fixture = "fixtures/ll001_canonical_transformers.py"
    from_lintloop = findings(lintloop("-q", fixture, cwd=ROOT).stdout)
    assert from_lintloop and findings(flake8(fixture, cwd=ROOT).stdout) == from_lintloop


def test_plugin_yields_column_minus_one(project, monkeypatch):
    monkeypatch.chdir(project)
    tree = ast.parse(TRAIN)
    assert list(Plugin(tree, "train.py", TRAIN.splitlines(keepends=True)).run()) == [(7, 4, MESSAGE, Plugin)]
    assert list(Plugin(tree, "gen.py").run()) == []
    assert list(Plugin(tree, os.path.join("no", "such.py")).run()) == []


def test_a_file_in_no_project_is_linted_alone(tmp_path):
    """No pyproject.toml or .git above: the plugin must not lint the whole directory tree."""
    loose = tmp_path / "loose"
    loose.mkdir()
    assert not any((parent / marker).exists() for parent in loose.parents for marker in (".git", "pyproject.toml"))
    (loose / "gen.py").write_text(GEN, encoding="utf-8")
    (loose / "train.py").write_text(TRAIN, encoding="utf-8")
    single = TRAIN.replace("from gen import make_batch\n", "").replace(
        "    batch = make_batch(lm, prompts)", "    batch = lm.generate(**prompts, do_sample=True)")
    (loose / "alone.py").write_text(single, encoding="utf-8")
    result = flake8("train.py", "alone.py", cwd=loose)
    assert result.stdout == f"alone.py:6:5: {MESSAGE}\n"
