"""Bulk work with the cyclic garbage collector paused.

A batch ingest creates tens of thousands of short-lived objects (parsed reads, COPY lines) that reference
counting frees; none form cycles. While they exist, allocation counts trigger collection after collection,
and each older-generation pass walks every one of them: at 10,000 reads a batch that was a third of the
function's Python time (docs/benchmarks.md, "LPR ingest"), growing with the batch. Pausing the collector for
the batch's extent — bounded by the batch — removes it; what cycles the block did create are found at the next
collection after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic GC for the block; on exit restore the state it had (nested blocks leave it paused)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
