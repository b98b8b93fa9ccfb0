"""The rule registry: one table from code to rule (ruff's ``codes.rs``).

``lintloop rule``, ``lintloop rules``, SARIF ``driver.rules`` and the README
table all read these objects.  A code is never reused.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

from lintloop.rules import diagnostics, ll001_self_feeding_loop, ll003_cross_model_loop, ll004_self_labeling
from lintloop.rules.base import Rule

#: Rules that query the flow graph.
GRAPH_RULES: Tuple[Rule, ...] = (
    ll001_self_feeding_loop.RULE,
    ll003_cross_model_loop.RULE,
    ll004_self_labeling.RULE,
)
#: Diagnostics about files and suppressions.
DIAGNOSTICS: Tuple[Rule, ...] = (
    diagnostics.PARSE_ERROR,
    diagnostics.READ_ERROR,
    diagnostics.UNUSED_SUPPRESSION,
    diagnostics.INTERNAL_ERROR,
)
ALL_RULES: Tuple[Rule, ...] = GRAPH_RULES + DIAGNOSTICS
REGISTRY: Dict[str, Rule] = {rule.code: rule for rule in ALL_RULES}


def get(code: str) -> Rule:
    return REGISTRY[code.upper()]


def codes() -> List[str]:
    return sorted(REGISTRY)
