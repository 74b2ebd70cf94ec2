"""Apply infra/migrations/*.sql in order, each once, recorded in schema_migrations."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql


def migrations_dir() -> Path:
    """infra/migrations of the repository (or GTV_MIGRATIONS_DIR, e.g. inside a deployment package)."""
    env = os.environ.get("GTV_MIGRATIONS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[5] / "infra" / "migrations"


def apply(
    database_url: str,
    directory: Path | None = None,
    statement_timeout_ms: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[str]:
    """Apply pending migrations; returns the names applied now (empty when up to date).

    With `statement_timeout_ms`, also make it the database's default statement timeout (`gtvision migrate`
    does, for deployments): functions on Lambda then need no per-connection `SET`, which would pin their
    connections in RDS Proxy (ADR 0015). `progress` is told each migration's name before it runs, then the
    timeout set.
    """
    directory = directory or migrations_dir()
    files = sorted(p for p in directory.glob("*.sql"))
    applied_now: list[str] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        # Index builds over a big table outlive any request-sized default set below.
        conn.execute("SET statement_timeout = 0")
        # One migrator at a time, even with several processes starting together.
        conn.execute("SELECT pg_advisory_lock(727274)")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r[0]: r[1] for r in conn.execute("SELECT name, sha256 FROM schema_migrations")}
            for path in files:
                script = path.read_text(encoding="utf-8")
                digest = hashlib.sha256(script.encode()).hexdigest()
                if path.name in done:
                    continue
                if progress:
                    progress(path.name)
                with conn.transaction():
                    conn.execute(script)
                    conn.execute("INSERT INTO schema_migrations (name, sha256) VALUES (%s, %s)", (path.name, digest))
                applied_now.append(path.name)
            if statement_timeout_ms is not None:
                where = set_default_statement_timeout(conn, statement_timeout_ms)
                if progress:
                    progress(f"statement_timeout = {statement_timeout_ms} ms ({where} default)")
        finally:
            conn.execute("SELECT pg_advisory_unlock(727274)")
    return applied_now


def set_default_statement_timeout(conn: psycopg.Connection[Any], ms: int) -> str:
    """The database's default statement timeout (every role's new sessions), or, when this login does not own
    the database, this login's own default; returns which one was set ("database" or "role")."""
    value = sql.Literal(f"{int(ms)}ms")
    try:
        with conn.transaction():
            name = conn.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
            conn.execute(sql.SQL("ALTER DATABASE {} SET statement_timeout = {}").format(sql.Identifier(name), value))
        return "database"
    except psycopg.errors.InsufficientPrivilege:
        conn.execute(sql.SQL("ALTER ROLE CURRENT_USER SET statement_timeout = {}").format(value))
        return "role"
