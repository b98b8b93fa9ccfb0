"""``--write-baseline`` / ``--baseline``: adopt lintloop by reporting only new findings."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lintloop import Options, lint_paths
from lintloop.baseline import BASELINE_VERSION, Baseline
from lintloop.cli import main
from tests.test_report_formats import cli_runner

LOOP = """\
from sklearn.mixture import GaussianMixture


def collapse(data):
    for generation in range(10):
        gmm = GaussianMixture(n_components=4)
        gmm.fit(data)
        data, _ = gmm.sample(1000)
"""
SECOND_LOOP = """\


def collapse_again(points):
    for generation in range(5):
        kde = GaussianMixture(n_components=2)
        kde.fit(points)
        points, _ = kde.sample(500)
"""


def lintloop(*args: str):
    return cli_runner().invoke(main, ["--isolated"] + list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(LOOP, encoding="utf-8")
    return tmp_path


def write_baseline(name: str = "baseline.json", *paths: str) -> dict:
    result = lintloop("--write-baseline", name, *(paths or ("src",)))
    assert result.exit_code == 0, result.output
    assert result.stdout == "No loops found (1 file checked).\n"
    assert result.stderr == f"lintloop: wrote 1 finding to baseline {name}\n"
    return json.loads(Path(name).read_text(encoding="utf-8"))


def test_baseline_file_shape(project):
    document = write_baseline()
    assert document["version"] == BASELINE_VERSION == 1
    [entry] = document["findings"]
    assert sorted(entry) == ["code", "count", "fingerprint", "message", "path"]
    assert (entry["path"], entry["code"], entry["count"]) == ("src/train.py", "LL001", 1)
    assert len(entry["fingerprint"]) == 32
    assert entry["message"].startswith("self-feeding loop: `gmm`")


def test_baselined_findings_are_not_reported(project):
    before = lintloop("src")
    assert before.exit_code == 1
    write_baseline()
    after = lintloop("--baseline", "baseline.json", "src")
    assert (after.exit_code, after.stdout) == (0, "No loops found (1 file checked).\n")


def test_verbose_says_how_many_findings_the_baseline_hid(project):
    write_baseline()
    result = lintloop("--baseline", "baseline.json", "-v", "src")
    assert result.stdout.splitlines()[-2:] == ["note: 1 finding in the baseline not shown",
                                               "No loops found (1 file checked)."]


def test_lines_inserted_above_do_not_resurrect_a_baselined_finding(project):
    write_baseline()
    train = project / "src" / "train.py"
    edited = '"""Legacy training code."""\nimport os\n\nSEED = 0  # unrelated edit\n\n' + \
        train.read_text(encoding="utf-8").replace("    for generation", "    # a comment\n    for generation")
    train.write_text(edited, encoding="utf-8")
    assert lint_paths(["src"], Options(isolated=True)).findings[0].span.line == 13  # it moved from 7
    result = lintloop("--baseline", "baseline.json", "src")
    assert (result.exit_code, result.stdout) == (0, "No loops found (1 file checked).\n")


def test_reindenting_does_not_resurrect_a_baselined_finding(project):
    write_baseline()
    train = project / "src" / "train.py"
    train.write_text(train.read_text(encoding="utf-8").replace("    ", "  "), encoding="utf-8")
    assert lintloop("--baseline", "baseline.json", "src").exit_code == 0


def test_a_new_loop_is_still_reported(project):
    write_baseline()
    train = project / "src" / "train.py"
    train.write_text(train.read_text(encoding="utf-8") + SECOND_LOOP, encoding="utf-8")
    result = lintloop("--baseline", "baseline.json", "-q", "src")
    assert result.exit_code == 1
    assert result.stdout == ("src/train.py:14:9: LL001 self-feeding loop: `kde` is trained on its own generations "
                             "with no filter or external signal (purely synthetic: nothing else reaches the "
                             "training data)\n")


def test_a_copy_of_a_baselined_loop_is_new(project):
    """Identical findings are counted: the baseline accepts as many as it recorded."""
    write_baseline()
    train = project / "src" / "train.py"
    copy = LOOP.split("\n\n\n", 1)[1].replace("def collapse(", "def collapse_copy(")
    train.write_text(train.read_text(encoding="utf-8") + "\n\n" + copy, encoding="utf-8")
    assert len(lint_paths(["src"], Options(isolated=True)).findings) == 2
    result = lintloop("--baseline", "baseline.json", "-q", "src")
    assert result.exit_code == 1
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == ["src/train.py:14:9"]


def test_a_changed_training_line_is_new(project):
    write_baseline()
    train = project / "src" / "train.py"
    train.write_text(train.read_text(encoding="utf-8").replace("gmm.fit(data)", "gmm.fit(data[:500])"),
                     encoding="utf-8")
    assert lintloop("--baseline", "baseline.json", "src").exit_code == 1


def test_a_loop_through_other_steps_is_new(project):
    """The loop's path is part of the key: the same training line fed another way is reported."""
    write_baseline()
    train = project / "src" / "train.py"
    train.write_text(train.read_text(encoding="utf-8").replace(
        "data, _ = gmm.sample(1000)", "samples, _ = gmm.sample(1000)\n        data = []\n        data.extend(samples)"),
        encoding="utf-8")
    [finding] = lint_paths(["src"], Options(isolated=True)).findings
    assert [step.note for step in finding.flow][1:] == ["added to `data`", "trained: gmm.fit(...)"]
    assert lintloop("--baseline", "baseline.json", "src").exit_code == 1


def test_paths_are_relative_to_the_baseline_file_not_the_working_directory(project, monkeypatch):
    write_baseline("baseline.json", "./src/train.py")
    monkeypatch.chdir(project / "src")
    result = lintloop("--baseline", "../baseline.json", "train.py")
    assert (result.exit_code, result.stdout) == (0, "No loops found (1 file checked).\n")
    absolute = lintloop("--baseline", str(project / "baseline.json"), str(project / "src"))
    assert absolute.exit_code == 0


def test_the_baseline_never_hides_file_errors(project):
    write_baseline()
    (project / "src" / "binary.py").write_bytes(b"\x00")
    result = lintloop("--baseline", "baseline.json", "-q", "src")
    assert (result.exit_code, result.stdout) == (
        1, "src/binary.py: LL901 file contains null bytes; is it a binary file?\n")


def test_write_baseline_replaces_the_old_one(project):
    write_baseline()
    (project / "src" / "train.py").write_text("x = 1\n", encoding="utf-8")
    result = lintloop("--write-baseline", "baseline.json", "src")
    assert result.stderr == "lintloop: wrote 0 findings to baseline baseline.json\n"
    assert json.loads((project / "baseline.json").read_text(encoding="utf-8")) == {"version": 1, "findings": []}


@pytest.mark.parametrize("content, message", [
    (None, "lintloop: error: cannot read baseline missing.json: No such file or directory\n"),
    ("{not json", "lintloop: error: baseline missing.json is not valid JSON: "),
    ('{"findings": []}', "lintloop: error: baseline missing.json is not a lintloop baseline (no version)\n"),
    ('{"version": 99, "findings": []}', "lintloop: error: baseline missing.json has version 99; this lintloop "
                                        "reads version 1 (rewrite it with --write-baseline)\n"),
    ('{"version": 1, "findings": [{"path": "a.py"}]}',
     "lintloop: error: baseline missing.json: entry 1 needs 'path', 'code' and 'fingerprint'\n"),
])
def test_a_bad_baseline_is_a_usage_error(project, content, message):
    if content is not None:
        (project / "missing.json").write_text(content, encoding="utf-8")
    result = lintloop("--baseline", "missing.json", "src")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(message)


def test_an_unwritable_baseline_is_a_usage_error(project):
    result = lintloop("--write-baseline", "no/such/dir/baseline.json", "src")
    assert result.exit_code == 2
    assert result.stderr == ("lintloop: error: cannot write baseline no/such/dir/baseline.json: "
                             "No such file or directory\n")


def test_baseline_from_python(project):
    result = lint_paths(["src"], Options(isolated=True))
    baseline = Baseline.from_result(result, str(project))
    assert baseline.filter(result).findings == ()
    assert Baseline.load(_written(baseline, project)).filter(result).findings == ()


def _written(baseline: Baseline, directory: Path) -> str:
    path = os.path.join(str(directory), "b.json")
    baseline.write(path)
    return path
