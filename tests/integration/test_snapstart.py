"""SnapStart (ADR 0024): the runtime hooks, played in-process as Lambda's runtime would, around a real
PostgreSQL connection and a real request."""

from __future__ import annotations

import random
from typing import Any

from gtvision.core import db, snapstart
from gtvision.core.secret_store import CACHE_S
from gtvision.core.settings import get_settings, settings_loaded_at


def _run(hooks: list[Any]) -> None:
    for func, args, kwargs in hooks:  # how Lambda's runtime calls what snapshot_restore_py registered
        func(*args, **kwargs)


def test_handlers_register_the_hooks_during_init(api: Any) -> None:
    # Given the API function imported (its init): the hooks are registered with the runtime's library
    before, after = snapstart.registered_hooks()
    assert snapstart.before_snapshot in [h[0] for h in before]
    assert snapstart.after_restore in [h[0] for h in after]


def test_snapshot_closes_connections_and_the_restored_function_serves_on_a_fresh_one(api: Any) -> None:
    # Given a warm function holding a pooled connection
    with db.transaction() as conn:
        before_pid = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
    assert db._pools, "the pool exists before the snapshot"
    before, after = snapstart.registered_hooks()
    # When Lambda snapshots it: no connection is left to go into the snapshot
    _run(before)
    assert db._pools == {}
    # And when a copy is restored, it serves a request on a new connection
    _run(after)
    reply = api.call("GET", "/v1/health")
    assert reply.status == 200, reply.text
    with db.transaction() as conn:
        after_pid = conn.execute("SELECT pg_backend_pid() AS pid").fetchone()["pid"]
    assert after_pid != before_pid


def test_restored_copies_draw_different_random_numbers() -> None:
    # Given two copies restored from one snapshot (same random state)
    random.seed(1234)
    state = random.getstate()
    draws = []
    for _ in range(2):
        random.setstate(state)
        snapstart.after_restore()
        draws.append(random.random())
    # Then each copy's numbers are its own
    assert draws[0] != draws[1]


def test_a_restore_after_the_secrets_ttl_reads_them_again(stack: Any) -> None:
    get_settings()
    loaded = settings_loaded_at()
    assert loaded is not None
    # A restore soon after the snapshot keeps the cached settings
    snapstart.after_restore(now=lambda: loaded + 1)
    assert settings_loaded_at() == loaded
    # One after the secrets' time to live drops them: the next use reads them again
    snapstart.after_restore(now=lambda: loaded + CACHE_S + 1)
    assert get_settings.cache_info().currsize == 0
    assert get_settings().jwt_secret and settings_loaded_at() is not None
