"""Users, login and the first admin."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import psycopg

from gtvision.audit import service as audit
from gtvision.audit.store import trail as audit_dal
from gtvision.core import db, pagination
from gtvision.core.errors import Conflict, Forbidden, Invalid, RateLimited, Unauthorized, not_found
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.live import service as live
from gtvision.tenancy import auth, sessions
from gtvision.tenancy.schemas import Login, UserIn
from gtvision.tenancy.store import cities as cities_dal
from gtvision.tenancy.store import users as dal

#: Failed logins per username tolerated within the window before answering 429. Per username, not per IP:
#: a whole city hall often sits behind one NAT address.
MAX_FAILED_LOGINS = 10
FAILED_LOGIN_WINDOW_S = 15 * 60


def login(data: Login, source_ip: str | None = None, request_id: str | None = None) -> dict[str, Any]:
    """Issue a token; every attempt is audited and repeated failures are throttled (429)."""
    # The typed username may be a mistyped password: only its hash is kept with a failure.
    who = hashlib.sha256(data.username.strip().lower().encode()).hexdigest()[:32]
    with db.transaction() as conn:
        if audit_dal.failed_logins(conn, who, FAILED_LOGIN_WINDOW_S) >= MAX_FAILED_LOGINS:
            raise RateLimited("too_many_attempts", "muitas tentativas de login; aguarde 15 minutos")
        user = dal.by_username(conn, data.username)
    if not auth.verify_password(user["password_hash"] if user else None, data.password) or user is None:
        audit.record(None, "auth.login_failed", "/v1/auth/login", status=401, source_ip=source_ip,
                     request_id=request_id, detail={"username_sha256": who})  # fmt: skip
        raise Unauthorized("invalid_credentials", "usuário ou senha inválidos")
    city_id = _str(user["city_id"])
    tokens = sessions.open_session(user)
    principal = Principal(user_id=str(user["id"]), username=user["username"], role=user["role"], city_id=city_id)
    audit.record(principal, "auth.login", "/v1/auth/login", status=200, source_ip=source_ip, request_id=request_id)
    return tokens


def _str(v: Any) -> str | None:
    return None if v is None else str(v)


def create(principal: Principal, data: UserIn) -> dict[str, Any]:
    """Admins create any user; managers create managers, operators and viewers of their own city."""
    principal.require("admin", "manager")
    if data.role == "admin":
        if not principal.is_admin:
            raise Forbidden("forbidden", "somente administradores criam administradores")
        city_id = None
    else:
        if not data.city_id:
            raise Invalid("city_required", "city_id é obrigatório para manager, operator e viewer")
        city_id = data.city_id
        if not principal.can_see_city(city_id):
            raise not_found("cidade")
    with db.transaction() as conn:
        if city_id is not None and cities_dal.get(conn, city_id) is None:
            raise not_found("cidade")
        try:
            return dal.insert(conn, data.username, auth.hash_password(data.password), data.role, city_id)
        except psycopg.errors.UniqueViolation:
            raise Conflict("username_taken", "nome de usuário já existe") from None


def list_(principal: Principal, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Users the caller can see (admins: all; managers: their city's), a page at a time."""
    principal.require("admin", "manager")
    with db.transaction() as conn:
        rows = dal.list_page(conn, limit, pagination.decode_keyset(cursor), principal.scope)
    return pagination.page(rows, limit, ("created_at", "id"))


def delete(principal: Principal, user_id: str) -> None:
    """Admins and managers remove (anonymise) a user they can see, never themselves."""
    with db.transaction() as conn:
        user = dal.get(conn, user_id)
        if user is None or not principal.can_see_city(str(user["city_id"])):
            raise not_found("usuário")  # another city's user: 404 before any 403
        principal.require("admin", "manager")
        if user["role"] == "admin" and not principal.is_admin:
            raise not_found("usuário")
        if str(user["id"]) == principal.user_id:
            raise Conflict("cannot_delete_self", "use DELETE /v1/me para excluir a própria conta")
        dal.anonymise(conn, user_id)
    live.close_user_sockets(user_id)


def ensure_active(principal: Principal) -> None:
    """A token outlives nothing: once its account is removed or anonymised, or the token was revoked by a
    logout, it opens no route (401)."""
    if not principal.local:
        return
    if not sessions.usable(principal):
        raise Unauthorized("invalid_token", "sessão encerrada ou conta removida; faça login novamente")


def ensure_first_admin() -> str | None:
    """Create the first admin from GTV_ADMIN_USER/GTV_ADMIN_PASSWORD when no admin exists.

    Returns the generated password when none was given (printed once by `make run`), else None.
    """
    s = get_settings()
    generated = None
    password = s.admin_password
    if not password:
        generated = password = secrets.token_urlsafe(12)
    with db.transaction() as conn:
        dal.lock_admins(conn)
        if dal.any_admin(conn):
            return None
        dal.insert(conn, s.admin_user, auth.hash_password(password), "admin", None)
    return generated
