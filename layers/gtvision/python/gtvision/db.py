"""PostgreSQL access: one small pool a process, transactions as context managers."""

from __future__ import annotations

import os
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


def pool_options() -> tuple[int, dict[str, object]]:
    """(max pool size, connection kwargs) for this process.

    On Lambda an execution environment serves one invocation at a time, so one connection is enough and the
    database's connection budget is simply the functions' concurrency (ADR 0015). There the connections go
    through RDS Proxy, which pins a client to its server connection when it sees protocol-level prepared
    statements, so psycopg's automatic preparation is off. Locally one process runs every function on threads.
    """
    kwargs: dict[str, object] = {"row_factory": dict_row, "autocommit": False}
    forced = os.environ.get("GTV_DB_POOL_MAX")  # tests run the suite with Lambda's pool of 1
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        kwargs["prepare_threshold"] = None
        return int(forced or 1), kwargs
    return int(forced or 8), kwargs


def _pool() -> ConnectionPool[Conn]:
    url = get_settings().database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    with _lock:
        pool = _pools.get(url)
        if pool is None:
            max_size, kwargs = pool_options()
            pool = ConnectionPool[Conn](url, min_size=1, max_size=max_size, open=True, kwargs=kwargs)
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
