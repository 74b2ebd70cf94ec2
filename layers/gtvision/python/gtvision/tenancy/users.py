"""Users: creation (password policy), listing, changes by a manager (role, reactivation, camera groups),
removal, the caller's standing on every request, and the first admin.

Usernames are unique across the deployment (a login names no city). A manager creating a name that exists
anywhere gets one generic 409 `username_unavailable` — the same whether the name is taken in their city or
in another one — and creations are rate-limited and audited, so sweeping names is slow and visible.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import psycopg

from gtvision.core import db, pagination
from gtvision.core.errors import Conflict, Forbidden, Invalid, Unauthorized, not_found
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.tenancy import access, auth, passwords, sessions, totp
from gtvision.tenancy.account_schemas import User
from gtvision.tenancy.authz import rank
from gtvision.tenancy.store import cities as cities_dal
from gtvision.tenancy.store import groups as groups_dal
from gtvision.tenancy.store import sessions as sessions_dal
from gtvision.tenancy.store import users as dal

if TYPE_CHECKING:  # built where an answer is: every request checks its caller here without them (ADR 0029)
    from gtvision.tenancy.api_schemas import UserIn, UserOut, UserPatch


def _days() -> int:
    return get_settings().inactive_days


def public(user: User) -> UserOut:
    """The account as a manager sees it: never a hash, with its status and camera restriction."""
    from gtvision.tenancy.api_schemas import UserOut

    status = "disabled" if user.deactivated_at is not None else "inactive" if user.inactive else "active"
    return UserOut(
        id=str(user.id),
        username=user.username,
        role=user.role,  # type: ignore[arg-type]  # the table's CHECK holds it to the four roles
        city_id=None if user.city_id is None else str(user.city_id),
        created_at=user.created_at,
        active=status == "active",
        status=status,  # type: ignore[arg-type]
        last_login_at=user.last_login_at,
        totp_enabled=user.totp_enabled,
        camera_group_ids=None if user.camera_group_ids is None else [str(g) for g in user.camera_group_ids],
    )


def get_user(user_id: str) -> User | None:
    """An account that exists (not anonymised), for features that show a user's own data."""
    with db.transaction() as conn:
        return dal.get(conn, user_id, _days())


def visible(principal: Principal, user_id: str) -> User:
    """A user the caller manages: admins any, managers those of their city that are not admins; 404 else."""
    with db.transaction() as conn:
        user = dal.get(conn, user_id, _days())
    if user is None or (user.role == "admin" and not principal.is_admin):
        raise not_found("usuário")
    if not principal.is_admin and (user.city_id is None or not principal.can_see_city(str(user.city_id))):
        raise not_found("usuário")
    return user


def _check_groups(conn: db.Conn, city_id: str | None, group_ids: list[str] | None) -> None:
    if group_ids is None:
        return
    if city_id is None:
        raise Invalid("admin_not_restricted", "administradores não são restritos a grupos de câmeras")
    if groups_dal.ids_in_city(conn, city_id, group_ids) != set(group_ids):
        raise not_found("grupo de câmeras")


def create(principal: Principal, data: UserIn) -> UserOut:
    """Admins create any user; managers create managers, operators and viewers of their own city."""
    if data.role == "admin":
        if not principal.is_admin:
            raise Forbidden("forbidden", "somente administradores criam administradores")
        city_id = None
    else:
        if not data.city_id:
            raise Invalid("city_required", "city_id é obrigatório para manager, operator e viewer")
        city_id = data.city_id.lower()
        if not principal.can_see_city(city_id):
            raise not_found("cidade")
    passwords.check(data.password, data.username)
    with db.transaction() as conn:
        if city_id is not None and cities_dal.get(conn, city_id) is None:
            raise not_found("cidade")
        _check_groups(conn, city_id, data.camera_group_ids)
        try:
            with conn.transaction():
                user = dal.insert(conn, data.username, auth.hash_password(data.password), data.role, city_id, _days())
        except psycopg.errors.UniqueViolation:
            raise Conflict("username_unavailable", "nome de usuário indisponível; escolha outro") from None
        if data.camera_group_ids is not None:
            dal.set_camera_groups(conn, str(user.id), data.camera_group_ids)
            user = dal.get(conn, str(user.id), _days()) or user
    return public(user)


def list_(principal: Principal, limit: int, cursor: str | None) -> tuple[list[UserOut], str | None]:
    """Users the caller can see (admins: all; managers: their city's), a page at a time."""
    with db.transaction() as conn:
        rows = dal.list_page(conn, limit, pagination.decode_keyset(cursor), principal.scope, _days())
    items, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [public(u) for u in items], nxt


def update(principal: Principal, user: User, patch: UserPatch) -> UserOut:
    """A manager changes a user of their city: role (up to their own), active (reactivate or switch off), camera
    groups (null lifts the restriction). Each change that narrows access ends what the user holds open."""
    user_id = str(user.id)
    if user_id == principal.user_id:
        raise Conflict("cannot_change_self", "peça a outro gestor ou administrador para alterar a sua conta")
    fields = patch.model_fields_set
    changes: dict[str, object] = {}
    reasons: list[access.Reason] = []
    if patch.role is not None and patch.role != user.role:
        if user.role == "admin" or patch.role == "admin":
            raise Invalid("role_change_not_allowed", "administradores não mudam de perfil: crie outra conta")
        if rank(patch.role) > rank(principal.role):
            raise Forbidden("forbidden", "não é possível conceder um perfil acima do seu")
        changes["role"] = patch.role
        reasons.append("role")
    if patch.active is True and (user.deactivated_at is not None or user.inactive):
        changes.update(deactivated_at=None, reactivated_at=datetime.now(UTC))
    elif patch.active is False and user.deactivated_at is None:
        changes["deactivated_at"] = datetime.now(UTC)
        reasons.append("deactivated")
    city_id = None if user.city_id is None else str(user.city_id)
    with db.transaction() as conn:
        if "camera_group_ids" in fields:
            _check_groups(conn, city_id, patch.camera_group_ids)
            dal.set_camera_groups(conn, user_id, patch.camera_group_ids)
            reasons.append("camera_groups")
        dal.update(conn, user_id, changes)
        if "role" in reasons or "deactivated" in reasons:
            sessions.end_all(conn, user_id)
        row = dal.get(conn, user_id, _days())
    for reason in reasons:
        access.user_changed(user_id, reason)
    if row is None:
        raise not_found("usuário")
    return public(row)


def delete(principal: Principal, user: User) -> None:
    """Admins and managers remove (anonymise) a user they can see, never themselves."""
    user_id = str(user.id)
    if user_id == principal.user_id:
        raise Conflict("cannot_delete_self", "use DELETE /v1/me para excluir a própria conta")
    with db.transaction() as conn:
        dal.anonymise(conn, user_id)
        sessions.end_all(conn, user_id)
    access.user_changed(user_id, "deleted")


def delete_own(principal: Principal) -> None:
    """The caller anonymises their own account (LGPD); never the last admin."""
    with db.transaction() as conn:
        # Serialise with other admin removals so two admins can't each leave the other as the last one.
        dal.lock_admins(conn)
        if principal.role == "admin" and dal.count_admins(conn) <= 1:
            raise Conflict("last_admin", "o último administrador não pode excluir a própria conta")
        dal.anonymise(conn, principal.user_id)
        sessions.end_all(conn, principal.user_id)
    access.user_changed(principal.user_id, "deleted")


def reset_2fa(user: User) -> UserOut:
    """A manager turns a user's second factor off (a lost phone); the user enrols again at next sign-in."""
    user_id = str(user.id)
    totp.reset(user_id)
    with db.transaction() as conn:
        sessions.end_all(conn, user_id)
        row = dal.get(conn, user_id, _days())
    access.user_changed(user_id, "2fa_reset")
    if row is None:
        raise not_found("usuário")
    return public(row)


def change_password(principal: Principal, current: str, new: str) -> None:
    """The caller sets a new password (policy applies); every other session of theirs ends."""
    with db.transaction() as conn:
        hashed = dal.password_hash(conn, principal.user_id)
    if not auth.verify_password(hashed, current):
        raise Invalid("invalid_password", "senha atual incorreta")
    passwords.check(new, principal.username)
    with db.transaction() as conn:
        dal.set_password(conn, principal.user_id, auth.hash_password(new))
        ended = sessions.end_all(conn, principal.user_id, keep=principal.session_id)
    for session_id in ended:
        access.session_ended(principal.user_id, session_id, "password")


def ensure_active(principal: Principal) -> Principal:
    """The caller as their account stands now (one query per request): 401 once the account is removed,
    blocked or its token or session revoked, or its role or city changed since the token was issued; else the
    principal with the camera restriction and the 2FA obligation in force."""
    if not principal.local:
        return principal
    with db.transaction() as conn:
        st = sessions_dal.standing(conn, principal.user_id, principal.token_id, principal.session_id, _days())
    stale = st is None or st.token_revoked or not st.session_live or st.blocked
    if (
        st is None
        or stale
        or st.role != principal.role
        or (str(st.city_id) if st.city_id else None) != principal.city_id
    ):
        raise Unauthorized("invalid_token", "sessão encerrada ou conta removida; faça login novamente")
    cameras = None if st.camera_ids is None else frozenset(str(c) for c in st.camera_ids)
    return dataclasses.replace(principal, camera_ids=cameras, limited=st.totp_required and not st.totp_enabled)


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
        dal.insert(conn, s.admin_user, auth.hash_password(password), "admin", None, s.inactive_days)
    return generated
