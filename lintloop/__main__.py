"""``python -m lintloop``."""

from lintloop.cli import run

run()
