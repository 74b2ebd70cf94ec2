"""SQL for login sessions (refresh tokens), revoked access tokens and rate counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gtvision.core.db import Conn
from gtvision.core.sql import one

_COLS = "id, user_id, expires_at, revoked_at"


def insert(conn: Conn, session_id: str, user_id: str, refresh_sha256: str, expires_at: datetime) -> None:
    """Open a session whose refresh token has this hash."""
    conn.execute(
        "INSERT INTO auth_sessions (id, user_id, refresh_sha256, expires_at) VALUES (%s, %s, %s, %s)",
        (session_id, user_id, refresh_sha256, expires_at),
    )


def by_refresh(conn: Conn, refresh_sha256: str) -> dict[str, Any] | None:
    """The session whose current refresh token has this hash (locked for the rotation)."""
    return conn.execute(
        f"SELECT {_COLS} FROM auth_sessions WHERE refresh_sha256 = %s FOR UPDATE", (refresh_sha256,)
    ).fetchone()


def by_previous_refresh(conn: Conn, refresh_sha256: str) -> dict[str, Any] | None:
    """The session whose previous refresh token has this hash (a reuse; locked)."""
    return conn.execute(
        f"SELECT {_COLS} FROM auth_sessions WHERE previous_sha256 = %s FOR UPDATE", (refresh_sha256,)
    ).fetchone()


def rotate(conn: Conn, session_id: str, old_sha256: str, new_sha256: str) -> None:
    """Give the session a new refresh token, keeping the old one's hash to detect reuse."""
    conn.execute(
        "UPDATE auth_sessions SET refresh_sha256 = %s, previous_sha256 = %s, refreshed_at = now() WHERE id = %s",
        (new_sha256, old_sha256, session_id),
    )


def revoke(conn: Conn, session_id: str) -> None:
    """Revoke one session."""
    conn.execute("UPDATE auth_sessions SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL", (session_id,))


def revoke_user(conn: Conn, user_id: str) -> None:
    """Revoke every session of a user."""
    conn.execute("UPDATE auth_sessions SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL", (user_id,))


def revoke_token(conn: Conn, jti: str, expires_at: datetime) -> None:
    """Deny the access token `jti` until it expires; purge entries that expired already."""
    conn.execute("DELETE FROM revoked_tokens WHERE expires_at < now()")
    conn.execute(
        "INSERT INTO revoked_tokens (jti, expires_at) VALUES (%s, %s) ON CONFLICT (jti) DO NOTHING", (jti, expires_at)
    )


def token_usable(conn: Conn, user_id: str, jti: str | None, session_id: str | None) -> bool:
    """True when the user exists (not anonymised), the token id is not revoked and its session (if any) is live."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM users WHERE id = %(user)s AND anonymised_at IS NULL)"
        " AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = %(jti)s)"
        " AND (%(sid)s::uuid IS NULL OR EXISTS (SELECT 1 FROM auth_sessions WHERE id = %(sid)s::uuid"
        "      AND user_id = %(user)s AND revoked_at IS NULL)) AS ok",
        {"user": user_id, "jti": jti or "", "sid": session_id},
    ).fetchone()
    return bool(row and row["ok"])


def hit(conn: Conn, bucket: str, window_start: datetime) -> int:
    """Count one hit in the bucket's current window; the window's count including it."""
    row = conn.execute(
        "INSERT INTO rate_counters (bucket, window_start, hits) VALUES (%s, %s, 1)"
        " ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_counters.hits + 1 RETURNING hits",
        (bucket, window_start),
    )
    return int(one(row)["hits"])


def purge_counters(conn: Conn, before: datetime) -> None:
    """Delete rate-limit counters of windows started before `before`."""
    conn.execute("DELETE FROM rate_counters WHERE window_start < %s", (before,))
