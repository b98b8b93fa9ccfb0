"""Properties that must hold for every input, checked on generated programs.

* lintloop never raises, and never reports an internal error (LL999), on any
  program: random valid Python from hypothesmith, random bytes, random text.
* Findings are the same with and without the cache (cold and warm) and with one
  process or several.
* Renaming variables consistently changes no finding.
* Inserting a filter that consults something else than the model on a loop's
  path removes the finding.

Example counts are modest so the suite stays fast; the strategies are built so
that every example is a realistic training script.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import os
import random
import textwrap
import tokenize
from pathlib import Path
from typing import Dict, List, Optional

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import lintloop.parallel  # noqa: E402
from lintloop import Options, lint_paths, lint_source  # noqa: E402
from lintloop.vocabulary import Vocabulary  # noqa: E402
from lintloop.worker import summarise_bytes  # noqa: E402
from tests.conftest import FIXTURES, ROOT, fixture_cases  # noqa: E402

#: ``LINTLOOP_FUZZ_EXAMPLES=2000 pytest tests/test_properties.py`` explores with fresh random
#: examples; by default a fixed, small set keeps CI fast and deterministic.
EXPLORE = int(os.environ.get("LINTLOOP_FUZZ_EXAMPLES", "0"))
FAST = settings(max_examples=EXPLORE or 25, deadline=None, derandomize=not EXPLORE,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])


def no_internal_error(result) -> None:
    assert [e for e in result.errors if e.code == "LL999"] == []


# -- never raises ----------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::SyntaxWarning")  # from hypothesmith compiling its own examples
@pytest.mark.parametrize("strategy", ["grammar", "node"])
def test_never_raises_on_random_valid_python(strategy):
    hypothesmith = pytest.importorskip("hypothesmith")
    source = hypothesmith.from_grammar() if strategy == "grammar" else hypothesmith.from_node()

    @settings(FAST, max_examples=EXPLORE or 15)
    @given(source)
    def check(text):
        result = lint_source(text)
        no_internal_error(result)
        assert {e.code for e in result.errors} <= {"LL900"}

    check()


@FAST
@given(st.binary(max_size=2000))
def test_never_raises_on_random_bytes(data):
    for path in ("random.py", "random.ipynb"):
        outcome = summarise_bytes(path, data, Vocabulary())
        assert getattr(outcome, "code", "LL900") in ("LL900", "LL901")


_TOKENS = ["model", ".generate(", ".fit(", ".train()", "Trainer(", "(", ")", "[", "]", "{", "}", ":", "\n", "    ",
           "for x in ", "if ", "def f(", "class C:", "return ", "samples", " = ", ",", "'", '"', "\\", "#", "lambda",
           "yield ", "await ", "async ", "with open('a.json') as f", "json.dump(", "\t", "\r", "\x0c", "é", "\u2028"]


@FAST
@given(st.lists(st.sampled_from(_TOKENS), max_size=60))
def test_never_raises_on_token_soup(tokens):
    result = lint_source("".join(tokens))
    no_internal_error(result)


# -- realistic training scripts --------------------------------------------------------------------

RESERVED = set(keyword.kwlist) | set(dir(builtins)) | {
    "helper", "verify", "run_unit_tests", "judge", "reward_model_accepts", "load_prompts", "Trainer",
    "AutoModelForCausalLM", "AutoTokenizer", "GaussianMixture", "pipeline", "match", "case", "type", "_",
}
ROLES = ("model", "tokenizer", "samples", "texts", "data", "item", "pool", "round_", "trainer", "prompts", "out")

identifiers = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(lambda name: name not in RESERVED)
role_names = st.lists(identifiers, min_size=len(ROLES), max_size=len(ROLES), unique=True).map(
    lambda names: dict(zip(ROLES, names)))

#: model family -> (imports, construction, generation steps that bind {texts}, training)
FAMILIES = {
    "transformers": (
        "from transformers import AutoModelForCausalLM, AutoTokenizer, Trainer\n",
        "{model} = AutoModelForCausalLM.from_pretrained('gpt2')\n"
        "{tokenizer} = AutoTokenizer.from_pretrained('gpt2')\n",
        ["{samples} = {model}.generate({prompts})\n{texts} = {tokenizer}.batch_decode({samples})\n",
         "{samples} = {model}.generate(**{tokenizer}({prompts}, return_tensors='pt'))\n"
         "{texts} = [{tokenizer}.decode({item}) for {item} in {samples}]\n"],
        ["{trainer} = Trainer(model={model}, train_dataset={data})\n{trainer}.train()\n"],
    ),
    "pipeline": (
        "from transformers import AutoModelForCausalLM, Trainer, pipeline\n",
        "{model} = AutoModelForCausalLM.from_pretrained('gpt2')\n"
        "{tokenizer} = pipeline('text-generation', model={model})\n",
        ["{texts} = [{out}['generated_text'] for {out} in {tokenizer}({prompts})]\n"],
        ["{trainer} = Trainer(model={model}, train_dataset={data})\n{trainer}.train()\n"],
    ),
    "sklearn": (
        "from sklearn.mixture import GaussianMixture\n",
        "{model} = GaussianMixture(n_components=4)\n{model}.fit(load_prompts())\n",
        ["{texts}, _ = {model}.sample(100)\n"],
        ["{model}.fit({data})\n", "{model} = GaussianMixture(n_components=4).fit({data})\n"],
    ),
}
#: steps that move ``{src}`` into ``{dst}`` unchanged in meaning
STEPS = [
    "{dst} = {src}\n",
    "{dst} = [{item} for {item} in {src}]\n",
    "{dst} = list({src})\n",
    "{pool}{k}.extend({src})\n{dst} = {pool}{k}\n",
    "{dst} = helper({src})\n",
    "{dst} = {src}[:100]\n",
    "{dst} = sorted({src}, key=len)\n",
]
#: filters that bring information from outside the model (each keeps a subset of ``{src}``)
FILTERS = [
    "{src} = [{item} for {item} in {src} if verify({item})]\n",
    "{src} = [{item} for {item} in {src} if run_unit_tests({item})]\n",
    "{src} = list(filter(reward_model_accepts, {src}))\n",
    "{src} = [{item} for {item} in {src} if judge.score({item}) > 0.5]\n",
]


def training_script(family: str, generation: int, steps: List[int], training: int, names: Dict[str, str],
                    filter_at: Optional[int] = None, filter_kind: int = 0) -> str:
    """A retraining loop: generate, pass the samples through ``steps``, train the same model."""
    imports, construction, generations, trainings = FAMILIES[family]
    body = generations[generation % len(generations)]
    current = "{texts}"
    for index, step in enumerate(steps + [None]):
        if filter_at == index:
            body += FILTERS[filter_kind].replace("{src}", current)
        if step is None:
            break
        target = "{data}" if index == len(steps) - 1 else "{data}" + "_" * (index + 1)
        # each step has its own pool: a pool shared by two steps would keep unfiltered samples
        body += STEPS[step].replace("{src}", current).replace("{dst}", target).replace("{k}", "_" * index)
        current = target
    if current != "{data}":
        body += f"{{data}} = {current}\n"
    body += trainings[training % len(trainings)]
    text = (imports + "\n\ndef helper(items):\n    return [i for i in items]\n\n\n" + construction
            + "".join("{pool}" + "_" * k + " = []\n" for k in range(len(steps)))
            + "{prompts} = load_prompts()\nfor {round_} in range(3):\n" + textwrap.indent(body, "    "))
    return text.format(**names)


scripts = st.builds(
    dict,
    family=st.sampled_from(sorted(FAMILIES)),
    generation=st.integers(0, 1),
    steps=st.lists(st.integers(0, len(STEPS) - 1), max_size=3),
    training=st.integers(0, 1),
    names=role_names,
)


def positions(result) -> set:
    return {(f.path, f.span.line, f.code, tuple(step.line for step in f.flow)) for f in result.findings}


@FAST
@given(scripts)
def test_every_generated_retraining_loop_is_found(script):
    text = training_script(**script)
    result = lint_source(text, "train.py")
    no_internal_error(result)
    assert result.errors == ()
    training_line = len(text.rstrip("\n").splitlines())
    assert {(f.code, f.source_line or f.span.line) for f in result.findings} == {("LL001", training_line)}, text


@FAST
@given(scripts, role_names)
def test_renaming_variables_changes_no_finding(script, other_names):
    before = lint_source(training_script(**script), "train.py")
    after = lint_source(training_script(**dict(script, names=other_names)), "train.py")
    assert positions(after) == positions(before)


@FAST
@given(scripts, st.integers(0, len(FILTERS) - 1), st.data())
def test_a_filter_with_outside_information_on_the_path_removes_the_finding(script, filter_kind, data):
    filter_at = data.draw(st.integers(0, len(script["steps"])), label="filter position")
    text = training_script(**script, filter_at=filter_at, filter_kind=filter_kind)
    result = lint_source(text, "train.py")
    no_internal_error(result)
    assert result.findings == (), text


# -- renaming real fixtures ---------------------------------------------------------------------------


def renamable(tree: ast.AST, tokens: List[tokenize.TokenInfo]) -> Dict[str, set]:
    """Variables whose every occurrence is a plain ``ast.Name``: name -> token positions.

    Anything else (parameters, keywords, attributes, imports, functions, names in
    f-strings, names that are called, as a helper's name can decide a verdict) is
    left alone, so the renamed program means exactly the same.
    """
    names: Dict[str, set] = {}
    excluded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.setdefault(node.id, set()).add((node.lineno, node.col_offset))
        elif isinstance(node, ast.JoinedStr):
            excluded.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            excluded.add(node.func.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            excluded.update(node.names)
    occurrences: Dict[str, set] = {}
    for token in tokens:
        if token.type == tokenize.NAME:
            occurrences.setdefault(token.string, set()).add(token.start)
    return {name: where for name, where in names.items()
            if name not in excluded and name not in RESERVED and occurrences.get(name) == where
            and name.isascii() and not name.startswith("__")}


def rename_variables(text: str, seed: int) -> str:
    """``text`` with some variables consistently renamed to fresh names of the same length."""
    tree = ast.parse(text)
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    candidates = renamable(tree, tokens)
    taken = {t.string for t in tokens if t.type == tokenize.NAME} | RESERVED
    rng = random.Random(seed)
    mapping: Dict[str, str] = {}
    for name in sorted(candidates):
        if rng.random() < 0.7:
            for _ in range(100):
                new = rng.choice("qxz") + "".join(rng.choice("qxzjkvw") for _ in range(len(name) - 1))
                if new not in taken and not keyword.iskeyword(new):
                    mapping[name] = new
                    taken.add(new)
                    break
    lines = text.splitlines(keepends=True)
    edits = sorted(((pos, name) for name in mapping for pos in candidates[name]), reverse=True)
    for (line, column), name in edits:
        current = lines[line - 1]
        assert current[column:column + len(name)] == name
        lines[line - 1] = current[:column] + mapping[name] + current[column + len(name):]
    return "".join(lines)


SINGLE_FILE_FIXTURES = [p for p in fixture_cases() if p.suffix == ".py"]


@pytest.mark.parametrize("fixture", SINGLE_FILE_FIXTURES, ids=lambda p: p.name)
def test_renaming_variables_in_a_fixture_changes_no_finding(fixture):
    text = fixture.read_text(encoding="utf-8")
    renamed = rename_variables(text, seed=len(text))
    codes = ("LL001", "LL003", "LL004")
    before = lint_source(text, "fixture.py", codes=codes + ("LL900", "LL901", "LL999"))
    after = lint_source(renamed, "fixture.py", codes=codes + ("LL900", "LL901", "LL999"))
    assert after.errors == before.errors == ()
    assert [(f.code, f.span, [(s.line, s.column) for s in f.flow]) for f in after.findings] == \
        [(f.code, f.span, [(s.line, s.column) for s in f.flow]) for f in before.findings]


# -- cache and processes change nothing -----------------------------------------------------------------


def _lint_tree(path: Path, **options) -> tuple:
    previous = os.getcwd()
    os.chdir(ROOT)
    try:
        result = lint_paths([os.path.relpath(path, ROOT)],
                            Options(isolated=True, select=("LL001", "LL003", "LL004"), **options))
    finally:
        os.chdir(previous)
    return result.findings, result.errors


@pytest.fixture
def pool_for_any_size(monkeypatch):
    """The pool normally starts only for large runs: let it start for any run here."""
    monkeypatch.setattr(lintloop.parallel, "POOL_THRESHOLD", 0)
    monkeypatch.setattr(lintloop.parallel, "CHUNK", 2)


def test_fixtures_give_the_same_findings_with_and_without_cache_and_pool(tmp_path, pool_for_any_size):
    reference = _lint_tree(FIXTURES, use_cache=False, jobs=1)
    assert reference[0]
    cache = str(tmp_path / "cache")
    assert _lint_tree(FIXTURES, use_cache=True, cache_dir=cache, jobs=1) == reference  # cold
    assert _lint_tree(FIXTURES, use_cache=True, cache_dir=cache, jobs=1) == reference  # warm
    assert _lint_tree(FIXTURES, use_cache=False, jobs=2) == reference
    assert _lint_tree(FIXTURES, use_cache=True, cache_dir=str(tmp_path / "other"), jobs=2) == reference


projects = st.lists(scripts, min_size=1, max_size=4)


@settings(max_examples=EXPLORE or 10, deadline=None, derandomize=not EXPLORE,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(projects, st.lists(st.integers(0, len(SINGLE_FILE_FIXTURES) - 1), max_size=3))
def test_generated_projects_give_the_same_findings_with_and_without_cache_and_pool(
        tmp_path_factory, pool_for_any_size, generated, fixtures):
    project = tmp_path_factory.mktemp("project")
    for index, script in enumerate(generated):
        (project / f"train_{index}.py").write_text(training_script(**script))
    for index in fixtures:
        source = SINGLE_FILE_FIXTURES[index]
        (project / source.name).write_text(source.read_text(encoding="utf-8"))
    cache = str(project.parent / (project.name + "-cache"))
    reference = _lint_tree(project, use_cache=False, jobs=1)
    assert _lint_tree(project, use_cache=True, cache_dir=cache, jobs=2) == reference
    assert _lint_tree(project, use_cache=True, cache_dir=cache, jobs=1) == reference
    assert _lint_tree(project, use_cache=False, jobs=2) == reference
    # an edit invalidates exactly what it should: the cached run agrees with a fresh one
    first = project / "train_0.py"
    first.write_text(first.read_text() + "\nextra = 1\n")
    assert _lint_tree(project, use_cache=True, cache_dir=cache, jobs=1) == _lint_tree(project, use_cache=False, jobs=1)
