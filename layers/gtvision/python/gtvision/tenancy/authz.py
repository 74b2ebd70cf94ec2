"""Authorization, once: roles in order, and "get it in the caller's city or 404" for every resource a city owns.

Another city's item gets the same 404 as a missing one (before any 403), so ids cannot be probed. The route
decorator (`chalicelib.routing`) is the one caller for routes: it resolves each path id through these rules
and checks the route's least role with `at_least`; services take the rows it resolved.
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


def roles_from(least: str | None) -> tuple[str, ...]:
    """Every role at or above `least`, most powerful first (None: a route without a token: no role)."""
    if least is None:
        return ()
    return tuple(reversed(ROLE_ORDER[ROLE_ORDER.index(least) :]))


def at_least(principal: Principal, least: str) -> None:
    """403 unless the caller's role is `least` or above."""
    if principal.role not in roles_from(least):
        raise Forbidden("forbidden", "seu perfil não permite esta operação")


def in_callers_city(
    conn: Conn, principal: Principal, lookup: Callable[[Conn, str, str | None], T | None], item_id: str, what: str
) -> T:
    """``lookup(conn, item_id, principal.scope)`` when it finds the item in the caller's city (admins: any
    city); otherwise the 404 for ``what`` (in pt-BR: "câmera", "recorte"...)."""
    found = lookup(conn, item_id, principal.scope)
    if found is None or found is False:
        raise not_found(what)
    return found
