"""The pre-commit hooks, run by the real ``pre-commit`` on a temporary repository.

pre-commit installs a hook repository from a git commit, so the test copies this
checkout's files (tracked and untracked, minus what .gitignore ignores) into a
temporary git repository and commits them there: it works on uncommitted trees.
A second repository holds a looping training script and a
``.pre-commit-config.yaml`` pointing at that commit; the hook must fail on the
loop and pass once it is fixed.  PRE_COMMIT_HOME is temporary too, so nothing
is shared with the user's pre-commit cache.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest

from tests.conftest import GMM_LOOP as LOOP
from tests.conftest import ROOT

FIXED = LOOP.replace("    data, _ = gmm.sample(1000)", "    data = load_real_points()  # fresh real data each round")
MESSAGE = ("train.py:6:5: LL001 self-feeding loop: `gmm` is trained on its own generations with no filter "
           "or external signal (purely synthetic: nothing else reaches the training data)")
GIT_ENV = {"GIT_AUTHOR_NAME": "lintloop tests", "GIT_AUTHOR_EMAIL": "tests@lintloop.invalid",
           "GIT_COMMITTER_NAME": "lintloop tests", "GIT_COMMITTER_EMAIL": "tests@lintloop.invalid",
           "GIT_CONFIG_NOSYSTEM": "1"}


def _pre_commit_available() -> bool:
    try:
        import pre_commit  # noqa: F401
        return True
    except ImportError:
        pass
    # a test dependency: try to install it before giving up
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "pre-commit"],
                             capture_output=True, text=True)
    return install.returncode == 0


pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(not _pre_commit_available(),
                       reason="pre-commit is not installed and could not be installed from the package registry"),
]


def git(*args: str, cwd: Path, env: Dict[str, str]) -> str:
    done = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"] + list(args),
                          cwd=str(cwd), env=env, capture_output=True, text=True, check=True)
    return done.stdout


def copy_checkout(destination: Path, env: Dict[str, str]) -> str:
    """This checkout's files, committed in a new repository; returns the commit."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=str(ROOT), capture_output=True, text=True, check=True).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(str(source), str(target))
    git("init", "-q", cwd=destination, env=env)
    git("add", "-A", cwd=destination, env=env)
    git("commit", "-q", "-m", "lintloop under test", cwd=destination, env=env)
    return git("rev-parse", "HEAD", cwd=destination, env=env).strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    env = dict(os.environ, **GIT_ENV, PRE_COMMIT_HOME=str(tmp_path_factory.mktemp("pre-commit-home")))
    source = tmp_path_factory.mktemp("lintloop-checkout")
    return source, copy_checkout(source, env), env


def make_repo(path: Path, hook_repo, hooks=("lintloop",)) -> Dict[str, str]:
    source, commit, env = hook_repo
    git("init", "-q", cwd=path, env=env)
    listed = "\n".join(f"      - id: {hook}" for hook in hooks)
    (path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source.as_posix()}\n    rev: {commit}\n    hooks:\n{listed}\n", encoding="utf-8")
    return env


def pre_commit(*args: str, cwd: Path, env: Dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit"] + list(args), cwd=str(cwd), env=env,
                          capture_output=True, text=True, timeout=900)


def hook_status(output: str, name: str) -> str:
    match = re.search(rf"^{re.escape(name)}\.+(Passed|Failed|\(no files to check\)Skipped)$", output, re.M)
    assert match, output
    return match.group(1)


def test_hook_fails_on_a_loop_and_passes_once_fixed(tmp_path, hook_repo):
    env = make_repo(tmp_path, hook_repo)
    (tmp_path / "train.py").write_text(LOOP, encoding="utf-8")
    git("add", "-A", cwd=tmp_path, env=env)

    failing = pre_commit("run", "--all-files", "--color", "never", cwd=tmp_path, env=env)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert hook_status(failing.stdout, "lintloop") == "Failed"
    assert f"- hook id: lintloop\n- exit code: 1\n\n{MESSAGE}\n" in failing.stdout

    (tmp_path / "train.py").write_text(FIXED, encoding="utf-8")
    git("add", "-A", cwd=tmp_path, env=env)
    passing = pre_commit("run", "--all-files", "--color", "never", cwd=tmp_path, env=env)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert hook_status(passing.stdout, "lintloop") == "Passed"


GEN = "def make(model):\n    return model.generate(max_new_tokens=20)\n"
TRAIN = ("from transformers import AutoModelForCausalLM, Trainer\n"
         "from gen import make\n\n"
         "lm = AutoModelForCausalLM.from_pretrained('gpt2')\n"
         "for r in range(3):\n"
         "    Trainer(model=lm, train_dataset=make(lm)).train()\n")


def test_project_hook_sees_loops_through_files_the_commit_did_not_touch(tmp_path, hook_repo):
    """Only gen.py changes: `lintloop` checks gen.py alone, `lintloop-project` the whole repository."""
    env = make_repo(tmp_path, hook_repo, hooks=("lintloop", "lintloop-project"))
    (tmp_path / "gen.py").write_text(GEN, encoding="utf-8")
    (tmp_path / "train.py").write_text(TRAIN, encoding="utf-8")
    git("add", "-A", cwd=tmp_path, env=env)
    result = pre_commit("run", "--files", "gen.py", "--color", "never", cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert hook_status(result.stdout, "lintloop") == "Passed"
    assert hook_status(result.stdout, "lintloop (whole project)") == "Failed"
    assert "train.py:6:5: LL001 self-feeding loop: `lm`" in result.stdout


def test_hook_definitions():
    """The manifest pre-commit reads: the names, file types and serial run the README promises."""
    import yaml

    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert sorted(hooks) == ["lintloop", "lintloop-project"]
    for hook in hooks.values():
        assert (hook["entry"], hook["language"], hook["types_or"], hook["require_serial"]) == (
            "lintloop", "python", ["python", "jupyter"], True)
    assert hooks["lintloop-project"]["pass_filenames"] is False
    assert "pass_filenames" not in hooks["lintloop"]
