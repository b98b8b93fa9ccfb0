"""Run lintloop over large real codebases: transformers, scikit-learn and TRL.

Each project's source is unpacked from its wheel (``pip download --no-deps``,
pinned versions), cached outside the repository in ``~/.cache/lintloop-bench``
(``LINTLOOP_BENCH_DIR`` moves it); nothing downloaded is ever committed.  The
run must end with zero crashes and zero LL999, and every finding must be one
reviewed in ``benchmarks/README.md`` ("Real code"): the script lists each
finding, and exits 1 when one is not in :data:`REVIEWED` (or a file error
appears), so a new false positive cannot slip by.

    python benchmarks/real_code.py                      # all three projects
    python benchmarks/real_code.py --project trl --jobs 2
    python benchmarks/real_code.py --json               # machine-readable summary

``tests/test_real_code.py`` uses the same functions.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple

BENCH_DIR = Path(os.environ.get("LINTLOOP_BENCH_DIR", Path.home() / ".cache" / "lintloop-bench"))


class Project(NamedTuple):
    name: str  # on PyPI
    version: str
    package: str  # the top-level directory inside the wheel


PROJECTS: Dict[str, Project] = {
    "trl": Project("trl", "1.16.0", "trl"),
    "scikit-learn": Project("scikit-learn", "1.9.1", "sklearn"),
    "transformers": Project("transformers", "5.24.0", "transformers"),
}

#: Every finding on these trees, reviewed: (project, path inside the package, line, code) -> verdict.
#: benchmarks/README.md ("Real code") explains each; a finding not listed here fails the run.
REVIEWED: Dict[Tuple[str, str, int, str], str] = {
    ("scikit-learn", "sklearn/semi_supervised/_self_training.py", 274, "LL004"):
        "true: SelfTrainingClassifier.fit refits on its own confident predict_proba labels (self-training)",
    ("scikit-learn", "sklearn/semi_supervised/_self_training.py", 320, "LL004"):
        "true: the final fit of SelfTrainingClassifier on the pseudo-labels the loop added",
}

#: The wheel's files are the same on every platform for these (pure Python or not): pin one, so
#: the download does not depend on the Python running it.
_WHEEL_TAGS = ["--only-binary", ":all:", "--platform", "manylinux_2_28_x86_64", "--python-version", "3.11",
               "--implementation", "cp", "--abi", "cp311"]


class Unavailable(Exception):
    """The wheel could not be downloaded (offline, or the index refused)."""


def fetch(project: Project, timeout: float = 300) -> Path:
    """The unpacked package directory, downloading and unpacking the wheel on first use."""
    target = BENCH_DIR / "real-code" / f"{project.name}-{project.version}"
    package = target / project.package
    if package.is_dir():
        return package
    wheels = BENCH_DIR / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    wheel = _wheel(wheels, project)
    if wheel is None:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                   "--retries", "0", "--timeout", "15", "-d", str(wheels), *_WHEEL_TAGS,
                   f"{project.name}=={project.version}"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise Unavailable(f"pip download {project.name}: {exc}") from None
        wheel = _wheel(wheels, project)
        if done.returncode != 0 or wheel is None:
            last = (done.stderr.strip().splitlines() or ["no wheel"])[-1]
            raise Unavailable(f"pip download {project.name}=={project.version}: {last}")
    staging = Path(tempfile.mkdtemp(dir=BENCH_DIR))
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith(project.package + "/")]
            archive.extractall(staging, members)
        target.mkdir(parents=True, exist_ok=True)
        os.replace(staging / project.package, package)  # atomic: a half-unpacked tree is never used
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return package


def _wheel(directory: Path, project: Project) -> Optional[Path]:
    stem = project.name.replace("-", "_")
    found = sorted(directory.glob(f"{stem}-{project.version}-*.whl"))
    return found[0] if found else None


def tree_size(root: Path) -> Tuple[int, int]:
    """(Python files, lines) under ``root``."""
    files = lines = 0
    for path in root.rglob("*.py"):
        files += 1
        with open(path, "rb") as handle:
            lines += handle.read().count(b"\n")
    return files, lines


class Outcome(NamedTuple):
    project: Project
    files: int
    lines: int
    seconds: float
    findings: List[dict]
    errors: List[dict]
    unreviewed: List[dict]


def run(project: Project, jobs: Optional[int] = None, cache_dir: Optional[Path] = None) -> Outcome:
    """lintloop (the CLI, in a child process) over the project, every loop rule on."""
    package = fetch(project)
    files, lines = tree_size(package)
    # -I: the unpacked tree (the working directory) must not shadow what lintloop imports
    command = [sys.executable, "-I", "-c", "from lintloop.cli import run; run()", "--isolated",
               "--extend-select", "LL004", "--format", "json", project.package]
    command += ["--cache-dir", str(cache_dir)] if cache_dir else ["--no-cache"]
    command += ["--jobs", str(jobs)] if jobs else []
    started = time.perf_counter()
    done = subprocess.run(command, cwd=package.parent, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"lintloop exited {done.returncode} on {project.name}:\n{done.stderr}")
    report = json.loads(done.stdout)
    findings = report["findings"]
    unreviewed = [f for f in findings if key(project, f) not in REVIEWED]
    return Outcome(project, files, lines, seconds, findings, report["errors"], unreviewed)


def key(project: Project, finding: dict) -> Tuple[str, str, int, str]:
    return project.name, finding["path"], finding["line"], finding["code"]


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", choices=sorted(PROJECTS), action="append",
                        help="only this project (repeatable; default: all)")
    parser.add_argument("--jobs", type=int, help="lintloop --jobs (default: one per CPU)")
    parser.add_argument("--cache", action="store_true",
                        help=f"use a lintloop cache in {BENCH_DIR / 'real-code-cache'} (default: --no-cache)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    names = args.project or list(PROJECTS)
    outcomes = []
    for name in names:
        try:
            outcomes.append(run(PROJECTS[name], args.jobs, BENCH_DIR / "real-code-cache" if args.cache else None))
        except Unavailable as exc:
            print(f"skipped {name}: {exc}", file=sys.stderr)
    if args.json:
        print(json.dumps([{"project": o.project.name, "version": o.project.version, "files": o.files,
                           "lines": o.lines, "seconds": round(o.seconds, 1), "findings": o.findings,
                           "errors": o.errors, "unreviewed": o.unreviewed} for o in outcomes], indent=1))
    else:
        print("| project | version | files | lines | seconds | findings | file errors | LL999 |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for o in outcomes:
            internal = sum(1 for e in o.errors if e["code"] == "LL999")
            print(f"| {o.project.name} | {o.project.version} | {o.files:,} | {o.lines:,} | {o.seconds:.1f} | "
                  f"{len(o.findings)} | {len(o.errors)} | {internal} |")
        for o in outcomes:
            for finding in o.findings:
                verdict = REVIEWED.get(key(o.project, finding), "NOT REVIEWED")
                print(f"{o.project.name}: {finding['path']}:{finding['line']}: {finding['code']} "
                      f"{finding['message']} -- {verdict}")
            for error in o.errors:
                print(f"{o.project.name}: {error['path']}: {error['code']} {error['message']}")
    failed = any(o.errors or o.unreviewed for o in outcomes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
