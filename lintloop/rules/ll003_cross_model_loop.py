"""LL003 cross-model-loop: models that train on each other's generations in a closed cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Iterator, List, Tuple


from lintloop.rules.base import Rule, make_finding, steps_for
from lintloop.types import Finding

if TYPE_CHECKING:
    from lintloop.graph import FlowGraph
    from lintloop.rules.loops import Loop

CODE = "LL003"
NAME = "cross-model-loop"
_MAX_CYCLE = 5

WHAT = """\
Finds two or more models that are each trained on another's generations, in a
closed cycle (A's samples train B, B's samples train A) that no outside data or
filter enters. The cycle is reported once, at the training call that closes it
(the last one in file order), with the path of every leg."""

WHY = """\
A cycle of models is one self-feeding loop spread over several models: together
they still hold only the information of their original training data, and each
round recycles it. Co-training and mutual distillation only help when something
outside the cycle — labels, a verifier, fresh data — decides what is kept."""

EXAMPLE = """\
for round in range(4):
    a.fit(b.sample(1000)[0])
    b.fit(a.sample(1000)[0])
"""

USE_INSTEAD = """\
for round in range(4):
    a.fit([x for x in b.sample(1000)[0] if oracle(x)])
    b.fit([x for x in a.sample(1000)[0] if oracle(x)])
"""

REFERENCES = (
    "Alemohammad et al., 'Self-Consuming Generative Models Go MAD' (2023), arXiv:2307.01850",
    "Shumailov et al., 'AI models collapse when trained on recursively generated data', Nature 631 (2024)",
)

VALID = (
    """\
from sklearn.mixture import GaussianMixture
a = GaussianMixture(3).fit(real)
b = GaussianMixture(3)
b.fit(a.sample(500)[0])  # one way only: distillation
""",
)

INVALID = (
    """\
from sklearn.mixture import GaussianMixture
a = GaussianMixture(3).fit(real_a)
b = GaussianMixture(3).fit(real_b)
for r in range(4):
    a.fit(b.sample(500)[0])
    b.fit(a.sample(500)[0])  # expect: LL003
""",
)


def check(graph: FlowGraph) -> Iterator[Finding]:
    from lintloop.rules.loops import analyse, model_label

    legs: Dict[Tuple[str, str], Loop] = {}
    for loop in analyse(graph):
        if loop.kind == "cross":
            source = graph.model_class(loop.producer.src)
            key = (source, loop.train.model)
            if key not in legs:
                legs[key] = loop
    if not legs:
        return
    import networkx as nx  # only when there are legs to join into cycles

    models = nx.DiGraph()
    for (source, target), loop in legs.items():
        models.add_edge(source, target, loop=loop)
    reported = set()
    for cycle in _cycles(models):
        members = frozenset(cycle)
        if members in reported or len(cycle) < 2:
            continue
        reported.add(members)
        loops: List[Loop] = [models.edges[cycle[i], cycle[(i + 1) % len(cycle)]]["loop"] for i in range(len(cycle))]
        closing = max(loops, key=lambda l: (l.train.edge.path, l.train.edge.line, l.train.edge.column))
        start = loops.index(closing) + 1
        ordered = loops[start:] + loops[:start]
        names = [model_label(graph, l.train, None) for l in ordered]
        message = ("cross-model loop: " + " -> ".join(f"`{n}`" for n in [names[-1]] + names)
                   + " are trained on each other's generations with no filter or external signal")
        edges = []
        for leg in ordered:
            edges += [leg.producer] + leg.path + [leg.train.edge]
        flow = steps_for(graph, edges)
        yield make_finding(graph, RULE, closing.train.edge, message, flow, "|".join(sorted(names)))


def _cycles(models):
    import networkx as nx

    try:
        found = nx.simple_cycles(models, length_bound=_MAX_CYCLE)
    except TypeError:  # networkx < 3.1 has no length_bound
        found = (c for c in nx.simple_cycles(models) if len(c) <= _MAX_CYCLE)
    return sorted((list(c) for c in found), key=lambda c: (len(c), sorted(c)))


RULE = Rule(
    code=CODE, name=NAME, severity="warning", enabled=True,
    summary="models are trained on each other's generations in a closed cycle",
    what=WHAT, why=WHY, example=EXAMPLE, use_instead=USE_INSTEAD, references=REFERENCES,
    valid=VALID, invalid=INVALID, check=check,
)
