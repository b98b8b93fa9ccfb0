"""How fast is lintloop on a huge real tree, next to ruff and flake8?

    python benchmarks/speed.py                 # transformers, 3 runs each, table on stdout
    python benchmarks/speed.py --runs 5 --scaling --output results.md

The tree is the source of ``transformers`` unpacked from its wheel
(``pip download --no-deps transformers``), cached outside the repository in
``~/.cache/lintloop-bench`` (``LINTLOOP_BENCH_DIR`` moves it); nothing it
downloads is ever committed.  Each command runs ``--runs`` times and the table
shows the median wall time, lintloop's ratio to each peer, and the peak
resident memory of the largest process (GNU ``time`` when installed, else
``getrusage`` of the children).  ``--scaling`` also times cold runs on 1x, 2x
and 4x copies of the tree.  It needs ruff (``pip install ruff``); flake8 runs from a virtual
environment of its own that the script creates, so lintloop's flake8 plugin is not timed with it.
"""

from __future__ import annotations

import argparse
import compileall
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

BENCH_DIR = Path(os.environ.get("LINTLOOP_BENCH_DIR", Path.home() / ".cache" / "lintloop-bench"))
GNU_TIME = "/usr/bin/time"


# -- the tree ----------------------------------------------------------------------------


def fetch_tree(package: str, version: Optional[str]) -> Path:
    """Download the wheel once and unpack it; return the package directory."""
    wheels = BENCH_DIR / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    spec = f"{package}=={version}" if version else package
    found = _wheels(wheels, package, version)
    if not found:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                        "-d", str(wheels), spec], check=True, stdout=subprocess.DEVNULL)
        found = _wheels(wheels, package, version)
    wheel = found[-1]
    target = BENCH_DIR / "speed" / wheel.stem
    if not (target / package).is_dir():
        staging = Path(tempfile.mkdtemp(dir=BENCH_DIR))
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(staging)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
        _age_files(target)
    return target / package


def _wheels(directory: Path, package: str, version: Optional[str]) -> List[Path]:
    prefix = f"{package.replace('-', '_')}-{version}-" if version else f"{package.replace('-', '_')}-"
    return sorted(p for p in directory.glob("*.whl") if p.name.startswith(prefix))


def _age_files(root: Path) -> None:
    """Give unpacked files an old mtime, as a checkout that is not being edited has."""
    old = time.time() - 3600
    for path in [root] + (list(root.rglob("*")) if root.is_dir() else []):
        os.utime(path, (old, old))


def tree_size(root: Path) -> Tuple[int, int]:
    files = [p for p in root.rglob("*.py")]
    return len(files), sum(p.read_bytes().count(b"\n") for p in files)


def copies(tree: Path, count: int) -> Path:
    """``count`` copies of the package side by side, each under its own package name."""
    base = BENCH_DIR / "speed" / f"scale-{tree.parent.name}-x{count}"
    if not base.is_dir():
        staging = Path(tempfile.mkdtemp(dir=BENCH_DIR))
        for index in range(count):
            shutil.copytree(tree, staging / f"{tree.name}_{index}")
        _age_files(staging)
        staging.rename(base)
    return base


# -- measuring ---------------------------------------------------------------------------


def has_gnu_time() -> bool:
    try:
        out = subprocess.run([GNU_TIME, "--version"], capture_output=True, text=True)
    except OSError:
        return False
    return "GNU" in (out.stdout + out.stderr)


def measure(command: Sequence[str], cwd: Path, gnu_time: bool) -> Tuple[float, float]:
    """(wall seconds, peak RSS in MB of the largest process of the run)."""
    if gnu_time:
        with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
            started = time.perf_counter()
            subprocess.run([GNU_TIME, "-f", "%M", "-o", report.name] + list(command), cwd=cwd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - started
            lines = [line for line in Path(report.name).read_text().splitlines() if line.strip().isdigit()]
            return wall, int(lines[-1]) / 1024 if lines else float("nan")
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe] + list(command), cwd=cwd, capture_output=True, text=True)
    wall, rss = out.stdout.split()
    return float(wall), int(rss) / 1024


class Row:
    def __init__(self, name: str) -> None:
        self.name = name
        self.walls: List[float] = []
        self.rss: List[float] = []

    def add(self, wall: float, rss: float) -> None:
        self.walls.append(wall)
        self.rss.append(rss)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)


def tool(name: str) -> List[str]:
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed: pip install {name}")
    return [found]


def freeze_lintloop() -> None:
    """Run a copy of lintloop's code taken now, for every run of the benchmark.

    The cache is keyed by the size and mtime of lintloop's own modules (a development
    checkout never reuses results of older code); an edit in the working tree during
    the benchmark would otherwise turn warm runs into cold ones.
    """
    import lintloop

    source = Path(lintloop.__file__).resolve().parent
    frozen = Path(tempfile.mkdtemp(prefix="lintloop-bench-code-"))
    shutil.copytree(source, frozen / "lintloop", ignore=shutil.ignore_patterns("__pycache__"))
    # byte-compiled, as pip leaves an installed package (and as ruff's and flake8's are):
    # under PYTHONDONTWRITEBYTECODE every run would otherwise compile lintloop's source again
    compileall.compile_dir(str(frozen / "lintloop"), quiet=1)
    os.environ["PYTHONPATH"] = str(frozen) + os.pathsep + os.environ.get("PYTHONPATH", "")


def flake8_command() -> List[str]:
    """flake8 from a virtual environment of its own, in the benchmark directory.

    Installed next to lintloop, flake8 also loads lintloop's flake8 plugin and runs it
    on every file: it would be timed doing lintloop's work as well as its own (about a
    sixth more time on transformers' model and generation code).  The environment gets
    the flake8 version installed here, if any, so the figures stay comparable.
    """
    venv = BENCH_DIR / "flake8-venv"
    python = venv / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")
    if not python.exists():
        try:
            from importlib.metadata import PackageNotFoundError, version

            requirement = f"flake8=={version('flake8')}"
        except (ImportError, PackageNotFoundError):
            requirement = "flake8"
        _say(f"installing {requirement} in {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", requirement], check=True)
    return [str(python), "-m", "flake8"]


def run_benchmark(tree: Path, runs: int, flake8_runs: int, jobs: Optional[int], gnu_time: bool,
                  skip_peers: bool) -> Dict[str, Row]:
    cwd = tree.parent
    target = tree.name
    cache = Path(tempfile.mkdtemp(prefix="lintloop-bench-cache-"))
    ruff_cache = Path(tempfile.mkdtemp(prefix="ruff-bench-cache-"))
    lintloop = [sys.executable, "-m", "lintloop.cli", "--isolated", "--exit-zero", "-q",
                "--cache-dir", str(cache)] + (["--jobs", str(jobs)] if jobs else [])
    rows: Dict[str, Row] = {}

    def timed(label: str, command: List[str], before=None, count: int = runs) -> None:
        row = rows.setdefault(label, Row(label))
        for _ in range(count):
            if before is not None:
                before()
            row.add(*measure(command, cwd, gnu_time))
            _say(f"  {label}: {row.walls[-1]:.2f} s, {row.rss[-1]:.0f} MB")

    touched = _a_relevant_file(tree)
    original = touched.read_bytes()

    def fresh_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    def touch() -> None:
        os.utime(touched, None)

    def edit() -> None:
        touched.write_bytes(original + f"\n# edited {time.time()}\n".encode())

    timed("lintloop cold (no cache)", lintloop + [target], fresh_cache)
    subprocess.run(lintloop + [target], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    timed("lintloop warm, nothing changed", lintloop + [target])
    timed("lintloop warm, one file touched", lintloop + [target], touch)
    try:
        timed("lintloop warm, one file edited", lintloop + [target], edit)
    finally:
        touched.write_bytes(original)
        _age_files(touched)
    if not skip_peers:
        ruff = tool("ruff") + ["check", "--isolated", "--exit-zero", "--quiet"]
        timed("ruff check --no-cache", ruff + ["--no-cache", target])
        subprocess.run(ruff + ["--cache-dir", str(ruff_cache), target], cwd=cwd, stdout=subprocess.DEVNULL)
        timed("ruff check (warm cache)", ruff + ["--cache-dir", str(ruff_cache), target])
        timed("flake8 (-j auto)", flake8_command() + ["--isolated", "--exit-zero", target], count=flake8_runs)
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(ruff_cache, ignore_errors=True)
    return rows


def _a_relevant_file(tree: Path) -> Path:
    """The file a developer is editing: one the prefilter keeps (the worst case for a warm run)."""
    preferred = tree / "trainer.py"
    if preferred.exists():
        return preferred
    from lintloop.extract.prefilter import scan

    for path in sorted(tree.rglob("*.py")):
        if scan(path.read_bytes()).relevant:
            return path
    return sorted(tree.rglob("*.py"))[0]


def prefilter_counts(tree: Path) -> str:
    from lintloop.discover import discover
    from lintloop.extract.prefilter import promote, scan

    cwd = os.getcwd()
    os.chdir(tree.parent)
    try:
        files, _ = discover([tree.name])
        data = {p: Path(p).read_bytes() for p in files}
        started = time.perf_counter()
        scans = {p: scan(d) for p, d in data.items()}
        chosen = promote(scans, str(tree.parent))
        seconds = time.perf_counter() - started
    finally:
        os.chdir(cwd)
    lines = {p: d.count(b"\n") for p, d in data.items()}
    relevant = [p for p in files if scans[p].relevant]
    promoted = [p for p in chosen if not scans[p].relevant]
    stubbed = [p for p in files if p not in chosen]
    total = sum(lines.values())

    def part(group: List[str]) -> str:
        count = sum(lines[p] for p in group)
        return f"{len(group)} files, {count:,} lines ({100 * count / total:.0f} %)"

    return (f"| relevant (generation or training vocabulary) | {part(relevant)} |\n"
            f"| promoted (their helpers and glue) | {part(promoted)} |\n"
            f"| stubbed (imports and directives only) | {part(stubbed)} |\n"
            f"| byte scan and syntax check of every file, one process | {seconds:.1f} s |\n")


# -- reporting ---------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    except (ValueError, OSError, AttributeError):
        memory = float("nan")
    versions = []
    for name, command in (("lintloop", [sys.executable, "-m", "lintloop.cli", "--version"]),
                          ("ruff", tool("ruff") + ["--version"]),
                          ("flake8", flake8_command() + ["--version"])):
        try:
            # from outside the checkout: a `lintloop.egg-info` in the working directory would
            # show flake8 a lintloop plugin that its own environment does not have
            out = subprocess.run(command, capture_output=True, text=True, cwd=BENCH_DIR
                                 ).stdout.split("\n")[0].strip()
        except (OSError, SystemExit):
            out = "missing"
        versions.append(f"{name}: {out}")
    load = " ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"{cpu}, {os.cpu_count()} CPUs, {memory:.0f} GiB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; {'; '.join(versions)}; load average at the end: {load}")


def table(rows: Dict[str, Row], runs: int) -> str:
    ruff_cold = rows.get("ruff check --no-cache")
    ruff_warm = rows.get("ruff check (warm cache)")
    flake8 = rows.get("flake8 (-j auto)")
    out = ["| run | median wall | runs | peak RSS | vs ruff --no-cache | vs ruff warm | vs flake8 |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows.values():
        def ratio(peer: Optional[Row]) -> str:
            if peer is None or not row.name.startswith("lintloop"):
                return ""
            return f"{row.median / peer.median:.3g}x"
        out.append(f"| {row.name} | {row.median:.2f} s | {len(row.walls)} | {max(row.rss):.0f} MB | "
                   f"{ratio(ruff_cold)} | {ratio(ruff_warm)} | {ratio(flake8)} |")
    return "\n".join(out) + "\n"


def scaling(tree: Path, runs: int, jobs: Optional[int], gnu_time: bool) -> str:
    out = ["| copies | files | median cold wall | per 1,000 files | vs 1x |", "| ---: | ---: | ---: | ---: | ---: |"]
    base: Optional[float] = None
    for count in (1, 2, 4):
        root = copies(tree, count)
        cache = Path(tempfile.mkdtemp(prefix="lintloop-scale-cache-"))
        command = [sys.executable, "-m", "lintloop.cli", "--isolated", "--exit-zero", "-q", "--cache-dir",
                   str(cache)] + (["--jobs", str(jobs)] if jobs else []) + ["."]
        walls = []
        for _ in range(runs):
            shutil.rmtree(cache, ignore_errors=True)
            walls.append(measure(command, root, gnu_time)[0])
            _say(f"  scaling x{count}: {walls[-1]:.2f} s")
        shutil.rmtree(cache, ignore_errors=True)
        files = sum(1 for _ in root.rglob("*.py"))
        wall = statistics.median(walls)
        base = base or wall
        out.append(f"| {count} | {files:,} | {wall:.2f} s | {1000 * wall / files:.2f} s | {wall / base:.2f}x |")
    return "\n".join(out) + "\n"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", default="transformers")
    parser.add_argument("--version", help="package version (default: the newest)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--flake8-runs", type=int, default=1)
    parser.add_argument("--jobs", type=int, help="lintloop --jobs (default: one per CPU)")
    parser.add_argument("--scaling", action="store_true", help="also time 1x, 2x and 4x copies")
    parser.add_argument("--no-peers", action="store_true", help="time lintloop only")
    parser.add_argument("--output", help="also write the report (markdown) to this file")
    args = parser.parse_args(argv)

    freeze_lintloop()
    tree = fetch_tree(args.package, args.version)
    files, lines = tree_size(tree)
    gnu_time = has_gnu_time()
    _say(f"{tree}: {files:,} files, {lines:,} lines; peak RSS from "
         f"{'GNU time' if gnu_time else 'getrusage'}")
    rows = run_benchmark(tree, args.runs, args.flake8_runs, args.jobs, gnu_time, args.no_peers)
    report = [f"Tree: `{tree.parent.name}` ({files:,} files, {lines:,} lines).\n", table(rows, args.runs),
              "\nPrefilter on this tree:\n\n| | |\n| --- | --- |\n" + prefilter_counts(tree)]
    if args.scaling:
        report.append("\nScaling (cold, no cache):\n\n" + scaling(tree, max(1, args.runs - 1), args.jobs, gnu_time))
    report.append(f"\nMachine: {machine()}\n")
    text = "\n".join(report)
    print(text)
    if args.output:
        Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
