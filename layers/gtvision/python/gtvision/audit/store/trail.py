"""SQL for the append-only audit trail."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from gtvision.core.db import Conn


def failed_logins(conn: Conn, username_sha256: str, window_s: int) -> int:
    """Failed logins for this username (hashed) within the window."""
    row = conn.execute(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'auth.login_failed'"
        " AND at > now() - make_interval(secs => %s) AND detail->>'username_sha256' = %s",
        (window_s, username_sha256),
    ).fetchone()
    return int(row["n"]) if row else 0


def insert(conn: Conn, entry: dict[str, Any]) -> None:
    """Append one entry to the audit log."""
    conn.execute(
        "INSERT INTO audit_log (user_id, actor, role, city_id, action, resource, status, source_ip, request_id, detail)"
        " VALUES (%(user_id)s, %(actor)s, %(role)s, %(city_id)s, %(action)s, %(resource)s, %(status)s,"
        " %(source_ip)s, %(request_id)s, %(detail)s)",
        {**entry, "detail": Jsonb(entry.get("detail") or {})},
    )
