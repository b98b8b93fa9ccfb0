"""Pausing Python's cyclic garbage collector for the length of a run.

A run builds hundreds of thousands of small, long-lived objects (syntax trees,
summaries, graph nodes and edges) and frees almost none of them until it ends.
The cyclic collector cannot know that: every few thousand allocations it walks
the young objects, and ever more often the whole heap, looking for cycles that
are not there.  On the transformers tree that walk cost about a fifth of all CPU
time; a run that leaves it off frees the same memory (reference counting frees
everything that is not a cycle) and leaves about 13,000 objects in cycles, a few
megabytes, for the collector to take once the run is over.  mypy raises its
collection thresholds for the same reason.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Turn the cyclic collector off inside the block and restore it after.

    A library caller (the flake8 plugin runs inside flake8's process) gets its
    collector back as it was, on errors too.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
