"""Authorization, once: roles in order, "get it in the caller's city or 404" for every resource a city owns,
and the caller's camera restriction.

Another city's item gets the same 404 as a missing one (before any 403), so ids cannot be probed. The route
decorator (`chalicelib.routing`) is the one caller for routes: it resolves each path id through these rules
and checks the route's least role with `at_least`; services take the rows it resolved.

Camera restriction (camera groups): a restricted user's `Principal.camera_ids` holds the only cameras they
may see. `tenancy.cameras.visible` answers 404 for any other camera; a feature that lists things by camera
(recordings, plate reads, alerts, clips, Sentinela sightings, socket events) filters with `camera_filter`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from gtvision.core.db import Conn
from gtvision.core.errors import Forbidden, not_found
from gtvision.core.principal import ROLES, Principal

T = TypeVar("T")

#: Roles from least to most: each may do everything the previous ones may.
ROLE_ORDER: tuple[str, ...] = ("viewer", "operator", "manager", "admin")
assert set(ROLE_ORDER) == set(ROLES)
ANY = ("admin", "manager", "operator", "viewer")
OPERATORS = ("admin", "manager", "operator")
MANAGERS = ("admin", "manager")
ADMINS = ("admin",)
#: What a token limited by a city's 2FA requirement still reaches (enrol, confirm, read and export one's data,
#: log out).
LIMITED_PATHS = ("/v1/me", "/v1/auth/logout")


def roles_from(least: str | None) -> tuple[str, ...]:
    """Every role at or above `least`, most powerful first (None: a route without a token: no role)."""
    if least is None:
        return ()
    return tuple(reversed(ROLE_ORDER[ROLE_ORDER.index(least) :]))


def rank(role: str) -> int:
    """A role's place in ROLE_ORDER (viewer 0 … admin 3)."""
    return ROLE_ORDER.index(role)


def at_least(principal: Principal, least: str) -> None:
    """403 unless the caller's role is `least` or above."""
    if principal.role not in roles_from(least):
        raise Forbidden("forbidden", "seu perfil não permite esta operação")


def check_path(principal: Principal, path: str) -> None:
    """403 `two_factor_required` when the caller's city requires 2FA of their role and they have not enabled
    it yet, for anything but their own data (`/v1/me*`) and logout."""
    if principal.limited and not any(path == p or path.startswith(p + "/") for p in LIMITED_PATHS):
        raise Forbidden(
            "two_factor_required",
            "sua cidade exige verificação em duas etapas para o seu perfil: ative-a em Meus dados (POST /v1/me/2fa)",
        )


def camera_filter(principal: Principal) -> list[str] | None:
    """The only camera ids the caller may see, sorted (a user restricted to camera groups), or None when the
    caller sees every camera of their scope. Lists filter with it: `... AND camera_id = ANY(%s)`."""
    return None if principal.camera_ids is None else sorted(principal.camera_ids)


def in_callers_city(
    conn: Conn, principal: Principal, lookup: Callable[[Conn, str, str | None], T | None], item_id: str, what: str
) -> T:
    """``lookup(conn, item_id, principal.scope)`` when it finds the item in the caller's city (admins: any
    city); otherwise the 404 for ``what`` (in pt-BR: "câmera", "recorte"...)."""
    found = lookup(conn, item_id, principal.scope)
    if found is None or found is False:
        raise not_found(what)
    return found
