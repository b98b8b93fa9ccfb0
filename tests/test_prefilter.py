"""The byte prefilter: what it keeps, what it stubs, and that stubbing hides no loop."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from lintloop import Options, lint_paths, lint_sources
from lintloop.discover import discover
from lintloop.extract.prefilter import import_statements, promote, scan
from lintloop.extract.scope import imports_of
from tests.conftest import FIXTURES, ROOT

LOOP_RULES = ("LL001", "LL003", "LL004")


@pytest.mark.parametrize("source", [
    b"out = model.generate(ids)\n",
    b"trainer.train()\n",
    b"loss.backward()\n",
    b"clf.fit(X, y)\n",
    b"reply = client.chat.completions.create(model='x', messages=m)\n",
    b"from jax import grad\n",
    b"pipe = StableDiffusionPipeline.from_pretrained(name)\n",
])
def test_generation_and_training_vocabulary_is_relevant(source):
    assert scan(source).relevant


@pytest.mark.parametrize("source", [
    b"def add(a, b):\n    return a + b\n",
    b'"""Example:\n\n    >>> out = model.generate(ids)\n"""\nx = 1\n',
    b"import subprocess\nsubprocess.run(['ls'])\n",
    b"with torch.no_grad():\n    y = net(x)\n",
])
def test_other_files_are_stubbed(source):
    assert not scan(source).relevant


def test_notebooks_and_undecodable_files_are_always_analysed():
    assert scan(b"{}", notebook=True).relevant
    assert scan(b"x = '\xff'\n").relevant


def test_user_vocabulary_makes_a_file_relevant():
    source = b"batch = my_lib.sample_batch(policy)\n"
    assert not scan(source).relevant
    assert scan(source, extra_words=["sample_batch"]).relevant


def test_stubs_keep_lintloop_directives():
    item = scan(b"x = 1  # lintloop: ignore[LL001] on purpose\n")
    assert [(d.line, d.codes) for d in item.directives] == [(1, ("LL001",))]


def _ast_imports(text: str):
    out = []
    for node in ast.walk(ast.parse(text)):
        out.extend(imports_of(node))
    return out


@pytest.mark.parametrize("path", sorted(p for p in FIXTURES.rglob("*.py")), ids=lambda p: p.name)
def test_imports_found_without_parsing_match_the_parser(path):
    text = path.read_text(encoding="utf-8")
    assert import_statements(text) == _ast_imports(text)


def test_parenthesised_and_continued_imports():
    text = "from a.b import (x,\n    y as z,\n)\nimport c.d, \\\n    e as f\n"
    assert import_statements(text) == _ast_imports(text)


def write(root: Path, files: dict) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


GLUE_PROJECT = {
    "pyproject.toml": "[tool.lintloop]\n",
    "app/__init__.py": "",
    "app/gen.py": "def make(model, prompts):\n    return [model.generate(p) for p in prompts]\n",
    "app/fit.py": ("from transformers import Trainer\n\n\n"
                   "def fit(model, data):\n    Trainer(model=model, train_dataset=data).train()\n"),
    "app/store.py": "def keep(pool, items):\n    pool.extend(items)\n    return pool\n",
    "app/main.py": ("from app.gen import make\nfrom app.fit import fit\nfrom app import store\n\n\n"
                    "def run(model, prompts):\n    pool = []\n    for _ in range(3):\n"
                    "        store.keep(pool, make(model, prompts))\n        fit(model, pool)\n"),
    "app/unrelated.py": "import json\n\n\ndef load(path):\n    return json.load(open(path))\n",
}


def test_glue_and_its_helpers_are_promoted(tmp_path, monkeypatch):
    write(tmp_path, GLUE_PROJECT)
    monkeypatch.chdir(tmp_path)
    files, _ = discover(["app"])
    scans = {p: scan(Path(p).read_bytes()) for p in files}
    chosen = promote(scans, str(tmp_path))
    names = {os.path.basename(p) for p in chosen}
    assert names == {"gen.py", "fit.py", "main.py", "store.py"}
    result = lint_paths(["app"], Options(use_cache=False))
    assert [(f.path, f.span.line, f.code) for f in result.findings] == [(os.path.join("app", "main.py"), 10, "LL001")]


def test_prefilter_changes_no_fixture_finding(chdir_root):
    """Every fixture, all together, gives the same findings with stubs as fully parsed."""
    files, _ = discover([os.path.relpath(FIXTURES)])
    sources = {p: Path(p).read_text(encoding="utf-8") for p in files if p.endswith(".py")}
    codes = LOOP_RULES + ("LL900", "LL901", "LL999")
    parsed = lint_sources(sources, codes=codes, root=str(ROOT))
    filtered = lint_paths(sorted(sources), Options(select=LOOP_RULES, isolated=True, use_cache=False))
    key = lambda r: sorted((f.path, f.span.line, f.code, f.message, f.flow) for f in r.findings)  # noqa: E731
    assert key(filtered) == key(parsed)
    assert filtered.stats.parsed == len(sources)


def test_module_names_and_their_aliases(tmp_path):
    """One naming for the prefilter and the linker: packages walked up from the file, the
    root-relative path as an alias, and the path below `src/` or `lib/` as another."""
    from lintloop.module_names import ModuleNamer

    write(tmp_path, {"src/pkg/__init__.py": "", "src/pkg/sub/__init__.py": "", "src/pkg/sub/m.py": "",
                     "lib/tool.py": "", "scripts/run.py": "", "top.py": ""})
    paths = sorted(str(p) for p in tmp_path.rglob("*.py"))
    # a package whose __init__.py is only among the linted sources (lint_sources), not on disk
    virtual = [str(tmp_path / "mem" / "__init__.py"), str(tmp_path / "mem" / "gen.py")]
    names = ModuleNamer(paths + virtual, str(tmp_path))
    assert {os.path.relpath(p, tmp_path): names(p) for p in paths + virtual} == {
        "lib/tool.py": ("tool", ["lib.tool", "tool"], "", False),
        "scripts/run.py": ("run", ["scripts.run"], "", False),
        "src/pkg/__init__.py": ("pkg", ["src.pkg", "pkg"], "pkg", True),
        "src/pkg/sub/__init__.py": ("pkg.sub", ["src.pkg.sub", "pkg.sub"], "pkg.sub", True),
        "src/pkg/sub/m.py": ("pkg.sub.m", ["src.pkg.sub.m", "pkg.sub.m"], "pkg.sub", False),
        "top.py": ("top", [], "", False),
        "mem/__init__.py": ("mem", [], "mem", True),
        "mem/gen.py": ("mem.gen", [], "mem", False),
    }


def test_a_stubbed_file_with_a_syntax_error_is_still_reported(tmp_path, monkeypatch):
    write(tmp_path, {"pyproject.toml": "[tool.lintloop]\n", "util.py": "x = = 1\n"})
    monkeypatch.chdir(tmp_path)
    result = lint_paths(["util.py"], Options(use_cache=False))
    assert [(e.path, e.code, e.line) for e in result.errors] == [("util.py", "LL900", 1)]


# -- long files: relevant blocks found from the text, the rest blanked before parsing -------------

LONG_MODULE = '''\
"""A model file: one class generates, the layers beside it do not."""
import torch
from torch import nn

MAX_LEN = 64


@register(
    name="layer",
    doc="""
a description at column 0
def not_a_function():
""",
)
class Layer(nn.Module):
    def forward(self, x):
        return x * 2
# a comment at column 0 between blocks


def unused_helper(x):
    text = """
class NotAClass:
"""
    return x


def decode(ids):
    return [str(i) for i in ids]


class Sampler(nn.Module):
    def draw(self, model, prompt):
        return decode(model.generate(prompt, max_length=MAX_LEN))
''' + "\n".join(f"def filler_{i}(x):\n    return x + {i}\n\n" for i in range(300))


def test_top_level_blocks_are_found_from_the_text_like_the_parser_finds_them():
    from lintloop.extract.prefilter import _PHYSICAL_LINE, top_level_blocks

    lines = _PHYSICAL_LINE.findall(LONG_MODULE)
    assert "".join(lines) == LONG_MODULE
    blocks = top_level_blocks(lines)
    tree = ast.parse(LONG_MODULE)
    expected = {node.name: (min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno,
                            isinstance(node, ast.ClassDef))
                for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert blocks == expected  # decorators with blank lines in strings, column-0 text in strings


def test_a_long_file_is_reduced_before_parsing_with_every_position_kept():
    from lintloop.extract.prefilter import reduce_source

    reduced = reduce_source(LONG_MODULE)
    assert reduced is not None
    kept = [getattr(node, "name", type(node).__name__) for node in reduced.body]
    # module-level code, the generating class, and what it calls; no layer, no filler
    assert kept == ["Expr", "Import", "ImportFrom", "Assign", "decode", "Sampler"]
    original = {getattr(n, "name", None): n.lineno for n in ast.parse(LONG_MODULE).body}
    assert {n.name: n.lineno for n in reduced.body if hasattr(n, "name")} == \
        {name: original[name] for name in ("decode", "Sampler")}


def test_a_reduction_that_does_not_parse_falls_back_to_the_whole_file():
    from lintloop.extract.prefilter import reduce_source

    # column-0 text in a string that the quote counter cannot see (a quote inside a
    # string literal): blanking the wrong lines breaks the parse, so nothing is reduced
    tricky = LONG_MODULE.replace('    text = """\nclass NotAClass:\n"""', '    text = "\'\'\'" + """\nx = 1\n"""')
    ast.parse(tricky)
    assert reduce_source(tricky) is None  # the caller then interprets the whole file


SCRIPT_HEAD = '''\
import torch
from torch import nn
from transformers import AutoModelForCausalLM, AutoTokenizer


class RewardHead(nn.Module):
    """A learned reward model defined in the script: its verdict is outside information."""

    def __init__(self, hidden):
        super().__init__()
        self.score = nn.Linear(hidden, 1)

    def forward(self, features):
        return self.score(features).squeeze(-1)

'''

SCRIPT_MAIN = '''
def main():
    tok = AutoTokenizer.from_pretrained("acme/reduced-script-lm")
    lm = AutoModelForCausalLM.from_pretrained("acme/reduced-script-lm")
    judge = RewardHead(768)
    optimizer = torch.optim.AdamW(lm.parameters())
    for step in range(100):
        ids = lm.generate(**tok(["Once upon a time"], return_tensors="pt"), do_sample=True)
        rewards = judge(ids.float())
        KEEP
        loss = lm(input_ids=kept, labels=kept).loss
        loss.backward()
        optimizer.step()


if __name__ == "__main__":
    main()
'''


@pytest.mark.parametrize("keep, expected", [
    ("kept = ids[rewards > 0]", []),
    ("kept = ids", [("script.py", "loss.backward()", "LL001")]),
])
def test_a_reduced_script_gives_the_findings_of_the_whole_script(tmp_path, monkeypatch, keep, expected):
    """A 400-line script is reduced (its forty unrelated helpers are not interpreted), and a
    class its `main` constructs (the reward model) is still read: same findings as in full."""
    from lintloop.extract.prefilter import REDUCE_LINES, reduce_source

    helpers = "".join(f"\n\ndef unrelated_{i}(rows):\n    total = 0\n    for row in rows:\n"
                      f"        total += row * {i}\n    return total\n" for i in range(45))
    text = SCRIPT_HEAD + helpers + SCRIPT_MAIN.replace("KEEP", keep)
    assert text.count("\n") >= REDUCE_LINES
    reduced = reduce_source(text)
    assert reduced is not None
    assert [getattr(node, "name", None) for node in reduced.body if hasattr(node, "name")] == ["RewardHead", "main"]
    write(tmp_path, {"pyproject.toml": "[tool.lintloop]\n", "script.py": text})
    monkeypatch.chdir(tmp_path)
    filtered = lint_paths(["script.py"], Options(use_cache=False))
    parsed = lint_sources({"script.py": text}, root=str(tmp_path))
    lines = text.splitlines()
    expected = [(path, next(i for i, line in enumerate(lines, 1) if where in line), code)
                for path, where, code in expected]
    assert [(f.path, f.span.line, f.code) for f in filtered.findings] == expected
    assert [(f.path, f.span.line, f.code, f.flow) for f in filtered.findings] == \
        [(f.path, f.span.line, f.code, f.flow) for f in parsed.findings]
