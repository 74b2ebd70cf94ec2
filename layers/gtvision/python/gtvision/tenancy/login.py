"""Sign-in: the password, the second factor, blocked accounts, and the throttle against guessing.

Failed attempts are counted per (username, source address) and per address, never per username alone:
someone guessing from one place slows down and then locks only themselves, and the account's owner signs
in from anywhere else. Per (username, address), within 15 minutes: 3 free failures, then each attempt waits
1, 2, 4 … 60 s after the last one, and 10 failures lock that pair for 15 minutes after the last. Per
address, 100 failures in 15 minutes (any usernames: password spraying) lock the address until the oldest
leaves the window; a city hall's NAT stays far below that. Every refusal is a 429 with `Retry-After`.
The throttle answers before the password is checked, and its answer depends only on what the caller sent
from that address, so it says nothing about whether the account exists. `GTV_QUOTA_SCALE` multiplies the
three counts like every other limit (tests raise it; 0 switches the throttle off).
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from gtvision.audit import service as audit
from gtvision.core import db
from gtvision.core.errors import Forbidden, RateLimited, Unauthorized
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.tenancy import auth, sessions, totp
from gtvision.tenancy.session_schemas import Login, Token
from gtvision.tenancy.store import sessions as failures_dal
from gtvision.tenancy.store import users as dal

WINDOW = timedelta(minutes=15)
#: Failures of one (username, address) before each attempt has to wait.
FREE_FAILURES = 3
MAX_DELAY_S = 60
#: Failures of one (username, address) that lock the pair for WINDOW after the last one.
LOCK_FAILURES = 10
#: Failures from one address, any usernames, that lock the address.
SOURCE_LOCK_FAILURES = 100


def _refuse(seconds: float, message: str) -> RateLimited:
    retry = max(1, math.ceil(seconds))
    return RateLimited("too_many_attempts", f"{message}; tente de novo em {retry} s", {"Retry-After": str(retry)})


def throttle(conn: db.Conn, who: str, source: str, now: datetime) -> None:
    """429 (with Retry-After) when this (username, address) or this address has failed too often lately."""
    scale = get_settings().quota_scale
    if scale <= 0:
        return
    free, lock, spray_lock = (math.ceil(n * scale) for n in (FREE_FAILURES, LOCK_FAILURES, SOURCE_LOCK_FAILURES))
    window_s = int(WINDOW.total_seconds())
    pair = failures_dal.failures(conn, who, source, window_s)
    if pair.last_at is not None and pair.n >= lock:
        raise _refuse((pair.last_at + WINDOW - now).total_seconds(), "muitas tentativas de login deste endereço")
    if pair.last_at is not None and pair.n >= free:
        wait = min(MAX_DELAY_S, 2 ** (pair.n - free)) - (now - pair.last_at).total_seconds()
        if wait > 0:
            raise _refuse(wait, "aguarde antes de tentar de novo")
    spray = failures_dal.failures(conn, None, source, window_s)
    if spray.first_at is not None and spray.n >= spray_lock:
        raise _refuse((spray.first_at + WINDOW - now).total_seconds(), "muitas tentativas de login deste endereço")


def _failed(who: str, source: str, source_ip: str | None, request_id: str | None, code: str, message: str) -> NoReturn:
    with db.transaction() as conn:
        failures_dal.record_failure(conn, who, source)
    # The typed username may be a mistyped password: only its hash is kept with a failure.
    audit.record(
        None,
        "auth.login_failed",
        "/v1/auth/login",
        status=401,
        source_ip=source_ip,
        request_id=request_id,
        detail={"username_sha256": who, "reason": code},
    )
    raise Unauthorized(code, message)


def login(data: Login, source_ip: str | None = None, request_id: str | None = None) -> Token:
    """Issue tokens for a right password (and second factor); every attempt is audited and failures
    throttled. A blocked account answers 403 `account_inactive` — only to whoever knows its password."""
    who = hashlib.sha256(data.username.strip().lower().encode()).hexdigest()[:32]
    source = source_ip or "unknown"
    now = datetime.now(UTC)
    days = get_settings().inactive_days
    with db.transaction() as conn:
        throttle(conn, who, source, now)
        creds = dal.by_username(conn, data.username, days)
    if not auth.verify_password(creds.password_hash if creds else None, data.password) or creds is None:
        _failed(who, source, source_ip, request_id, "invalid_credentials", "usuário ou senha inválidos")
    user = creds.user
    principal = Principal(
        user_id=str(user.id),
        username=user.username,
        role=user.role,
        city_id=None if user.city_id is None else str(user.city_id),
    )
    if user.deactivated_at is not None or user.inactive:
        detail = {"inactive": user.inactive}
        audit.record(
            principal,
            "auth.login_blocked",
            "/v1/auth/login",
            status=403,
            source_ip=source_ip,
            request_id=request_id,
            detail=detail,
        )
        raise Forbidden(
            "account_inactive",
            "conta bloqueada por falta de uso ou desativada; peça a um gestor que a reative",
        )
    with db.transaction() as conn:
        has_2fa = totp.is_enabled(conn, str(user.id))
        if has_2fa and not data.otp:
            raise Unauthorized("otp_required", "informe o código de verificação em duas etapas (otp)")
        if has_2fa and not totp.verify(conn, str(user.id), data.otp or ""):
            ok = False
        else:
            ok = True
            failures_dal.clear_failures(conn, who, source)
            dal.record_login(conn, str(user.id), now)
        limited = not has_2fa and dal.totp_required(conn, str(user.id))
    if not ok:
        _failed(who, source, source_ip, request_id, "invalid_otp", "código de verificação inválido ou já usado")
    tokens = sessions.open_session(user, limited=limited)
    audit.record(principal, "auth.login", "/v1/auth/login", status=200, source_ip=source_ip, request_id=request_id)
    return tokens
