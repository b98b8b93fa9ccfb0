"""LL001 self-feeding-loop: a model trained on its own generations, nothing in between."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from lintloop.rules.base import Rule, make_finding, steps_for
from lintloop.types import Finding

if TYPE_CHECKING:
    from lintloop.graph import FlowGraph

CODE = "LL001"
NAME = "self-feeding-loop"

WHAT = """\
Finds places where a model's own generations (`generate`, `sample`, a pipeline
call, `predict` on generated inputs, a hosted model's completions) flow back,
through variables, containers, helper functions, modules or files on disk, into
the training of that same model — or of a copy of it, or of its successor bound
to the same name in a retraining loop — with no filter or external information
on the way. The finding is reported at the training call that closes the loop,
and lists every step of the path."""

WHY = """\
A trained model is a compressed copy of its training data. Sampling from it and
training it (or its successor) on the samples, with the same objective, adds no
information: it is a perpetual-motion machine. Trained only on the previous
generation's samples, models collapse — tails vanish, variance shrinks, quality
falls every generation (Shumailov et al. 2024; Alemohammad et al. 2023). Mixing
the samples with a fixed real set only delays the degradation. A loop becomes
useful when new information enters: a filter or verifier that knows something
the model does not (unit tests, ground-truth answers, a reward model, a human),
or fresh real data each round. A filter that asks the *same* model (its own
likelihood or confidence) adds nothing, and does not break the loop.

A deliberate loop (a model-collapse experiment) is suppressed inline with a
reason: `# lintloop: ignore[LL001] studying collapse`."""

EXAMPLE = """\
for round in range(5):
    outs = lm.generate(**prompts, do_sample=True)
    pool.extend(tokenizer.batch_decode(outs))
    Trainer(model=lm, train_dataset=Dataset.from_dict({"text": pool})).train()
"""

USE_INSTEAD = """\
for round in range(5):
    outs = lm.generate(**prompts, do_sample=True)
    texts = tokenizer.batch_decode(outs)
    pool.extend(t for t in texts if passes_unit_tests(t))  # a verifier adds information
    Trainer(model=lm, train_dataset=Dataset.from_dict({"text": pool})).train()
"""

REFERENCES = (
    "Shumailov et al., 'AI models collapse when trained on recursively generated data', Nature 631 (2024)",
    "Alemohammad et al., 'Self-Consuming Generative Models Go MAD' (2023), arXiv:2307.01850",
    "Gerstgrasser et al., 'Is Model Collapse Inevitable? Breaking the Curse of Recursion by Accumulating "
    "Real and Synthetic Data' (2024), arXiv:2404.01413",
    "Feng et al., 'Beyond Model Collapse: Scaling Up with Synthesized Data Requires Verification' (2024), "
    "arXiv:2406.07515",
    "Zelikman et al., 'STaR: Bootstrapping Reasoning With Reasoning' (2022), arXiv:2203.14465",
)

VALID = (
    """\
from transformers import AutoModelForCausalLM
model = AutoModelForCausalLM.from_pretrained("acme/base")
model.train()  # a mode switch, not training
samples = model.generate(max_new_tokens=20)
print(samples)  # generation used only for inspection
""",
    """\
from sklearn.mixture import GaussianMixture
teacher = GaussianMixture(4).fit(real)
student = GaussianMixture(4)
student.fit(teacher.sample(1000)[0])  # teacher -> student: a different model
""",
    """\
from sklearn.mixture import GaussianMixture
gmm = GaussianMixture(4).fit(real)
for step in range(3):
    x, _ = gmm.sample(500)
    kept = [p for p in x if oracle_accepts(p)]  # an external judge
    gmm.fit(kept)
""",
)

INVALID = (
    """\
from sklearn.mixture import GaussianMixture
data = real_points
for generation in range(10):
    gmm = GaussianMixture(n_components=4)
    gmm.fit(data)  # expect: LL001
    data, _ = gmm.sample(1000)
""",
    """\
from transformers import AutoModelForCausalLM, Trainer
from datasets import Dataset
lm = AutoModelForCausalLM.from_pretrained("acme/base")
pool = []
for r in range(3):
    pool += [tok.decode(o) for o in lm.generate(**batch)]
    Trainer(model=lm, train_dataset=Dataset.from_dict({"text": pool})).train()  # expect: LL001
""",
    {
        "pkg/__init__.py": "",
        "pkg/synth.py": """\
def make_samples(model, n):
    return [model.sample() for _ in range(n)]
""",
        "pkg/train.py": """\
from .synth import make_samples
def improve(model):
    for _ in range(3):
        model.fit(make_samples(model, 100))  # expect: LL001
""",
    },
)


def check(graph: FlowGraph) -> Iterator[Finding]:
    from lintloop.rules.loops import analyse, filter_note, model_label, node_label

    seen = set()
    for loop in analyse(graph):
        if loop.kind != "self":
            continue
        train = loop.train.edge
        key = (train.path, train.line, train.column)
        if key in seen:
            continue
        seen.add(key)
        label = model_label(graph, loop.train)
        producer = node_label(graph, loop.producer.src, loop.producer.function)
        if loop.producer.kind == "predict":
            what = "its own predictions fed back as inputs"
        else:
            what = "its own generations"
        if producer and producer != label and loop.producer.kind != "predict":
            what = f"generations of `{producer}`, the same model,"
        message = f"self-feeding loop: `{label}` is trained on {what}"
        if loop.same_model_filters:
            message += " with no external signal" + filter_note(graph, loop.same_model_filters)
        else:
            message += " with no filter or external signal"
        if loop.real_sources:
            real = graph.nodes[loop.real_sources[0]]
            shown = real.template or real.label
            message += (f"; they are mixed with a fixed real set (`{shown}`, line {real.line}), "
                        "which delays collapse but does not prevent it")
        else:
            message += " (purely synthetic: nothing else reaches the training data)"
        identity = graph.identity_path(loop.producer.src, loop.train.model_node)
        flow = steps_for(graph, [loop.producer] + loop.path + [train], leading=identity)
        yield make_finding(graph, RULE, train, message, flow, f"{loop.producer.text}|{label}")


RULE = Rule(
    code=CODE, name=NAME, severity="warning", enabled=True,
    summary="a model is trained on its own generations with nothing external in between",
    what=WHAT, why=WHY, example=EXAMPLE, use_instead=USE_INSTEAD, references=REFERENCES,
    valid=VALID, invalid=INVALID, check=check,
)
