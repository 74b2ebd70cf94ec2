"""Path id → row, resolved by the route decorator (`routing.Api.route`) right after the token is verified,
before anything reads the body or query (contract v1.1, "Authorization before validation").

Every `{..._id}` path parameter is resolved in the caller's city first (404 for another city's or an unknown id,
or a camera outside a restricted user's groups — the tenancy walk relies on "visibility before role"), then the
route's least role is checked (403). Only then does the view parse the body or query, so a caller who may not use
the route never learns the route's input schema from a 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gtvision.alerts import service as alerts
from gtvision.bookmarks import service as bookmarks
from gtvision.cases import service as cases
from gtvision.clips import service as clips
from gtvision.core.principal import Principal
from gtvision.exports import service as exports
from gtvision.mosaics import service as mosaics
from gtvision.sentinela import service as sentinela
from gtvision.sharing import agreements, grants
from gtvision.tenancy import cameras, cities, groups, users
from gtvision.tenancy.authz import roles_from

#: Path parameters that are not ids (no canonical form, no resolver).
PLAIN_PARAMS = frozenset({"asset_name", "notification", "plate"})


#: Path parameter → "visible in the caller's city or 404". A route whose id has no entry here checks
#: visibility in its own logic (and the authorization walk test lists such routes).
RESOLVERS: dict[str, Callable[[Principal, str], Any]] = {
    "city_id": cities.get,
    "camera_id": cameras.visible,
    "clip_id": clips.visible,
    "mosaic_id": mosaics.visible,
    "user_id": users.visible,
    "camera_group_id": groups.visible,
    "alert_id": alerts.visible,
    "watchlist_id": alerts.visible_watch,
    "search_id": sentinela.visible,
    "agreement_id": agreements.visible,
    "grant_id": grants.visible,
    "case_id": cases.visible,
    "export_id": exports.visible,
    "bookmark_id": bookmarks.visible,
}


__all__ = ["PLAIN_PARAMS", "RESOLVERS", "roles_from"]
