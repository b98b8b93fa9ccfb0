"""The README stays true: rule table, quick start, CI script."""

from __future__ import annotations

import re

from lintloop.rules import ALL_RULES
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def rules_table() -> str:
    rows = ["| code | name | default | what it reports |", "| --- | --- | --- | --- |"]
    for rule in ALL_RULES:
        state = f"{'on' if rule.enabled else 'off'}, {rule.severity}"
        rows.append(f"| {rule.code} | {rule.name} | {state} | {rule.summary} |")
    return "\n".join(rows)


def test_readme_rule_table_matches_the_registry():
    match = re.search(r"<!-- rules-table:[^>]*-->\n(.*?)\n<!-- end rules-table -->", README, re.S)
    assert match, "README lost its generated rules table"
    assert match.group(1) == rules_table()


def test_quick_start_has_the_two_command_lines_and_ci_runs_the_second():
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)\n```", section, re.S)
    assert commands == ['python -m pip install . && lintloop fixtures/',
                        'python -m pip install ".[test]" && python -m pytest']
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci.splitlines()


def test_every_fixture_is_in_the_fixture_table():
    table = (ROOT / "fixtures" / "README.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "fixtures").iterdir()):
        if path.suffix in (".py", ".ipynb"):
            assert f"`{path.name}`" in table, path.name
        elif path.is_dir() and not path.name.startswith((".", "_")):
            assert f"`{path.name}/`" in table, path.name


def test_readme_example_output_is_what_lintloop_prints(chdir_root):
    import io

    from lintloop import Options, lint_paths
    from lintloop.report import text

    match = re.search(r"```\n\$ lintloop (\S+)\n(.*?)```", README, re.S)
    assert match, "README lost its example run"
    result = lint_paths([match.group(1)], Options(isolated=True, use_cache=False))
    out = io.StringIO()
    text.render(result, out)
    assert out.getvalue() == match.group(2)
