"""PostgreSQL access: one small pool a process, transactions as context managers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeAlias

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

from gtvision.settings import get_settings

# Every pooled connection uses dict_row, so rows are dicts keyed by column name; DAL code takes this type.
Conn: TypeAlias = psycopg.Connection[DictRow]

_lock = threading.Lock()
_pools: dict[str, ConnectionPool[Conn]] = {}


def _pool() -> ConnectionPool[Conn]:
    url = get_settings().database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    with _lock:
        pool = _pools.get(url)
        if pool is None:
            pool = ConnectionPool[Conn](
                url, min_size=1, max_size=8, open=True, kwargs={"row_factory": dict_row, "autocommit": False}
            )
            _pools[url] = pool
        return pool


@contextmanager
def transaction() -> Iterator[Conn]:
    """A connection inside one transaction: committed on success, rolled back on any exception."""
    with _pool().connection() as conn:
        yield conn


def close_all() -> None:
    """Close every pool (tests, shutdown)."""
    with _lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()
