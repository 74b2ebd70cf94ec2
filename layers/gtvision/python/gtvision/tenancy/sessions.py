"""Login sessions: refresh tokens (rotated on every use) and server-side logout.

An access token carries its session id (`sid`). `POST /v1/auth/logout` puts the token's id on a deny-list
until it expires and revokes its session, so neither that token, nor any other access token of the
session, nor its refresh token works again. A refresh token is single-use: presenting one that was
already rotated away (a copy someone kept) revokes the whole session. Each ended session is published
(`tenancy.access`) so its live sockets close too.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from gtvision.audit import service as audit
from gtvision.core import db
from gtvision.core.errors import Unauthorized
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.tenancy import access, auth
from gtvision.tenancy.account_schemas import User
from gtvision.tenancy.session_schemas import RefreshIn, Token
from gtvision.tenancy.store import sessions as dal
from gtvision.tenancy.store import users as users_dal

#: A session lasts this long without a new login, however often it is refreshed.
REFRESH_TTL = timedelta(hours=12)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _tokens(user: User, session_id: str, refresh: str, expires_at: datetime, limited: bool = False) -> Token:
    city_id = None if user.city_id is None else str(user.city_id)
    access_token, ttl = auth.issue_token(str(user.id), user.username, user.role, city_id, session_id)
    return Token(
        access_token=access_token,
        token_type="Bearer",
        expires_in=ttl,
        refresh_token=refresh,
        refresh_expires_in=max(0, int((expires_at - datetime.now(UTC)).total_seconds())),
        two_factor_required=limited,
    )


def open_session(user: User, limited: bool = False) -> Token:
    """A new session for a user who just proved who they are: access and refresh tokens."""
    if not get_settings().jwt_secret:
        raise Unauthorized("login_disabled", "login local desativado: GTV_JWT_SECRET não configurado")
    session_id, refresh = str(uuid.uuid4()), secrets.token_urlsafe(32)
    expires_at = datetime.now(UTC) + REFRESH_TTL
    with db.transaction() as conn:
        dal.insert(conn, session_id, str(user.id), _sha(refresh), expires_at)
    return _tokens(user, session_id, refresh, expires_at, limited)


def refresh(data: RefreshIn) -> Token:
    """New access and refresh tokens for a live session; 401 for anything else (one answer for every case)."""
    denied = Unauthorized("invalid_refresh_token", "sessão expirada ou encerrada; faça login novamente")
    presented = _sha(data.refresh_token)
    replayed = None
    days = get_settings().inactive_days
    with db.transaction() as conn:
        session = dal.by_refresh(conn, presented)
        if session is None:
            replayed = dal.by_previous_refresh(conn, presented)
            if replayed is not None:
                dal.revoke(conn, str(replayed.id))  # a rotated-away token came back: assume it was stolen
        else:
            user = users_dal.get(conn, str(session.user_id), days)
            live = session.revoked_at is None and session.expires_at > datetime.now(UTC)
            if live and user is not None and user.deactivated_at is None and not user.inactive:
                new = secrets.token_urlsafe(32)
                dal.rotate(conn, str(session.id), presented, _sha(new))
                return _tokens(user, str(session.id), new, session.expires_at)
    if replayed is not None:
        audit.record(
            None, "auth.refresh_reused", "/v1/auth/refresh", status=401, detail={"session_id": str(replayed.id)}
        )
        access.session_ended(str(replayed.user_id), str(replayed.id), "refresh_reuse")
    raise denied


def logout(principal: Principal) -> None:
    """Revoke the caller's token (until it expires) and its session; the session's live sockets close."""
    with db.transaction() as conn:
        if principal.token_id and principal.expires_at:
            dal.revoke_token(conn, principal.token_id, datetime.fromtimestamp(principal.expires_at, UTC))
        if principal.session_id:
            dal.revoke(conn, principal.session_id)
    if principal.session_id:
        access.session_ended(principal.user_id, principal.session_id, "logout")


def end_all(conn: db.Conn, user_id: str, keep: str | None = None) -> list[str]:
    """Revoke every session of a user but `keep`, inside the caller's transaction (the caller publishes the
    change); the sessions ended."""
    return dal.revoke_user(conn, user_id, keep)
