"""Helpers for steps that work on many rows at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk step (a ``with`` block or a
    decorated function).

    Importing a file, tracing a plant's problems or closing a month for a group builds hundreds
    of thousands of small objects that are kept (routings, traces, rows); the collector's full
    passes over all of them took as long as the work itself. Nothing such a step builds needs
    the collector to be freed, and it runs again as soon as the step ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
