"""The summary cache: reused when nothing changed, never a source of wrong findings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lintloop import LintResult, Options, lint_paths
from lintloop.cli import main
from tests.conftest import FIXTURES

TRAIN = '''\
"""Expert iteration: only programs that pass the tests are kept."""
from datasets import Dataset
from transformers import Trainer, TrainingArguments

from . import verify


def iterate(model, tokenizer, tasks):
    for task in tasks:
        ids = model.generate(**tokenizer(task["prompt"], return_tensors="pt"))
        candidates = tokenizer.batch_decode(ids, skip_special_tokens=True)
        solved = verify.keep_passing(candidates, task["tests"])
        data = Dataset.from_dict({"text": solved})
        Trainer(model=model, args=TrainingArguments("out"), train_dataset=data).train()
'''
VERIFIES = '''\
import subprocess


def keep_passing(candidates, tests):
    kept = []
    for code in candidates:
        result = subprocess.run(["python", "-c", code + tests], capture_output=True)
        if result.returncode == 0:
            kept.append(code)
    return kept
'''
KEEPS_ALL = '''\
def keep_passing(candidates, tests):
    kept = []
    for code in candidates:
        kept.append(code)
    return kept
'''


def make_project(tmp_path: Path, helper: str = VERIFIES) -> Path:
    package = tmp_path / "proj" / "loop"
    package.mkdir(parents=True)
    (tmp_path / "proj" / "pyproject.toml").write_text("[tool.lintloop]\n")
    (package / "__init__.py").write_text("")
    (package / "train.py").write_text(TRAIN)
    (package / "verify.py").write_text(helper)
    (package / "util.py").write_text("def add(a, b):\n    return a + b\n")
    return tmp_path / "proj"


def run(project: Path, monkeypatch, **options) -> LintResult:
    monkeypatch.chdir(project)
    return lint_paths(["loop"], Options(**options))


def findings(result) -> set:
    return {(f.path, f.span.line, f.code) for f in result.findings}


def edit(path: Path, text: str) -> None:
    """Rewrite a file and move its mtime on, as an editor saving it would."""
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 5_000_000_000, before + 5_000_000_000))


def test_cold_then_warm_counts_and_same_findings(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    cold = run(project, monkeypatch)
    assert (cold.stats.files, cold.stats.parsed, cold.stats.cached) == (4, 4, 0)
    warm = run(project, monkeypatch)
    assert (warm.stats.files, warm.stats.parsed, warm.stats.cached) == (4, 0, 4)
    assert findings(warm) == findings(cold) == set()
    assert warm.warnings == ()


def test_helper_change_in_one_module_changes_the_loop_in_another(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    assert findings(run(project, monkeypatch)) == set()
    edit(project / "loop" / "verify.py", KEEPS_ALL)
    opened = run(project, monkeypatch)
    assert findings(opened) == {(os.path.join("loop", "train.py"), 14, "LL001")}
    assert (opened.stats.parsed, opened.stats.cached) == (1, 3)
    edit(project / "loop" / "verify.py", VERIFIES)
    closed = run(project, monkeypatch)
    assert findings(closed) == set()
    assert (closed.stats.parsed, closed.stats.cached) == (1, 3)


def test_touch_does_not_reparse(tmp_path, monkeypatch):
    project = make_project(tmp_path, KEEPS_ALL)
    first = run(project, monkeypatch)
    target = project / "loop" / "train.py"
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10_000_000_000))
    touched = run(project, monkeypatch)
    assert (touched.stats.parsed, touched.stats.cached) == (0, 4)
    assert findings(touched) == findings(first) != set()


def test_cache_layout_and_write_only_on_change(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    run(project, monkeypatch)
    cache = project / ".lintloop_cache"
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    [index] = list(cache.glob("*/*/index.json"))
    # settle every entry (files written just now are re-hashed once), then nothing changes
    for path in (project / "loop").iterdir():
        os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    run(project, monkeypatch)
    written = index.stat().st_mtime_ns
    again = run(project, monkeypatch)
    assert index.stat().st_mtime_ns == written
    assert again.stats.cached == 4


def test_no_cache_writes_nothing(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    result = run(project, monkeypatch, use_cache=False)
    assert not (project / ".lintloop_cache").exists()
    assert (result.stats.parsed, result.stats.cached) == (4, 0)


def test_cache_dir_from_option_environment_and_configuration(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    run(project, monkeypatch, cache_dir=str(tmp_path / "opt"))
    assert (tmp_path / "opt" / "CACHEDIR.TAG").exists()
    monkeypatch.setenv("LINTLOOP_CACHE_DIR", str(tmp_path / "env"))
    run(project, monkeypatch)
    assert (tmp_path / "env" / "CACHEDIR.TAG").exists()
    monkeypatch.delenv("LINTLOOP_CACHE_DIR")
    (project / "pyproject.toml").write_text('[tool.lintloop]\ncache-dir = "build-cache/lintloop"\n')
    run(project, monkeypatch)
    assert (project / "build-cache" / "lintloop" / "CACHEDIR.TAG").exists()
    assert not (project / ".lintloop_cache").exists()


def test_damaged_index_is_rebuilt_with_one_warning(tmp_path, monkeypatch):
    project = make_project(tmp_path, KEEPS_ALL)
    expected = findings(run(project, monkeypatch))
    [index] = list((project / ".lintloop_cache").glob("*/*/index.json"))
    index.write_bytes(b'{"format": 1, "files": {"loop/train.py": [1, 2')
    result = run(project, monkeypatch)
    assert findings(result) == expected
    assert len(result.warnings) == 1 and "damaged" in result.warnings[0] and "rebuilding" in result.warnings[0]
    assert run(project, monkeypatch).warnings == ()


def test_damaged_or_foreign_summaries_are_ignored(tmp_path, monkeypatch):
    project = make_project(tmp_path, KEEPS_ALL)
    expected = findings(run(project, monkeypatch))
    for result_file in (project / ".lintloop_cache").glob("*/*/results/*.json"):
        result_file.unlink()  # force the global pass to read every summary again
    blobs = sorted((project / ".lintloop_cache").glob("*/*/blobs/*/*.json"))
    assert blobs
    blobs[0].write_bytes(blobs[0].read_bytes()[:-20] + b"garbage")  # damaged
    if len(blobs) > 1:
        blobs[1].write_bytes(blobs[0].read_bytes())  # foreign: another file's summary
    result = run(project, monkeypatch)
    assert findings(result) == expected
    assert len(result.warnings) == 1 and "ignored and rebuilt" in result.warnings[0]


def test_damaged_result_is_recomputed(tmp_path, monkeypatch):
    project = make_project(tmp_path, KEEPS_ALL)
    expected = findings(run(project, monkeypatch))
    [stored] = list((project / ".lintloop_cache").glob("*/*/results/*.json"))
    stored.write_text("{not json")
    result = run(project, monkeypatch)
    assert findings(result) == expected
    assert len(result.warnings) == 1 and "damaged" in result.warnings[0]


def test_unusable_cache_directory_is_skipped_with_one_warning(tmp_path, monkeypatch):
    project = make_project(tmp_path, KEEPS_ALL)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run(project, monkeypatch, cache_dir=str(blocker / "cache"))
    assert len(result.warnings) == 1 and result.warnings[0].startswith("cache disabled: cannot write")
    assert findings(result) == findings(run(project, monkeypatch, use_cache=False))


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores permissions")
def test_read_only_project_is_skipped_with_one_warning(tmp_path, monkeypatch):
    project = make_project(tmp_path, KEEPS_ALL)
    os.chmod(project, 0o555)
    try:
        result = run(project, monkeypatch)
    finally:
        os.chmod(project, 0o755)
    assert len(result.warnings) == 1 and result.warnings[0].startswith("cache disabled")
    assert findings(result) != set()


def test_deleted_files_are_pruned(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    run(project, monkeypatch)
    (project / "loop" / "util.py").unlink()
    run(project, monkeypatch)
    [index] = list((project / ".lintloop_cache").glob("*/*/index.json"))
    assert sorted(json.loads(index.read_text())["files"]) == ["loop/__init__.py", "loop/train.py", "loop/verify.py"]


def test_cli_reports_counts_and_warnings(tmp_path, monkeypatch):
    project = make_project(tmp_path, KEEPS_ALL)
    monkeypatch.chdir(project)
    try:
        runner = CliRunner(mix_stderr=False)  # type: ignore[call-arg]  # click < 8.2
    except TypeError:
        runner = CliRunner()
    first = runner.invoke(main, ["--format", "json", "loop"])
    second = runner.invoke(main, ["--format", "json", "loop"])
    assert json.loads(first.stdout)["stats"]["parsed"] == 4
    stats = json.loads(second.stdout)["stats"]
    assert (stats["files"], stats["parsed"], stats["cached"]) == (4, 0, 4)
    [index] = list((project / ".lintloop_cache").glob("*/*/index.json"))
    index.write_text("[]")
    damaged = runner.invoke(main, ["--format", "json", "loop"])
    assert damaged.stderr.startswith("lintloop: warning: cache index")
    assert json.loads(damaged.stdout)["findings"] == json.loads(first.stdout)["findings"]
    bypass = runner.invoke(main, ["--no-cache", "--format", "json", "loop"])
    assert json.loads(bypass.stdout)["stats"]["cached"] == 0


def test_two_processes_at_once_leave_a_valid_cache(tmp_path):
    project = make_project(tmp_path, KEEPS_ALL)
    for index in range(30):
        (project / "loop" / f"extra_{index}.py").write_text(f"VALUE = {index}\n")
    command = [sys.executable, "-m", "lintloop.cli", "--format", "json", "loop"]
    processes = [subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in processes]
    reports = [json.loads(out) for out, _ in outputs]
    assert all(err == b"" for _, err in outputs)
    assert len({json.dumps(r["findings"]) for r in reports}) == 1
    after = subprocess.run(command, cwd=project, capture_output=True, timeout=120)
    assert after.stderr == b""
    assert json.loads(after.stdout)["findings"] == reports[0]["findings"]


def test_fixtures_same_findings_with_and_without_cache(tmp_path, chdir_root):
    options = dict(select=("LL001", "LL003", "LL004"), isolated=True)
    paths = [os.path.relpath(FIXTURES)]
    without = lint_paths(paths, Options(use_cache=False, **options))
    cold = lint_paths(paths, Options(cache_dir=str(tmp_path / "c"), **options))
    warm = lint_paths(paths, Options(cache_dir=str(tmp_path / "c"), **options))
    assert warm.stats.cached == warm.stats.files
    assert without.findings == cold.findings == warm.findings
    assert without.errors == cold.errors == warm.errors


def test_summary_codec_round_trips_every_fixture():
    from lintloop.cache import decode_summary, encode_summary
    from lintloop.vocabulary import Vocabulary
    from lintloop.worker import summarise_bytes

    for path in sorted(FIXTURES.rglob("*.py")):
        summary = summarise_bytes(str(path), path.read_bytes(), Vocabulary())
        assert decode_summary(encode_summary(summary)) == summary, path


def test_unreadable_file_is_not_cached(tmp_path, monkeypatch):
    project = make_project(tmp_path)
    (project / "loop" / "bad.py").write_bytes(b"x = '\xff\xfe'\n")
    first = run(project, monkeypatch)
    second = run(project, monkeypatch)
    assert [e.code for e in first.errors] == [e.code for e in second.errors] == ["LL901"]


def test_damaged_scan_table_is_rebuilt_with_one_warning(tmp_path, monkeypatch):
    project = make_project(tmp_path, KEEPS_ALL)
    expected = findings(run(project, monkeypatch))
    for stored in (project / ".lintloop_cache").glob("*/*/results/*.json"):
        stored.unlink()
    [scans] = list((project / ".lintloop_cache").glob("*/*/scans.json"))
    scans.write_text('{"format": 1, "scans": {')
    result = run(project, monkeypatch)
    assert findings(result) == expected
    assert len(result.warnings) == 1 and "scans" in result.warnings[0] and "rebuilding" in result.warnings[0]
    assert result.stats.parsed == 4  # every file was read again to rebuild its scan
    assert run(project, monkeypatch).warnings == ()


def test_projects_sharing_a_cache_directory_keep_apart(tmp_path, monkeypatch):
    monkeypatch.setenv("LINTLOOP_CACHE_DIR", str(tmp_path / "shared"))
    first = make_project(tmp_path / "a", KEEPS_ALL)
    second = make_project(tmp_path / "b", VERIFIES)
    stat = (first / "loop" / "verify.py").stat()
    for project in (first, second):  # same path, size and mtime: only the root tells them apart
        target = project / "loop" / "verify.py"
        target.write_text((KEEPS_ALL if project == first else VERIFIES).ljust(400))
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert findings(run(first, monkeypatch)) != set()
    assert findings(run(second, monkeypatch)) == set()
    assert findings(run(first, monkeypatch)) != set()
    assert len(list((tmp_path / "shared").glob("*/*/index.json"))) == 2


def test_warm_run_with_nothing_changed_loads_no_engine(tmp_path):
    """The warm path reuses the last findings: it must not pay for the extractor, the
    linker, the flow graph or networkx (most of a warm run's time would be imports)."""
    from tests.conftest import GMM_LOOP, ROOT

    (tmp_path / "loop.py").write_text(GMM_LOOP)
    probe = (
        "import sys\n"
        "from lintloop.cli import main\n"
        "try:\n"
        "    main(['--cache-dir', 'cache', '-q', '.'])\n"
        "except SystemExit as exit:\n"
        "    code = exit.code\n"
        "heavy = ('networkx', 'lintloop.extract.interpreter', 'lintloop.extract.prefilter', 'lintloop.link',\n"
        "         'lintloop.graph', 'lintloop.rules.loops')\n"
        "print(code, sorted(name for name in sys.modules if name.startswith(heavy)))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    outputs = [subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=120).stdout.strip().splitlines()[-1] for _ in range(2)]
    assert outputs[0].startswith("1 [") and "lintloop.link" in outputs[0]  # cold: the engine ran
    assert outputs[1] == "1 []"  # warm: same exit code, nothing heavy imported
