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


PLANTED = '''\
"""Planted by tests/test_real_code.py: a self-training loop built from TRL's own trainer."""
from datasets import Dataset

from .sft_config import SFTConfig
from .sft_trainer import SFTTrainer


def self_feed(model, tokenizer, prompts, rounds=3):
    for round_index in range(rounds):
        outputs = model.generate(**tokenizer(prompts, return_tensors="pt", padding=True), max_new_tokens=64)
        texts = tokenizer.batch_decode(outputs, skip_special_tokens=True)
        config = SFTConfig(output_dir=f"out/self_feed/{round_index}")
        trainer = SFTTrainer(model=model, args=config, train_dataset=Dataset.from_dict({"text": texts}))
        trainer.train()
'''


def test_a_loop_planted_in_trl_is_found(tmp_path):
    """Silence on TRL is not blindness: the same tree with a 15-line self-training helper,
    written with TRL's own `SFTTrainer` (a `Trainer` subclass from another module), has
    exactly that one loop."""
    import json
    import shutil
    import subprocess
    import sys

    project = real_code.PROJECTS["trl"]
    try:
        package = real_code.fetch(project)
    except real_code.Unavailable as exc:
        pytest.skip(f"cannot download the trl wheel (offline?): {exc}")
    shutil.copytree(package, tmp_path / "trl")
    (tmp_path / "trl" / "trainer" / "self_feed.py").write_text(PLANTED, encoding="utf-8")
    command = [sys.executable, "-I", "-c", "from lintloop.cli import run; run()", "--isolated",
               "--no-cache", "--format", "json", "trl"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["errors"] == []
    assert [(f["path"], f["line"], f["code"]) for f in report["findings"]] == \
        [("trl/trainer/self_feed.py", 14, "LL001")]
