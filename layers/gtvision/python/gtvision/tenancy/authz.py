"""Tenancy, once: "get it in the caller's city or 404", for every resource owned by a city.

Another city's item gets the same 404 as a missing one (before any 403), so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from gtvision.core.db import Conn
from gtvision.core.errors import not_found
from gtvision.core.principal import Principal

T = TypeVar("T")


def in_callers_city(
    conn: Conn, principal: Principal, lookup: Callable[[Conn, str, str | None], T | None], item_id: str, what: str
) -> T:
    """``lookup(conn, item_id, principal.scope)`` when it finds the item in the caller's city (admins: any
    city); otherwise the 404 for ``what`` (in pt-BR: "câmera", "recorte"...)."""
    found = lookup(conn, item_id, principal.scope)
    if found is None or found is False:
        raise not_found(what)
    return found
