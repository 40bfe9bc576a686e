"""Pausing Python's cyclic garbage collector while an import or an evaluation runs.

A national import (millions of cells, tuples and column lists) or evaluation (the stored rows
as tuples, figures, verdicts) creates objects that live until it ends and none that refer to
each other in a cycle. The cyclic collector still scans every live object each time it runs a full
collection, so with the default thresholds it costs about a third of the evaluation for
nothing. :func:`paused` switches it off for the duration of a block and restores the state
it found; reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Run the block (or, as ``@paused()``, the function) with the cyclic collector off;
    nested blocks leave it to the outer."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
