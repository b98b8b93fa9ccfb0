"""Which module each file is: one naming shared by the prefilter and the linker."""

from __future__ import annotations

import os
from typing import Dict, Iterable, List, Tuple


class ModuleNamer:
    """(canonical name, aliases, package, is ``__init__``) of each file, each directory's
    package chain looked up once.

    A file's module name comes from its packages (walk up while ``__init__.py`` exists
    on disk or among the linted files); the project-root-relative dotted path is an
    alias (and, under ``src/`` or ``lib/``, the path below it), so ``from src.pkg import
    x`` and scripts run from the root both resolve.  The prefilter and the linker both
    name modules with it, so they always agree.
    """

    def __init__(self, paths: Iterable[str], root: str) -> None:
        self.known = {os.path.abspath(p) for p in paths}
        self.root = os.path.abspath(root)
        self.chains: Dict[str, List[str]] = {}

    def chain(self, directory: str) -> List[str]:
        """The package names from the outermost package down to ``directory`` ([] if none)."""
        found = self.chains.get(directory)
        if found is not None:
            return found
        init = os.path.join(directory, "__init__.py")
        if init in self.known or os.path.isfile(init):
            parent = os.path.dirname(directory)
            base = [] if parent == directory else self.chain(parent)
            found = base + [os.path.basename(directory)]
        else:
            found = []
        self.chains[directory] = found
        return found

    def __call__(self, path: str) -> Tuple[str, List[str], str, bool]:
        absolute = os.path.abspath(path)
        directory, filename = os.path.split(absolute)
        stem = os.path.splitext(filename)[0]
        is_package = stem == "__init__"
        parts = self.chain(directory) + ([] if is_package else [stem])
        canonical = ".".join(parts) or stem
        aliases: List[str] = []
        prefix = self.root.rstrip(os.sep) + os.sep
        if absolute.startswith(prefix):
            relative = absolute[len(prefix):]
        else:
            try:
                relative = os.path.relpath(absolute, self.root)
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
