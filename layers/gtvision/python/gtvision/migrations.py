"""Apply infra/migrations/*.sql in order, each once, recorded in schema_migrations."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import psycopg


def migrations_dir() -> Path:
    """infra/migrations of the repository (or GTV_MIGRATIONS_DIR, e.g. inside a deployment package)."""
    env = os.environ.get("GTV_MIGRATIONS_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[4] / "infra" / "migrations"


def apply(database_url: str, directory: Path | None = None) -> list[str]:
    """Apply pending migrations; returns the names applied now (empty when up to date)."""
    directory = directory or migrations_dir()
    files = sorted(p for p in directory.glob("*.sql"))
    applied_now: list[str] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        # One migrator at a time, even with several processes starting together.
        conn.execute("SELECT pg_advisory_lock(727274)")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r[0]: r[1] for r in conn.execute("SELECT name, sha256 FROM schema_migrations")}
            for path in files:
                sql = path.read_text(encoding="utf-8")
                digest = hashlib.sha256(sql.encode()).hexdigest()
                if path.name in done:
                    continue
                with conn.transaction():
                    conn.execute(sql)
                    conn.execute("INSERT INTO schema_migrations (name, sha256) VALUES (%s, %s)", (path.name, digest))
                applied_now.append(path.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(727274)")
    return applied_now
