"""A byte-level prefilter: which files are worth interpreting at all.

Parsing and interpreting a file costs about a hundred times more than scanning
its bytes, and in a large ML monorepo most files (model definitions, utilities,
configuration) never generate or train.  A loop needs at least one generation
and one training: the files that hold them (*relevant*), the files that call
their functions (*glue*) and the project modules either of them uses
(*helpers*) are interpreted; long ones are first reduced to their relevant
top-level definitions.  Every other file gets a *stub* summary: its imports (so
re-exports through it still resolve) and its suppression comments, so calls
into it are unknown calls, through which the linker lets data pass from the
arguments to the result.  A stubbed file is still checked for syntax errors
(its symbol table is built, a quarter of the cost of ``ast.parse``), so no
syntax error is hidden (LL900).

The trade-off is measured and documented in ``benchmarks/README.md``.
Everything here is a pure function of a file's bytes (:func:`scan`) or of all
the files' scans (:func:`promote`), so results are the same with and without
the cache and with any number of processes.
"""

from __future__ import annotations

import ast
import re
import symtable
import warnings
from dataclasses import dataclass, replace
from typing import Dict, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from lintloop.extract.directives import read_directives
from lintloop.extract.source import SourceError, decode_python
from lintloop.module_names import ModuleNamer
from lintloop.summary import Directive, Import, Summary, empty_summary

#: Method calls that generate, predict, train or step an optimiser or a diffusion
#: scheduler: ``x.generate(``, ``loss.backward(``, ``opt.step(``.
_DOT_CALLS = re.compile(
    rb"\.(?:generate|sample|chat|generate_content|generate_text|generate_images|sample_images|"
    rb"text_generation|text_to_image|predict|predict_proba|predict_log_proba|predict_on_batch|"
    rb"fit|partial_fit|train_on_batch|fit_generator|train|step|backward|manual_backward|gradient)"
    rb"[ \t]*\("
)
#: Literal words that make a file relevant wherever they appear.  Plain substring
#: tests: a ``re`` alternation without a literal prefix scans ten times slower.
NEEDLES: Tuple[bytes, ...] = (
    b"Trainer", b"pipeline(", b"Pipeline.from_", b"LLM(", b"LLMEngine", b"completions.create",
    b"completions.parse", b"messages.create", b"responses.create", b"litellm", b"training_step", b"Fabric(",
    b"jax.grad", b"value_and_grad", b"filter_grad", b"linen.grad", b"fine_tuning.jobs", b"fine_tunes.create",
    b"FineTune", b"generate_content",
)
#: Imported names that generate or train when called bare (``from jax import grad``).
RELEVANT_NAMES = frozenset({"grad", "value_and_grad", "pipeline", "LLM", "completion", "acompletion"})
#: ``def sample(``: a class that defines it is read as a generator by its callers.
_VOCABULARY_DEFS = re.compile(
    rb"def[ \t]+(?:generate|sample|predict|predict_proba|fit|partial_fit|train|training_step)[ \t]*\("
)
_LINTLOOP_NOQA = re.compile(rb"noqa[ \t]*:[^\n]*ll[0-9]")
_TOP_LEVEL = re.compile(rb"\n(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)")
_IMPORT_START = re.compile(r"[ \t]*(?:from[ \t]+\.*[\w.]*[ \t]+import\b|import[ \t]+[\w])")
_IDENTIFIER = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass(frozen=True)
class Scan:
    """What the prefilter learnt from one file's bytes."""

    #: the file holds generation or training vocabulary
    relevant: bool
    #: its imports, as the full extraction would record them
    imports: Tuple[Import, ...]
    #: top-level functions and classes whose own text holds that vocabulary (or that
    #: define ``generate``, ``sample``, ``fit``...)
    active: Tuple[str, ...] = ()
    #: suppression comments that name lintloop codes (what a stub keeps of them)
    directives: Tuple[Directive, ...] = ()
    skip_file: bool = False
    #: relevant files: the imported names it uses for data (see :func:`_called`)
    called: Tuple[str, ...] = ()
    #: False until a stubbed file has been checked for syntax errors (see :func:`compiles`)
    checked: bool = True


def scan(data: bytes, notebook: bool = False, extra_words: Iterable[str] = (), check_syntax: bool = True) -> Scan:
    """Classify a file from its bytes.

    Notebooks are always relevant (they are scripts), and so is a file that does
    not decode or parse: the full extraction then reports it (LL901, LL900) as it
    would without the prefilter.  With ``check_syntax=False`` the syntax check of a
    file that would be stubbed is left to the caller (``checked`` is then False):
    a run does it while the global pass keeps the other core busy.
    """
    if notebook:
        return Scan(True, ())
    try:
        text = decode_python(data)
    except SourceError:
        return Scan(True, ())
    imports = tuple(import_statements(text))
    words = tuple(w.encode("utf-8") for w in extra_words)
    if _relevant(data, words) or any(imp.name in RELEVANT_NAMES for imp in imports) or \
            (check_syntax and not _compiles(text)):
        return Scan(True, imports, _active(data, words), called=_called(data, imports))
    active = _active(data, words) if b"def" in data and _VOCABULARY_DEFS.search(data) else ()
    directives: Tuple[Directive, ...] = ()
    skip = False
    lowered = data.lower()
    if b"lintloop" in lowered or (b"noqa" in lowered and _LINTLOOP_NOQA.search(lowered)):
        directives, skip = read_directives(text)
    return Scan(False, imports, active, directives, skip, checked=check_syntax)


def compiles(data: bytes) -> bool:
    """Whether a file's bytes decode and parse as Python (see :func:`_compiles`)."""
    try:
        return _compiles(decode_python(data))
    except SourceError:
        return False


def _compiles(text: str) -> bool:
    """Whether the file is valid Python, so a stub hides no syntax error (LL900).

    Building the symbol table parses the file without making Python AST objects:
    it costs a quarter of ``ast.parse`` (and less than compiling to bytecode).  A
    file it rejects is treated as relevant: the full extraction then reports
    exactly what it reports without the prefilter (or nothing, for the few errors
    only the symbol table raises, such as a misplaced ``nonlocal``).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like are not lintloop's business
            symtable.symtable(text, "<lintloop>", "exec")
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError):
        return False
    return True


def _active(data: bytes, words: Tuple[bytes, ...]) -> Tuple[str, ...]:
    """Top-level names whose block (up to the next top-level def or class) is relevant."""
    starts = [(m.start(), m.group(1).decode("utf-8", "replace")) for m in _TOP_LEVEL.finditer(b"\n" + data)]
    out = set()
    for index, (start, name) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(data)
        block = data[start:end]
        if _relevant(block, words) or _VOCABULARY_DEFS.search(block):
            out.add(name)
    return tuple(sorted(out))


def _called(data: bytes, imports: Sequence[Import]) -> Tuple[str, ...]:
    """Imported names the file uses for data, not only as decorators or annotations.

    A class counts when it is constructed or its attributes are read (``Name(``,
    ``Name.``); anything else (a function, a module, a path constant) when it
    appears beyond its own import, except after ``@``.
    """
    out = set()
    for imp in imports:
        local = imp.local.encode("utf-8")
        class_like = _class_like(imp.local)
        seen = 0
        position = data.find(local)
        while position >= 0:
            before = data[position - 1] if position else 32
            end = position + len(local)
            after = data[end] if end < len(data) else 32
            if before not in _IDENTIFIER and before not in b".@" and after not in _IDENTIFIER:
                seen += 1
                if (after in b"(." if class_like else seen >= 2):
                    out.add(imp.local)
                    break
            position = data.find(local, end)
    return tuple(sorted(out))


def _relevant(data: bytes, words: Tuple[bytes, ...]) -> bool:
    for needle in NEEDLES + words:
        if needle in data:
            return True
    for match in _DOT_CALLS.finditer(data):
        if not _in_doctest(data, match.start()):
            return True
    return False


#: Relevant files longer than this are reduced to their relevant top-level blocks.
REDUCE_LINES = 300
#: ... when that drops at least this share of their lines.
REDUCE_SHARE = 0.3
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
_BLOCK_START = re.compile(r"(?:async[ \t]+)?(def|class)[ \t]+(\w+)")
#: a column-0 line that cannot start a new top-level statement (the rest of a signature)
_CONTINUATION = (" ", "\t", ")", "]", "}", "#", "\r", "\n")


def top_level_blocks(lines: List[str]) -> Dict[str, Tuple[int, int, bool]]:
    """Top-level ``def``/``class`` blocks found from the text alone: name -> (first line,
    last line, is a class), 1-based, decorators included.

    A block runs from its decorators to the line before the next column-0 line that
    starts a statement.  Text at column 0 inside a multi-line string can fool this;
    :func:`reduce_source` then fails to parse what it kept and the file is read whole.
    """
    inside = _inside_triple_quotes(lines)
    starts: List[Tuple[int, str, bool]] = []
    for index, line in enumerate(lines):
        if line[:1] in ("d", "c", "a") and not inside[index]:
            match = _BLOCK_START.match(line)
            if match:
                starts.append((index, match.group(2), match.group(1) == "class"))
    blocks: Dict[str, Tuple[int, int, bool]] = {}
    for index, name, is_class in starts:
        first = index
        j = index - 1
        while j >= 0 and (inside[j] or lines[j].strip()):
            head = lines[j][:1]
            if head == "@" and not inside[j]:
                first = j
            elif head not in _CONTINUATION and not inside[j]:
                break
            j -= 1
        last = index
        k = index + 1
        while k < len(lines):
            head = lines[k][:1]
            if lines[k].strip() and head not in _CONTINUATION and not inside[k]:
                break
            if lines[k].strip() and (head != "#" or inside[k]):
                last = k
            k += 1
        if name in blocks:  # redefined (``if``-less fallbacks): keep every copy
            name = f"{name}#{index}"
        blocks[name] = (first + 1, last + 1, is_class)
    return blocks


def _inside_triple_quotes(lines: List[str]) -> List[bool]:
    """For each line, whether it starts inside a triple-quoted string (a close guess:
    quotes are counted, not tokenized; a wrong guess only costs a fallback)."""
    out: List[bool] = []
    open_quote = ""
    for line in lines:
        out.append(bool(open_quote))
        if '"""' not in line and "\'\'\'" not in line:
            continue
        position = 0
        while True:
            if open_quote:
                found = line.find(open_quote, position)
                if found < 0:
                    break
                open_quote, position = "", found + 3
                continue
            hits = [(line.find(q, position), q) for q in ('"""', "\'\'\'")]
            hits = [(at, q) for at, q in hits if at >= 0]
            if not hits:
                break
            at, quote = min(hits)
            if "#" in line[position:at]:
                break  # a comment: the rest of the line is not code
            open_quote, position = quote, at + 3
    return out


def reduce_source(text: str, extra_words: Iterable[str] = (), needed: Iterable[str] = ()) -> Optional[ast.Module]:
    """A large relevant file's syntax tree with only its relevant parts left (positions kept).

    Module-level statements stay, and so do the top-level functions and classes
    whose own text holds generation or training vocabulary, plus the top-level
    functions those call (transitively), the classes those functions use, and the
    ``needed`` names (what other files import from a helper module).  Other top-level definitions are blanked out of the
    text *before* it is parsed (parsing is most of the cost): in a 4,000-line model
    file, the one class that calls ``generate`` is parsed and interpreted and the forty
    layers beside it are not.  Calls into what was dropped are unknown calls (data
    passes through them).  None when too little would be dropped, or when what is
    kept does not parse (the caller then reads the whole file, which reports any
    real syntax error).
    """
    lines = _PHYSICAL_LINE.findall(text)  # the parser's lines: \f and \u2028 do not end one
    blocks = top_level_blocks(lines)
    if not blocks:
        return None
    covered: Set[int] = set()
    for start, end, _ in blocks.values():
        covered.update(range(start, end + 1))
    words = tuple(w.encode("utf-8") for w in extra_words)
    needed = set(needed)

    def segment(name: str) -> str:
        start, end, _ = blocks[name]
        return "".join(lines[start - 1:end])

    def base(name: str) -> str:
        return name.split("#", 1)[0]

    kept = {name for name in blocks if base(name) in needed or _relevant(segment(name).encode("utf-8"), words)
            or _VOCABULARY_DEFS.search(segment(name).encode("utf-8"))}
    by_name: Dict[str, List[str]] = {}
    for name in blocks:
        by_name.setdefault(base(name), []).append(name)
    outside = "".join(line for number, line in enumerate(lines, 1) if number not in covered)
    # functions are followed from everything kept; classes only from kept functions (a
    # script's `reward = RewardModel()` in `main`), not from classes or module-level text
    # (a model file's classes name every layer, and its `__all__` names every class)
    frontier = [outside] + [segment(name) for name in kept if blocks[name][2]]
    function_frontier = [segment(name) for name in kept if not blocks[name][2]]
    while frontier or function_frontier:
        used = set(_WORD.findall("".join(frontier)))
        used_by_functions = set(_WORD.findall("".join(function_frontier)))
        new = {name for word in used | used_by_functions for name in by_name.get(word, ())
               if name not in kept and not blocks[name][2]}
        new |= {name for word in used_by_functions for name in by_name.get(word, ())
                if name not in kept and blocks[name][2]}
        kept |= new
        frontier = [segment(name) for name in new if blocks[name][2]]
        function_frontier = [segment(name) for name in new if not blocks[name][2]]
    dropped: Set[int] = set()
    for name, (start, end, _) in blocks.items():
        if name not in kept:
            dropped.update(range(start, end + 1))
    if len(dropped) < REDUCE_SHARE * len(lines):
        return None
    pruned = "".join(_line_ending(line) if number in dropped else line for number, line in enumerate(lines, 1))
    try:
        return ast.parse(pruned)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _line_ending(line: str) -> str:
    stripped = line.rstrip("\r\n")
    return line[len(stripped):] or "\n"


def _in_doctest(data: bytes, position: int) -> bool:
    """A match on a ``>>>`` or ``...`` line is a docstring example, not code."""
    start = data.rfind(b"\n", 0, position) + 1
    head = data[start:position].lstrip()
    return head.startswith((b">>>", b"..."))


def import_statements(text: str) -> List[Import]:
    """The imports of a source text, found without parsing the whole file.

    Each line that starts an ``import`` or ``from ... import`` statement (with
    its parenthesised or backslash continuation) is kept; they are parsed
    together, or one by one when that fails (an example inside a docstring).
    """
    from lintloop.extract.scope import imports_of

    statements: List[str] = []
    position = 0
    while True:
        found = text.find("import", position)
        if found < 0:
            break
        start = text.rfind("\n", 0, found) + 1
        match = _IMPORT_START.match(text, start)
        if match is None or match.end() < found:
            position = found + 6
            continue
        end = _statement_end(text, found)
        position = max(end, found + 6)
        statement = text[start:end]
        if "\n" in statement:
            statement = " ".join(statement.replace("\\\n", " ").split())
        statements.append(statement.strip())
    out: List[Import] = []
    for tree in _parsed(statements):
        for stmt in tree.body:
            out.extend(imports_of(stmt))
    return out


def _parsed(statements: List[str]) -> Iterator[ast.Module]:
    if not statements:
        return
    try:
        yield ast.parse("\n".join(statements))
        return
    except (SyntaxError, ValueError):
        pass
    for statement in statements:
        try:
            yield ast.parse(statement)
        except (SyntaxError, ValueError):
            continue


def _statement_end(text: str, position: int) -> int:
    """Where the statement containing ``position`` ends (parentheses and ``\\`` continue it)."""
    end = text.find("\n", position)
    end = len(text) if end < 0 else end
    opening = text.find("(", position, end)
    if opening >= 0:
        closing = text.find(")", opening)
        return len(text) if closing < 0 else closing + 1
    while end > 0 and text[end - 1] == "\\":
        following = text.find("\n", end + 1)
        end = len(text) if following < 0 else following
    return end


def stub_summary(item: Scan) -> Summary:
    """The summary of a file the prefilter skips: imports and suppression comments only."""
    return replace(empty_summary(True, item.directives, item.skip_file), imports=item.imports)


# -- which skipped files still need the full interpretation ---------------------------


def promote(scans: Mapping[str, Scan], root: str) -> Dict[str, Optional[FrozenSet[str]]]:
    """The files to interpret, each with the names it is needed for (None: all of it).

    * every relevant file (all of it);
    * its glue: each file that imports from a relevant module one of the top-level
      functions whose text is relevant (or the module itself, when it has one),
      so ``data = make(model); train_on(model, data)`` in a third file is followed;
    * the helpers of both: each project module from which a relevant file imports a
      name it uses (a glue file: any name), unless the name is a class whose text
      holds no vocabulary (resolved through re-exports).  A verifier that runs unit
      tests or asks a human is read this way, so its name alone never decides.  A
      helper is needed for the names imported from it (all of it when the module
      itself is imported).
    """
    modules = _module_table(scans, root)
    relevant = {path for path, item in scans.items() if item.relevant}
    glue = set()
    for path, item in sorted(scans.items()):
        if path in relevant:
            continue
        for imp in item.imports:
            if any(_calls_into(scans[target], name) for target, name in _resolve(modules, path, imp, scans)
                   if target in relevant):
                glue.add(path)
                break
    chosen: Dict[str, Optional[Set[str]]] = {path: None for path in relevant | glue}
    helpers: Dict[str, Optional[Set[str]]] = {}
    for path in sorted(chosen):
        item = scans[path]
        for imp in item.imports:
            if item.relevant and imp.local not in item.called:
                continue
            for target, name in _resolve(modules, path, imp, scans):
                if target in chosen or not (not name or not _class_like(name) or name in scans[target].active):
                    continue
                if not name:
                    helpers[target] = None
                elif target not in helpers:
                    helpers[target] = {name}
                elif helpers[target] is not None:
                    helpers[target].add(name)  # type: ignore[union-attr]
    chosen.update(helpers)
    return {path: None if names is None else frozenset(names) for path, names in chosen.items()}


def _class_like(name: str) -> bool:
    """``SelfImprovingAgent`` (a class by convention), not ``make_samples`` or ``OUT_DIR``."""
    return name[:1].isupper() and not name.isupper()


def _calls_into(target: Scan, name: str) -> bool:
    if not name:
        return any(not _class_like(active) for active in target.active)
    return name in target.active and not _class_like(name)


@dataclass(frozen=True)
class _Module:
    path: str
    package: str


def _module_table(scans: Mapping[str, Scan], root: str) -> Dict[str, _Module]:
    """Dotted module name (and ``"\0" + path``) -> file, as the linker names modules."""
    names = ModuleNamer(scans, root)
    table: Dict[str, _Module] = {}
    for path in sorted(scans):
        canonical, aliases, package, _ = names(path)
        for name in [canonical] + list(aliases):
            table.setdefault(name, _Module(path, package))
        table["\0" + path] = _Module(path, package)
    return table


def _resolve(modules: Dict[str, _Module], importer: str, imp: Import, scans: Mapping[str, Scan],
             depth: int = 0) -> List[Tuple[str, str]]:
    """(project file, name inside it or "" for the module) an import brings in, after re-exports."""
    here = modules.get("\0" + importer)
    if here is None or depth > 4:
        return []
    dotted = f"{imp.module}.{imp.name}" if imp.name and imp.module else (imp.name or imp.module)
    if imp.level:
        base = here.package.split(".") if here.package else []
        if imp.level > 1:
            base = base[: len(base) - (imp.level - 1)] if imp.level - 1 <= len(base) else []
        dotted = ".".join([p for p in base if p] + ([dotted] if dotted else []))
    memo = modules.setdefault("\1memo", {})  # type: ignore[arg-type]
    key = (dotted, imp.level, imp.module, depth)
    if key not in memo:  # type: ignore[operator]
        memo[key] = _resolve_absolute(modules, dotted, imp, scans, depth)  # type: ignore[index]
    return memo[key]  # type: ignore[index,no-any-return]


def _resolve_absolute(modules: Dict[str, _Module], dotted: str, imp: Import, scans: Mapping[str, Scan],
                      depth: int) -> List[Tuple[str, str]]:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        rest = parts[cut:]
        if not rest:
            return [(module.path, "")]
        for inner in scans[module.path].imports:
            if inner.local == rest[0] and (inner.level, inner.module) != (imp.level, imp.module):
                found = _resolve(modules, module.path, inner, scans, depth + 1)
                if found:
                    return found
        return [(module.path, rest[0])]
    return []


def counts(scans: Mapping[str, Scan], chosen: Mapping[str, object]) -> Tuple[int, int, int]:
    """(relevant, promoted, stubbed) file counts, for the benchmark report."""
    relevant = sum(1 for item in scans.values() if item.relevant)
    return relevant, len(chosen) - relevant, len(scans) - len(chosen)


__all__ = ["Scan", "scan", "compiles", "import_statements", "stub_summary", "promote", "counts", "NEEDLES",
           "RELEVANT_NAMES"]
