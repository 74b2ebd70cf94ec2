"""The statement timeout without a per-connection SET on Lambda (RDS Proxy pins a connection on any SET).

`gtvision migrate` applies the migrations and makes the timeout the database's default; `db._configure` on
Lambda then leaves the session alone, and falls back to a SET only when that default is missing. Real
PostgreSQL throughout: `pg_settings.source` tells a database default ("database") from a SET ("session").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from gtvision.core import db, migrations
from gtvision.core.settings import get_settings
from gtvision_local import cli


def _with_db(url: str, name: str, user: str | None = None) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc if user is None else f"{user}@{parts.netloc.rsplit('@', 1)[-1]}"
    return urlunsplit(parts._replace(path=f"/{name}", netloc=netloc))


@pytest.fixture
def fresh_db(database_url: str) -> Iterator[str]:
    name = f"gtv_migrate_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _with_db(database_url, name)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _source(conn: psycopg.Connection[Any]) -> tuple[str, str]:
    with conn.cursor(row_factory=psycopg.rows.tuple_row) as cur:
        row = cur.execute("SELECT setting, source FROM pg_settings WHERE name = 'statement_timeout'").fetchone()
    assert row
    return str(row[0]), str(row[1])


def test_migrate_applies_every_migration_with_progress_and_sets_the_database_default(
    fresh_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_db)
    monkeypatch.setenv("GTV_DB_STATEMENT_TIMEOUT_S", "12.5")
    get_settings.cache_clear()
    try:
        assert cli.main(["migrate"]) == 0
        out = capsys.readouterr().out
        names = sorted(p.name for p in migrations.migrations_dir().glob("*.sql"))
        assert [line.strip() for line in out.splitlines()[: len(names)]] == names
        assert "statement_timeout = 12500 ms (database default)" in out
        assert out.strip().endswith("o banco está em dia")
        # a new session, with no SET, has it from the database
        with psycopg.connect(fresh_db) as conn:
            assert _source(conn) == ("12500", "database")
        # run again: nothing to apply, said so
        assert cli.main(["migrate"]) == 0
        assert capsys.readouterr().out.strip().endswith("o banco já estava em dia")
    finally:
        get_settings.cache_clear()


def test_migrate_without_a_database_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "")
    for name in ("DATABASE_SECRET_ARN", "GTV_JWT_SECRET_ARN", "GTV_DATA_KEY_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        assert cli.main(["migrate"]) == 2
        assert "DATABASE_URL não definida" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_on_lambda_a_connection_keeps_the_database_default_and_sets_only_when_it_is_missing(
    fresh_db: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations.apply(fresh_db, statement_timeout_ms=15000)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "ApiFunction")
    with psycopg.connect(fresh_db, row_factory=psycopg.rows.dict_row) as conn:
        db._configure(conn)
        assert _source(conn) == ("15000", "database")  # no SET: nothing for RDS Proxy to pin on
    # the suite's database has no default: the SET is the fallback, so statements are still bounded
    with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as conn:
        db._configure(conn)
        assert _source(conn)[1] == "session"
        assert int(_source(conn)[0]) == int(get_settings().db_statement_timeout_s * 1000)
    # and off Lambda (no proxy) every connection sets it
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME")
    with psycopg.connect(fresh_db, row_factory=psycopg.rows.dict_row) as conn:
        db._configure(conn)
        assert _source(conn)[1] == "session"


def test_a_login_that_does_not_own_the_database_sets_its_own_default(fresh_db: str) -> None:
    role = f"gtv_api_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(fresh_db, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        with psycopg.connect(_with_db(fresh_db, urlsplit(fresh_db).path[1:], user=role), autocommit=True) as conn:
            assert migrations.set_default_statement_timeout(conn, 9000) == "role"
        with psycopg.connect(_with_db(fresh_db, urlsplit(fresh_db).path[1:], user=role)) as conn:
            assert _source(conn) == ("9000", "user")
    finally:
        with psycopg.connect(fresh_db, autocommit=True) as conn:
            conn.execute(f'ALTER ROLE "{role}" RESET ALL')
            conn.execute(f'DROP ROLE "{role}"')
