"""``[tool.lintloop]`` from the nearest pyproject.toml, validated key by key.

Unknown keys and bad values are errors that name the file and the key (exit 2):
a typo in a linter's configuration must not silently turn a rule off.
"""

from __future__ import annotations

import datetime
import difflib
import os
import sys
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from lintloop.types import Config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11
    import tomli as tomllib


class ConfigError(Exception):
    """A configuration problem (exit status 2)."""


_LIST_KEYS = {
    "select": "select",
    "extend-select": "extend_select",
    "ignore": "ignore",
    "exclude": "exclude",
    "extend-generators": "extend_generators",
    "extend-trainers": "extend_trainers",
    "extend-filters": "extend_filters",
    "extend-external": "extend_external",
}
_STRING_KEYS = {"cache-dir": "cache_dir"}
_CODE_KEYS = ("select", "extend-select", "ignore")


def find_pyproject(start: str) -> Optional[str]:
    """The nearest pyproject.toml at or above ``start``."""
    current = os.path.abspath(start)
    if os.path.isfile(current):
        current = os.path.dirname(current)
    while True:
        candidate = os.path.join(current, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def project_root(paths: Sequence[str], pyproject: Optional[str]) -> str:
    """Nearest directory with pyproject.toml or .git above the paths, else their common parent."""
    if pyproject is not None:
        return os.path.dirname(os.path.abspath(pyproject))
    absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    try:
        common = os.path.commonpath(absolute)
    except ValueError:
        common = os.getcwd()
    if os.path.isfile(common):
        common = os.path.dirname(common)
    current = common
    while True:
        if os.path.exists(os.path.join(current, ".git")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return common
        current = parent


def load_config(paths: Sequence[str], config_file: Optional[str] = None, isolated: bool = False) -> Config:
    """The configuration that applies to a run over ``paths``."""
    if isolated:
        return Config(root=project_root(paths, None))
    if config_file is not None:
        if not os.path.isfile(config_file):
            raise ConfigError(f"{config_file}: configuration file not found")
        pyproject: Optional[str] = config_file
    else:
        start = _common_start(paths)
        pyproject = find_pyproject(start)
    root = project_root(paths, pyproject)
    if pyproject is None:
        return Config(root=root)
    table = _read_table(pyproject)
    return parse_table(table, pyproject, root)


def _common_start(paths: Sequence[str]) -> str:
    existing = [os.path.abspath(p) for p in paths if os.path.exists(p)]
    if not existing:
        return os.getcwd()
    try:
        return os.path.commonpath(existing)
    except ValueError:
        return os.getcwd()


def _read_table(pyproject: str) -> Dict[str, Any]:
    try:
        with open(pyproject, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise ConfigError(f"{pyproject}: cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")  # TOML is UTF-8; a BOM some editors add is harmless
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{pyproject}: invalid TOML: not UTF-8 (byte 0x{raw[exc.start]:02x} on line {line})"
                          ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{pyproject}: invalid TOML: values nested too deeply") from None
    except ValueError as exc:  # an integer too long to convert
        raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from None
    tool = data.get("tool", {})
    table = tool.get("lintloop", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.lintloop] must be a table")
    return table


def parse_table(table: Dict[str, Any], source: str, root: str) -> Config:
    from lintloop.rules import codes as known_codes

    values: Dict[str, Any] = {}
    for key, value in table.items():
        if key in _LIST_KEYS:
            values[_LIST_KEYS[key]] = _string_list(value, key, source)
        elif key in _STRING_KEYS:
            if not isinstance(value, str):
                raise ConfigError(f"{source}: [tool.lintloop] '{key}' must be a string, got {_type(value)}")
            values[_STRING_KEYS[key]] = value
        else:
            known = sorted(list(_LIST_KEYS) + list(_STRING_KEYS))
            hint = difflib.get_close_matches(key, known, n=1)
            suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ConfigError(f"{source}: [tool.lintloop] unknown key {key!r}{suggestion}")  # repr: one line
    for key in _CODE_KEYS:
        for code in values.get(_LIST_KEYS[key], ()):
            check_code(code, f"{source}: [tool.lintloop] '{key}'", known_codes())
    return Config(source=source, root=root, **values)


def check_code(code: str, where: str, known: Iterable[str]) -> None:
    """A selector must be a rule code or a prefix of one (``LL``, ``LL0``, ``LL001``)."""
    upper = code.upper()
    if upper and (upper == "ALL" or any(k.startswith(upper) for k in known)):
        return
    raise ConfigError(f"{where}: unknown rule code {code!r}")


def _string_list(value: Any, key: str, source: str) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: [tool.lintloop] '{key}' must be a list of strings, got {_type(value)}")
    return tuple(value)


def _type(value: Any) -> str:
    if isinstance(value, list):
        inner = sorted({type(v).__name__ for v in value if not isinstance(v, str)})
        return f"a list containing {', '.join(inner)}" if inner else "a list"
    return {bool: "a boolean", int: "an integer", float: "a float", str: "a string", dict: "a table",
            datetime.datetime: "a date-time", datetime.date: "a date", datetime.time: "a time"}.get(
        type(value), type(value).__name__)


def enabled_codes(config: Config, select: Optional[Sequence[str]], extend_select: Sequence[str],
                  ignore: Sequence[str]) -> List[str]:
    """The codes to report: select (or defaults) plus extend-select, minus ignore.

    Between a select and an ignore that both match a code, the longer (more
    specific) one wins, as in flake8's decision engine; on a tie, ignore wins.
    """
    from lintloop.rules import ALL_RULES

    chosen_select = list(select) if select is not None else (list(config.select) if config.select is not None else None)
    selectors = [s.upper() for s in (chosen_select or [])] + [s.upper() for s in list(config.extend_select) + list(extend_select)]
    ignores = [s.upper() for s in list(config.ignore) + list(ignore)]
    out = []
    for rule in ALL_RULES:
        match_select = max((len(s) for s in selectors if s == "ALL" or rule.code.startswith(s)), default=-1)
        match_ignore = max((len(s) for s in ignores if s == "ALL" or rule.code.startswith(s)), default=-1)
        if chosen_select is None and match_select < 0:
            # defaults: enabled rules, and file diagnostics always
            base = rule.enabled
        else:
            base = match_select >= 0
        if rule.code in ("LL900", "LL901", "LL999") and match_select < 0:
            base = True
        if match_ignore >= 0 and match_ignore >= match_select:
            base = False
        if base:
            out.append(rule.code)
    return out
