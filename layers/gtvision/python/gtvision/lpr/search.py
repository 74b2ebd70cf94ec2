"""LPR search: reads by plate (exact, prefix or fuzzy) and a plate's trajectory across cameras.

A user restricted to camera groups sees only their cameras' reads (`tenancy.authz.camera_filter`); another
city's reads are seen only through an inter-city grant in force (`sharing.grants`), each one audited.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from gtvision.alerts import service as alerts
from gtvision.core import db, geo, pagination
from gtvision.core.errors import Invalid, Malformed, not_found
from gtvision.core.principal import Principal
from gtvision.core.rows import rowtype
from gtvision.lpr import plates
from gtvision.lpr import store as dal
from gtvision.lpr.api_schemas import (
    LprSearchQuery,
    PlateReadOut,
    TrajectoryOut,
    TrajectoryPoint,
    TrajectoryQuery,
    VehicleOut,
)
from gtvision.lpr.schemas import PlateReadRow, RankedRead
from gtvision.sharing import grants
from gtvision.tenancy import cameras
from gtvision.tenancy.authz import camera_filter

#: Fuzzy search ranks at most this many distinct candidate plates (each key bucket is tiny; this
#: only bounds a pathological query).
FUZZY_CANDIDATES = 2000
TRAJECTORY_MAX_POINTS = 5000
TRAJECTORY_DEFAULT_SPAN = timedelta(days=1)
TRAJECTORY_MAX_SPAN = timedelta(days=31)

ReadFilter = dal.ReadFilter


def image_url(key: str | None) -> str | None:
    """A presigned URL of a read's image (None without one); Sentinela shows reads' images too."""
    return dal.presign(key) if key else None


def vehicle_public(row: PlateReadRow) -> VehicleOut | None:
    """`vehicle` of a read: contract colour/type, make/model, and the camera's raw words."""
    raw = row.vehicle or {}
    if not raw and not row.vehicle_color and not row.vehicle_type:
        return None
    return VehicleOut(
        color=row.vehicle_color,
        type=row.vehicle_type,
        make=raw.get("make"),
        model=raw.get("model"),
        color_raw=raw.get("color"),
        type_raw=raw.get("type"),
    )


def read_public(row: PlateReadRow) -> PlateReadOut:
    """A read as the API shows it (`distance` only in fuzzy search)."""
    return PlateReadOut(
        id=str(row.id),
        plate=row.plate,
        format=plates.plate_format(row.plate),
        camera_id=str(row.camera_id),
        city_id=str(row.city_id),
        captured_at=row.captured_at,
        confidence=round(float(row.confidence), 4),
        image_url=image_url(row.image_key),
        vehicle=vehicle_public(row),
        direction=row.direction,
        distance=row.distance if isinstance(row, RankedRead) else None,
    )


@rowtype(slots=False)
class SearchScope:
    """What one search reads: its filter, and the inter-city grant it reads another city through (if any)."""

    filter: ReadFilter
    grant: grants.GrantScope | None = None


def read_filter(principal: Principal, query: LprSearchQuery) -> SearchScope:
    """What the caller may search: their city (admins: any or the one asked), a camera they can see, only
    their cameras' reads when restricted to camera groups; or exactly the plate and window an inter-city
    grant in force gives of another city (`city_id` of that city, exact match)."""
    plate = query.plate if query.match == "exact" else None
    grant = grants.granted_scope(principal, query.city_id, plate, query.from_, query.to)
    if grant is not None:  # another city's reads through a grant: that plate, that window, nothing else
        return SearchScope(ReadFilter(grant.holding_city_id, None, grant.from_, grant.to), grant)
    city_id = alerts.scope_city(principal, query.city_id)
    if query.camera_id:
        camera = cameras.visible(principal, query.camera_id)
        if city_id and str(camera.city_id) != city_id:
            raise not_found("câmera")
    flt = ReadFilter(
        city_id, query.camera_id, query.from_, query.to, query.color, query.type, cameras=camera_filter(principal)
    )
    return SearchScope(flt)


def _keyset(cursor: str | None, fuzzy: bool) -> list[Any] | None:
    """The decoded cursor, checked value by value so a tampered one is a 400, never a database error."""
    if not fuzzy:
        return pagination.decode_keyset(cursor)
    after = pagination.decode_cursor(cursor)
    if after is None:
        return None
    try:
        distance, plate, at, read_id = after
        if isinstance(distance, bool) or not isinstance(distance, (int, float)) or not math.isfinite(distance):
            raise ValueError("distance")
        return [float(distance), plates.clean_plate(plate), *pagination.check_keyset([at, read_id])]
    except (TypeError, ValueError):
        raise Malformed("invalid_cursor", "cursor inválido") from None


def search(principal: Principal, query: LprSearchQuery, scope: SearchScope) -> tuple[list[PlateReadOut], str | None]:
    """Reads matching the query: exact/prefix newest first; fuzzy closest plate first, then newest. Reads seen
    through a grant are audited in both cities."""
    plate, limit, flt = query.plate, query.limit, scope.filter
    after = _keyset(query.cursor, query.match == "fuzzy" and plate is not None)
    with db.transaction() as conn:
        if query.match != "fuzzy" or plate is None:
            rows = dal.search_page(conn, flt, plate, query.match == "prefix", after, limit)
            items, nxt = pagination.page(rows, limit, ("captured_at", "id"))
            if scope.grant is not None:
                grants.audit_access(principal, scope.grant, [r.id for r in items], "grant.lpr_search")
            return [read_public(r) for r in items], nxt
        skeleton, keys = plates.skeleton_and_keys(plate)
        candidates = dal.fuzzy_candidates(conn, flt, skeleton, keys, FUZZY_CANDIDATES)
        # closest first; ties: true Brazilian formats before foreign plates and misreads, then the plate
        ranked = sorted(
            ((p, plates.plate_distance(plate, p), plates.format_rank(p)) for p in candidates),
            key=lambda t: (t[1], t[2], t[0]),
        )
        if not ranked:
            return [], None
        ranked_rows = dal.fuzzy_page(conn, flt, ranked, keys, after and [*after, plates.format_rank(after[1])], limit)
    found, nxt = pagination.page(ranked_rows, limit, ("distance", "plate", "captured_at", "id"))
    return [read_public(r) for r in found], nxt


def trajectory(principal: Principal, query: TrajectoryQuery) -> TrajectoryOut:
    """The plate's reads in time order with camera names/locations and the speed between points: the caller's
    city (only their cameras when restricted to camera groups), plus other cities' reads of the plate that
    inter-city grants in force show (only that city's with its `city_id`), each one audited."""
    to = query.to or datetime.now(UTC)
    from_ = query.from_ or to - TRAJECTORY_DEFAULT_SPAN
    if from_ >= to:
        raise Invalid("invalid_range", "from deve ser anterior a to")
    if to - from_ > TRAJECTORY_MAX_SPAN:
        raise Invalid("range_too_long", "intervalo máximo de 31 dias")
    grant = grants.granted_scope(principal, query.city_id, query.plate, from_, to)
    city_id = None if grant else alerts.scope_city(principal, query.city_id)
    shared = [grant] if grant else [] if query.city_id else grants.granted_scopes(principal, query.plate, from_, to)
    with db.transaction() as conn:
        own = ReadFilter(city_id, None, from_, to, cameras=camera_filter(principal))
        rows = [] if grant else dal.trajectory(conn, own, query.plate, TRAJECTORY_MAX_POINTS + 1)
        for g in shared:
            got = dal.trajectory(
                conn, ReadFilter(g.holding_city_id, None, g.from_, g.to), query.plate, TRAJECTORY_MAX_POINTS + 1
            )
            grants.audit_access(principal, g, [r.id for r in got], "grant.lpr_trajectory")
            rows = sorted([*rows, *got], key=lambda r: (r.captured_at, str(r.id)))
    other = {g.holding_city_id for g in shared}
    points: list[TrajectoryPoint] = []
    visited: list[str] = []
    max_speed: float | None = None
    for prev, row in zip([None, *rows], rows[:TRAJECTORY_MAX_POINTS], strict=False):
        camera_id = str(row.camera_id)
        if camera_id not in visited:
            visited.append(camera_id)
        km = speed = None
        if prev is not None and None not in (row.lat, row.lon, prev.lat, prev.lon):
            km = geo.haversine_km(prev.lat or 0.0, prev.lon or 0.0, row.lat or 0.0, row.lon or 0.0)
            speed = geo.speed_kmh(km, (row.captured_at - prev.captured_at).total_seconds())
            if speed is not None and math.isinf(speed):
                speed = None  # same instant at two places: no finite speed (clone alerts cover it)
            if speed is not None:
                max_speed = speed if max_speed is None else max(max_speed, speed)
        points.append(
            TrajectoryPoint(
                id=str(row.id),
                camera_id=camera_id,
                camera_name=row.camera_name,
                lat=row.lat,
                lon=row.lon,
                captured_at=row.captured_at,
                confidence=round(float(row.confidence), 4),
                image_url=image_url(row.image_key),
                distance_km_from_previous=None if km is None else round(km, 3),
                speed_kmh_from_previous=None if speed is None else round(speed, 1),
                city_id=str(row.city_id),
                other_city=str(row.city_id) in other,  # seen through a grant (the map marks it)
            )
        )
    return TrajectoryOut.model_validate(
        {
            "plate": query.plate,
            "from": from_,
            "to": to,
            "points": points,
            "cameras_visited": visited,
            "max_speed_kmh": None if max_speed is None else round(max_speed, 1),
            "truncated": len(rows) > TRAJECTORY_MAX_POINTS,
        }
    )


def read_ref(principal: Principal, read_id: str) -> tuple[str, datetime, str]:
    """(camera id, captured at, plate) of a read the caller may see (a case item refers to it); 404 otherwise."""
    with db.transaction() as conn:
        found = dal.read_ref(conn, read_id, principal.scope)
    if found is None:
        raise not_found("leitura de placa")
    cameras.visible(principal, found[0])
    return found
