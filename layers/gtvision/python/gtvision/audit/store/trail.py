"""SQL for the append-only audit trail."""

from __future__ import annotations

from collections.abc import Mapping

from psycopg.types.json import Jsonb

from gtvision.core.db import Conn


def insert(conn: Conn, entry: Mapping[str, object]) -> None:
    """Append one entry to the audit log."""
    conn.execute(
        "INSERT INTO audit_log (user_id, actor, role, city_id, action, resource, status, source_ip, request_id, detail)"
        " VALUES (%(user_id)s, %(actor)s, %(role)s, %(city_id)s, %(action)s, %(resource)s, %(status)s,"
        " %(source_ip)s, %(request_id)s, %(detail)s)",
        {**entry, "detail": Jsonb(entry.get("detail") or {})},
    )
