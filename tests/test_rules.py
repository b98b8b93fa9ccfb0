"""The rule registry documents itself, and every rule's examples behave as documented."""

from __future__ import annotations

import re

import pytest

from lintloop import lint_sources
from lintloop.rules import ALL_RULES, GRAPH_RULES, REGISTRY

EXPECT = re.compile(r"#\s*expect:\s*(LL\d{3})")


def _examples(kind: str):
    for rule in GRAPH_RULES:
        for index, example in enumerate(getattr(rule, kind)):
            yield pytest.param(rule, example, id=f"{rule.code}-{kind}-{index}")


def _sources(example):
    return example if isinstance(example, dict) else {"example.py": example}


@pytest.mark.parametrize("rule, example", list(_examples("valid")))
def test_valid_examples_have_no_finding_of_their_rule(rule, example):
    result = lint_sources(_sources(example), codes=[rule.code])
    assert not result.errors
    assert [f for f in result.findings if f.code == rule.code] == []


@pytest.mark.parametrize("rule, example", list(_examples("invalid")))
def test_invalid_examples_find_exactly_the_marked_lines(rule, example):
    sources = _sources(example)
    result = lint_sources(sources, codes=[rule.code])
    assert not result.errors
    expected = {(path, number) for path, text in sources.items()
                for number, line in enumerate(text.splitlines(), start=1) if EXPECT.search(line)}
    assert expected, "an INVALID example must mark its finding with `# expect:`"
    assert {(f.path, f.span.line) for f in result.findings if f.code == rule.code} == expected


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_every_rule_is_documented(rule):
    assert re.fullmatch(r"LL\d{3}", rule.code)
    assert rule.name and rule.summary and rule.what and rule.why
    assert rule.severity in ("warning", "error", "info")
    text = rule.explanation()
    assert "## What it does" in text and "## Why is this bad?" in text
    if rule in GRAPH_RULES:
        assert rule.valid and rule.invalid, "graph rules carry VALID and INVALID examples"
        assert "## Example" in text and "## Use instead" in text and "## References" in text
    if not rule.enabled:
        assert rule.off_reason


def test_codes_are_unique_and_registered():
    assert len(REGISTRY) == len(ALL_RULES)
    assert sorted(REGISTRY) == ["LL001", "LL003", "LL004", "LL900", "LL901", "LL902", "LL999"]
