"""PostgreSQL access: one small pool a process, transactions as context managers, bounded waits.

No caller waits on the database for long (ADR 0010): connecting gives up after `GTV_DB_CONNECT_TIMEOUT_S`,
waiting for a pooled connection after `GTV_DB_POOL_WAIT_S`, a statement after `GTV_DB_STATEMENT_TIMEOUT_S`
(server side). A *frozen* server (stopped process, lost host) answers nothing — not even the statement
timeout — so a watchdog thread also severs the socket of any transaction that outlives the statement
timeout by a few seconds, and for a few seconds after that every transaction fails at once (the API
answers 503 instead of queueing requests behind a dead server).
"""

from __future__ import annotations

import heapq
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeAlias

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from gtvision.core.observability import logger
from gtvision.core.settings import get_settings

# Every pooled connection uses dict_row, so rows are dicts keyed by column name; DAL code takes this type.
Conn: TypeAlias = psycopg.Connection[DictRow]

#: A transaction may outlive the server-side statement timeout by this much before its socket is severed.
WATCHDOG_GRACE_S = 3.0
#: After a severed transaction or a pool timeout, transactions fail at once for this long.
UNAVAILABLE_FOR_S = 3.0

_lock = threading.Lock()
_pools: dict[str, ConnectionPool[Conn]] = {}


def pool_options() -> tuple[int, dict[str, object]]:
    """(max pool size, connection kwargs) for this process.

    On Lambda an execution environment serves one invocation at a time, so one connection is enough and the
    database's connection budget is simply the functions' concurrency (ADR 0015). There the connections go
    through RDS Proxy, which pins a client to its server connection when it sees protocol-level prepared
    statements, so psycopg's automatic preparation is off. Locally one process runs every function on threads.
    """
    kwargs: dict[str, object] = {}  # added to the pool's connection kwargs
    forced = os.environ.get("GTV_DB_POOL_MAX")  # tests run the suite with Lambda's pool of 1
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        kwargs["prepare_threshold"] = None
        return int(forced or 1), kwargs
    return int(forced or 8), kwargs


class DatabaseUnavailable(psycopg.OperationalError):
    """The database did not answer in time (or just failed to): a transient error."""


def _configure(conn: Conn) -> None:
    """Each new connection: the server-side statement timeout.

    On Lambda the connection goes through RDS Proxy, where any `SET` pins it to one database connection for
    good; there the timeout is the database's default, which `gtvision migrate` sets (ADR 0015), so only a
    database without that default gets the `SET` (with a warning). Locally there is no proxy: always `SET`.
    """
    ms = int(get_settings().db_statement_timeout_s * 1000)
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        current = conn.execute("SHOW statement_timeout").fetchone()
        conn.commit()
        if current and next(iter(current.values())) not in ("0", ""):
            return
        logger.warning(
            "no database default statement_timeout (run `gtvision migrate`): set per connection, which pins it"
        )
    conn.execute(f"SET statement_timeout = {ms}")
    conn.commit()


def _pool() -> ConnectionPool[Conn]:
    settings = get_settings()
    url = settings.database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set")
    with _lock:
        pool = _pools.get(url)
        if pool is None:
            max_size, lambda_kwargs = pool_options()
            pool = ConnectionPool[Conn](
                url,
                min_size=1,
                max_size=max_size,
                open=True,
                timeout=settings.db_pool_wait_s,
                reconnect_timeout=max(10.0, settings.db_pool_wait_s),
                configure=_configure,
                kwargs={
                    "row_factory": dict_row,
                    "autocommit": False,
                    "connect_timeout": settings.db_connect_timeout_s,
                    # A dead peer (host gone, network cut) is noticed in ~20 s instead of the kernel's hours.
                    "keepalives": 1,
                    "keepalives_idle": 10,
                    "keepalives_interval": 5,
                    "keepalives_count": 2,
                    **lambda_kwargs,
                },
            )
            _pools[url] = pool
        return pool


# ---------------------------------------------------------------- watchdog


class _Watchdog:
    """One daemon thread severing the sockets of transactions past their deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, Conn] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None
        self.unavailable_until = 0.0

    def arm(self, conn: Conn, limit_s: float) -> int:
        with self._cond:
            ident = next(self._ids)
            self._armed[ident] = conn
            if len(self._heap) > 2 * len(self._armed) + 64:  # finished transactions wait for their deadline: prune
                self._heap = [entry for entry in self._heap if entry[1] in self._armed]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (time.monotonic() + limit_s, ident))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="gtv-db-watchdog", daemon=True)
                self._thread.start()
            self._cond.notify()
            return ident

    def disarm(self, ident: int) -> None:
        with self._cond:
            self._armed.pop(ident, None)

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)  # finished in time
                if not self._heap:
                    self._cond.wait(60)
                    continue
                deadline, ident = self._heap[0]
                now = time.monotonic()
                if deadline > now:
                    self._cond.wait(deadline - now)
                    continue
                heapq.heappop(self._heap)
                conn = self._armed.pop(ident)
                self.unavailable_until = now + UNAVAILABLE_FOR_S
                _sever(conn)


def _sever(conn: Conn) -> None:
    """Shut the connection's socket down under the thread blocked on it: it wakes with an error at once."""
    try:
        dup = os.dup(conn.fileno())
    except (OSError, psycopg.Error):
        return
    with socket.socket(fileno=dup) as sock:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


_watchdog = _Watchdog()


@contextmanager
def transaction(limit_s: float | None = None, wait_s: float | None = None) -> Iterator[Conn]:
    """A connection inside one transaction: committed on success, rolled back on any exception.

    `limit_s` bounds the whole transaction (default: the statement timeout plus a grace), `wait_s` the
    wait for a pooled connection (default `GTV_DB_POOL_WAIT_S`). Raises `DatabaseUnavailable` when the
    database did not answer in time.
    """
    settings = get_settings()
    if time.monotonic() < _watchdog.unavailable_until:
        raise DatabaseUnavailable("banco de dados indisponível (sem resposta há instantes)")
    limit = limit_s if limit_s is not None else settings.db_statement_timeout_s + WATCHDOG_GRACE_S
    ident: int | None = None
    try:
        with _pool().connection(timeout=wait_s) as conn:
            ident = _watchdog.arm(conn, limit)
            yield conn
    except psycopg.OperationalError as exc:
        if (ident is not None and _watchdog.unavailable_until > time.monotonic()) or isinstance(exc, PoolTimeout):
            _watchdog.unavailable_until = max(_watchdog.unavailable_until, time.monotonic() + UNAVAILABLE_FOR_S)
            raise DatabaseUnavailable(f"banco de dados sem resposta: {exc}") from exc
        raise
    finally:
        if ident is not None:
            _watchdog.disarm(ident)


def available() -> None:
    """Forget that the database was unavailable (tests, after restarting it)."""
    _watchdog.unavailable_until = 0.0


def close_all() -> None:
    """Close every pool (tests, shutdown)."""
    with _lock:
        for pool in _pools.values():
            pool.close()
        _pools.clear()
