"""Who may call a route, checked before anything reads its body or query (contract v1.1,
"Authorization before validation").

The route decorator (`chalicelib.http.route`) calls `authorize` right after the token is verified:
every `{..._id}` path parameter is resolved in the caller's city first (404 for another city's or an
unknown id — the tenancy walk relies on "visibility before role"), then the route's roles are checked
(403). Only then does the view parse the body or query, so a caller who may not use the route never
learns the route's input schema from a 422. The logic functions keep their own checks too: they are
also called from places that are not routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gtvision.alerts import store as alerts_dal
from gtvision.bookmarks import service as bookmarks
from gtvision.cases import service as cases
from gtvision.clips import service as clips
from gtvision.core import db
from gtvision.core.principal import Principal
from gtvision.exports import service as exports
from gtvision.mosaics import store as mosaics_dal
from gtvision.sentinela import service as sentinela
from gtvision.sharing import agreements, grants
from gtvision.tenancy import cameras, cities, groups, users
from gtvision.tenancy.authz import ADMINS, ANY, MANAGERS, OPERATORS, in_callers_city, roles_from

#: Path parameters that are not ids (no canonical form, no resolver).
PLAIN_PARAMS = frozenset({"asset_name", "notification", "plate"})


def _mosaic(principal: Principal, mosaic_id: str) -> Any:
    with db.transaction() as conn:
        return in_callers_city(conn, principal, mosaics_dal.get, mosaic_id, "mosaico")


def _alert(principal: Principal, alert_id: str) -> Any:
    with db.transaction() as conn:
        return in_callers_city(conn, principal, alerts_dal.alert_visible, alert_id, "alerta")


def _watch(principal: Principal, watch_id: str) -> Any:
    with db.transaction() as conn:
        return in_callers_city(conn, principal, alerts_dal.watch_visible, watch_id, "item da lista")


#: Path parameter → "visible in the caller's city or 404". A route whose id has no entry here checks
#: visibility in its own logic (and the authorization walk test lists such routes).
RESOLVERS: dict[str, Callable[[Principal, str], Any]] = {
    "city_id": cities.get,
    "camera_id": cameras.visible,
    "clip_id": clips.visible,
    "mosaic_id": _mosaic,
    "user_id": users.visible,
    "camera_group_id": groups.visible,
    "alert_id": _alert,
    "watchlist_id": _watch,
    "search_id": sentinela.get,
    "agreement_id": agreements.visible,
    "grant_id": grants.visible,
    "case_id": cases.visible,
    "export_id": exports.visible,
    "bookmark_id": bookmarks.visible,
}


def authorize(principal: Principal, roles: tuple[str, ...], params: dict[str, str]) -> None:
    """404 unless every id of the path is visible to the caller; then 403 unless the role may call."""
    for name, value in params.items():
        resolver = RESOLVERS.get(name)
        if resolver is not None:
            resolver(principal, value)
    principal.require(*roles)


__all__ = ["ADMINS", "ANY", "MANAGERS", "OPERATORS", "PLAIN_PARAMS", "RESOLVERS", "authorize", "roles_from"]
