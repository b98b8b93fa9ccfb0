"""What a call does to values, read from the vocabulary.

Each call is classified by its callee — a library function (after import
resolution), a method on a value, a call of a value (a forward pass, a pipeline),
a builtin, or a function of the project — and turned into edges.  Calls into
project code and unknown methods become :class:`~lintloop.summary.CallSite`
records that the linker connects later.
"""

from __future__ import annotations

import ast
import builtins
import re
from typing import Dict, List, Optional, Tuple

from lintloop.extract.values import EMPTY, NO_PREDICATE, Predicate, Refs, Seq, Tup, Value, flat, sort_refs, union
from lintloop.summary import CallSite, Marker
from lintloop import vocabulary as V

_BUILTIN_NAMES = frozenset(dir(builtins))
_COPYING_BUILTINS = frozenset({"list", "dict", "set", "tuple", "frozenset", "sorted", "reversed", "deque"})
_PASSING_BUILTINS = frozenset({"iter", "next", "str", "int", "float", "sum", "abs", "round", "any", "all",
                               "bytes", "repr", "format", "chr", "ord", "min", "max", "divmod", "pow"})
_SAMPLE_EXEMPT_NAMES = frozenset({"random", "rng", "df", "dataframe", "dist", "distribution", "posterior",
                                  "prior", "normal", "noise", "np", "sampler", "series", "latent_dist",
                                  "categorical", "bernoulli", "multinomial", "policy_dist", "action_dist",
                                  "q_z", "p_z", "qz", "pz"})
_NOT_A_MODEL = re.compile(r"Tokenizer|Processor|FeatureExtractor|Config|Scheduler|Extractor")
_PATH_KWARGS = ("path", "save_directory", "output_dir", "filepath", "file_path", "path_or_buf",
                "repo_id", "dataset_path", "pretrained_model_name_or_path", "fname", "f", "file")


class Args:
    """Evaluated arguments of a call."""

    def __init__(self, positional: List[Value], keywords: Dict[str, Value], star: bool) -> None:
        self.positional = positional
        self.keywords = keywords
        self.star = star

    def get(self, index: Optional[int], *names: str) -> Value:
        for name in names:
            if name in self.keywords:
                return self.keywords[name]
        if index is not None and index < len(self.positional):
            return self.positional[index]
        return EMPTY

    def all(self) -> Refs:
        return union(self.positional) | union(self.keywords.values())

    def expr(self, call: ast.Call, index: Optional[int], *names: str) -> Optional[ast.AST]:
        for keyword in call.keywords:
            if keyword.arg in names:
                return keyword.value
        if index is not None and index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[: index + 1]):
            return call.args[index]
        return None


def evaluate_call(it, call: ast.Call) -> Value:
    func = call.func
    args = Args([it.expr(a) for a in call.args],
                {(k.arg or "**"): it.expr(k.value) for k in call.keywords},
                any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords))
    if isinstance(func, ast.Name):
        return _call_name(it, call, func.id, args)
    if isinstance(func, ast.Attribute):
        head_is_value = bool(_head_value(it, func))
        qualified = None if head_is_value else it.qualify(func)
        if qualified is not None:
            imp = it.scope.import_of(func, it.local_imports)
            return qualified_call(it, call, qualified, imp.level if imp else 0, args)
        if isinstance(func.value, ast.Name) and func.value.id == it.self_name and it.cls:
            if func.attr not in _class_methods(it) and func.attr in _class_attributes(it):
                # self.model(batch): calling a stored object, not a method
                return object_call(it, call, flat(it.attribute_refs(func)), args)
            return method_call(it, call, func.attr, it.lookup(it.self_name), args, receiver_text=it.self_name,
                               self_call=True)
        if isinstance(func.value, ast.Call) and isinstance(func.value.func, ast.Name) and func.value.func.id == "super" and it.cls:
            return project_call(it, call, ("super", it.cls, func.attr), args, it.lookup(it.self_name) if it.self_name else EMPTY)
        receiver = it.expr(func.value)
        return method_call(it, call, func.attr, receiver, args, receiver_text=it.scope.snippet(func.value))
    return object_call(it, call, flat(it.expr(func)), args)


def _head_value(it, expr: ast.AST) -> Refs:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    if isinstance(expr, ast.Name) and (expr.id in it.env or expr.id in it.locals or expr.id in it.closure):
        return frozenset({"local"})
    return EMPTY


def _call_name(it, call: ast.Call, name: str, args: Args) -> Value:
    imported = name in it.local_imports or name in it.scope.imports
    role = "" if imported else it.scope.vocab.user_role(None, name)
    if role:
        return user_role_call(it, call, role, args, receiver=EMPTY)
    if name in it.local_defs:
        return project_call(it, call, ("def", it.local_defs[name]), args)
    if name in it.env or name in it.closure or (name in it.locals and not it.is_module):
        return object_call(it, call, flat(it.lookup(name)), args)
    scope = it.scope
    if name in scope.functions and name not in it.state.module_bindings:
        return project_call(it, call, ("def", name), args)
    if name in scope.classes:
        return class_call(it, call, name, args)
    imp = it.local_imports.get(name) or scope.imports.get(name)
    if imp is not None:
        return qualified_call(it, call, it.qualify(call.func) or name, imp.level, args)
    if name in it.state.module_bindings:
        return object_call(it, call, it.state.module_bindings[name], args)
    if name in _BUILTIN_NAMES:
        return builtin_call(it, call, name, args)
    return project_call(it, call, ("unknown", name), args)


# -- results -----------------------------------------------------------------------

def result_node(it, call: ast.Call, kind: str = "call") -> int:
    return it.node("call", call, kind, it.scope.call_text(call))


def derived(it, call: ast.Call, sources: Refs, kind: str = "call") -> Refs:
    """A new value made from ``sources`` (the default for library calls)."""
    node = result_node(it, call, kind)
    it.flow(sources, node, call, it.scope.call_text(call))
    return frozenset({node})


def project_call(it, call: ast.Call, callee: Tuple[str, ...], args: Args, receiver: Value = EMPTY,
                 name: str = "") -> Value:
    """A call resolved by the linker (a project function or an unknown one)."""
    node = result_node(it, call)
    line, column, end_line, end_column = it.b.position(call)
    site = CallSite(
        node, callee, sort_refs(flat(receiver)),
        tuple(sort_refs(flat(v)) for v in args.positional),
        tuple((k, sort_refs(flat(v))) for k, v in sorted(args.keywords.items())),
        line, column, end_line, end_column, it.scope.call_text(call),
        name or callee[-1], args.star,
    )
    it.b.call_site(site)
    return frozenset({node})


def class_call(it, call: ast.Call, name: str, args: Args) -> Value:
    facts = it.scope.classes[name]
    if facts.tag == "trainer" or (not facts.tag and _looks_like_trainer(name, args) and "train" not in facts.methods):
        return trainer_object(it, call, args)
    if facts.tag == "pl_trainer":
        node = result_node(it, call)
        it.tag(node, "pl_trainer")
        return frozenset({node})
    return project_call(it, call, ("def", name), args)


# -- library functions (qualified names) ------------------------------------------

def qualified_call(it, call: ast.Call, qualified: str, level: int, args: Args) -> Value:
    vocab = it.scope.vocab
    name = qualified.rsplit(".", 1)[-1]
    role = vocab.user_role(qualified if level == 0 else None, name)
    if role:
        return user_role_call(it, call, role, args, receiver=EMPTY)
    if level > 0:
        if _looks_like_trainer(name, args):
            return trainer_object(it, call, args)
        return project_call(it, call, ("import", str(level), qualified.lstrip(".")), args)
    root = qualified.split(".", 1)[0]
    if qualified in V.TRAINER_CLASSES:
        return trainer_object(it, call, args)
    if qualified in V.LIGHTNING_TRAINERS:
        node = result_node(it, call)
        it.tag(node, "pl_trainer")
        return frozenset({node})
    if qualified in V.PIPELINE_FACTORIES:
        return pipeline_object(it, call, args)
    if qualified in V.GENERATOR_CONSTRUCTORS:
        node = result_node(it, call)
        it.tag(node, "generator")
        it.b.nodes[node].kind = "pipeline"
        _bind_model_source(it, call, node, args.expr(call, 0, "model"), args.get(0, "model"))
        return frozenset({node})
    if name in V.FROM_PRETRAINED_METHODS:
        return from_pretrained(it, call, qualified, args)
    if qualified in V.HOSTED_GENERATE_FUNCTIONS:
        return hosted_generate(it, call, args, EMPTY)
    if qualified in V.IDENTITY_FUNCTIONS:
        model = args.get(0, "model", "module")
        if qualified == "deepspeed.initialize":
            return Tup((flat(model), EMPTY, EMPTY, EMPTY))
        return model
    if qualified in V.COPY_FUNCTIONS:
        node = result_node(it, call)
        for ref in flat(args.get(0)):
            it.b.edge(ref, node, "copy", call, it.scope.call_text(call), f"copied by {it.scope.call_text(call)}")
        return frozenset({node})
    if qualified in V.GRADIENT_FUNCTIONS:
        node = result_node(it, call, "value")
        it.tag(node, "gradfn")
        return frozenset({node})
    if V.matches_prefix(qualified, V.EXTERNAL_PREFIXES):
        node = result_node(it, call, "ext")
        it.b.nodes[node].info = True
        if qualified in ("gym.make", "gymnasium.make") or name == "make_vec":
            it.tag(node, "env")
        return frozenset({node})
    if qualified in V.OPEN_FUNCTIONS:
        return open_call(it, call, args)
    if qualified in V.WRITE_FUNCTIONS:
        data_index, path_index = V.WRITE_FUNCTIONS[qualified]
        write_artifact(it, call, flat(args.get(data_index)), args.expr(call, path_index, "f", "file", "fname"),
                       flat(args.get(path_index, "f", "file", "fname")))
        return EMPTY
    if qualified in V.READ_FUNCTIONS or V.matches_prefix(qualified, V.READ_PREFIXES) or qualified == "datasets.load_dataset":
        return read_call(it, call, qualified, args)
    if qualified in V.LOADER_FUNCTIONS or V.matches_prefix(qualified, V.LOADER_PREFIXES):
        node = derived(it, call, args.all(), "load")
        it.b.nodes[next(iter(node))].info = True
        return node
    if qualified in V.SELECTION_FUNCTIONS:
        return selection(it, call, args.get(1), call.keywords, args)
    if qualified in V.NON_DATA_FUNCTIONS:
        return EMPTY
    if qualified in V.RNG_CONSTRUCTORS or name == "check_random_state":
        node = result_node(it, call, "value")
        it.tag(node, "rng")
        return frozenset({node})
    if qualified in ("numpy.random.choice", "random.choices", "random.choice"):
        return weighted_choice(it, call, args)
    if qualified in V.RANKING_FUNCTIONS:
        return derived(it, call, flat(args.get(0, "a", "input")))
    if qualified in V.NO_GRAD_CONTEXTS:
        return EMPTY
    if qualified.startswith("torch.distributions."):
        node = derived(it, call, args.all())
        it.tag(next(iter(node)), "distribution")
        return node
    if root == "pandas" and name in ("DataFrame", "Series", "concat"):
        node = derived(it, call, args.all())
        it.tag(next(iter(node)), "dataframe")
        return node
    if qualified in ("pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath"):
        return path_object(it, call, args)
    if root in V.LIBRARY_ROOTS or root in _BUILTIN_NAMES:
        return derived(it, call, args.all())
    if _looks_like_trainer(name, args):
        return trainer_object(it, call, args)
    return project_call(it, call, ("import", "0", qualified), args)


def _looks_like_trainer(name: str, args: Args) -> bool:
    """``MyTrainer(model=m, train_dataset=ds)`` from another module: a subclass of a
    library trainer that the extractor cannot see, built the way trainers are built."""
    return name.endswith("Trainer") and "model" in args.keywords and any(
        k in args.keywords for k in V.TRAINER_DATA_KWARGS)


def trainer_object(it, call: ast.Call, args: Args) -> Refs:
    """``Trainer(model=m, train_dataset=ds)``: an object whose ``.train()`` trains m on ds."""
    node = result_node(it, call)
    it.tag(node, "trainer")
    text = it.scope.call_text(call)
    model_field = it.field(node, "model", call)
    data_field = it.field(node, "train_dataset", call)
    for ref in flat(args.get(0, *V.TRAINER_MODEL_KWARGS)):
        it.b.edge(ref, model_field, "store", call, text)
        it.b.edge(ref, model_field, "identity", call, "")
    it.flow(flat(args.get(3, *V.TRAINER_DATA_KWARGS)), data_field, call, text)
    return frozenset({node})


def pipeline_object(it, call: ast.Call, args: Args) -> Refs:
    """``pipeline(task, model=m)``: calling the result generates with m (or labels)."""
    node = result_node(it, call)
    task_expr = args.expr(call, 0, "task")
    task = task_expr.value if isinstance(task_expr, ast.Constant) and isinstance(task_expr.value, str) else ""
    it.tag(node, "predictor" if task in V.PREDICTIVE_TASKS else "generator")
    it.b.nodes[node].kind = "predictor" if task in V.PREDICTIVE_TASKS else "pipeline"
    _bind_model_source(it, call, node, args.expr(call, 1, "model"), args.get(1, "model"))
    return frozenset({node})


def _bind_model_source(it, call: ast.Call, node: int, model_expr: Optional[ast.AST], model: Value,
                       objects: bool = True) -> None:
    """Make ``node`` the same model as ``model``: an object (``pipeline(model=m)``)
    or a checkpoint name, by its template (an unknown name keeps its source text,
    so ``from_pretrained(args.base)`` twice is one model, and never a config dict)."""
    if model_expr is None:
        return
    text = it.scope.call_text(call)
    refs = flat(model)
    template = it.template(model_expr)
    if template is None and refs:
        template = it.template_of_refs(refs)
    if objects and template is None and _is_object(it, refs) and isinstance(model_expr, (ast.Name, ast.Attribute)):
        for ref in refs:
            it.b.edge(ref, node, "alias", call, text, f"{text} uses the same model")
        return
    if template is None:
        template = "{" + it.scope.snippet(model_expr) + "}"
    it.b.edge(f"A:{template}", node, "load", call, text, f"loaded from `{template}`")


def _is_object(it, refs: Refs) -> bool:
    """True when the refs are objects rather than string constants."""
    return bool(refs) and any(it.key(r) not in it.state.templates for r in refs)


def from_pretrained(it, call: ast.Call, qualified: str, args: Args) -> Refs:
    node = result_node(it, call)
    root = qualified.split(".", 1)[0]
    owner = qualified.rsplit(".", 2)[-2] if qualified.count(".") >= 1 else ""
    if _NOT_A_MODEL.search(owner):
        it.tag(node, "tokenizer")  # a tokenizer or config shares the name, not the weights
        it.b.nodes[node].kind = "tokenizer"
        return frozenset({node})
    if root in V.GENERATOR_PACKAGES and (owner.endswith("Pipeline") or owner.startswith("AutoPipeline")):
        it.tag(node, "generator")
        it.b.nodes[node].kind = "pipeline"
    if owner == "PeftModel" or owner.startswith("PeftModel"):
        for ref in flat(args.get(0, "model")):
            it.b.edge(ref, node, "alias", call, it.scope.call_text(call))
        _bind_model_source(it, call, node, args.expr(call, 1, "model_id"), args.get(1, "model_id"))
        return frozenset({node})
    _bind_model_source(it, call, node, args.expr(call, 0, "pretrained_model_name_or_path", "checkpoint_path"),
                       args.get(0, "pretrained_model_name_or_path", "checkpoint_path"), objects=False)
    return frozenset({node})


def path_object(it, call: ast.Call, args: Args) -> Refs:
    node = result_node(it, call, "value")
    template = it.template(call)
    if template is not None:
        it.b.nodes[node].template = template
        it.state.templates[it.key(node)] = template
    it.tag(node, "path")
    it.flow(args.all(), node, call)
    return frozenset({node})


def path_of(it, expr: Optional[ast.AST], refs: Refs) -> Optional[str]:
    if expr is not None:
        template = it.template(expr)
        if template is not None:
            return template
    if refs:
        found = it.template_of_refs(refs)
        if found is not None:
            return found
    if expr is not None:
        return "{" + it.scope.snippet(expr) + "}"
    return None


def write_artifact(it, call: ast.Call, data: Refs, path_expr: Optional[ast.AST], path_refs: Refs) -> None:
    text = it.scope.call_text(call)
    handles = {r for r in path_refs if "handle" in it.tags_of(frozenset({r}))}
    if handles:
        for handle in handles:
            it.flow(data, handle, call, text, f"written by {text}")
        return
    template = path_of(it, path_expr, path_refs)
    if template is None:
        return
    target = f"A:{template}"
    it.flow(data, target, call, text, f"written to `{template}`", kind="write")
    for ref in data:
        it.b.edge(ref, target, "save", call, text, f"saved to `{template}`")
    # torch.save(model.state_dict(), path): the model itself is checkpointed
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) and first.func.attr == "state_dict":
        for ref in flat(it.expr(first.func.value)):
            it.b.edge(ref, target, "save", call, text, f"checkpoint saved to `{template}`")


def read_call(it, call: ast.Call, qualified: str, args: Args) -> Refs:
    """``json.load(f)``, ``pd.read_json(path)``, ``load_dataset("json", data_files=p)``."""
    node = result_node(it, call, "load")
    it.b.nodes[node].info = True
    text = it.scope.call_text(call)
    if qualified == "datasets.load_dataset":
        path_expr = args.expr(call, None, "data_files", "data_dir")
        path_refs = flat(args.get(None, "data_files", "data_dir"))
        if path_expr is None:
            path_expr, path_refs = args.expr(call, 0, "path"), flat(args.get(0, "path"))
            first = it.template(path_expr) if path_expr is not None else None
            if first in ("json", "csv", "parquet", "text", "arrow", "imagefolder", "audiofolder"):
                path_expr, path_refs = None, EMPTY
    else:
        index = V.READ_FUNCTIONS.get(qualified, 0)
        path_expr = args.expr(call, index, "f", "file", "filepath_or_buffer", "path", "dataset_path", "fname")
        path_refs = flat(args.get(index, "f", "file", "filepath_or_buffer", "path", "dataset_path", "fname"))
    handles = {r for r in path_refs if "handle" in it.tags_of(frozenset({r}))}
    if handles:
        it.flow(frozenset(handles), node, call, text)
        return frozenset({node})
    if isinstance(path_expr, (ast.List, ast.Tuple, ast.Dict)):
        exprs = path_expr.values if isinstance(path_expr, ast.Dict) else path_expr.elts
        templates = [path_of(it, e, flat(it.expr(e))) for e in exprs]
    else:
        templates = [path_of(it, path_expr, path_refs)] if path_expr is not None or path_refs else []
    for template in templates:
        if template is not None:
            it.b.edge(f"A:{template}", node, "read", call, text, f"read back from `{template}`")
            it.b.edge(f"A:{template}", node, "load", call, text)
    return frozenset({node})


# -- builtins ------------------------------------------------------------------------

def builtin_call(it, call: ast.Call, name: str, args: Args) -> Value:
    if name in V.NON_DATA_BUILTINS:
        return EMPTY
    if name in V.EXTERNAL_BUILTINS:
        node = result_node(it, call, "ext")
        it.b.nodes[node].info = True
        return frozenset({node})
    if name == "open":
        return open_call(it, call, args)
    if name == "zip":
        return Seq(Tup(tuple(_item(it, call, v, i) for i, v in enumerate(args.positional))))
    if name == "enumerate":
        return Seq(Tup((EMPTY, _item(it, call, args.get(0), 0))))
    if name == "filter" and len(call.args) >= 2:
        return selection(it, call, args.get(1), [ast.keyword(arg="key", value=call.args[0])], args)
    if name in ("sorted", "max", "min") and any(k.arg == "key" for k in call.keywords):
        return selection(it, call, args.get(0), call.keywords, args)
    if name == "map" and len(call.args) >= 2:
        item = _item(it, call, args.get(1), 1)
        produced = call_function_value(it, call.args[0], item)
        return derived(it, call, produced | flat(item))
    if name in _COPYING_BUILTINS:
        return derived(it, call, args.all(), "container")
    if name in _PASSING_BUILTINS:
        return args.all()
    if name == "getattr" and len(call.args) >= 2 and isinstance(call.args[1], ast.Constant):
        owners = flat(args.get(0))
        return frozenset(it.field(o, str(call.args[1].value), call) for o in owners)
    if name == "super":
        return it.lookup(it.self_name) if it.self_name else EMPTY
    return derived(it, call, args.all())


def _item(it, call: ast.Call, value: Value, index: int) -> Value:
    """One item of an iterable argument (zip/enumerate/map)."""
    if isinstance(value, Seq):
        return value.item
    refs = flat(value)
    if not refs:
        return EMPTY
    node = it.node("item", call, "elem", extra=index)
    for ref in refs:
        it.b.edge(ref, node, "flow", call, it.scope.call_text(call))
    return frozenset({node})


def open_call(it, call: ast.Call, args: Args, path_refs: Optional[Refs] = None) -> Refs:
    """``open(path, mode)`` or ``Path(...).open(mode)``: a handle joined to the file."""
    node = result_node(it, call, "value")
    it.tag(node, "handle")
    mode_index = 1 if path_refs is None else 0
    mode_expr = args.expr(call, mode_index, "mode")
    mode = mode_expr.value if isinstance(mode_expr, ast.Constant) and isinstance(mode_expr.value, str) else "r"
    if path_refs is None:
        template = path_of(it, args.expr(call, 0, "file"), flat(args.get(0, "file")))
    else:
        template = it.template_of_refs(path_refs)
    if template is None:
        return frozenset({node})
    text = it.scope.call_text(call)
    if any(c in mode for c in "wax+"):
        it.b.edge(node, f"A:{template}", "write", call, text, f"written to `{template}`")
    if "r" in mode or "+" in mode:
        it.b.edge(f"A:{template}", node, "read", call, text, f"read back from `{template}`")
        it.b.nodes[node].kind = "load"
        it.b.nodes[node].info = True
        it.b.nodes[node].template = template
    return frozenset({node})


def selection(it, call: ast.Call, items: Value, keywords, args: Args) -> Refs:
    """``filter(pred, xs)``, ``sorted(xs, key=score)[:k]``: keeps items a predicate picks."""
    item = _item(it, call, items, 99)
    predicate = NO_PREDICATE
    for keyword in keywords:
        if keyword.arg == "key":
            predicate = it.predicate(keyword.value, item)
    return _selected(it, call, flat(item) or flat(items), predicate)


def _selected(it, call: ast.Call, sources: Refs, predicate) -> Refs:
    """The items of ``sources`` that ``predicate`` keeps (all of them, without one)."""
    node = result_node(it, call, "container")
    text = it.scope.call_text(call)
    if not sources and predicate:
        # max(range(n), key=lambda i: scores[i]): the chosen index is made of the scores
        it.flow(predicate.values, node, call, text)
    for ref in sources:
        if predicate:
            combined = predicate | it.guard()
            it.b.edge(ref, node, "filter", call, text, f"selected by {text}", tuple(combined.values),
                      tuple(combined.reads))
        else:
            it.flow(frozenset({ref}), node, call, text)
    return frozenset({node})


def call_function_value(it, fn: ast.AST, item: Value) -> Refs:
    """Apply a function given as a value (``filter(verify, xs)``) to one item."""
    if isinstance(fn, ast.Lambda):
        return it.predicate(fn, item).values
    fake = ast.Call(func=fn, args=[], keywords=[])
    ast.copy_location(fake, fn)
    fake.end_lineno, fake.end_col_offset = getattr(fn, "end_lineno", None), getattr(fn, "end_col_offset", None)
    args = Args([item], {}, False)
    if isinstance(fn, ast.Name):
        return flat(_call_name(it, fake, fn.id, args))
    if isinstance(fn, ast.Attribute):
        qualified = None if _head_value(it, fn) else it.qualify(fn)
        if qualified is not None:
            imp = it.scope.import_of(fn, it.local_imports)
            return flat(qualified_call(it, fake, qualified, imp.level if imp else 0, args))
        receiver = it.expr(fn.value)
        return flat(method_call(it, fake, fn.attr, receiver, args, receiver_text=it.scope.snippet(fn.value)))
    return EMPTY


# -- calling a value: forward passes, pipelines, gradient functions ---------------

def object_call(it, call: ast.Call, callee: Refs, args: Args) -> Value:
    tags = it.tags_of(callee)
    text = it.scope.call_text(call)
    if "generator" in tags or "predictor" in tags:
        kind = "gen" if "generator" in tags else "predict"
        node = result_node(it, call, kind)
        it.b.nodes[node].info = True
        it.b.nodes[node].consults = sort_refs(callee)
        for ref in callee:
            if "generator" in tags:
                it.b.edge(ref, node, "generate", call, text, f"generated by {text}")
            else:
                it.b.edge(ref, node, "predict", call, text, f"labelled by {text}", sort_refs(args.all()))
        return frozenset({node})
    if "gradfn" in tags:
        node = derived(it, call, args.all() | callee)
        params = flat(args.get(0))
        data = union(args.positional[1:]) | union(args.keywords.values())
        _train(it, call, data, params, text)
        return node
    if "handle" in tags or "tokenizer" in tags or not callee and not args.all():
        return derived(it, call, args.all() | callee)
    node = result_node(it, call, "forward")
    inputs = args.all()
    it.flow(inputs, node, call, text, f"fed to `{text}`")
    it.b.nodes[node].info = True
    it.b.nodes[node].consults = sort_refs(callee)
    # under torch.no_grad() a forward pass trains nothing: it keeps no inputs to promote
    trained_inputs = () if it.no_grad else sort_refs(inputs)
    for ref in callee:
        it.b.edge(ref, node, "forward", call, text, f"fed to {text}", trained_inputs)
    return frozenset({node})


# -- methods ----------------------------------------------------------------------------

def method_call(it, call: ast.Call, method: str, receiver: Value, args: Args, receiver_text: str = "",
                self_call: bool = False) -> Value:
    recv = flat(receiver)
    tags = it.tags_of(recv)
    text = it.scope.call_text(call)
    vocab = it.scope.vocab
    if self_call and method in _class_methods(it):
        return project_call(it, call, ("self", it.cls, method), args, receiver)
    role = vocab.user_role(None, method)
    if role:
        return user_role_call(it, call, role, args, receiver=recv)
    dotted = _dotted(call.func)
    # hosted APIs: client.chat.completions.create(model=..., ...)
    if dotted.endswith(V.HOSTED_TRAIN_SUFFIXES):
        return hosted_train(it, call, args)
    if dotted.endswith(V.HOSTED_GENERATE_SUFFIXES) and (args.expr(call, None, "model") is not None or method == "generate_content"):
        return hosted_generate(it, call, args, recv if method == "generate_content" else EMPTY)
    if "trainer" in tags and method == "train":
        for owner in recv:
            if "trainer" in it.tags_of(frozenset({owner})):
                it.b.edge(it.field(owner, "train_dataset", call), it.field(owner, "model", call), "train", call,
                          text, f"trained: {text}", tuple(it.loops))
        return EMPTY
    if method == "fit" and ("pl_trainer" in tags or (_last_word(receiver_text) in ("trainer", "pl_trainer", "fabric")
                                                     and "trainer" not in tags and len(call.args) + len(call.keywords) >= 1)):
        model = flat(args.get(0, "model"))
        data = union(args.positional[1:]) | union(v for k, v in args.keywords.items() if k in V.LIGHTNING_DATA_KWARGS)
        _train(it, call, data, model, text)
        return EMPTY
    if "env" in tags and method in V.ENVIRONMENT_METHODS or (method in V.ENVIRONMENT_METHODS and _last_word(receiver_text) in ("env", "envs", "environment", "simulator", "sim")):
        node = result_node(it, call, "ext")
        it.b.nodes[node].info = True
        return frozenset({node})
    if method == "step" and (len(call.args) >= 2 or "model_output" in args.keywords):
        return sampler_step(it, call, args)
    if method in V.BACKWARD_METHODS:
        loss = flat(args.get(0, "loss")) if call.args or "loss" in args.keywords else recv
        line, column, end_line, end_column = it.b.position(call)
        it.b.marker(Marker("backward", sort_refs(loss), -1, line, column, end_line, end_column, text))
        return EMPTY
    if method == "gradient" and call.args:  # tf.GradientTape
        loss = flat(args.get(0))
        line, column, end_line, end_column = it.b.position(call)
        it.b.marker(Marker("backward", sort_refs(loss), -1, line, column, end_line, end_column, text,
                           sort_refs(flat(args.get(1)))))
        return derived(it, call, loss)
    if method in V.GENERATE_METHODS and not _sample_exempt(method, tags, receiver_text):
        node = result_node(it, call, "gen")
        it.b.nodes[node].info = True
        it.b.nodes[node].consults = sort_refs(recv)
        sources = recv | flat(args.get(None, "params"))
        for ref in sources:
            it.b.edge(ref, node, "generate", call, text, f"generated by {text}")
        return frozenset({node})
    if method in V.OBJECTIVE_METHODS and recv and not it.no_grad:
        return object_call(it, call, recv, args)  # a forward pass by another name
    if method in V.PREDICT_METHODS:
        node = result_node(it, call, "predict")
        it.b.nodes[node].info = True
        it.b.nodes[node].consults = sort_refs(recv)
        for ref in recv:
            it.b.edge(ref, node, "predict", call, text, f"labelled by {text}", sort_refs(args.all()))
        return frozenset({node})
    if method in V.FIT_METHODS and "trainer" not in tags:
        data = union(args.positional) | union(v for k, v in args.keywords.items() if k in V.FIT_DATA_KWARGS)
        _train(it, call, data, recv, text)
        return recv  # sklearn's fit returns the estimator: GaussianMixture(4).fit(x).sample()
    if method in V.MUTATING_METHODS and recv and "path" not in tags:
        label = receiver_text or "container"
        verb = {"append": "appended to", "extend": "added to", "add": "added to", "insert": "inserted into",
                "update": "merged into", "write": "written to", "put": "put in"}.get(method, f"{method}() into")
        for dst in recv:
            it.flow(args.all(), dst, call, text, f"{verb} `{label}`")
        return EMPTY
    if method in V.UNWRAP_METHODS and call.args:
        return args.get(0)
    if method == "train" or method in V.IDENTITY_METHODS:
        return recv
    if method in V.PREPARE_METHODS and call.args:
        if len(args.positional) == 1:
            return args.positional[0]
        return Tup(tuple(args.positional))
    if method in V.SAVE_MODEL_METHODS:
        return save_model(it, call, method, recv, tags, args)
    if method in V.LOAD_WEIGHTS_METHODS:
        for ref in recv:
            for source in flat(args.get(0)):
                it.b.edge(source, ref, "alias", call, text, f"weights loaded by {text}")
        return recv
    if method in V.FROM_PRETRAINED_METHODS:
        return from_pretrained(it, call, "object." + method, args)
    if method in V.WRITE_METHODS:
        if method in ("write_text", "write_bytes"):
            write_artifact(it, call, flat(args.get(0)), call.func.value, recv)  # type: ignore[attr-defined]
        else:
            write_artifact(it, call, recv, args.expr(call, 0, *_PATH_KWARGS), flat(args.get(0, *_PATH_KWARGS)))
        return EMPTY
    if method == "open" and "path" in tags:
        return open_call(it, call, args, recv)
    if method in V.READ_METHODS and "path" in tags:
        node = result_node(it, call, "load")
        it.b.nodes[node].info = True
        template = it.template_of_refs(recv)
        if template is not None:
            it.b.edge(f"A:{template}", node, "read", call, text, f"read back from `{template}`")
        return frozenset({node})
    if method == "filter" and call.args:
        return selection(it, call, receiver, [ast.keyword(arg="key", value=call.args[0])], args)
    if method == "map" and call.args:
        item = _item(it, call, receiver, 0)
        produced = call_function_value(it, call.args[0], item)
        return derived(it, call, produced | flat(item) | recv)
    if method in V.NON_DATA_METHODS:
        return EMPTY
    if method in V.RANKING_METHODS:
        return derived(it, call, recv)  # `conf.topk(k)`: k counts, it informs nothing
    if method in ("choice", "choices") and _is_random_source(tags, receiver_text):
        return weighted_choice(it, call, args)
    if method in ("sample", "rsample") and _sample_exempt("sample", tags, receiver_text) or method == "rsample":
        return derived(it, call, recv | args.all())  # a draw from a distribution computed from data
    return project_call(it, call, ("method", method), args, receiver)


def _class_methods(it) -> set:
    facts = it.scope.classes.get(it.cls)
    if facts is None:
        return set()
    methods = set(facts.methods)
    for kind, *rest in facts.bases:
        if kind == "def" and rest[0] in it.scope.classes:
            methods |= set(it.scope.classes[rest[0]].methods)
    return methods


def _class_attributes(it) -> set:
    facts = it.scope.classes.get(it.cls)
    if facts is None:
        return set()
    out = set(facts.attributes)
    for kind, *rest in facts.bases:
        if kind == "def" and rest[0] in it.scope.classes:
            out |= it.scope.classes[rest[0]].attributes
    return out


def _train(it, call: ast.Call, data: Refs, models: Refs, text: str) -> None:
    loops = tuple(it.loops)  # which loops enclose the training call (fresh data inside them)
    for model in models:
        for ref in data:
            it.b.edge(ref, model, "train", call, text, f"trained: {text}", loops)


def sampler_step(it, call: ast.Call, args: Args) -> Refs:
    """``scheduler.step(noise_pred, t, latents)``: one step of a diffusion sampling loop."""
    node = derived(it, call, args.all())
    result = next(iter(node))
    line, column, end_line, end_column = it.b.position(call)
    it.b.marker(Marker("sampler", sort_refs(flat(args.get(0, "model_output"))), result, line, column,
                       end_line, end_column, it.scope.call_text(call)))
    return node


def save_model(it, call: ast.Call, method: str, recv: Refs, tags, args: Args) -> Value:
    text = it.scope.call_text(call)
    template = path_of(it, args.expr(call, 0, *_PATH_KWARGS), flat(args.get(0, *_PATH_KWARGS)))
    if template is None:
        return EMPTY
    target = f"A:{template}"
    models = set()
    for ref in recv:
        if "trainer" in it.tags_of(frozenset({ref})):
            models.add(it.field(ref, "model", call))
        else:
            models.add(ref)
    for ref in models:
        it.b.edge(ref, target, "save", call, text, f"checkpoint saved to `{template}`")
        if method == "push_to_hub" or method == "save":
            it.b.edge(ref, target, "write", call, text, f"written to `{template}`")
    return EMPTY


def hosted_generate(it, call: ast.Call, args: Args, receiver: Refs) -> Refs:
    """``client.chat.completions.create(model=MODEL, ...)``: MODEL generates the reply."""
    node = result_node(it, call, "gen")
    it.b.nodes[node].info = True
    text = it.scope.call_text(call)
    models = _hosted_model(it, call, args) or receiver
    it.b.nodes[node].consults = sort_refs(models)
    for ref in models:
        it.b.edge(ref, node, "generate", call, text, f"generated by {text}")
    return frozenset({node})


def hosted_train(it, call: ast.Call, args: Args) -> Refs:
    """``client.fine_tuning.jobs.create(model=M, training_file=F)``: trains M on F."""
    text = it.scope.call_text(call)
    node = result_node(it, call)
    models = _hosted_model(it, call, args)
    data = union(args.get(None, name) for name in V.HOSTED_TRAIN_DATA_KWARGS)
    _train(it, call, data, models, text)
    for ref in models:
        it.b.edge(ref, node, "alias", call, text)
    return frozenset({node})


def _hosted_model(it, call: ast.Call, args: Args) -> Refs:
    expr = args.expr(call, None, "model")
    refs = flat(args.get(None, "model"))
    if expr is None:
        return EMPTY
    if _is_object(it, refs):
        return refs
    template = it.template(expr)
    if template is None and refs:
        template = it.template_of_refs(refs)
    return frozenset({f"A:{template}"}) if template is not None else refs


def user_role_call(it, call: ast.Call, role: str, args: Args, receiver: Refs) -> Value:
    """A call the project's configuration named (``extend-generators`` and friends)."""
    text = it.scope.call_text(call)
    model = receiver or flat(args.get(0, "model"))
    if role == "generator":
        node = result_node(it, call, "gen")
        it.b.nodes[node].info = True
        it.b.nodes[node].consults = sort_refs(model)
        for ref in model:
            it.b.edge(ref, node, "generate", call, text, f"generated by {text}")
        return frozenset({node})
    if role == "trainer":
        data_values = [v for k, v in args.keywords.items() if k not in ("model",)]
        positional = args.positional if receiver else args.positional[1:]
        if "model" in args.keywords and not receiver:
            positional = args.positional
        _train(it, call, union(positional) | union(data_values), model, text)
        return EMPTY
    if role == "filter":
        node = result_node(it, call, "container")
        it.b.nodes[node].info = True
        for ref in args.all() | receiver:
            it.b.edge(ref, node, "filter", call, text, f"filtered by {text}", (node,))
        return frozenset({node})
    node = result_node(it, call, "ext")
    it.b.nodes[node].info = True
    return frozenset({node})


def _is_random_source(tags, receiver_text: str) -> bool:
    """``rng``, ``random_state``, ``np.random``, ``random``: a random number generator."""
    last = _last_word(receiver_text)
    return "rng" in tags or last in ("random", "rng", "random_state", "generator", "np", "numpy") \
        or last.endswith(("_rng", "random_state"))


def weighted_choice(it, call: ast.Call, args: Args) -> Refs:
    """``rng.choice(a, p=w)``, ``random.choices(xs, weights=w)``: items of the population, picked
    according to the weights.  The weights select; they are not what is kept (AdaBoost draws real
    rows by their error weights), so they are judged like any other selection."""
    population = flat(args.get(0, "a", "population"))
    weight_expr = next((k.value for k in call.keywords if k.arg in ("p", "weights", "cum_weights")), None)
    weights = flat(args.get(None, "p", "weights", "cum_weights"))
    label = it.scope.snippet(weight_expr, 60) if weight_expr is not None else it.scope.call_text(call)
    # rng.choice(len(xs), p=scores): with no population, the drawn positions are made of the scores
    return _selected(it, call, population, Predicate(weights, weights, label) if weights else NO_PREDICATE)


def _sample_exempt(method: str, tags, receiver_text: str) -> bool:
    if method != "sample":
        return False
    if tags & {"dataframe", "distribution", "rng"}:
        return True
    last = _last_word(receiver_text)
    return last in _SAMPLE_EXEMPT_NAMES or last.endswith(("_df", "_dist", "_distribution", "_posterior", "_prior"))


def _last_word(text: str) -> str:
    return text.rsplit(".", 1)[-1].lower() if text else ""


def _dotted(expr: ast.AST) -> str:
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
    return ".".join(reversed(parts))
