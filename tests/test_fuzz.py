"""Fuzz targets for the two parsers of untrusted text besides Python itself.

* The Summary (de)serialisers — ``Summary.to_json``/``from_json`` and the cache's
  ``encode_summary``/``decode_summary``: every fixture round-trips exactly;
  ``from_json`` raises ``ValueError`` and nothing else on a malformed document, and
  a document it accepts is a well-formed Summary the linker can use; a cache blob
  damaged on disk is ignored, never an exception.
* The configuration loader — ``parse_table`` and ``load_config``: any table, any
  bytes in ``pyproject.toml``, raise ``ConfigError`` or nothing.

``LINTLOOP_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz.py`` explores further.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any, List

import pytest

pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lintloop.api import lint_summaries  # noqa: E402
from lintloop.cache import decode_summary, encode_summary  # noqa: E402
from lintloop.config import ConfigError, enabled_codes, load_config, parse_table  # noqa: E402
from lintloop.extract import summarise  # noqa: E402
from lintloop.summary import SUMMARY_VERSION, Summary  # noqa: E402
from lintloop.types import Config  # noqa: E402
from lintloop.vocabulary import Vocabulary  # noqa: E402
from tests.conftest import FIXTURES  # noqa: E402

EXPLORE = int(os.environ.get("LINTLOOP_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXPLORE or 100, deadline=None, derandomize=not EXPLORE,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large, HealthCheck.function_scoped_fixture])

SOURCES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".py", ".ipynb"))
_SUMMARIES: dict = {}


def fixture_summary(index: int) -> Summary:
    path = SOURCES[index % len(SOURCES)]
    if path not in _SUMMARIES:
        _SUMMARIES[path] = summarise(path.read_bytes(), Vocabulary(), notebook=path.suffix == ".ipynb")
    return _SUMMARIES[path]


# -- round trips ------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(SOURCES)), ids=lambda i: str(SOURCES[i].relative_to(FIXTURES)))
def test_every_fixture_summary_round_trips_exactly(index):
    summary = fixture_summary(index)
    text = summary.to_json()
    assert Summary.from_json(text) == summary
    assert Summary.from_json(text).to_json() == text
    payload = encode_summary(summary)
    assert decode_summary(payload) == summary
    assert encode_summary(decode_summary(payload)) == payload


# -- malformed documents ------------------------------------------------------------------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False),
                         st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                  st.dictionaries(st.text(max_size=4), inner,
                                                                                  max_size=3)),
                           max_leaves=8)


def _paths(value: Any, prefix: tuple = ()) -> List[tuple]:
    """Every position inside nested lists."""
    out = [prefix]
    if isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(_paths(item, prefix + (index,)))
    return out


def _mutate(document: Any, path: tuple, how: str, replacement: Any) -> Any:
    if not path:
        return replacement
    head, rest = path[0], path[1:]
    copy = list(document)
    if rest:
        copy[head] = _mutate(copy[head], rest, how, replacement)
    elif how == "replace":
        copy[head] = replacement
    elif how == "delete":
        del copy[head]
    elif how == "insert":
        copy.insert(head, replacement)
    elif how == "wrap":
        copy[head] = [copy[head]]
    elif how == "unwrap" and isinstance(copy[head], list) and copy[head]:
        copy[head] = copy[head][0]
    return copy


@st.composite
def mutated_documents(draw):
    """A real Summary's JSON with one to three elements replaced, deleted, inserted or (un)wrapped."""
    document = json.loads(fixture_summary(draw(st.integers(0, len(SOURCES) - 1))).to_json())
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths[1:] if len(paths) > 1 else paths))
        how = draw(st.sampled_from(["replace", "delete", "insert", "wrap", "unwrap"]))
        document = _mutate(document, path, how, draw(json_values))
    return document


def _usable(summary: Summary) -> None:
    """An accepted Summary must be one the rest of lintloop can use."""
    assert Summary.from_json(summary.to_json()) == summary
    codes = enabled_codes(Config(), ("LL",), (), ())
    lint_summaries({"fuzzed.py": summary}, ".", codes)


@FUZZ
@given(mutated_documents())
def test_mutated_summary_json_raises_value_error_or_decodes_to_a_usable_summary(document):
    text = json.dumps(document)
    try:
        summary = Summary.from_json(text)
    except ValueError:
        return
    _usable(summary)


@FUZZ
@given(st.integers(0, len(SOURCES) - 1), st.lists(st.tuples(st.sampled_from(["flip", "cut", "insert", "delete"]),
                                                           st.integers(0, 10**6), st.integers(0, 255)),
                                                 min_size=1, max_size=3))
def test_damaged_cache_blob_is_ignored_never_raises(tmp_path_factory, index, damage):
    """A cache file damaged on disk is detected and ignored: the Summary or nothing, never an exception."""
    from lintloop.cache import Cache

    summary = fixture_summary(index)
    cache, warnings = Cache.open(str(tmp_path_factory.mktemp("cache")), "key", "test")
    assert cache is not None and warnings == []
    cache.store_summary("d1" * 16, encode_summary(summary))
    blob = next(Path(cache.directory).rglob("*.json"))
    data = bytearray(blob.read_bytes())
    for how, position, byte in damage:
        position %= max(len(data), 1)
        if how == "flip" and data:
            data[position] ^= byte or 1
        elif how == "cut":
            del data[position:]
        elif how == "insert":
            data.insert(position, byte)
        elif how == "delete" and data:
            del data[position]
    blob.write_bytes(bytes(data))
    loaded = cache.load_summary("d1" * 16)
    assert loaded is None or loaded == summary


@FUZZ
@given(st.one_of(st.text(max_size=200), json_values.map(json.dumps),
                 st.lists(json_values, max_size=12).map(lambda items: json.dumps([SUMMARY_VERSION] + items))))
def test_arbitrary_text_raises_value_error_only(text):
    try:
        summary = Summary.from_json(text)
    except ValueError:
        return
    _usable(summary)


@pytest.mark.parametrize("text", ["", "[", "[1", "nan", '"\\ud800"', "[" * 100_000 + "]" * 100_000,
                                  "[1, " + "9" * 5000 + "]", "\ufeff[1]"])
def test_pathological_json_raises_value_error(text):
    with pytest.raises(ValueError):
        Summary.from_json(text)


# -- the configuration loader ------------------------------------------------------------------------

KEYS = ["select", "extend-select", "ignore", "exclude", "extend-generators", "extend-trainers", "extend-filters",
        "extend-external", "cache-dir", "selec", "", "per-file-ignores"]
toml_scalars = st.one_of(st.booleans(), st.integers(-2**70, 2**70), st.floats(), st.text(max_size=10),
                         st.sampled_from(["LL001", "LL", "ll00", "ALL", "LL9", "E501", "", " LL001", "LL0011"]),
                         st.datetimes(), st.dates(), st.times())
toml_values = st.recursive(toml_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                  st.dictionaries(st.text(max_size=5), inner,
                                                                                  max_size=3)),
                           max_leaves=8)


@FUZZ
@given(st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=12)), toml_values, max_size=5))
def test_parse_table_raises_config_error_or_returns_a_valid_config(table):
    try:
        config = parse_table(table, "pyproject.toml", ".")
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith("pyproject.toml: [tool.lintloop] ")
        assert "\n" not in message
        return
    assert isinstance(config, Config)
    for name in ("extend_select", "ignore", "exclude", "extend_generators", "extend_trainers", "extend_filters",
                 "extend_external"):
        assert all(isinstance(item, str) for item in getattr(config, name))
    assert config.cache_dir is None or isinstance(config.cache_dir, str)
    enabled_codes(config, None, (), ())


def _toml(value: Any) -> str:
    """A TOML rendering of a value (inline tables and arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if value == value and value not in (float("inf"), float("-inf")) else "nan"
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


@FUZZ
@given(st.one_of(
    st.binary(max_size=300),
    st.dictionaries(st.sampled_from(KEYS), toml_values, max_size=4).map(
        lambda table: ("[tool.lintloop]\n" + "".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in table.items()))
        .encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from(["[tool.lintloop]\n", "[tool]\n", "lintloop = 1\n", 'select = ["LL001"]\n', "[[tool]]\n",
                              "select = [\n", "= 1\n", '"' * 3, "\xef\xbb\xbf", "\x00", "\\", "\r\n", "[tool.lintloop.x]\n",
                              "a = {b = 1}\n", "a.b.c = 2\n"]), max_size=8).map(lambda parts: "".join(parts).encode(
                                  "utf-8", "surrogatepass")),
))
def test_load_config_raises_config_error_only(tmp_path_factory, content):
    directory = tmp_path_factory.mktemp("config")
    (directory / "pyproject.toml").write_bytes(content)
    try:
        config = load_config([str(directory)])
    except ConfigError as exc:
        assert str(exc).startswith(f"{directory / 'pyproject.toml'}: ")
        assert "\n" not in str(exc)
        return
    assert isinstance(config, Config)
