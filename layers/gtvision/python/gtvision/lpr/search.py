"""LPR search: reads by plate (exact, prefix or fuzzy) and a plate's trajectory across cameras."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard

from gtvision.alerts import service as alerts
from gtvision.core import db, geo, pagination
from gtvision.core.errors import Invalid, Malformed, not_found
from gtvision.core.principal import Principal
from gtvision.core.records import PlateRead, TrajectoryRead
from gtvision.core.timeutil import query_time
from gtvision.lpr import plates, vehicles
from gtvision.lpr import store as dal
from gtvision.sharing import grants
from gtvision.tenancy import cameras

#: Fuzzy search ranks at most this many distinct candidate plates (each key bucket is tiny; this
#: only bounds a pathological query).
FUZZY_CANDIDATES = 2000
TRAJECTORY_MAX_POINTS = 5000
TRAJECTORY_DEFAULT_SPAN = timedelta(days=1)
TRAJECTORY_MAX_SPAN = timedelta(days=31)
MATCHES = ("exact", "prefix", "fuzzy")


def _check_range(from_: datetime | None, to: datetime | None) -> None:
    if from_ and to and from_ >= to:
        raise Invalid("invalid_range", "from deve ser anterior a to")


def _read_public(row: PlateRead) -> dict[str, Any]:
    out = {
        "id": str(row["id"]),
        "plate": row["plate"],
        "format": plates.plate_format(row["plate"]),
        "camera_id": str(row["camera_id"]),
        "city_id": str(row["city_id"]),
        "captured_at": row["captured_at"],
        "confidence": round(float(row["confidence"]), 4),
        "image_url": dal.presign(row["image_key"]) if row["image_key"] else None,
        "vehicle": vehicle_public(row),
        "direction": row["direction"],
    }
    if "distance" in row:
        out["distance"] = row["distance"]
    return out


def vehicle_public(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """`vehicle` of a read: contract colour/type, make/model, and the camera's raw words."""
    raw = row.get("vehicle") or {}
    if not raw and not row.get("vehicle_color") and not row.get("vehicle_type"):
        return None
    return {
        "color": row.get("vehicle_color"),
        "type": row.get("vehicle_type"),
        "make": raw.get("make"),
        "model": raw.get("model"),
        "color_raw": raw.get("color"),
        "type_raw": raw.get("type"),
    }


@dataclass
class SearchQuery:
    plate: str | None
    match: str
    filter: dal.ReadFilter
    #: Another city's reads seen through an inter-city grant (exactly its plate and window; audited).
    grant: grants.GrantScope | None = None


def search_query(principal: Principal, q: dict[str, str]) -> SearchQuery:
    """Validate the query string of GET /v1/lpr/events (city scope included)."""
    match = q.get("match") or "exact"
    if match not in MATCHES:
        raise Invalid("invalid_match", "match deve ser exact, prefix ou fuzzy")
    raw = q.get("plate") or None
    plate: str | None = None
    if raw is not None:
        try:
            plate = plates.normalize_plate(raw) if match == "exact" else plates.clean_plate(raw)
        except ValueError as exc:
            raise Invalid("invalid_plate", str(exc)) from None
        if match == "fuzzy" and not plates.MIN_LEN <= len(plate) <= plates.MAX_LEN:
            raise Invalid("invalid_plate", "a busca aproximada precisa da placa inteira (5 a 8 caracteres)")
    elif match != "exact":
        raise Invalid("plate_required", "informe a placa para busca prefix ou fuzzy")
    from_, to = query_time(q.get("from"), "from"), query_time(q.get("to"), "to")
    grant = grants.granted_scope(principal, q.get("city_id"), plate if match == "exact" else None, from_, to)
    if grant is not None:  # another city's reads through a grant: that plate, that window, nothing else
        return SearchQuery(plate, match, dal.ReadFilter(grant.holding_city_id, None, grant.from_, grant.to), grant)
    city_id = alerts.scope_city(principal, q.get("city_id") or None)
    camera_id = q.get("camera_id") or None
    if camera_id:
        try:
            uuid.UUID(camera_id)
        except ValueError:
            raise not_found("câmera") from None
        camera = cameras.visible(principal, camera_id)
        if city_id and str(camera.city_id) != city_id:
            raise not_found("câmera")
    _check_range(from_, to)
    try:
        color, kind = vehicles.query_color(q.get("color")), vehicles.query_type(q.get("type"))
    except ValueError as exc:
        raise Invalid("invalid_vehicle_filter", str(exc)) from None
    return SearchQuery(plate, match, dal.ReadFilter(city_id, camera_id, from_, to, color, kind))


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


def search(
    sq: SearchQuery, limit: int, cursor: str | None, principal: Principal | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Reads matching the query: exact/prefix newest first; fuzzy closest plate first, then newest."""
    after = _keyset(cursor, sq.match == "fuzzy" and sq.plate is not None)
    with db.transaction() as conn:
        if sq.match != "fuzzy" or sq.plate is None:
            rows = dal.search_page(conn, sq.filter, sq.plate, sq.match == "prefix", after, limit)
            items, nxt = pagination.page(rows, limit, ("captured_at", "id"))
            if sq.grant is not None and principal is not None:  # read through a grant: audited in both cities
                grants.audit_access(principal, sq.grant, [r["id"] for r in items], "grant.lpr_search")
            return [_read_public(r) for r in items], nxt
        keys = plates.fuzzy_keys(sq.plate)
        candidates = dal.fuzzy_candidates(conn, sq.filter, keys, FUZZY_CANDIDATES)
        # closest first; ties: true Brazilian formats before foreign plates and misreads, then the plate
        ranked = sorted(
            ((p, plates.plate_distance(sq.plate, p), plates.format_rank(p)) for p in candidates),
            key=lambda t: (t[1], t[2], t[0]),
        )
        if not ranked:
            return [], None
        rows = dal.fuzzy_page(conn, sq.filter, ranked, keys, after and [*after, plates.format_rank(after[1])], limit)
    items, nxt = pagination.page(rows, limit, ("distance", "plate", "captured_at", "id"))
    return [_read_public(r) for r in items], nxt


def _located(point: tuple[float | None, float | None]) -> TypeGuard[tuple[float, float]]:
    return point[0] is not None and point[1] is not None


def trajectory(principal: Principal, q: dict[str, str]) -> dict[str, Any]:
    """The plate's reads in time order with camera names/locations and the speed between points."""
    try:
        plate = plates.normalize_plate(q.get("plate") or "")
    except ValueError as exc:
        raise Invalid("invalid_plate", str(exc)) from None
    to = query_time(q.get("to"), "to") or datetime.now(UTC)
    from_ = query_time(q.get("from"), "from") or to - TRAJECTORY_DEFAULT_SPAN
    # Other cities' reads through inter-city grants: only that city's (city_id given), or added to the caller's own.
    grant = grants.granted_scope(principal, q.get("city_id"), plate, from_, to)
    city_id = None if grant else alerts.scope_city(principal, q.get("city_id") or None)
    shared = [grant] if grant else [] if q.get("city_id") else grants.granted_scopes(principal, plate, from_, to)
    _check_range(from_, to)
    if to - from_ > TRAJECTORY_MAX_SPAN:
        raise Invalid("range_too_long", "intervalo máximo de 31 dias")
    with db.transaction() as conn:
        flt = dal.ReadFilter(city_id, None, from_, to)
        rows = [] if grant else dal.trajectory(conn, flt, plate, TRAJECTORY_MAX_POINTS + 1)
        for g in shared:
            flt = dal.ReadFilter(g.holding_city_id, None, g.from_, g.to)
            got = dal.trajectory(conn, flt, plate, TRAJECTORY_MAX_POINTS + 1)
            grants.audit_access(principal, g, [r["id"] for r in got], "grant.lpr_trajectory")
            rows = sorted([*rows, *got], key=lambda r: (r["captured_at"], str(r["id"])))
    other = {g.holding_city_id for g in shared}
    truncated = len(rows) > TRAJECTORY_MAX_POINTS
    points: list[dict[str, Any]] = []
    visited: list[str] = []
    prev: TrajectoryRead | None = None
    max_speed: float | None = None
    for row in rows[:TRAJECTORY_MAX_POINTS]:
        camera_id = str(row["camera_id"])
        if camera_id not in visited:
            visited.append(camera_id)
        km = speed = None
        here = (row["lat"], row["lon"])
        there = (prev["lat"], prev["lon"]) if prev is not None else (None, None)
        if prev is not None and _located(here) and _located(there):
            km = geo.haversine_km(there[0], there[1], here[0], here[1])
            speed = geo.speed_kmh(km, (row["captured_at"] - prev["captured_at"]).total_seconds())
            if speed is not None and math.isinf(speed):
                speed = None  # same instant at two places: no finite speed (clone alerts cover it)
            if speed is not None:
                max_speed = speed if max_speed is None else max(max_speed, speed)
        points.append(
            {
                "id": str(row["id"]),
                "camera_id": camera_id,
                "camera_name": row["camera_name"],
                "lat": row["lat"],
                "lon": row["lon"],
                "captured_at": row["captured_at"],
                "confidence": round(float(row["confidence"]), 4),
                "image_url": dal.presign(row["image_key"]) if row["image_key"] else None,
                "distance_km_from_previous": None if km is None else round(km, 3),
                "speed_kmh_from_previous": None if speed is None else round(speed, 1),
                "city_id": str(row["city_id"]),
                "other_city": str(row["city_id"]) in other,  # seen through a grant (the map marks it)
            }
        )
        prev = row
    return {
        "plate": plate,
        "from": from_,
        "to": to,
        "points": points,
        "cameras_visited": visited,
        "max_speed_kmh": None if max_speed is None else round(max_speed, 1),
        "truncated": truncated,
    }


def read_ref(principal: Principal, read_id: str) -> tuple[str, datetime, str]:
    """(camera id, captured at, plate) of a read the caller may see (a case item refers to it); 404 otherwise."""
    with db.transaction() as conn:
        found = dal.read_ref(conn, read_id, principal.scope)
    if found is None:
        raise not_found("leitura de placa")
    cameras.visible(principal, found[0])
    return found
