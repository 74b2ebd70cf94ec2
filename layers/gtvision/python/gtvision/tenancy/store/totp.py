"""SQL for users' second factor (TOTP secrets, encrypted, and recovery codes, hashed)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from gtvision.core.db import Conn
from gtvision.core.rows import rowtype
from gtvision.core.sql import columns, fetch_one


@rowtype
class Totp:
    """A user's second factor (table `user_totp`)."""

    user_id: UUID
    secret_enc: bytes | None
    enabled_at: datetime | None
    pending_secret_enc: bytes | None
    pending_at: datetime | None
    last_step: int | None


_COLS = columns(Totp)


def get(conn: Conn, user_id: str, *, for_update: bool = False) -> Totp | None:
    """The user's second factor (locked when asked: code checks must not race)."""
    lock = " FOR UPDATE" if for_update else ""
    return fetch_one(conn, Totp, f"SELECT {_COLS} FROM user_totp WHERE user_id = %s{lock}", (user_id,))


def set_pending(conn: Conn, user_id: str, secret_enc: bytes, recovery_sha256: list[str]) -> None:
    """A new enrolment waits for its first code (an enabled factor stays enabled meanwhile)."""
    conn.execute(
        "INSERT INTO user_totp (user_id, pending_secret_enc, pending_recovery_sha256, pending_at)"
        " VALUES (%s, %s, %s, now()) ON CONFLICT (user_id) DO UPDATE SET"
        " pending_secret_enc = excluded.pending_secret_enc,"
        " pending_recovery_sha256 = excluded.pending_recovery_sha256, pending_at = excluded.pending_at",
        (user_id, secret_enc, recovery_sha256),
    )


def confirm(conn: Conn, user_id: str, step: int) -> None:
    """The pending enrolment becomes the factor (its recovery codes replace the old ones)."""
    conn.execute(
        "UPDATE user_totp SET secret_enc = pending_secret_enc, recovery_sha256 = pending_recovery_sha256,"
        " enabled_at = now(), last_step = %s, pending_secret_enc = NULL, pending_recovery_sha256 = '{}',"
        " pending_at = NULL WHERE user_id = %s",
        (step, user_id),
    )


def accept_step(conn: Conn, user_id: str, step: int) -> bool:
    """Record `step` as used; False when it (or a later one) was already accepted (a replayed code)."""
    return (
        conn.execute(
            "UPDATE user_totp SET last_step = %s WHERE user_id = %s AND (last_step IS NULL OR last_step < %s)",
            (step, user_id, step),
        ).rowcount
        == 1
    )


def use_recovery(conn: Conn, user_id: str, code_sha256: str) -> bool:
    """Spend one recovery code; False when it is not (or no longer) one of the user's."""
    return (
        conn.execute(
            "UPDATE user_totp SET recovery_sha256 = array_remove(recovery_sha256, %s)"
            " WHERE user_id = %s AND enabled_at IS NOT NULL AND %s = ANY(recovery_sha256)",
            (code_sha256, user_id, code_sha256),
        ).rowcount
        == 1
    )


def remaining_recovery(conn: Conn, user_id: str) -> int:
    """How many recovery codes the user has left."""
    row = conn.execute(
        "SELECT coalesce(cardinality(recovery_sha256), 0) AS n FROM user_totp WHERE user_id = %s", (user_id,)
    ).fetchone()
    return int(row["n"]) if row else 0


def delete(conn: Conn, user_id: str) -> bool:
    """Turn the second factor off (and forget any pending enrolment); whether there was one."""
    return conn.execute("DELETE FROM user_totp WHERE user_id = %s", (user_id,)).rowcount == 1
