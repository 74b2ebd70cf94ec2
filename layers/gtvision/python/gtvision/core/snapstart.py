"""Lambda SnapStart hooks (ADR 0024): what must not survive in a snapshot, and what a restore must renew.

Lambda snapshots each function's memory after its init and restores copies of it, perhaps hours later
and many times over. Before the snapshot: run the warm-ups a handler registered (`warm_up`), then close
the database connections (a socket in a snapshot is dead after the restore and shared by every copy).
After a restore: reseed `random` (every copy would draw the same numbers), forget cached secrets older
than their time to live (rotations while the snapshot slept), and mark the next invocation as a cold
start for Powertools' metrics and traces. Connections reopen lazily on first use. Nothing unique — ids,
nonces, keys — is created during init (`tests/unit/test_snapstart.py` checks the layer's module-level code).

The hooks register through `snapshot_restore_py`, which Lambda's Python runtime provides (and the `local`
extra installs for the tests); without it — a plain interpreter — registering is a no-op.
"""

from __future__ import annotations

import gc
import os
import random
import time
from collections.abc import Callable
from typing import Any

from gtvision.core import db
from gtvision.core.observability import logger
from gtvision.core.secret_store import CACHE_S
from gtvision.core.settings import get_settings, settings_loaded_at

_registered = False
_warm_ups: list[Callable[[], object]] = []


def warm_up(fn: Callable[[], object]) -> None:
    """Run ``fn`` before the snapshot: what a function imports only when a request first needs it (the API's
    route modules, ADR 0029) is then in the snapshot rather than on a restored copy's first request."""
    _warm_ups.append(fn)


def before_snapshot() -> None:
    """Warm-ups run; no live connection goes into the snapshot."""
    for fn in _warm_ups:
        fn()
    if _warm_ups and os.environ.get("LAMBDA_TASK_ROOT"):
        gc.freeze()  # as at the end of the handler's imports (ADR 0020): collections skip what was imported
    db.close_all()
    logger.info("snapstart: connections closed before the snapshot")


def after_restore(now: Callable[[], float] = time.time) -> None:
    """A restored copy renews what must be its own."""
    random.seed(os.urandom(32))
    loaded = settings_loaded_at()
    if loaded is not None and now() - loaded > CACHE_S:
        get_settings.cache_clear()  # re-read (with its secrets) on first use
        _clear_parameter_caches()
    _reset_cold_start()
    db.close_all()  # any connection the snapshot held is dead: the pool reopens lazily
    logger.info("snapstart: restored", extra={"settings_age_s": None if loaded is None else round(now() - loaded)})


def _clear_parameter_caches() -> None:
    try:
        from aws_lambda_powertools.utilities import parameters
    except ImportError:  # pragma: no cover - Powertools is a dependency of every function
        return
    parameters.clear_caches()  # type: ignore[no-untyped-call]


def _reset_cold_start() -> None:
    """Powertools counts cold starts once per process; a restore is one too."""
    from aws_lambda_powertools.metrics.provider import cold_start as metrics_cold_start
    from aws_lambda_powertools.tracing import tracer

    metrics_cold_start.reset_cold_start_flag()  # type: ignore[no-untyped-call]
    tracer.is_cold_start = True


def register() -> bool:
    """Register the hooks with the runtime once per process; False when the runtime offers none."""
    global _registered
    if _registered:
        return True
    try:
        from snapshot_restore_py import register_after_restore, register_before_snapshot
    except ImportError:
        return False
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)
    _registered = True
    return True


def registered_hooks() -> tuple[list[Any], list[Any]]:
    """The (before, after) hooks the runtime would run — for tests that play the runtime's part."""
    from snapshot_restore_py import get_after_restore, get_before_snapshot

    return list(get_before_snapshot()), list(get_after_restore())
