"""SQL for login sessions (refresh tokens), revoked access tokens, the caller's standing, failed logins and
rate counters."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from gtvision.core.db import Conn
from gtvision.core.rows import rowtype
from gtvision.core.sql import columns, fetch_all, fetch_one, one
from gtvision.tenancy.account_schemas import Standing


@rowtype
class Session:
    """A login session (table `auth_sessions`)."""

    id: UUID
    user_id: UUID
    expires_at: datetime
    revoked_at: datetime | None


_COLS = columns(Session)


def insert(conn: Conn, session_id: str, user_id: str, refresh_sha256: str, expires_at: datetime) -> None:
    """Open a session whose refresh token has this hash."""
    conn.execute(
        "INSERT INTO auth_sessions (id, user_id, refresh_sha256, expires_at) VALUES (%s, %s, %s, %s)",
        (session_id, user_id, refresh_sha256, expires_at),
    )


def by_refresh(conn: Conn, refresh_sha256: str) -> Session | None:
    """The session whose current refresh token has this hash (locked for the rotation)."""
    return fetch_one(
        conn, Session, f"SELECT {_COLS} FROM auth_sessions WHERE refresh_sha256 = %s FOR UPDATE", (refresh_sha256,)
    )


def by_previous_refresh(conn: Conn, refresh_sha256: str) -> Session | None:
    """The session whose previous refresh token has this hash (a reuse; locked)."""
    return fetch_one(
        conn, Session, f"SELECT {_COLS} FROM auth_sessions WHERE previous_sha256 = %s FOR UPDATE", (refresh_sha256,)
    )


def rotate(conn: Conn, session_id: str, old_sha256: str, new_sha256: str) -> None:
    """Give the session a new refresh token, keeping the old one's hash to detect reuse."""
    conn.execute(
        "UPDATE auth_sessions SET refresh_sha256 = %s, previous_sha256 = %s, refreshed_at = now() WHERE id = %s",
        (new_sha256, old_sha256, session_id),
    )


def revoke(conn: Conn, session_id: str) -> None:
    """Revoke one session."""
    conn.execute("UPDATE auth_sessions SET revoked_at = now() WHERE id = %s AND revoked_at IS NULL", (session_id,))


def revoke_user(conn: Conn, user_id: str, keep: str | None = None) -> list[str]:
    """Revoke every live session of a user (but `keep`); the ids revoked now."""
    rows = conn.execute(
        "UPDATE auth_sessions SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL"
        " AND id IS DISTINCT FROM %s::uuid RETURNING id",
        (user_id, keep),
    ).fetchall()
    return [str(r["id"]) for r in rows]


def revoke_token(conn: Conn, jti: str, expires_at: datetime) -> None:
    """Deny the access token `jti` until it expires; purge entries that expired already."""
    conn.execute("DELETE FROM revoked_tokens WHERE expires_at < now()")
    conn.execute(
        "INSERT INTO revoked_tokens (jti, expires_at) VALUES (%s, %s) ON CONFLICT (jti) DO NOTHING", (jti, expires_at)
    )


def standing(conn: Conn, user_id: str, jti: str | None, session_id: str | None, inactive_days: int) -> Standing | None:
    """The caller's account now (None when it is gone or anonymised): role, city, blocked, the token's and the
    session's state, 2FA enabled and required, and the cameras of their groups when restricted."""
    return fetch_one(
        conn,
        Standing,
        "SELECT u.role, u.city_id,"
        " (u.deactivated_at IS NOT NULL OR (u.role <> 'admin' AND greatest(coalesce(u.last_login_at, u.created_at),"
        "   coalesce(u.reactivated_at, u.created_at)) < now() - make_interval(days => %(days)s))) AS blocked,"
        " EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = %(jti)s) AS token_revoked,"
        " (%(sid)s::uuid IS NULL OR EXISTS (SELECT 1 FROM auth_sessions s WHERE s.id = %(sid)s::uuid"
        "   AND s.user_id = u.id AND s.revoked_at IS NULL)) AS session_live,"
        " EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL) AS totp_enabled,"
        " CASE WHEN u.role = 'admin' THEN EXISTS (SELECT 1 FROM cities c WHERE 'admin' = ANY(c.require_2fa_roles))"
        "   ELSE EXISTS (SELECT 1 FROM cities c WHERE c.id = u.city_id AND u.role = ANY(c.require_2fa_roles))"
        " END AS totp_required,"
        " CASE WHEN u.camera_restricted THEN ARRAY(SELECT DISTINCT m.camera_id FROM user_camera_groups g"
        "   JOIN camera_group_members m ON m.group_id = g.group_id WHERE g.user_id = u.id) END AS camera_ids"
        " FROM users u WHERE u.id = %(user)s AND u.anonymised_at IS NULL",
        {"user": user_id, "jti": jti or "", "sid": session_id, "days": inactive_days},
    )


# ------------------------------------------------------------------------------------------ failed logins


def record_failure(conn: Conn, username_sha256: str, source: str) -> None:
    """One failed login of this (hashed) username from this address; entries older than a day go."""
    conn.execute("DELETE FROM login_failures WHERE at < now() - interval '1 day'")
    conn.execute("INSERT INTO login_failures (username_sha256, source) VALUES (%s, %s)", (username_sha256, source))


@rowtype
class Failures:
    """Failed logins within a window: how many, and the latest and oldest one's time."""

    n: int
    first_at: datetime | None
    last_at: datetime | None


def failures(conn: Conn, username_sha256: str | None, source: str, window_s: int) -> Failures:
    """Failures from `source` within the window: of this username (given) or of any username (None)."""
    where = "source = %(source)s AND at > now() - make_interval(secs => %(window)s)"
    if username_sha256 is not None:
        where += " AND username_sha256 = %(who)s"
    rows = fetch_all(
        conn,
        Failures,
        f"SELECT count(*)::int AS n, min(at) AS first_at, max(at) AS last_at FROM login_failures WHERE {where}",
        {"source": source, "window": window_s, "who": username_sha256},
    )
    return rows[0]


def clear_failures(conn: Conn, username_sha256: str, source: str) -> None:
    """A successful login from this address forgets this username's failures from it."""
    conn.execute("DELETE FROM login_failures WHERE username_sha256 = %s AND source = %s", (username_sha256, source))


# ------------------------------------------------------------------------------------------ rate counters


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
