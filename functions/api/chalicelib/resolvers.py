"""Path id → row, resolved by the route decorator (`routing.Api.route`) right after the token is verified,
before anything reads the body or query (contract v1.1, "Authorization before validation").

Every `{..._id}` path parameter is resolved in the caller's city first (404 for another city's or an unknown id,
or a camera outside a restricted user's groups — the tenancy walk relies on "visibility before role"), then the
route's least role is checked (403). Only then does the view parse the body or query, so a caller who may not use
the route never learns the route's input schema from a 422.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

from gtvision.core.principal import Principal
from gtvision.tenancy.authz import roles_from

#: Path parameters that are not ids (no canonical form, no resolver).
PLAIN_PARAMS = frozenset({"asset_name", "notification", "plate"})


def _call(module: str, function: str, principal: Principal, id_: str) -> Any:
    return getattr(importlib.import_module(module), function)(principal, id_)


def _lazy(target: str) -> Callable[[Principal, str], Any]:
    """The function ``target`` names (``package.module.function``), its module imported on the first call: the
    API imports a feature's services when a request needs them, not at its cold start (ADR 0029)."""
    module, _, function = target.rpartition(".")
    return functools.partial(_call, module, function)


#: Path parameter → "visible in the caller's city or 404". A route whose id has no entry here checks
#: visibility in its own logic (and the authorization walk test lists such routes).
RESOLVERS: dict[str, Callable[[Principal, str], Any]] = {
    "city_id": _lazy("gtvision.tenancy.cities.get"),
    "camera_id": _lazy("gtvision.tenancy.cameras.visible"),
    "clip_id": _lazy("gtvision.clips.service.visible"),
    "mosaic_id": _lazy("gtvision.mosaics.service.visible"),
    "user_id": _lazy("gtvision.tenancy.users.visible"),
    "camera_group_id": _lazy("gtvision.tenancy.groups.visible"),
    "alert_id": _lazy("gtvision.alerts.service.visible"),
    "watchlist_id": _lazy("gtvision.alerts.service.visible_watch"),
    "search_id": _lazy("gtvision.sentinela.service.visible"),
    "agreement_id": _lazy("gtvision.sharing.agreements.visible"),
    "grant_id": _lazy("gtvision.sharing.grants.visible"),
    "case_id": _lazy("gtvision.cases.service.visible"),
    "export_id": _lazy("gtvision.exports.service.visible"),
    "bookmark_id": _lazy("gtvision.bookmarks.service.visible"),
}


__all__ = ["PLAIN_PARAMS", "RESOLVERS", "roles_from"]
