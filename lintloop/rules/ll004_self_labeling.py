"""LL004 self-labeling: a model's predictions on real inputs become its own training labels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from lintloop.rules.base import Rule, make_finding, steps_for
from lintloop.types import Finding

if TYPE_CHECKING:
    from lintloop.graph import FlowGraph

CODE = "LL004"
NAME = "self-labeling"

WHAT = """\
Finds pseudo-labelling: a model's predictions (`predict`, `predict_proba`, a
forward pass under `torch.no_grad()`) on real, unlabelled inputs become labels
that the same model is trained on."""

WHY = """\
Pseudo-labelling is anchored on real inputs, so it is a legitimate
semi-supervised technique — but the labels carry only what the model already
believes, so it can only help so much, and confident mistakes reinforce
themselves. The rule is informational and off by default; turn it on with
`--select LL004` (or `select = ["LL004"]`) to review where it happens."""

EXAMPLE = """\
y_pseudo = clf.predict(X_unlabeled)
clf.fit(np.concatenate([X_lab, X_unlabeled]), np.concatenate([y_lab, y_pseudo]))
"""

USE_INSTEAD = """\
y_oracle = ask_annotators(X_unlabeled)  # labels from outside the model
clf.fit(np.concatenate([X_lab, X_unlabeled]), np.concatenate([y_lab, y_oracle]))
"""

REFERENCES = (
    "Lee, 'Pseudo-Label: The Simple and Efficient Semi-Supervised Learning Method for Deep Neural "
    "Networks' (ICML 2013 workshop)",
    "Arazo et al., 'Pseudo-Labeling and Confirmation Bias in Deep Semi-Supervised Learning' (2020), "
    "arXiv:1908.02983",
)

VALID = (
    """\
clf.fit(X_lab, y_lab)
accuracy = (clf.predict(X_test) == y_test).mean()  # predictions only scored
""",
)

INVALID = (
    """\
import numpy as np
clf.fit(X_lab, y_lab)
y_pseudo = clf.predict(X_unlabeled)
clf.fit(np.concatenate([X_lab, X_unlabeled]), np.concatenate([y_lab, y_pseudo]))  # expect: LL004
""",
)


def check(graph: FlowGraph) -> Iterator[Finding]:
    from lintloop.rules.loops import analyse, model_label

    seen = set()
    for loop in analyse(graph):
        if loop.kind != "label":
            continue
        train = loop.train.edge
        key = (train.path, train.line, train.column)
        if key in seen:
            continue
        seen.add(key)
        label = model_label(graph, loop.train, loop.producer)
        message = (f"self-labeling: `{label}` is trained on labels it predicted itself for real inputs "
                   "(pseudo-labelling adds no new information about the labels)")
        flow = steps_for(graph, [loop.producer] + loop.path + [train])
        yield make_finding(graph, RULE, train, message, flow, f"{loop.producer.text}|{label}")


RULE = Rule(
    code=CODE, name=NAME, severity="info", enabled=False,
    summary="a model's predictions on real inputs become its own training labels",
    what=WHAT, why=WHY, example=EXAMPLE, use_instead=USE_INSTEAD, references=REFERENCES,
    valid=VALID, invalid=INVALID, check=check,
    off_reason="informational: pseudo-labelling on real data is legitimate semi-supervised learning",
)
