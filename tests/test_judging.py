"""What a selection or a condition is worth: the small shapes that decide whether a loop is broken.

Each case is a loop whose only candidate for "outside information" is a bare scalar (a budget, a
count, a stopping test, a seed): none of them tells anything about the samples, so the loop must
still be reported.  Each one was, at some point, taken for a filter that breaks the loop.
"""

from __future__ import annotations

import re

import pytest

from lintloop import lint_sources

EXPECT = re.compile(r"#\s*expect:\s*(LL\d{3})")

CASES = {
    # `if ...: break` decides how many rounds run, not which samples are kept
    "stopping-test": '''\
import numpy as np


def self_train(clf, X, y, X_unlabelled, target):
    labels = np.copy(y)
    for _ in range(10):
        clf.fit(X, labels)  # expect: LL004
        if np.all(labels == target):
            break
        labels = np.concatenate([labels, clf.predict(X_unlabelled)])
        X = np.concatenate([X, X_unlabelled])
''',
    # a slice bound picks by position: a token budget cuts the list, it judges nothing
    "slice-bound": '''\
import numpy as np


def distill_on_budget(lm, tok, prompts, max_tokens):
    for _ in range(3):
        samples = tok.batch_decode(lm.generate(**tok(prompts, return_tensors="pt")))
        lengths = tok(samples, return_length=True)["length"]
        cut = np.searchsorted(np.cumsum(lengths), max_tokens)
        lm.fit(samples[:cut])  # expect: LL001
''',
    # comparing a count with `x.shape[0]` does not look at what `x` holds
    "array-size": '''\
import numpy as np


class TopKSelfTrainer:
    def __init__(self, clf, k_best):
        self.clf = clf
        self.k_best = k_best

    def fit(self, X, y, X_unlabelled):
        labels = np.copy(y)
        for _ in range(5):
            self.clf.fit(X, labels)  # expect: LL004
            confidence = self.clf.predict_proba(X_unlabelled).max(axis=1)
            guesses = self.clf.predict(X_unlabelled)
            k = min(self.k_best, 100)
            if k == confidence.shape[0]:
                chosen = guesses
            else:
                chosen = guesses[:k]
            labels = np.concatenate([labels, chosen])
            X = np.concatenate([X, X_unlabelled[:k]])
''',
}

#: ... and the other way round: a value that only selects real data is not data of its own
NEGATIVES = {
    # boosting draws real rows with weights grown from its errors against the true targets; the
    # generator is known by its constructor, whatever the variable is called
    "weighted-draw-of-real-rows": '''\
import numpy as np
from project_utils import take


def boost(make_model, X, y, rounds, seed):
    draw = np.random.default_rng(seed)
    weights = np.full(len(y), 1.0 / len(y))
    for _ in range(rounds):
        rows = draw.choice(np.arange(len(y)), size=len(y), p=weights)
        model = make_model()
        model.fit(take(X, rows), take(y, rows))
        error = np.abs(model.predict(X) - y)
        weights = weights * np.exp(error)
        weights = weights / weights.sum()
''',
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_bare_scalar_does_not_break_the_loop(name):
    source = CASES[name]
    result = lint_sources({"case.py": source}, codes=["LL001", "LL004"])
    assert not result.errors
    expected = [(number, EXPECT.search(line).group(1))
                for number, line in enumerate(source.splitlines(), start=1) if EXPECT.search(line)]
    assert [(f.span.line, f.code) for f in result.findings] == expected


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_a_selection_of_real_data_is_not_a_loop(name):
    result = lint_sources({"case.py": NEGATIVES[name]}, codes=["LL001", "LL003", "LL004"])
    assert not result.errors
    assert [(f.span.line, f.code) for f in result.findings] == []
