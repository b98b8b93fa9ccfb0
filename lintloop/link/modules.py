"""What an import names, resolved against the files lintloop was given.

Each file's module name and aliases come from :class:`lintloop.module_names.ModuleNamer`
(the prefilter names modules the same way).  Imports resolve only against the files
lintloop was given; anything else is outside.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Optional, Set, Tuple

from lintloop.summary import Summary


@dataclass
class ModuleFile:
    path: str  # as the user gave it
    name: str  # canonical dotted module name
    package: str  # the package relative imports resolve against
    summary: Summary
    is_package: bool = False


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
