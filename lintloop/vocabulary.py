"""What library calls mean: generation, training, filters, external information.

This is data, not code branches (Pysa's "models"): generators are sources,
trainers are sinks, filters and external calls are sanitizers, and the rest are
propagation rows.  Qualified names are matched after import resolution, so
``from trl import SFTTrainer as S`` still reads as ``trl.SFTTrainer``.  Teams
extend the tables from ``[tool.lintloop]`` (``extend-generators`` and friends).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import FrozenSet, Iterable, Optional, Tuple

# --- methods called on an object (receiver-typed by what the object is) -------

#: ``x.generate(...)``: x produced the result (the receiver is the model).
GENERATE_METHODS = frozenset({
    "generate", "sample", "chat", "generate_content", "generate_text", "generate_images",
    "sample_images", "text_generation", "text_to_image",
})
#: ``clf.predict(X)``: labels made by the receiver.
PREDICT_METHODS = frozenset({"predict", "predict_proba", "predict_log_proba", "predict_on_batch"})
#: ``model.fit(X, y)``: arguments train the receiver (sklearn, Keras, xgboost ...).
FIT_METHODS = frozenset({"fit", "partial_fit", "train_on_batch", "fit_generator"})
#: Keyword arguments of a fit call that carry training data (others are settings).
FIT_DATA_KWARGS = frozenset({"x", "y", "X", "Y", "data", "dataset", "train_data", "sample_weight"})
#: ``x.append(v)``: the arguments flow into the receiver.
MUTATING_METHODS = frozenset({
    "append", "extend", "insert", "add", "update", "appendleft", "extendleft", "put",
    "put_nowait", "push", "setdefault", "write", "writelines", "add_item", "add_batch",
    "store", "record", "push_back", "add_samples", "add_example", "add_examples", "write_all",
})
#: ``model.to(device)`` and friends return the same model.
IDENTITY_METHODS = frozenset({
    "to", "cuda", "cpu", "half", "float", "double", "bfloat16", "eval", "train",
    "requires_grad_", "merge_and_unload", "share_memory", "get_base_model",
})
#: ``accelerator.unwrap_model(model)``: the argument, unwrapped, is the same model.
UNWRAP_METHODS = frozenset({"unwrap_model", "unwrap", "prepare_model", "compile_model"})
#: ``wrapper.module``: the attribute is the same model as the wrapper.
IDENTITY_ATTRIBUTES = frozenset({
    "model", "module", "base_model", "unet", "transformer", "policy", "pretrained_model",
    "_orig_mod", "fine_tuned_model", "params", "net", "network", "backbone",
})
#: Parts of a generation pipeline that are the pipeline's own model (``pipe.vae``).
PIPELINE_COMPONENTS = frozenset({
    "unet", "vae", "text_encoder", "text_encoder_2", "text_encoder_3", "transformer", "prior", "decoder",
    "image_encoder", "movq", "controlnet", "model", "llm_engine",
})
#: Methods whose result carries no data (sizes, flags).
NON_DATA_METHODS = frozenset({
    "size", "numel", "dim", "__len__", "nelement", "count",
    "is_available", "get_device", "zero_grad", "info", "debug",
    "warning", "error", "set_description", "set_postfix", "close", "flush",
})
#: Constructors of random number generators (their ``choice`` draws by weights, see calls.py).
RNG_CONSTRUCTORS = frozenset({
    "numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.Generator",
    "sklearn.utils.check_random_state", "sklearn.utils.validation.check_random_state",
    "random.Random", "random.SystemRandom", "torch.Generator", "jax.random.PRNGKey",
})
#: Ranking functions: the result depends on the data (first argument) only; the rest
#: (``k``, ``axis``, ``kth``) are positions and counts, not information about the items.
RANKING_FUNCTIONS = frozenset({
    "numpy.argpartition", "numpy.partition", "numpy.argsort", "numpy.sort", "numpy.flip",
    "torch.topk", "torch.argsort", "torch.sort", "torch.kthvalue",
})
RANKING_METHODS = frozenset({"topk", "argsort", "argpartition", "kthvalue"})
#: Attributes that describe an array rather than hold its data (``x.shape[0]``).
NON_DATA_ATTRIBUTES = frozenset({"shape", "ndim", "dtype", "device", "is_cuda", "requires_grad"})
#: ``model.save_pretrained(path)``: a checkpoint of the receiver is written to path.
SAVE_MODEL_METHODS = frozenset({
    "save_pretrained", "save_model", "save", "save_weights", "save_checkpoint", "push_to_hub",
})
LOAD_WEIGHTS_METHODS = frozenset({"load_state_dict", "load_weights", "load_adapter"})
#: ``X.from_pretrained(name)``: a model loaded from a checkpoint or hub name.
FROM_PRETRAINED_METHODS = frozenset({"from_pretrained", "from_single_file", "load_from_checkpoint"})

# --- functions and classes, by qualified name -------------------------------------

#: HF-style trainers: built with ``model=`` and ``train_dataset=``, run by ``.train()``.
TRAINER_CLASSES = frozenset({
    "transformers.Trainer", "transformers.Seq2SeqTrainer", "trl.SFTTrainer", "trl.DPOTrainer",
    "trl.ORPOTrainer", "trl.KTOTrainer", "trl.CPOTrainer", "trl.RewardTrainer", "trl.BCOTrainer",
    "trl.IterativeSFTTrainer", "setfit.Trainer", "setfit.SetFitTrainer",
    "sentence_transformers.SentenceTransformerTrainer",
})
TRAINER_MODEL_KWARGS = ("model",)
TRAINER_DATA_KWARGS = ("train_dataset", "dataset")
#: Lightning trainers: ``trainer.fit(model, dataloaders)``.
LIGHTNING_TRAINERS = frozenset({
    "lightning.Trainer", "lightning.pytorch.Trainer", "pytorch_lightning.Trainer",
    "lightning.fabric.Fabric",
})
LIGHTNING_DATA_KWARGS = ("train_dataloaders", "datamodule", "train_dataloader")
#: ``pipeline(task, model=m)`` returns a callable that generates with m.
PIPELINE_FACTORIES = frozenset({"transformers.pipeline"})
#: Pipeline tasks that label rather than generate (their calls are predictions).
PREDICTIVE_TASKS = frozenset({
    "text-classification", "sentiment-analysis", "zero-shot-classification",
    "token-classification", "ner", "image-classification", "audio-classification",
    "question-answering", "fill-mask", "feature-extraction", "object-detection",
})
#: Packages whose ``*Pipeline.from_pretrained`` objects generate when called.
GENERATOR_PACKAGES = frozenset({"diffusers"})
#: Constructors of generation engines: ``LLM(model=path)``.
GENERATOR_CONSTRUCTORS = frozenset({"vllm.LLM", "vllm.AsyncLLMEngine", "vllm.LLMEngine"})
#: Hosted APIs: a call ending with one of these generates with ``model=``.
HOSTED_GENERATE_SUFFIXES = (
    "chat.completions.create", "completions.create", "responses.create", "messages.create",
    "chat.completions.parse", "generate_content",
)
HOSTED_GENERATE_FUNCTIONS = frozenset({"litellm.completion", "litellm.acompletion"})
#: Hosted fine-tuning: a call ending with one of these trains ``model=`` on ``training_file=``.
HOSTED_TRAIN_SUFFIXES = ("fine_tuning.jobs.create", "fine_tunes.create", "FineTune.create", "FineTuningJob.create")
HOSTED_TRAIN_DATA_KWARGS = ("training_file", "training_data", "train_file")
#: Calls that return the same model (wrappers, compilers, copies).
IDENTITY_FUNCTIONS = frozenset({
    "torch.compile", "torch.nn.DataParallel", "torch.nn.parallel.DistributedDataParallel",
    "torch.nn.parallel.DataParallel", "peft.get_peft_model", "peft.prepare_model_for_kbit_training",
    "torch.jit.script", "torch.jit.trace", "deepspeed.initialize", "torch.nn.SyncBatchNorm.convert_sync_batchnorm",
    "jax.jit", "jax.pmap", "jax.vmap", "equinox.filter_jit", "functools.partial", "flax.jax_utils.replicate",
})
COPY_FUNCTIONS = frozenset({"copy.deepcopy", "copy.copy", "sklearn.base.clone", "tensorflow.keras.models.clone_model", "keras.models.clone_model"})
#: Objects that hold a model and pass it through: ``accelerator.prepare(model, opt, dl)``.
PREPARE_METHODS = frozenset({"prepare", "setup", "setup_module", "wrap"})
#: ``jax.grad(loss_fn)(params, batch)``: the batch trains params.
GRADIENT_FUNCTIONS = frozenset({"jax.grad", "jax.value_and_grad", "flax.linen.grad", "equinox.filter_grad", "equinox.filter_value_and_grad"})
#: Explicit backward passes: ``accelerator.backward(loss)``.
BACKWARD_METHODS = frozenset({"backward", "manual_backward"})
#: Information from outside the program (never from the model being trained).
EXTERNAL_PREFIXES = (
    "requests.", "httpx.", "urllib.request.", "urllib3.", "aiohttp.", "subprocess.", "http.client.",
    "socket.", "os.system", "os.popen", "builtins.input", "gym.make", "gymnasium.make",
    "pexpect.", "docker.", "selenium.", "paramiko.",
)
EXTERNAL_BUILTINS = frozenset({"input"})
#: Method names on environment-like objects that return fresh observations.
ENVIRONMENT_METHODS = frozenset({"step", "reset"})
#: Real data: loaders of datasets and files.
LOADER_FUNCTIONS = frozenset({
    "datasets.load_dataset", "datasets.load_from_disk", "numpy.load", "numpy.loadtxt",
    "numpy.genfromtxt", "torch.load", "json.load", "json.loads", "pickle.load", "joblib.load",
    "tensorflow_datasets.load", "srsly.read_jsonl", "srsly.read_json",
    "datasets.Dataset.from_json", "datasets.Dataset.from_csv", "datasets.Dataset.from_parquet",
})
LOADER_PREFIXES = ("pandas.read_", "torchvision.datasets.", "sklearn.datasets.", "keras.datasets.",
                   "tensorflow.keras.datasets.", "polars.read_", "pyarrow.parquet.read_")
#: Functions whose first argument (or ``f``) is written to a file: name -> (data arg, path arg).
WRITE_FUNCTIONS = {
    "json.dump": (0, 1), "pickle.dump": (0, 1), "torch.save": (0, 1), "joblib.dump": (0, 1),
    "numpy.save": (1, 0), "numpy.savez": (1, 0), "numpy.savetxt": (1, 0), "srsly.write_jsonl": (1, 0),
    "srsly.write_json": (1, 0), "yaml.dump": (0, 1), "yaml.safe_dump": (0, 1),
}
#: ``open``-like functions: a handle on a path, for reading or writing depending on the mode.
OPEN_FUNCTIONS = frozenset({"jsonlines.open", "gzip.open", "bz2.open", "lzma.open", "io.open", "codecs.open",
                            "builtins.open", "smart_open.open", "fsspec.open"})
#: Functions that read a file: name -> path argument index.
READ_FUNCTIONS = {
    "json.load": 0, "pickle.load": 0, "torch.load": 0, "joblib.load": 0, "numpy.load": 0,
    "numpy.loadtxt": 0, "numpy.genfromtxt": 0, "srsly.read_jsonl": 0, "srsly.read_json": 0,
    "datasets.load_from_disk": 0, "yaml.safe_load": 0, "yaml.load": 0,
    "datasets.Dataset.from_json": 0, "datasets.Dataset.from_csv": 0,
    "datasets.Dataset.from_parquet": 0, "datasets.Dataset.load_from_disk": 0,
    "keras.models.load_model": 0, "tensorflow.keras.models.load_model": 0,
}
READ_PREFIXES = ("pandas.read_", "polars.read_")
#: Methods that write the receiver to a path argument: ``df.to_json(path)``.
WRITE_METHODS = frozenset({
    "to_json", "to_csv", "to_parquet", "to_pickle", "save_to_disk", "to_jsonl", "write_text",
    "write_bytes", "to_feather", "to_excel", "to_hdf",
})
READ_METHODS = frozenset({"read_text", "read_bytes", "readlines", "read", "readline"})
#: Functions that keep an item only when a predicate holds.
SELECTION_BUILTINS = frozenset({"filter", "sorted", "max", "min"})
SELECTION_FUNCTIONS = frozenset({"heapq.nlargest", "heapq.nsmallest", "itertools.filterfalse", "itertools.compress"})
#: Builtins whose result carries no data (sizes, types, ranges).
NON_DATA_BUILTINS = frozenset({
    "len", "isinstance", "issubclass", "type", "id", "hash", "callable", "hasattr", "range",
    "print", "bool", "setattr", "delattr", "vars", "dir", "globals", "locals", "exit", "quit",
})
#: Function names (after import resolution) whose result carries no data.
NON_DATA_FUNCTIONS = frozenset({
    "torch.manual_seed", "random.seed", "numpy.random.seed", "logging.info", "logging.warning",
    "logging.getLogger", "wandb.log", "wandb.init", "time.time", "time.perf_counter", "os.makedirs",
    "os.path.exists", "torch.no_grad", "torch.inference_mode", "torch.set_grad_enabled",
})
#: Packages treated as libraries: their functions are never judged by name as filters.
LIBRARY_ROOTS = frozenset({
    "numpy", "torch", "pandas", "sklearn", "datasets", "transformers", "trl", "tensorflow",
    "keras", "jax", "flax", "scipy", "diffusers", "vllm", "openai", "anthropic", "peft",
    "accelerate", "lightning", "pytorch_lightning", "json", "os", "re", "random", "itertools",
    "functools", "collections", "math", "pathlib", "logging", "typing", "copy", "pickle", "tempfile",
    "shutil", "glob", "sys", "time", "datetime", "csv", "gzip", "zipfile", "io", "string", "textwrap",
    "dataclasses", "argparse", "statistics", "heapq", "bisect", "uuid", "hashlib", "base64", "struct",
    "operator", "contextlib", "warnings", "abc", "enum", "inspect", "threading", "multiprocessing",
    "concurrent", "queue", "fnmatch", "unicodedata", "difflib", "pprint", "traceback", "platform",
    "joblib", "tqdm", "wandb", "evaluate", "nltk", "spacy", "sentence_transformers", "setfit",
    "optax", "equinox", "xgboost", "lightgbm", "statsmodels",
})
#: Words that make an unseen function, method or object a judge (``verify_sample``).
FILTER_WORDS = frozenset({
    "verify", "verifier", "verified", "verification", "reward", "rewards", "rm", "score",
    "scorer", "scores", "scoring", "judge", "judges", "judged", "check", "checker", "checks",
    "critic", "critique", "test", "tests", "grade", "grader", "grading", "validate", "validator",
    "valid", "correct", "correctness", "oracle", "filter", "rank", "ranker", "rerank",
    "reranker", "accept", "approve", "moderate", "moderation", "classifier", "discriminator",
    "evaluate", "evaluator", "feedback", "preference", "execute", "compile", "run_tests",
})
#: Methods that ask a model about its own samples (likelihood, confidence).
SELF_SCORE_METHODS = frozenset({
    "score", "log_prob", "log_likelihood", "loglik", "perplexity", "compute_perplexity",
    "score_samples", "logprob", "logprobs", "confidence", "entropy", "compute_loss",
})
#: Methods that run the model on data to compute a training objective
#: (``-flow.log_prob(x).mean()`` then ``backward()`` trains the flow on x).
OBJECTIVE_METHODS = frozenset({
    "log_prob", "forward", "compute_loss", "nll", "neg_log_likelihood", "loss", "training_step",
    "log_likelihood", "get_loss", "elbo", "energy",
})
#: Context managers under which a forward pass produces labels, not gradients.
NO_GRAD_CONTEXTS = frozenset({"torch.no_grad", "torch.inference_mode"})

_WORD_SPLIT = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def name_words(name: str) -> Tuple[str, ...]:
    """``verifySample`` / ``verify_sample`` -> ("verify", "sample")."""
    return tuple(w.lower() for w in _WORD_SPLIT.findall(name))


@dataclass(frozen=True)
class Vocabulary:
    """The tables above plus what a project's configuration adds."""

    extra_generators: Tuple[str, ...] = ()
    extra_trainers: Tuple[str, ...] = ()
    extra_filters: Tuple[str, ...] = ()
    extra_external: Tuple[str, ...] = ()
    _cache: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def fingerprint(self) -> str:
        """Changes whenever the meaning of any call could change (cache key)."""
        payload = json.dumps([self.extra_generators, self.extra_trainers, self.extra_filters,
                              self.extra_external], sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    # -- user extensions -----------------------------------------------------------

    def user_role(self, qualified: Optional[str], name: str) -> str:
        """The role a project gave this call: generator/trainer/filter/external or ""."""
        key = (qualified, name)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        role = ""
        for table, value in ((self.extra_generators, "generator"), (self.extra_trainers, "trainer"),
                             (self.extra_filters, "filter"), (self.extra_external, "external")):
            if any(_entry_matches(entry, qualified, name) for entry in table):
                role = value
                break
        self._cache[key] = role
        return role

    @property
    def extra_words(self) -> FrozenSet[str]:
        return frozenset(e.rsplit(".", 1)[-1] for e in self.extra_generators + self.extra_trainers
                         + self.extra_filters + self.extra_external)


def _entry_matches(entry: str, qualified: Optional[str], name: str) -> bool:
    """``my_lib.sample_batch`` matches that function; a bare ``run_sft`` any call of that name."""
    if "." not in entry:
        return entry == name
    if qualified is not None:
        return qualified == entry or qualified.endswith("." + entry)
    return False


def matches_prefix(qualified: str, prefixes: Iterable[str]) -> bool:
    return any(qualified.startswith(p) for p in prefixes)


def is_filter_name(name: str) -> bool:
    words = name_words(name)
    return any(w in FILTER_WORDS for w in words) or name.lower() in FILTER_WORDS


DEFAULT_VOCABULARY = Vocabulary()
