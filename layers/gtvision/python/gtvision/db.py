"""PostgreSQL access: one small pool a process, transactions as context managers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from gtvision.settings import get_settings

_lock = threading.Lock()
_pools: dict[str, ConnectionPool] = {}


def _pool() -> ConnectionPool:
    url = get_settings().database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    with _lock:
        pool = _pools.get(url)
        if pool is None:
            pool = ConnectionPool(
                url, min_size=1, max_size=8, open=True, kwargs={"row_factory": dict_row, "autocommit": False}
            )
            _pools[url] = pool
        return pool


@contextmanager
def transaction() -> Iterator[psycopg.Connection]:
    """A connection inside one transaction: committed on success, rolled back on any exception."""
    with _pool().connection() as conn:
        yield conn


def close_all() -> None:
    """Close every pool (tests, shutdown)."""
    with _lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()
