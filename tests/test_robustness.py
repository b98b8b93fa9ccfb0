"""The hostile-input gauntlet: lintloop never crashes, never hangs, never lies.

Every bad input is reported as that file's error with a specific message, and
every other file of the run is still linted (each run below includes ``loop.py``,
whose loop must still be found).  Exact messages are asserted; where the text
comes from CPython's own parser it is computed from ``ast.parse`` in the test,
so the suite holds on every supported Python.
"""

from __future__ import annotations

import ast
import codecs
import errno
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import lintloop.api
import lintloop.extract
from lintloop import Options, lint_paths
from lintloop.cli import exit_status
from lintloop.config import ConfigError, load_config
from lintloop.worker import read_bytes
from tests.conftest import GMM_LOOP as LOOP

#: (path, line, code) of the finding in LOOP
LOOP_FINDING = ("loop.py", 6, "LL001")
#: Relevant to the prefilter (a generation), so a file with this header is parsed in full.
HEADER = "from transformers import AutoModelForCausalLM\nmodel = AutoModelForCausalLM.from_pretrained('gpt2')\n"
PEP263 = "save it as UTF-8 or declare its encoding in a coding comment (PEP 263)"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run_lint(root: Path, *paths: str, **options) -> "lintloop.LintResult":
    """lint_paths from ``root``, no configuration, no cache, no worker processes."""
    defaults = dict(isolated=True, use_cache=False, jobs=1)
    defaults.update(options)
    previous = os.getcwd()
    os.chdir(root)
    try:
        return lint_paths(list(paths) or ["."], Options(**defaults))
    finally:
        os.chdir(previous)


def errors_of(result) -> list:
    return [(e.path, e.code, e.line, e.column, e.message) for e in result.errors]


def findings_of(result) -> set:
    return {(f.path, f.span.line, f.code) for f in result.findings}


def parser_error(text: str):
    """(line, column, message) as lintloop reports what CPython's parser says about ``text``."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return exc.lineno, (exc.offset or 0) or None, f"syntax error: {exc.msg}"
    raise AssertionError("the sample parses")


def cli_command() -> list:
    """The installed command, isolated: neither the current directory nor PYTHONPATH on sys.path.

    With faulthandler on, a hang is diagnosed: SIGABRT makes it print every thread's stack.
    """
    return [sys.executable, "-I", "-X", "faulthandler", "-c", "from lintloop.cli import run; run()"]


def run_cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    process = subprocess.Popen(cli_command() + list(args), cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT if hasattr(signal, "SIGABRT") else signal.SIGTERM)
        out, err = process.communicate()
        pytest.fail(f"lintloop {' '.join(args)} did not finish in {timeout} s; its stacks:\n{err}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "loop.py").write_text(LOOP)
    return tmp_path


# -- syntax errors -----------------------------------------------------------------------------

SYNTAX_ERRORS = {
    "python2_print": HEADER + "samples = model.generate(prompts)\nprint samples\n",
    "python2_except": HEADER + "try:\n    samples = model.generate(prompts)\nexcept Exception, exc:\n    pass\n",
    "python2_backticks": HEADER + "name = `model.generate(prompts)`\n",
    "python2_octal": HEADER + "samples = model.generate(prompts, seed=0777)\n",
    "python2_exec": HEADER + "exec 'samples = model.generate(prompts)'\n",
    "unterminated_string": HEADER + "samples = model.generate('a prompt)\n",
    "unterminated_triple_quoted": HEADER + 'PROMPT = """Write a poem\nsamples = model.generate(PROMPT)\n',
    "unexpected_indent": HEADER + "samples = model.generate(prompts)\n    model.train()\n",
    "unindent_mismatch": HEADER + "for batch in loader:\n        samples = model.generate(batch)\n    model.fit(samples)\n",
    "tabs_and_spaces": HEADER + "for batch in loader:\n        samples = model.generate(batch)\n\tmodel.fit(samples)\n",
    "cut_inside_call": HEADER + "samples = model.generate(prom",
    "cut_inside_string_escape": HEADER + 'samples = model.generate("abc\\',
    "cut_inside_number": HEADER + "samples = model.generate(prompts, temperature=1e",
    "cut_after_keyword": HEADER + "samples = model.generate(prompts)\nif samples",
    "unmatched_bracket": HEADER + "samples = model.generate(prompts))\n",
    "invalid_character": HEADER + "samples = model.generate(prompts) \u2192 texts\n",
    "bad_fstring": HEADER + 'samples = model.generate(f"{prompts!x}")\n',
    "keyword_as_name": HEADER + "async = model.generate(prompts)\n",
    "too_many_parentheses": HEADER + "samples = model.generate(" + "(" * 300 + "p" + ")" * 300 + ")\n",
    "too_deeply_indented": HEADER + "".join(" " * i + "if x:\n" for i in range(101)) + " " * 101 + "model.generate(p)\n",
}


@pytest.mark.parametrize("name", sorted(SYNTAX_ERRORS))
def test_syntax_error_is_reported_with_the_parsers_message_and_position(project, name):
    text = SYNTAX_ERRORS[name]
    (project / f"{name}.py").write_text(text, encoding="utf-8")
    result = run_lint(project)
    line, column, message = parser_error(text)
    assert line is not None
    assert errors_of(result) == [(f"{name}.py", "LL900", line, column, message)]
    assert findings_of(result) == {LOOP_FINDING}
    assert exit_status(result) == 1


@pytest.mark.parametrize("text", ["print 'hello'\n", "def f(:\n    pass\n", "x = (1,\n"], ids=["print", "def", "cut"])
def test_syntax_error_in_a_file_without_ml_code_is_still_reported(project, text):
    (project / "util.py").write_text(text)
    result = run_lint(project)
    assert errors_of(result) == [("util.py", "LL900", *parser_error(text))]
    assert findings_of(result) == {LOOP_FINDING}


def test_syntax_error_text_output_is_one_line(project):
    (project / "broken.py").write_text(SYNTAX_ERRORS["python2_print"])
    result = run_cli("--no-cache", "--isolated", ".", cwd=project)
    line, column, message = parser_error(SYNTAX_ERRORS["python2_print"])
    assert result.stdout.splitlines()[0] == f"broken.py:{line}:{column}: LL900 {message}"
    assert result.stdout.splitlines()[1].startswith("loop.py:6:5: LL001 ")
    assert result.stderr == ""
    assert result.returncode == 1


# -- bytes that are not Python source ------------------------------------------------------------

NOT_SOURCE = {
    "null_byte": ((HEADER + "x = 1\x00\n").encode(), None, None, "file contains null bytes; is it a binary file?"),
    "png_named_py": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", None, None,
                     "file contains null bytes; is it a binary file?"),
    "binary_without_nulls": (bytes(range(128, 256)) * 8, 1, 1, f"cannot decode as utf-8: invalid byte 0x80; {PEP263}"),
    "latin1_without_cookie": (b'label = "caf\xe9"\n' + HEADER.encode(), 1, 13,
                              f"cannot decode as utf-8: invalid byte 0xe9; {PEP263}"),
    "latin1_without_cookie_line_3": (HEADER.encode() + b'label = "caf\xe9"\n', 3, 13,
                                     f"cannot decode as utf-8: invalid byte 0xe9; {PEP263}"),
    "latin1_without_cookie_crlf": (b"import torch\r\nx = 1\r\nlabel = 'caf\xe9'\r\n", 3, 13,
                                   f"cannot decode as utf-8: invalid byte 0xe9; {PEP263}"),
    "utf8_cookie_but_latin1": (b"# -*- coding: utf-8 -*-\nlabel = '\xe9t\xe9'\n", 2, 10,
                               "cannot decode as utf-8: invalid byte 0xe9"),
    "unknown_cookie": (b"# -*- coding: klingon -*-\n" + HEADER.encode(), None, None,
                       "cannot decode: unknown encoding 'klingon' in the coding comment"),
    "not_a_text_encoding": (b"#!/usr/bin/env python\n# vim: set fileencoding=rot13 :\nx = 1\n", None, None,
                            "cannot decode: the coding comment declares rot13, which is not a text encoding"),
    "bom_and_latin1_cookie": (codecs.BOM_UTF8 + b"# coding: latin-1\nx = 1\n", None, None,
                              "cannot decode: the file starts with a UTF-8 byte-order mark but its coding "
                              "comment declares another encoding"),
    "utf16_le": (codecs.BOM_UTF16_LE + HEADER.encode("utf-16-le"), None, None,
                 "cannot decode: the file is UTF-16 text; Python source must be UTF-8 or another "
                 "ASCII-compatible encoding"),
    "utf16_be": (codecs.BOM_UTF16_BE + HEADER.encode("utf-16-be"), None, None,
                 "cannot decode: the file is UTF-16 text; Python source must be UTF-8 or another "
                 "ASCII-compatible encoding"),
    "utf32": (HEADER.encode("utf-32"), None, None,
              "cannot decode: the file is UTF-32 text; Python source must be UTF-8 or another "
              "ASCII-compatible encoding"),
    "utf16_cookie": (b"# coding: utf-16\nx = 1\n", None, None,
                     "cannot decode: the coding comment declares utf-16, which is not ASCII-compatible; "
                     "Python cannot read such a file"),
}


@pytest.mark.parametrize("name", sorted(NOT_SOURCE))
def test_undecodable_file_is_an_ll901_with_a_specific_message(project, name):
    data, line, column, message = NOT_SOURCE[name]
    (project / f"{name}.py").write_bytes(data)
    result = run_lint(project)
    assert errors_of(result) == [(f"{name}.py", "LL901", line, column, message)]
    assert findings_of(result) == {LOOP_FINDING}


ENCODED = {
    "latin-1": "# -*- coding: latin-1 -*-\n# caf\u00e9 na\u00efve\n",
    "cp1252": "# -*- coding: cp1252 -*-\nPRICE = '\u20ac 5'\n",
    "shift_jis": "# coding: shift_jis\nTITLE = '\u65e5\u672c\u8a9e'\n",
    "euc-jp": "# vim: set fileencoding=euc-jp :\nTITLE = '\u65e5\u672c\u8a9e'\n",
    "utf-8": "# coding: utf-8\nTITLE = '\u65e5\u672c\u8a9e \U0001f600'\n",
}


@pytest.mark.parametrize("encoding", sorted(ENCODED))
def test_file_in_a_declared_encoding_is_linted(tmp_path, encoding):
    header = ENCODED[encoding]
    (tmp_path / "loop.py").write_bytes((header + LOOP).encode(encoding))
    result = run_lint(tmp_path)
    assert errors_of(result) == []
    assert findings_of(result) == {("loop.py", 6 + header.count("\n"), "LL001")}


def test_utf8_bom_changes_no_line_or_column(tmp_path):
    (tmp_path / "plain.py").write_text(LOOP)
    (tmp_path / "bom.py").write_bytes(codecs.BOM_UTF8 + LOOP.encode())
    (tmp_path / "bom_cookie.py").write_bytes(codecs.BOM_UTF8 + b"# coding: utf-8\n" + LOOP.encode())
    result = run_lint(tmp_path)
    assert errors_of(result) == []
    by_path = {f.path: f for f in result.findings}
    assert by_path["plain.py"].span == by_path["bom.py"].span
    assert [(s.line, s.column) for s in by_path["plain.py"].flow] == [(s.line, s.column) for s in by_path["bom.py"].flow]
    assert by_path["bom_cookie.py"].span.line == by_path["plain.py"].span.line + 1


SUPPRESSED = LOOP.replace("gmm.fit(data)", "gmm.fit(data)  # lintloop: ignore[LL001] collapse study") + textwrap.dedent('''\
    other = GaussianMixture(n_components=2)
    points = load_points()
    for generation in range(3):
        # lintloop: ignore[LL001] collapse study
        other.fit(points)
        points, _ = other.sample(10)
    third = GaussianMixture(n_components=2)
    more = load_points()
    for generation in range(3):
        third.fit(more)
        more, _ = third.sample(10)
''')


@pytest.mark.parametrize("newline", ["\r\n", "\r", "mixed"], ids=["crlf", "cr", "mixed"])
def test_line_endings_change_no_finding_position_or_suppression(tmp_path, newline):
    (tmp_path / "lf").mkdir()
    (tmp_path / "other").mkdir()
    (tmp_path / "lf" / "train.py").write_bytes(SUPPRESSED.encode())
    if newline == "mixed":
        lines = SUPPRESSED.splitlines(keepends=True)
        data = "".join(line.replace("\n", ("\r\n", "\r", "\n")[i % 3]) for i, line in enumerate(lines))
    else:
        data = SUPPRESSED.replace("\n", newline)
    (tmp_path / "other" / "train.py").write_bytes(data.encode())
    expected = run_lint(tmp_path / "lf")
    got = run_lint(tmp_path / "other")
    assert errors_of(got) == []
    assert [(f.span, f.code, f.message, f.flow) for f in got.findings] == \
        [(f.span, f.code, f.message, f.flow) for f in expected.findings]
    assert findings_of(got) == {("train.py", 17, "LL001")}  # the two suppressed loops stay suppressed


@pytest.mark.parametrize("content", [b"", b"\n", b"   \n\t\n", b"# only a comment\n", codecs.BOM_UTF8,
                                     b"\x0c\n", b'"""A docstring."""\n', b"\r\n\r\n"],
                         ids=["empty", "newline", "blank", "comment", "bom", "form-feed", "docstring", "crlf"])
def test_empty_and_trivial_files_are_clean(project, content):
    (project / "trivial.py").write_bytes(content)
    result = run_lint(project)
    assert errors_of(result) == []
    assert findings_of(result) == {LOOP_FINDING}
    assert result.stats.files == 2


# -- size and depth ---------------------------------------------------------------------------------


def test_20_megabyte_generated_file(tmp_path):
    # what generated modules hold: an embedded blob, then a table, then code
    blob = "".join(f"    '{(str(i) * 90)[:90]}'\n" for i in range(215_000))
    table = "".join(f"    ({i}, 'token_{i}', {i * 0.5}),\n" for i in range(2_000))
    text = "BLOB = (\n" + blob + ")\nVOCAB = [\n" + table + "]\n" + LOOP
    (tmp_path / "generated.py").write_text(text)
    assert (tmp_path / "generated.py").stat().st_size > 20_000_000
    result = run_lint(tmp_path)
    assert errors_of(result) == []
    assert findings_of(result) == {("generated.py", text.count("\n") - LOOP.count("\n") + 6, "LL001")}


def test_100_000_line_file(tmp_path):
    lines = []
    for i in range(1, 100_000 - 1_000):
        lines.append(("# a generated comment", "", "    'a line of a long literal',")[i % 3] if i > 2 else "")
    lines[1], lines[-1] = "TEXT = (", ")"
    code = "".join(f"value_{i} = transform(value_{i - 1}, {i})\n" for i in range(1, 1_001))
    text = "\n".join(lines) + "\n" + code + LOOP
    (tmp_path / "long.py").write_text(text)
    assert text.count("\n") > 100_000
    result = run_lint(tmp_path)
    assert errors_of(result) == []
    assert findings_of(result) == {("long.py", text.count("\n") - LOOP.count("\n") + 6, "LL001")}


def test_a_1000_term_expression_python_compiles_is_analysed_not_skipped(tmp_path):
    # deeper than the default recursion limit lets a recursive visitor follow
    text = "samples = " + " + ".join(["model.generate(prompt)"] * 1000) + "\nmodel.fit(samples)\n"
    compile(text, "deep.py", "exec")  # Python itself accepts it
    (tmp_path / "deep.py").write_text(text)
    result = run_lint(tmp_path)
    assert errors_of(result) == []
    assert findings_of(result) == {("deep.py", 2, "LL001")}


def test_nesting_just_inside_the_indentation_limit_is_analysed(tmp_path):
    depth = 98
    body = "".join("    " * i + f"for x{i} in range(2):\n" for i in range(depth))
    body += "    " * depth + "samples = model.generate(prompts)\n" + "    " * depth + "model.fit(samples)\n"
    (tmp_path / "nested.py").write_text(body)
    result = run_lint(tmp_path)
    assert errors_of(result) == []
    assert findings_of(result) == {("nested.py", depth + 2, "LL001")}


@pytest.mark.parametrize("text", [
    "samples = " + " + ".join(["model.generate(p)"] * 100_000) + "\n",
    "flag = " + "not " * 100_000 + "model.generate(p)\n",
    "f = " + "lambda: " * 10_000 + "model.generate(p)\n",
    "x = model" + ".child" * 100_000 + ".generate(p)\n",
], ids=["sum", "not", "lambda", "attributes"])
def test_expression_nested_past_pythons_parser_is_ll900_not_a_crash(project, text):
    (project / "deep.py").write_text(text)
    result = run_lint(project)
    [(path, code, line, column, message)] = errors_of(result)
    assert (path, code) == ("deep.py", "LL900")
    assert message.startswith("syntax error: ")
    if line is None:
        assert message == "syntax error: code nested too deeply for Python's parser"
    assert findings_of(result) == {LOOP_FINDING}


# -- notebooks ---------------------------------------------------------------------------------------


def notebook(*cells) -> str:
    return json.dumps({"cells": [{"cell_type": kind, "metadata": {}, "source": source} for kind, source in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


NOTEBOOKS = {
    "not_json": ("this is not json", "not a valid notebook (JSON): Expecting value: line 1 column 1 (char 0)"),
    "empty": ("", "not a valid notebook (JSON): Expecting value: line 1 column 1 (char 0)"),
    "a_list": ("[]", "not a valid notebook: no 'cells' list"),
    "cells_null": ('{"cells": null}', "not a valid notebook: no 'cells' list"),
    "nbformat_3": (json.dumps({"worksheets": [{"cells": []}], "nbformat": 3}), "not a valid notebook: no 'cells' list"),
    "source_not_text": (json.dumps({"cells": [{"cell_type": "code", "source": [1, None]}]}),
                        "not a valid notebook: the source of cell 1 is not text"),
    "nested_too_deeply": ("[" * 200_000 + "]" * 200_000, "not a valid notebook (JSON): nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(NOTEBOOKS))
def test_broken_notebook_is_an_ll901(project, name):
    text, message = NOTEBOOKS[name]
    (project / f"{name}.ipynb").write_text(text)
    result = run_lint(project)
    assert errors_of(result) == [(f"{name}.ipynb", "LL901", None, None, message)]
    assert findings_of(result) == {LOOP_FINDING}


def test_notebook_syntax_error_names_the_cell(project):
    (project / "nb.ipynb").write_text(notebook(("markdown", "# Self-training"), ("code", "import torch\nx = 1"),
                                               ("code", ["samples = model.generate(p)\n", "def f(:\n", "    pass"])))
    result = run_lint(project)
    assert errors_of(result) == [("nb.ipynb", "LL900", None, None,
                                  "syntax error in cell 3, line 2, column 7: invalid syntax")]


def test_notebook_cells_split_only_at_python_line_ends(tmp_path):
    # str.splitlines() would also split at U+2028 and form feeds, inside string literals
    (tmp_path / "nb.ipynb").write_text(notebook(
        ("code", "from sklearn.mixture import GaussianMixture\nSEPARATOR = '\u2028'\nPAGE = '\x0c'"),
        ("code", LOOP.split("\n", 1)[1])))
    result = run_lint(tmp_path)
    assert errors_of(result) == []
    assert [(f.cell, f.span.line, f.code) for f in result.findings] == [(2, 5, "LL001")]


# -- the file system --------------------------------------------------------------------------------


def test_path_that_does_not_exist(project):
    result = run_lint(project, "loop.py", "missing.py", "missing_dir/")
    assert errors_of(result) == [("missing.py", "LL901", None, None, "No such file or directory"),
                                 ("missing_dir/", "LL901", None, None, "No such file or directory")]
    assert findings_of(result) == {LOOP_FINDING}
    assert exit_status(result) == 1


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links on this platform")
def test_broken_and_looping_symbolic_links(project):
    try:
        os.symlink("nowhere.py", project / "broken.py")
    except OSError as exc:  # pragma: no cover - Windows without the privilege
        pytest.skip(f"cannot create symbolic links: {exc}")
    os.symlink("loop_b.py", project / "loop_a.py")
    os.symlink("loop_a.py", project / "loop_b.py")
    (project / "sub").mkdir()
    os.symlink("..", project / "sub" / "up")  # a directory cycle: never followed
    result = run_lint(project)
    loop_message = f"cannot read: {os.strerror(errno.ELOOP)}"
    assert errors_of(result) == [
        ("broken.py", "LL901", None, None, "cannot read: broken symbolic link to nowhere.py"),
        ("loop_a.py", "LL901", None, None, loop_message),
        ("loop_b.py", "LL901", None, None, loop_message),
    ]
    assert findings_of(result) == {("loop.py", 6, "LL001")}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_and_device_named_py_do_not_hang(project):
    os.mkfifo(project / "pipe.py")
    try:
        os.symlink("/dev/zero", project / "zero.py")  # reading it would never end
    except OSError:  # pragma: no cover
        pytest.skip("cannot create symbolic links")
    # in a child process with a timeout: a regression must fail the test, not hang the suite
    result = run_cli("--no-cache", "--isolated", ".", cwd=project, timeout=60)
    assert result.stdout.splitlines()[:3] == [
        "pipe.py: LL901 not a regular file: a named pipe",
        "zero.py: LL901 not a regular file: a character device",
        "loop.py:6:5: LL001 self-feeding loop: `gmm` is trained on its own generations with no filter or "
        "external signal (purely synthetic: nothing else reaches the training data)",
    ]
    assert result.returncode == 1
    (project / "pipe.py").unlink()
    os.mkfifo(project / "pipe.py")
    assert run_cli("--no-cache", "--isolated", "pipe.py", cwd=project, timeout=60).stdout.splitlines()[0] == \
        "pipe.py: LL901 not a regular file: a named pipe"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="file names must be valid UTF-8 elsewhere")
def test_file_name_that_is_not_utf8(project):
    (project / os.fsdecode(b"caf\xe9.py")).write_text(LOOP)
    text = subprocess.run(cli_command() + ["--no-cache", "--isolated", "-q", "."], cwd=project, capture_output=True)
    assert text.stdout.splitlines()[0].startswith(b"caf\xe9.py:6:5: LL001 ")  # the name's own bytes
    assert (text.returncode, text.stderr) == (1, b"")
    report = subprocess.run(cli_command() + ["--no-cache", "--isolated", "--format", "json", "."], cwd=project,
                            capture_output=True)
    assert [f["path"] for f in json.loads(report.stdout)["findings"]] == ["caf\udce9.py", "loop.py"]


def test_directory_named_like_a_source_file_is_searched(project):
    (project / "pkg.py").mkdir()
    (project / "pkg.py" / "inner.py").write_text(LOOP)
    result = run_lint(project)
    assert errors_of(result) == []
    assert findings_of(result) == {("loop.py", 6, "LL001"), ("pkg.py/inner.py", 6, "LL001")}


def test_reading_a_directory_is_an_error_not_a_crash(tmp_path):
    assert read_bytes(str(tmp_path)) == lintloop.FileError(str(tmp_path), "LL901", "is a directory, not a file")


def test_directory_given_where_a_file_is_expected_is_a_usage_error(project):
    for option in ("--config", "--output-file"):
        result = run_cli(option, str(project), "loop.py", cwd=project)
        assert result.returncode == 2
        assert "is a directory" in result.stderr
        assert "Traceback" not in result.stderr


def _discover_then(action):
    """A ``discover`` that runs ``action(files)`` after walking: the tree changes mid-run."""
    real = lintloop.api.discover

    def discover(*args, **kwargs):
        files, errors = real(*args, **kwargs)
        action(files)
        return files, errors

    return discover


def test_file_deleted_while_linting(project, monkeypatch):
    (project / "gone.py").write_text(LOOP)
    monkeypatch.setattr(lintloop.api, "discover", _discover_then(lambda files: os.remove("gone.py")))
    result = run_lint(project)
    assert errors_of(result) == [("gone.py", "LL901", None, None, "cannot read: No such file or directory")]
    assert findings_of(result) == {("loop.py", 6, "LL001")}


def test_file_replaced_by_a_directory_while_linting(project, monkeypatch):
    (project / "moved.py").write_text(LOOP)

    def replace(files):
        os.remove("moved.py")
        os.mkdir("moved.py")

    monkeypatch.setattr(lintloop.api, "discover", _discover_then(replace))
    result = run_lint(project)
    assert errors_of(result) == [("moved.py", "LL901", None, None, "is a directory, not a file")]


def test_file_changed_while_linting_is_reported_as_read_and_the_cache_stays_true(project, monkeypatch):
    (project / "changing.py").write_text(LOOP.replace("gmm.sample(1000)", "load_points(), None"))
    cache = project / "cache"
    monkeypatch.setattr(lintloop.api, "discover",
                        _discover_then(lambda files: Path("changing.py").write_text(LOOP)))
    first = run_lint(project, use_cache=True, cache_dir=str(cache))
    monkeypatch.undo()
    assert findings_of(first) == {("loop.py", 6, "LL001"), ("changing.py", 6, "LL001")}
    again = run_lint(project, use_cache=True, cache_dir=str(cache))
    fresh = run_lint(project)
    assert again.findings == fresh.findings == first.findings


def _deny(monkeypatch, denied: Path):
    """Simulate a permission error on ``denied`` (chmod does not deny root)."""
    real_open, real_scandir = os.open, os.scandir

    def fake_open(path, *args, **kwargs):
        if os.path.abspath(path) == str(denied):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    def fake_scandir(path="."):
        if os.path.abspath(path) == str(denied):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
        return real_scandir(path)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "scandir", fake_scandir)


def test_unreadable_file_simulated(project, monkeypatch):
    (project / "secret.py").write_text(LOOP)
    _deny(monkeypatch, project / "secret.py")
    result = run_lint(project)
    assert errors_of(result) == [("secret.py", "LL901", None, None, "cannot read: Permission denied")]
    assert findings_of(result) == {("loop.py", 6, "LL001")}


def test_unreadable_directory_simulated(project, monkeypatch):
    (project / "private").mkdir()
    (project / "private" / "train.py").write_text(LOOP)
    _deny(monkeypatch, project / "private")
    result = run_lint(project)
    assert errors_of(result) == [("private", "LL901", None, None, "cannot read directory: Permission denied")]
    assert findings_of(result) == {("loop.py", 6, "LL001")}


@pytest.mark.skipif(IS_ROOT or os.name == "nt", reason="running as root (or on Windows): chmod cannot deny reads; "
                                                        "see the simulated tests")
def test_unreadable_file_and_directory_with_chmod(project):  # pragma: no cover - not as root
    (project / "secret.py").write_text(LOOP)
    (project / "private").mkdir()
    (project / "private" / "train.py").write_text(LOOP)
    os.chmod(project / "secret.py", 0)
    os.chmod(project / "private", 0)
    try:
        result = run_lint(project)
    finally:
        os.chmod(project / "secret.py", stat.S_IRUSR | stat.S_IWUSR)
        os.chmod(project / "private", stat.S_IRWXU)
    assert errors_of(result) == [("private", "LL901", None, None, "cannot read directory: Permission denied"),
                                 ("secret.py", "LL901", None, None, "cannot read: Permission denied")]
    assert findings_of(result) == {("loop.py", 6, "LL001")}


def test_unwritable_cache_directory_is_skipped_with_one_warning(project):
    (project / "not_a_dir").write_text("")
    target = project / "not_a_dir" / "cache"
    result = run_cli("--isolated", "--cache-dir", str(target), ".", cwd=project)
    assert result.stderr == f"lintloop: warning: cache disabled: cannot write {target}: {os.strerror(errno.ENOTDIR)}\n"
    assert result.stdout.splitlines()[0].startswith("loop.py:6:5: LL001 ")
    assert result.returncode == 1


@pytest.mark.skipif(IS_ROOT or os.name == "nt", reason="running as root (or on Windows): chmod cannot deny writes; "
                                                        "see test_unwritable_cache_directory_is_skipped_with_one_warning")
def test_read_only_project_directory_skips_the_cache_with_one_warning(project):  # pragma: no cover
    os.chmod(project, stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = run_cli("--isolated", ".", cwd=project)
    finally:
        os.chmod(project, stat.S_IRWXU)
    assert result.stderr == (f"lintloop: warning: cache disabled: cannot write {project / '.lintloop_cache'}: "
                             f"{os.strerror(errno.EACCES)}\n")
    assert result.returncode == 1


def _disk_full(monkeypatch):
    import lintloop.cache

    def mkstemp(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(lintloop.cache.tempfile, "mkstemp", mkstemp)


def test_full_disk_when_creating_the_cache(project, monkeypatch):
    _disk_full(monkeypatch)
    cache = project / "cache"
    result = run_lint(project, use_cache=True, cache_dir=str(cache))
    assert result.warnings == (f"cache disabled: cannot write {cache}: {os.strerror(errno.ENOSPC)}",)
    assert findings_of(result) == {("loop.py", 6, "LL001")}


def test_full_disk_when_writing_the_cache(project, monkeypatch):
    cache = project / "cache"
    run_lint(project, use_cache=True, cache_dir=str(cache))
    (project / "second.py").write_text(LOOP)
    _disk_full(monkeypatch)
    result = run_lint(project, use_cache=True, cache_dir=str(cache))
    assert result.warnings == (f"cache not saved: {os.strerror(errno.ENOSPC)}",)
    assert findings_of(result) == {("loop.py", 6, "LL001"), ("second.py", 6, "LL001")}
    monkeypatch.undo()
    again = run_lint(project, use_cache=True, cache_dir=str(cache))
    assert again.warnings == ()
    assert again.findings == result.findings


# -- configuration ------------------------------------------------------------------------------------

CONFIG_ERRORS = {
    "unknown_key": (b'[tool.lintloop]\nselec = ["LL001"]\n', "[tool.lintloop] unknown key 'selec' (did you mean 'select'?)"),
    "unknown_key_no_hint": (b"[tool.lintloop]\ncolour = true\n", "[tool.lintloop] unknown key 'colour'"),
    "nested_table": (b"[tool.lintloop.per-file-ignores]\n\"a.py\" = [\"LL001\"]\n",
                     "[tool.lintloop] unknown key 'per-file-ignores'"),
    "string_not_list": (b'[tool.lintloop]\nselect = "LL001"\n',
                        "[tool.lintloop] 'select' must be a list of strings, got a string"),
    "int_in_list": (b"[tool.lintloop]\nexclude = [1, 2]\n",
                    "[tool.lintloop] 'exclude' must be a list of strings, got a list containing int"),
    "nested_list": (b'[tool.lintloop]\nignore = [["LL001"]]\n',
                    "[tool.lintloop] 'ignore' must be a list of strings, got a list containing list"),
    "boolean": (b"[tool.lintloop]\nextend-trainers = true\n",
                "[tool.lintloop] 'extend-trainers' must be a list of strings, got a boolean"),
    "table_value": (b"[tool.lintloop]\nextend-select = {LL004 = true}\n",
                    "[tool.lintloop] 'extend-select' must be a list of strings, got a table"),
    "cache_dir_number": (b"[tool.lintloop]\ncache-dir = 1\n", "[tool.lintloop] 'cache-dir' must be a string, got an integer"),
    "cache_dir_date": (b"[tool.lintloop]\ncache-dir = 1979-05-27\n",
                       "[tool.lintloop] 'cache-dir' must be a string, got a date"),
    "unknown_code": (b'[tool.lintloop]\nignore = ["LL777"]\n', "[tool.lintloop] 'ignore': unknown rule code 'LL777'"),
    "unknown_code_select": (b'[tool.lintloop]\nselect = ["E501"]\n', "[tool.lintloop] 'select': unknown rule code 'E501'"),
    "empty_code": (b'[tool.lintloop]\nextend-select = [""]\n',
                   "[tool.lintloop] 'extend-select': unknown rule code ''"),
    "not_a_table": (b"[tool]\nlintloop = 1\n", "[tool.lintloop] must be a table"),
    "not_utf8": (b'[tool.lintloop]\nexclude = ["caf\xe9"]\n', "invalid TOML: not UTF-8 (byte 0xe9 on line 2)"),
    "too_deep": (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", "invalid TOML: values nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(CONFIG_ERRORS))
def test_configuration_error_names_the_file_and_the_key(tmp_path, name):
    content, message = CONFIG_ERRORS[name]
    (tmp_path / "pyproject.toml").write_bytes(content)
    with pytest.raises(ConfigError) as raised:
        load_config([str(tmp_path)])
    assert str(raised.value) == f"{tmp_path / 'pyproject.toml'}: {message}"


@pytest.mark.parametrize("content", [b"[tool.lintloop\n", b"select = = 1\n", b'[tool.lintloop]\nselect = ["LL001"\n',
                                     b"[tool.lintloop]\n[tool.lintloop]\n", b"a = 1\na = 2\n", b"\x00\x01\x02"],
                         ids=["open-header", "double-equals", "open-list", "duplicate-table", "duplicate-key", "binary"])
def test_malformed_toml_is_one_line(tmp_path, content):
    (tmp_path / "pyproject.toml").write_bytes(content)
    with pytest.raises(ConfigError) as raised:
        load_config([str(tmp_path)])
    assert str(raised.value).startswith(f"{tmp_path / 'pyproject.toml'}: invalid TOML: ")
    assert "\n" not in str(raised.value)


def test_malformed_toml_exits_2_without_a_traceback(project):
    (project / "pyproject.toml").write_bytes(b'[tool.lintloop]\nselect = ["LL001"\n')
    result = run_cli("--no-cache", ".", cwd=project)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"lintloop: error: {project / 'pyproject.toml'}: invalid TOML: ")
    assert len(result.stderr.splitlines()) == 1


def test_configuration_errors_exit_2_without_a_traceback(project):
    for name in ("not_utf8", "too_deep", "cache_dir_date", "empty_code"):
        content, message = CONFIG_ERRORS[name]
        (project / "pyproject.toml").write_bytes(content)
        result = run_cli("--no-cache", ".", cwd=project)
        assert (result.returncode, result.stdout, result.stderr) == \
            (2, "", f"lintloop: error: {project / 'pyproject.toml'}: {message}\n")


def test_utf8_bom_in_pyproject_is_accepted(project):
    (project / "pyproject.toml").write_bytes(codecs.BOM_UTF8 + b'[tool.lintloop]\nexclude = ["loop.py"]\n')
    assert run_lint(project, isolated=False).stats.files == 0


def test_unreadable_pyproject(project, monkeypatch):
    (project / "pyproject.toml").write_text("[tool.lintloop]\n")
    real_open = open

    def fake_open(path, *args, **kwargs):
        if str(path).endswith("pyproject.toml"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    with pytest.raises(ConfigError) as raised:
        load_config([str(project)])
    assert str(raised.value) == f"{project / 'pyproject.toml'}: cannot read: Permission denied"


def test_missing_configuration_file(project):
    result = run_cli("--config", "nope.toml", ".", cwd=project)
    assert (result.returncode, result.stderr) == (2, "lintloop: error: nope.toml: configuration file not found\n")


def test_unknown_code_on_the_command_line(project):
    result = run_cli("--select", "LL001,LL777", ".", cwd=project)
    assert result.returncode == 2
    assert "unknown rule code 'LL777'" in result.stderr
    assert "Traceback" not in result.stderr


# -- output --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["."], ["--format", "json", "."], ["rule", "LL001"]], ids=["text", "json", "rule"])
def test_closed_stdout_exits_quietly(project, args):
    for index in range(40):
        (project / f"copy_{index}.py").write_text(LOOP)
    # the reader is gone before lintloop writes anything: every write meets a broken pipe
    process = subprocess.Popen(cli_command() + ["--no-cache"] * (args[0] not in ("rules", "rule", "--help")) + args,
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()
    error = process.stderr.read().decode()
    process.wait(timeout=120)
    process.stderr.close()
    assert error == ""
    assert process.returncode in (0, 1)


def _children(pid: int) -> set:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.add(int(entry))
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc to find the worker processes")
def test_ctrl_c_stops_workers_and_leaves_the_cache_consistent(tmp_path):
    # enough bytes for the process pool, little enough code for a quick global pass
    source = "".join(f"value_{i} = transform(value_{i - 1}, {i})\n" for i in range(1, 250))
    source += "# " + "padding " * 4000 + "\n" + LOOP
    for index in range(70):
        (tmp_path / f"m{index:03}.py").write_text(source)
    cache = tmp_path / "cache"
    process = subprocess.Popen(cli_command() + ["--isolated", "--cache-dir", str(cache), "-j", "2", "-q", "."],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    workers: set = set()
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        workers |= _children(process.pid)
        if len(workers) >= 2 and any(cache.rglob("blobs/*/*.json")):
            break  # the pool is at work and has delivered some summaries
        time.sleep(0.005)
    if process.poll() is not None or len(workers) < 2:
        process.communicate(timeout=120)
        pytest.skip("the run ended before Ctrl-C could be sent")
    os.killpg(process.pid, signal.SIGINT)  # a terminal sends Ctrl-C to the whole process group
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)  # faulthandler prints where it hangs
        err = process.communicate()[1]
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail(f"lintloop did not stop on Ctrl-C; its stacks:\n{err}")
    if process.returncode == 1:
        pytest.skip("the run ended before Ctrl-C arrived")
    assert (process.returncode, out) == (130, "")
    assert "Traceback" not in err
    for _ in range(1000):
        if not any(_alive(pid) for pid in workers):
            break
        time.sleep(0.01)
    assert not any(_alive(pid) for pid in workers)
    # what was cached is right: the next run, partly from the cache, finds every loop
    again = run_cli("--isolated", "--cache-dir", str(cache), "-j", "2", "-q", ".", cwd=tmp_path)
    line = source.count("\n") - LOOP.count("\n") + 6
    assert [text.split(": ", 1)[0] for text in again.stdout.splitlines()] == \
        [f"m{index:03}.py:{line}:5" for index in range(70)]
    assert again.stderr == ""


# -- lintloop never runs the code it reads --------------------------------------------------------------

HOSTILE = {
    # module names that would shadow what lintloop itself imports, were the project on sys.path
    name: "open({marker!r}, 'a').write('" + name + "\\n')\nimport sys\nsys.exit(3)\n"
    for name in ("ast.py", "tokenize.py", "json.py", "click.py", "networkx.py", "typing.py", "lintloop.py",
                 "conftest.py", "setup.py", "sitecustomize.py", "usercustomize.py", "__main__.py", "__init__.py")
}
HOSTILE.update({
    "forever.py": "open({marker!r}, 'a').write('forever\\n')\nwhile True:\n    pass\n",
    "hard_exit.py": "import os\nopen({marker!r}, 'a').write('hard_exit\\n')\nos._exit(4)\n",
    "raise_at_import.py": "open({marker!r}, 'a').write('raise\\n')\nraise SystemExit('imported!')\n",
    "train.py": "open({marker!r}, 'a').write('train\\n')\n" + LOOP,
})


@pytest.mark.parametrize("how", ["cli", "library"])
def test_analysed_code_is_never_imported_or_executed(tmp_path, how, monkeypatch):
    marker = tmp_path / "MARKER"
    project = tmp_path / "project"
    project.mkdir()
    for name, text in HOSTILE.items():
        (project / name).write_text(text.format(marker=str(marker)))
    (project / "pkg").mkdir()
    for name, text in HOSTILE.items():
        (project / "pkg" / name).write_text(text.format(marker=str(marker)))
    (project / "cells.ipynb").write_text(notebook(("code", f"open({str(marker)!r}, 'a').write('cell')\n" + LOOP)))
    if how == "cli":
        result = run_cli("--no-cache", "--isolated", ".", cwd=project)
        assert result.returncode == 1, result.stderr
        assert result.stdout.count(" LL001 ") == 3
    else:
        monkeypatch.syspath_prepend(str(project))
        result = run_lint(project, jobs=2)
        assert len(result.findings) == 3
    assert not marker.exists()


# -- internal errors --------------------------------------------------------------------------------------


def _fail_on_boom(project, monkeypatch, error: Exception) -> int:
    """Make the extraction of ``boom.py`` raise ``error``; the line it is raised on."""
    real = lintloop.extract.summarise

    def summarise(data, *args, **kwargs):
        if b"boom" in data:
            raise error
        return real(data, *args, **kwargs)

    (project / "boom.py").write_text("# boom\n" + LOOP)
    monkeypatch.setattr(lintloop.extract, "summarise", summarise)
    return summarise.__code__.co_firstlineno + 2


def test_internal_error_in_one_file_is_ll999_and_the_run_continues(project, monkeypatch):
    (project / "other.py").write_text(LOOP)
    line = _fail_on_boom(project, monkeypatch, ZeroDivisionError("boom"))
    result = run_lint(project)
    assert errors_of(result) == [("boom.py", "LL999", None, None,
                                  f"internal error: ZeroDivisionError: boom (at test_robustness.py:{line})")]
    assert findings_of(result) == {("loop.py", 6, "LL001"), ("other.py", 6, "LL001")}
    assert exit_status(result) == 2
    assert exit_status(result, exit_zero=True) == 2


def test_internal_error_in_one_file_through_the_cli(project, monkeypatch):
    from click.testing import CliRunner

    from lintloop.cli import main

    line = _fail_on_boom(project, monkeypatch, KeyError("boom"))
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["--isolated", "--no-cache", "-j", "1", "."])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == f"boom.py: LL999 internal error: KeyError: 'boom' (at test_robustness.py:{line})"
    assert lines[1].startswith("loop.py:6:5: LL001 ")
    assert lines[-1] == "Found 1 loop and 1 file error in 2 files (2 files checked)."


def test_internal_error_in_the_global_pass_is_one_line_exit_2(project, monkeypatch):
    from click.testing import CliRunner

    import lintloop.link
    from lintloop.cli import main

    def link(*args, **kwargs):
        raise RuntimeError("linker broke")

    monkeypatch.setattr(lintloop.link, "link", link)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["--isolated", "--no-cache", "-j", "1", "."])
    assert result.exit_code == 2
    line = link.__code__.co_firstlineno + 1
    assert result.output == (f"lintloop: error: internal error: RuntimeError: linker broke (at test_robustness.py:"
                             f"{line}); please report it (-v shows the traceback)\n")


def test_without_room_for_a_deep_stack_files_are_still_analysed(project, monkeypatch):
    import threading

    def start(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", start)
    assert findings_of(run_lint(project)) == {LOOP_FINDING}
