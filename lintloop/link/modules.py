"""Which module each file is, and what an import names.

A file's module name comes from its packages (walk up while ``__init__.py``
exists), with the project-root-relative dotted path as an alias so that
``from src.pkg import x`` and scripts run from the root both resolve.  Imports
resolve only against the files lintloop was given; anything else is outside.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Set, Tuple

from lintloop.summary import Summary


@dataclass
class ModuleFile:
    path: str  # as the user gave it
    name: str  # canonical dotted module name
    package: str  # the package relative imports resolve against
    summary: Summary
    is_package: bool = False


def module_names(path: str, root: str, known_files: Set[str]) -> Tuple[str, List[str], str, bool]:
    """(canonical name, aliases, package, is __init__) for a file."""
    absolute = os.path.abspath(path)
    directory, filename = os.path.split(absolute)
    stem = os.path.splitext(filename)[0]
    is_package = stem == "__init__"
    parts: List[str] = [] if is_package else [stem]
    current = directory
    while os.path.isfile(os.path.join(current, "__init__.py")) or os.path.join(current, "__init__.py") in known_files:
        parts.insert(0, os.path.basename(current))
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    canonical = ".".join(parts) or stem
    aliases: List[str] = []
    try:
        relative = os.path.relpath(absolute, os.path.abspath(root))
    except ValueError:
        relative = ""
    if relative and not relative.startswith(".."):
        rel_parts = os.path.splitext(relative)[0].split(os.sep)
        if is_package:
            rel_parts = rel_parts[:-1]
        dotted = ".".join(p for p in rel_parts if p)
        if dotted and dotted != canonical:
            aliases.append(dotted)
        if rel_parts and rel_parts[0] in ("src", "lib") and len(rel_parts) > 1:
            aliases.append(".".join(rel_parts[1:]))
    package = canonical if is_package else canonical.rpartition(".")[0]
    return canonical, aliases, package, is_package


class ModuleIndex:
    def __init__(self, files: Iterable[ModuleFile], aliases: Dict[str, str]) -> None:
        self.by_name: Dict[str, ModuleFile] = {}
        self.by_path: Dict[str, ModuleFile] = {}
        for module in files:
            self.by_path[module.path] = module
            self.by_name.setdefault(module.name, module)
        for alias, canonical in aliases.items():
            if alias not in self.by_name and canonical in self.by_name:
                self.by_name[alias] = self.by_name[canonical]

    def absolute(self, importer: ModuleFile, level: int, dotted: str) -> str:
        """The absolute dotted name of ``from <level dots><dotted>``."""
        if level == 0:
            return dotted
        base = importer.package.split(".") if importer.package else []
        if level > 1:
            base = base[: len(base) - (level - 1)] if level - 1 <= len(base) else []
        return ".".join([p for p in base if p] + ([dotted] if dotted else []))

    def resolve(self, importer: ModuleFile, level: int, dotted: str,
                _seen: Optional[Set[Tuple[str, str]]] = None) -> Optional[Tuple[ModuleFile, str]]:
        """(module, name inside it) for an imported dotted name; name "" for a module itself.

        Follows re-exports: ``from .synth import make`` in a package ``__init__``.
        """
        full = self.absolute(importer, level, dotted)
        parts = full.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.by_name.get(".".join(parts[:cut]))
            if module is None:
                continue
            rest = parts[cut:]
            if not rest:
                return module, ""
            name = rest[0]
            seen = _seen or set()
            if (module.name, name) in seen:
                return module, name
            seen.add((module.name, name))
            if not _defines(module.summary, name):
                for imp in module.summary.imports:
                    if imp.local == name:
                        target = f"{imp.module}.{imp.name}" if imp.name and imp.module else (imp.name or imp.module)
                        found = self.resolve(module, imp.level, target, seen)
                        if found is not None:
                            return found
            return module, ".".join(rest)
        return None


def _defines(summary: Summary, name: str) -> bool:
    if any(f.qualname == name for f in summary.functions):
        return True
    if any(c.name == name for c in summary.classes):
        return True
    return any(binding == name for binding, _ in summary.bindings)
