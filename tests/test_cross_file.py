"""Loops that span functions, classes, modules and files on disk."""

from __future__ import annotations

import textwrap

import pytest

from lintloop import Options, lint_paths


def project(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    return tmp_path


def findings(root, *paths, **options):
    result = lint_paths([str(root / p) for p in paths] or [str(root)], Options(isolated=True, **options))
    assert not result.errors, result.errors
    return sorted((str(f.path).replace(str(root) + "/", ""), f.span.line, f.code) for f in result.findings)


SYNTH = '''\
    def make_samples(model, n):
        return [model.sample() for _ in range(n)]
'''


@pytest.mark.parametrize("importer", [
    "from pkg.synth import make_samples\n\ndef improve(model):\n    for _ in range(3):\n        model.fit(make_samples(model, 100))\n",
    "import pkg.synth\n\ndef improve(model):\n    for _ in range(3):\n        model.fit(pkg.synth.make_samples(model, 100))\n",
    "import pkg.synth as synth\n\ndef improve(model):\n    for _ in range(3):\n        model.fit(synth.make_samples(model, 100))\n",
    "from .synth import make_samples\n\ndef improve(model):\n    for _ in range(3):\n        model.fit(make_samples(model, 100))\n",
    "from . import synth\n\ndef improve(model):\n    for _ in range(3):\n        model.fit(synth.make_samples(model, 100))\n",
    "from pkg import make_samples\n\ndef improve(model):\n    for _ in range(3):\n        model.fit(make_samples(model, 100))\n",
], ids=["from-import", "import", "import-as", "relative", "relative-module", "re-export"])
def test_import_styles_resolve(tmp_path, importer):
    root = project(tmp_path, {
        "pkg/__init__.py": "from .synth import make_samples\n",
        "pkg/synth.py": SYNTH,
        "pkg/train.py": importer,
    })
    assert findings(root) == [("pkg/train.py", 5, "LL001")]


def test_helpers_are_linked_per_call_site(tmp_path):
    """A helper used for generated and for real data does not mix the two."""
    root = project(tmp_path, {
        "helpers.py": "def to_dataset(texts):\n    return {'text': list(texts)}\n",
        "train.py": '''\
            from helpers import to_dataset

            def main(model, real_texts):
                generated = to_dataset(model.generate(prompts))
                print(generated)
                model.fit(to_dataset(real_texts))
        ''',
    })
    assert findings(root) == []


def test_summaries_compose_through_three_helpers(tmp_path):
    root = project(tmp_path, {
        "gen.py": "def sample(model):\n    return model.generate(max_new_tokens=64)\n",
        "collect.py": "def collect(outputs):\n    pool = []\n    pool.extend(outputs)\n    return pool\n",
        "tune.py": "def finetune(model, data):\n    model.fit(data)\n",
        "main.py": '''\
            from gen import sample
            from collect import collect
            from tune import finetune

            def loop(model):
                for _ in range(5):
                    finetune(model, collect(sample(model)))
        ''',
    })
    assert findings(root) == [("main.py", 7, "LL001")]


def test_module_outside_the_linted_tree_passes_data_through(tmp_path):
    root = project(tmp_path, {
        "main.py": '''\
            from company_toolkit import reshape

            def loop(model):
                for _ in range(5):
                    model.fit(reshape(model.sample(100)))
        ''',
    })
    assert findings(root) == [("main.py", 5, "LL001")]
    result = lint_paths([str(root)], Options(isolated=True, verbose=True))
    assert result.notes == (
        f"{root}/main.py:5:19: `reshape(...)` is not resolved; data is assumed to pass through it",)


ROUNDS_WRITER = '''\
    import json
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained("acme/rounds")

    def write_round(round_index):
        with open(f"out/gen_{round_index}.jsonl", "w") as handle:
            for text in model.generate(num_return_sequences=100):
                handle.write(json.dumps({"text": text}) + "\\n")
'''


@pytest.mark.parametrize("reader, looped", [
    ('load_dataset("json", data_files=f"out/gen_{round_index - 1}.jsonl")', True),
    ('load_dataset("json", data_files="out/gen_*.jsonl")', True),
    ('load_dataset("json", data_files=os.path.join("out", f"gen_{round_index - 1}.jsonl"))', True),
    ('load_dataset("json", data_files=str(Path("out") / "gen_0.jsonl"))', True),
    ('load_dataset("json", data_files="out/curated_{round_index}.jsonl")', False),
    ('load_dataset("json", data_files="data/human_written.jsonl")', False),
], ids=["previous-round", "glob", "os.path.join", "pathlib", "different-name", "different-file"])
def test_files_on_disk_join_when_their_paths_match(tmp_path, reader, looped):
    root = project(tmp_path, {
        "writer.py": ROUNDS_WRITER,
        "trainer.py": f'''\
            import os
            from pathlib import Path
            from datasets import load_dataset
            from transformers import AutoModelForCausalLM

            def train_round(round_index):
                model = AutoModelForCausalLM.from_pretrained("acme/rounds")
                data = {reader}
                model.fit(data)
        ''',
    })
    assert findings(root) == ([("trainer.py", 9, "LL001")] if looped else [])


def test_samples_written_but_never_read_back(tmp_path):
    root = project(tmp_path, {
        "writer.py": ROUNDS_WRITER,
        "trainer.py": "def train(model, real):\n    model.fit(real)\n",
    })
    assert findings(root) == []


def test_checkpoints_link_scripts_through_save_and_load(tmp_path):
    root = project(tmp_path, {
        "sample.py": '''\
            import json
            from transformers import AutoModelForCausalLM

            model = AutoModelForCausalLM.from_pretrained("ckpt/latest")
            json.dump(model.generate(num_return_sequences=64).tolist(), open("synthetic.json", "w"))
        ''',
        "train.py": '''\
            import json
            from transformers import AutoModelForCausalLM

            model = AutoModelForCausalLM.from_pretrained("acme/base")
            model.fit(json.load(open("synthetic.json")))
            model.save_pretrained("ckpt/latest")
        ''',
    })
    assert findings(root) == [("train.py", 5, "LL001")]
    # trained into a different checkpoint than the one sampled: no loop
    (root / "train.py").write_text((root / "train.py").read_text().replace("ckpt/latest", "ckpt/student"))
    assert findings(root) == []


def test_class_fields_and_self_calls_across_modules(tmp_path):
    root = project(tmp_path, {
        "agent.py": '''\
            class Agent:
                def __init__(self, model):
                    self.model = model
                    self.buffer = []

                def act(self, prompts):
                    self.buffer.extend(self.model.generate(prompts))

                def learn(self):
                    self._update(self.buffer)

                def _update(self, data):
                    self.model.fit(data)
        ''',
        "run.py": '''\
            from agent import Agent

            agent = Agent(load_model())
            for _ in range(10):
                agent.act(["hello"])
                agent.learn()
        ''',
    })
    assert findings(root) == [("agent.py", 10, "LL001")]


def test_a_visible_helper_that_verifies_breaks_the_loop(tmp_path):
    root = project(tmp_path, {
        "checks.py": '''\
            import subprocess

            def passing(programs):
                return [p for p in programs if subprocess.run(["python", "-c", p]).returncode == 0]

            def check_samples(samples):
                return [s for s in samples]
        ''',
        "loop.py": '''\
            from checks import check_samples, passing

            def verified(model):
                for _ in range(3):
                    model.fit(passing(model.generate(prompts)))

            def unverified(model):
                for _ in range(3):
                    model.fit(check_samples(model.generate(prompts)))
        ''',
    })
    assert findings(root) == [("loop.py", 9, "LL001")]


def test_finding_flow_crosses_files(tmp_path):
    root = project(tmp_path, {
        "gen.py": "def sample(model):\n    return model.generate(max_new_tokens=64)\n",
        "main.py": "from gen import sample\n\ndef loop(model):\n    for _ in range(5):\n        model.fit(sample(model))\n",
    })
    result = lint_paths([str(root)], Options(isolated=True))
    [finding] = result.findings
    assert [(s.path.replace(str(root) + "/", ""), s.line, s.note) for s in finding.flow] == [
        ("gen.py", 2, "generated by model.generate(...)"),
        ("gen.py", 2, "returned by `sample()`"),
        ("main.py", 5, "generated through `sample()` in " + str(root) + "/gen.py"),
        ("main.py", 5, "trained: model.fit(...)"),
    ]


@pytest.mark.parametrize("writer, reader", [
    ('with jsonlines.open(PATH, mode="w") as out:\n                    out.write_all(samples)',
     'with jsonlines.open(PATH) as rows:\n                    data = list(rows)'),
    ('pd.DataFrame({"text": samples}).to_parquet(PATH)', 'data = pd.read_parquet(PATH)'),
    ('Dataset.from_dict({"text": samples}).save_to_disk(PATH)', 'data = load_from_disk(PATH)'),
    ('torch.save(samples, PATH)', 'data = torch.load(PATH)'),
    ('np.save(PATH, np.array(samples))', 'data = np.load(PATH)'),
    ('pickle.dump(samples, open(PATH, "wb"))', 'data = pickle.load(open(PATH, "rb"))'),
    ('Path(PATH).write_text("\\n".join(samples))', 'data = Path(PATH).read_text().splitlines()'),
], ids=["jsonlines", "parquet", "save_to_disk", "torch", "numpy", "pickle", "pathlib-text"])
def test_writers_and_readers_of_every_kind(tmp_path, writer, reader):
    root = project(tmp_path, {
        "loop.py": f'''\
            import pickle
            from pathlib import Path

            import jsonlines
            import numpy as np
            import pandas as pd
            import torch
            from datasets import Dataset, load_from_disk

            PATH = "out/samples.bin"
            model = load_model()

            def dump():
                samples = model.sample(1000)
                {writer}

            def refit():
                {reader}
                model.fit(data)
        ''',
    })
    fit_line = (root / "loop.py").read_text().splitlines().index("    model.fit(data)") + 1
    assert findings(root) == [("loop.py", fit_line, "LL001")]


def test_a_trainer_subclass_from_another_module_still_trains(tmp_path):
    root = project(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/custom_trainer.py": '''\
            from transformers import Trainer

            class DistillTrainer(Trainer):
                def compute_loss(self, model, inputs, return_outputs=False):
                    return model(**inputs).loss
        ''',
        "pkg/selftrain.py": '''\
            from datasets import Dataset
            from .custom_trainer import DistillTrainer

            def improve(model, tokenizer, prompts):
                for _ in range(3):
                    texts = tokenizer.batch_decode(model.generate(**tokenizer(prompts)))
                    trainer = DistillTrainer(model=model, train_dataset=Dataset.from_dict({"text": texts}))
                    trainer.train()
        ''',
    })
    assert findings(root) == [("pkg/selftrain.py", 8, "LL001")]


def test_pseudo_labels_through_the_classes_lookup_table(tmp_path):
    root = project(tmp_path, {
        "self_training.py": '''\
            import numpy as np

            def self_train(clf, X, y, X_unlabelled):
                clf.fit(X, y)
                for _ in range(10):
                    proba = clf.predict_proba(X_unlabelled)
                    labels = clf.classes_[np.argmax(proba, axis=1)]
                    clf.fit(np.concatenate([X, X_unlabelled]), np.concatenate([y, labels]))
        ''',
    })
    assert findings(root, select=("LL004",)) == [("self_training.py", 8, "LL004")]
