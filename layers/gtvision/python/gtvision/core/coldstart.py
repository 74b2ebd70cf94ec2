"""Cold start: a handler module's imports run with the cyclic garbage collector paused (ADR 0020).

Importing a handler creates a few hundred thousand long-lived objects (modules, classes, pydantic
schemas, botocore's tables). While they are being created the cyclic collector runs again and again
and scans all of them, finding almost nothing to free: 10–15 % of the import time on these cores
(docs/benchmarks.md, cold start). Every handler module therefore wraps its imports::

    from gtvision.core.coldstart import imports_without_gc

    with imports_without_gc():
        from gtvision.clips import worker

On Lambda (``LAMBDA_TASK_ROOT`` set) the objects that exist when the block ends are then frozen
(`gc.freeze`): later collections during invocations no longer walk the imported modules either. Outside
Lambda (tests, the local runtime, which import many handlers into one long process) nothing is frozen;
the collector is only paused for the block and restored to the state it had.

Only this module and the standard library are imported here, so the block pays for nothing else. When
the block ends, the SnapStart hooks are registered (`gtvision.core.snapstart`): every function's handler
passes through here during its init, which is what Lambda snapshots.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def imports_without_gc() -> Iterator[None]:
    """Pause the cyclic GC for the block; on exit restore it (and on Lambda freeze what was imported)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        from gtvision.core import snapstart

        snapstart.register()
        if was_enabled:
            if os.environ.get("LAMBDA_TASK_ROOT"):
                gc.freeze()
            gc.enable()
