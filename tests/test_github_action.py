"""action.yml, run step by step the way the Actions runner runs a composite action.

There is no GitHub runner here, so the test plays its part: it substitutes the
``${{ inputs.* }}``, ``${{ runner.temp }}`` and ``${{ github.action_path }}``
expressions (which action.yml only uses in ``env:``, never inside scripts, so
inputs cannot inject shell code), sets GITHUB_ACTION_PATH, GITHUB_OUTPUT and
GITHUB_STEP_SUMMARY, and runs each ``run:`` script with ``bash --noprofile
--norc -eo pipefail`` as the runner does.  The install step really pip-installs
lintloop from this checkout into a fresh virtual environment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
import yaml

from lintloop import __version__
from tests.conftest import GMM_LOOP as LOOP
from tests.conftest import ROOT
from tests.test_report_formats import validate_sarif

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps are bash scripts")


def test_action_is_a_composite_action_without_expressions_in_scripts():
    assert ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], f"step {step['name']!r}: pass inputs through env, not into the script"
    assert set(ACTION["inputs"]) == {"paths", "args", "sarif-file", "summary", "fail-on-findings", "python"}


class Runner:
    """Just enough of the Actions runner to execute this composite action's steps."""

    def __init__(self, workspace: Path, temp: Path, inputs: Dict[str, str]) -> None:
        self.workspace = workspace
        self.temp = temp
        self.inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        self.inputs.update(inputs)
        self.output = temp / "github_output"
        self.summary = temp / "step_summary.md"
        self.output.write_text("")
        self.summary.write_text("")

    def expression(self, match: "re.Match[str]") -> str:
        name = match.group(1)
        if name.startswith("inputs."):
            return self.inputs[name[len("inputs."):]]
        return {"runner.temp": str(self.temp), "github.action_path": str(ROOT)}[name]

    def run(self, step: Dict[str, object]) -> subprocess.CompletedProcess:
        env = dict(os.environ, GITHUB_ACTION_PATH=str(ROOT), GITHUB_OUTPUT=str(self.output),
                   GITHUB_STEP_SUMMARY=str(self.summary), RUNNER_TEMP=str(self.temp), GITHUB_ACTIONS="true")
        for key, value in dict(step.get("env") or {}).items():  # type: ignore[arg-type]
            env[key] = EXPRESSION.sub(self.expression, str(value))
        script = self.temp / "step.sh"
        script.write_text(str(step["run"]), encoding="utf-8")
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                              cwd=str(self.workspace), env=env, capture_output=True, text=True, timeout=900)

    def outputs(self) -> Dict[str, str]:
        return dict(line.split("=", 1) for line in self.output.read_text().splitlines())


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The install step, once: a fresh venv in RUNNER_TEMP with lintloop from the action's path."""
    temp = tmp_path_factory.mktemp("runner-temp")
    runner = Runner(temp, temp, {"python": sys.executable})
    done = runner.run(ACTION["runs"]["steps"][0])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == f"lintloop {__version__}"
    return temp


def run_action(workspace: Path, temp: Path, source: str, **inputs: str):
    (workspace / ".git").mkdir(exist_ok=True)
    (workspace / "train.py").write_text(source, encoding="utf-8")
    runner = Runner(workspace, temp, inputs)
    return runner, runner.run(ACTION["runs"]["steps"][1])


def test_action_annotates_writes_sarif_and_a_summary(tmp_path, installed):
    runner, done = run_action(tmp_path, installed, LOOP, **{"sarif-file": "lintloop.sarif"})
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("::warning file=train.py,line=6,col=5,endLine=6,endColumn=18,"
                               "title=lintloop (LL001)::self-feeding loop: `gmm`")
    assert lines[1:] == ["Found 1 loop in 1 file (1 file checked)."]
    assert runner.outputs() == {"sarif-file": "lintloop.sarif", "exit-code": "1"}
    document = json.loads((tmp_path / "lintloop.sarif").read_text(encoding="utf-8"))
    validate_sarif(document)
    assert [r["ruleId"] for r in document["runs"][0]["results"]] == ["LL001"]
    summary = runner.summary.read_text(encoding="utf-8")
    assert summary.startswith("## lintloop\n\nFound 1 loop in 1 file (1 file checked).\n")
    assert "```mermaid\nflowchart TD\n" in summary


def test_action_can_report_without_failing(tmp_path, installed):
    runner, done = run_action(tmp_path, installed, LOOP, **{"fail-on-findings": "false", "summary": "false"})
    assert done.returncode == 0, done.stderr
    assert runner.outputs() == {"exit-code": "1"}
    assert runner.summary.read_text() == ""
    assert not (tmp_path / "lintloop.sarif").exists()


def test_action_passes_on_clean_code_and_forwards_args(tmp_path, installed):
    clean = LOOP.replace("    data, _ = gmm.sample(1000)", "    data = load_real_points()")
    runner, done = run_action(tmp_path, installed, clean, args="--select LL001,LL003", paths="train.py")
    assert (done.returncode, done.stdout) == (0, "No loops found (1 file checked).\n")
    assert runner.outputs() == {"exit-code": "0"}


def test_action_fails_on_a_usage_error_even_when_told_not_to_fail(tmp_path, installed):
    runner, done = run_action(tmp_path, installed, LOOP, args="--select NOPE", **{"fail-on-findings": "false"})
    assert done.returncode == 2
    assert runner.outputs() == {"exit-code": "2"}
