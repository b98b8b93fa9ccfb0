"""The command line: parse arguments, call the library, pick a reporter, set the exit code.

``lintloop [PATHS]...`` checks (the ``check`` command is implied);
``lintloop rule LL001`` explains a rule; ``lintloop rules`` lists them.
Exit status: 0 nothing reported, 1 findings or file errors, 2 usage,
configuration or internal error.
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import replace
from typing import List, Optional, Sequence, TextIO

import click

from lintloop import __version__
from lintloop.config import ConfigError, check_code
from lintloop.types import LintResult, Options

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _DefaultToCheck(click.Group):
    """``lintloop src/`` means ``lintloop check src/``."""

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")):
            args = ["check"] + list(args)
        return super().parse_args(ctx, args)


def _codes(value: Optional[str]) -> Optional[tuple]:
    if value is None:
        return None
    from lintloop.rules import codes

    out = tuple(v.strip() for v in value.split(",") if v.strip())
    for code in out:
        try:
            check_code(code, "--select/--ignore", codes())
        except ConfigError as exc:
            raise click.BadParameter(str(exc).split(": ", 1)[-1]) from None
    return out


@click.group(cls=_DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="lintloop", message="%(prog)s %(version)s")
def main() -> None:
    """Find self-feeding data loops in ML training code.

    \b
      lintloop [OPTIONS] [PATHS]...   check files and directories (default: .)
      lintloop rule LL001             explain a rule
      lintloop rules                  list all rules
    """


@main.command("check")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", default="text", show_default=True,
              type=click.Choice(["text", "json", "github", "sarif", "markdown"]), help="Output format.")
@click.option("--select", help="Comma-separated codes or prefixes to report (replaces the defaults).")
@click.option("--extend-select", help="Codes to report in addition to the defaults (e.g. LL004).")
@click.option("--ignore", help="Comma-separated codes or prefixes not to report.")
@click.option("--exit-zero", is_flag=True, help="Exit with status 0 even when there are findings.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only: no loop paths, no totals.")
@click.option("-v", "--verbose", is_flag=True, help="Also say which calls could not be resolved.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Read [tool.lintloop] from this pyproject.toml instead of the nearest one.")
@click.option("--isolated", is_flag=True, help="Ignore all configuration files.")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option("--baseline", "baseline_file", type=click.Path(dir_okay=False),
              help="Report only findings that are not recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False),
              help="Record every current finding in this baseline file, then report as with --baseline.")
@click.option("--statistics", is_flag=True, help="Print how many findings each code has, instead of them.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the summary cache.")
@click.option("--cache-dir", type=click.Path(file_okay=False),
              help="Keep the cache here (default: $LINTLOOP_CACHE_DIR, else .lintloop_cache at the project root).")
@click.option("-j", "--jobs", type=click.IntRange(min=1),
              help="Processes for parsing changed files (default: one per CPU; 1: no worker processes).")
def check(paths: Sequence[str], output_format: str, select: Optional[str], extend_select: Optional[str],
          ignore: Optional[str], exit_zero: bool, quiet: bool, verbose: bool, config_file: Optional[str],
          isolated: bool, output_file: Optional[str], baseline_file: Optional[str] = None,
          write_baseline: Optional[str] = None, statistics: bool = False, no_cache: bool = False,
          cache_dir: Optional[str] = None, jobs: Optional[int] = None) -> None:
    """Check PATHS (files or directories; default: the current directory)."""
    from lintloop.api import lint_paths

    if statistics and output_format not in ("text", "json"):
        _fail(f"--statistics prints text or json, not {output_format}")

    options = Options(select=_codes(select), extend_select=_codes(extend_select) or (),
                      ignore=_codes(ignore) or (), config_file=config_file, verbose=verbose, isolated=isolated,
                      use_cache=not no_cache, cache_dir=cache_dir, jobs=jobs, progress=_stderr_is_terminal())
    try:
        result = lint_paths(list(paths) or ["."], options)
    except ConfigError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - a bug in the global pass: one line, exit 2
        _internal_error(exc, verbose)
    try:
        result = _apply_baseline(result, baseline_file, write_baseline, verbose)
    except Exception as exc:  # noqa: BLE001 - a bug: one line, exit 2
        _internal_error(exc, verbose)
    _emit(result, output_format, quiet, output_file, statistics)
    sys.exit(exit_status(result, exit_zero))


def _apply_baseline(result: LintResult, baseline_file: Optional[str], write_baseline: Optional[str],
                    verbose: bool) -> LintResult:
    """--write-baseline records the findings (then filters by them); --baseline filters."""
    from lintloop.baseline import Baseline, BaselineError

    try:
        if write_baseline:
            baseline = Baseline.from_result(result, os.path.dirname(os.path.abspath(write_baseline)))
            baseline.write(write_baseline)
            click.echo(f"lintloop: wrote {len(result.findings)} finding"
                       f"{'' if len(result.findings) == 1 else 's'} to baseline {write_baseline}", err=True)
        elif baseline_file:
            baseline = Baseline.load(baseline_file)
        else:
            return result
    except BaselineError as exc:
        _fail(str(exc))
    filtered = baseline.filter(result)
    hidden = len(result.findings) - len(filtered.findings)
    if verbose and hidden:
        note = f"{hidden} finding{'' if hidden == 1 else 's'} in the baseline not shown"
        filtered = replace(filtered, notes=filtered.notes + (note,))
    return filtered


def _stderr_is_terminal() -> bool:
    """Progress goes to stderr, and only to a terminal (never into a pipe or a log)."""
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def exit_status(result: LintResult, exit_zero: bool = False) -> int:
    if any(e.code == "LL999" for e in result.errors):
        return EXIT_ERROR
    if exit_zero:
        return EXIT_CLEAN
    return EXIT_FINDINGS if result.findings or result.errors else EXIT_CLEAN


def _emit(result: LintResult, output_format: str, quiet: bool, output_file: Optional[str],
          statistics: bool = False) -> None:
    from lintloop.report import reporters, text

    for warning in result.warnings:
        click.echo(f"lintloop: warning: {warning}", err=True)

    def write(out: TextIO) -> None:
        if statistics:
            from lintloop.statistics import render as render_statistics

            render_statistics(result, out, as_json=output_format == "json")
        elif output_format == "text":
            text.render(result, out, quiet=quiet)
        else:
            reporters()[output_format](result, out)

    if output_file:
        try:
            # surrogateescape: a file name that is not UTF-8 is written back as the bytes it was
            with open(output_file, "w", encoding="utf-8", errors="surrogateescape") as handle:
                write(handle)
        except OSError as exc:
            _fail(f"cannot write {output_file}: {exc.strerror or exc}")
        return
    _tolerant(sys.stdout)
    try:
        write(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # `lintloop src | head -1`: the reader left; exit quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(exit_status(result))


def _tolerant(stream: TextIO) -> None:
    """Never fail on a character the stream cannot encode: a file name that is not UTF-8
    goes out as its original bytes, and source text a legacy console cannot show is escaped."""
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
    try:
        stream.reconfigure(errors="surrogateescape" if encoding == "utf8" else "backslashreplace")  # type: ignore
    except (AttributeError, ValueError, OSError):
        pass  # not a TextIOWrapper (a test runner's buffer): leave it


def _internal_error(exc: BaseException, verbose: bool) -> "None":
    """A bug in lintloop outside any one file: say where, exit 2 (the traceback with -v)."""
    import traceback

    if verbose:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    _fail(f"internal error: {type(exc).__name__}: {exc}{where}; please report it (-v shows the traceback)")


def _fail(message: str) -> "None":
    click.echo(f"lintloop: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


@main.command("rule")
@click.argument("code")
def rule(code: str) -> None:
    """Explain a rule: what it finds, why it matters, a bad and a good example."""
    from lintloop.rules import REGISTRY

    found = REGISTRY.get(code.upper())
    if found is None:
        _fail(f"unknown rule code '{code}' (see `lintloop rules`)")
    click.echo(found.explanation(), nl=False)


@main.command("rules")
def rules() -> None:
    """List all rules, with their default state."""
    from lintloop.rules import ALL_RULES

    for item in ALL_RULES:
        state = "on " if item.enabled else "off"
        line = f"{item.code}  {item.name:<20} {state}  {item.severity:<8} {item.summary}"
        if not item.enabled and item.off_reason:
            line += f" (off: {item.off_reason})"
        click.echo(line)


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C: stop the worker processes and leave at once, with status 130.

    Unwinding instead can hang: a worker stopped while it sends a result leaves the
    pool's result pipe half-written, and the pool's shutdown (or the interpreter's exit,
    which joins the pool's thread) waits for the rest forever.  Nothing is lost: workers
    write nothing, and every cache file is written to a temporary name and renamed.
    """
    import multiprocessing

    for child in multiprocessing.active_children():
        try:
            child.kill()
        except (OSError, AttributeError):
            pass
    os._exit(130)


def run() -> None:
    """Console-script entry point (handles Ctrl-C and a closed pipe)."""
    if hasattr(signal, "SIGPIPE"):
        pass  # Python ignores SIGPIPE; BrokenPipeError is handled where we write
    try:
        signal.signal(signal.SIGINT, _interrupted)
    except (ValueError, OSError):  # not the main thread of the main interpreter
        pass
    try:
        main(prog_name="lintloop")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    run()
