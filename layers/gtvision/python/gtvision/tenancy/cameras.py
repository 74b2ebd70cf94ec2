"""Cameras: registration with SSRF-safe URLs, encrypted credentials, per-city limits and LPR secrets."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from gtvision.core import crypto, db, pagination
from gtvision.core.errors import Conflict, not_found
from gtvision.core.principal import Principal
from gtvision.core.urls import parse_source_url, with_credentials
from gtvision.tenancy.authz import in_callers_city
from gtvision.tenancy.schemas import Camera, CameraIn, CameraPatch
from gtvision.tenancy.store import cameras as dal
from gtvision.tenancy.store import cities as cities_dal

WEBHOOK_SECRET_OVERLAP = timedelta(hours=24)


def derived_status(stream_status: str, health_status: str | None) -> str:
    """The camera's `status` as the API shows it: the observed state (online/offline/unknown) of a started
    camera, `unknown` for one never started, `offline` for one a manager stopped. Same rule as
    `gtvision.health.store.DERIVED_STATUS_SQL`."""
    if stream_status == "streaming":
        return health_status or "unknown"
    return "offline" if stream_status == "stopped" else "unknown"


def to_public(row: Camera) -> dict[str, Any]:
    """The camera as the API shows it: never a password, never a secret."""
    location = None
    if row.lat is not None and row.lon is not None:
        location = {"lat": row.lat, "lon": row.lon, "address": row.address}
    return {
        "id": str(row.id),
        "city_id": str(row.city_id),
        "name": row.name,
        "source_url": row.source_url,
        "username": row.username,
        "has_credentials": bool(row.username or row.has_password),
        "location": location,
        "lpr_enabled": row.lpr_enabled,
        "substream_url": row.substream_url,
        "status": derived_status(row.status, row.health_status),
        # What a manager asked for (registered | streaming | stopped): the v1.0 meaning of `status`.
        "stream_status": row.status,
        "lpr_digest_username": row.lpr_digest_username,
        "lpr_keepalive_at": row.lpr_keepalive_at,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def get_any(camera_id: str) -> Camera | None:
    """A camera whatever its city (workers and hooks, which have no caller); None when it does not exist."""
    with db.transaction() as conn:
        return dal.get(conn, camera_id, None)


def visible(principal: Principal, camera_id: str) -> Camera:
    """The camera if the caller's city owns it (admins see all); 404 otherwise — for every feature."""
    with db.transaction() as conn:
        return in_callers_city(conn, principal, dal.get, camera_id, "câmera")


def create(principal: Principal, city_id: str, data: CameraIn) -> dict[str, Any]:
    """Register a camera in a city the caller manages (within the city's camera limit)."""
    if not principal.can_see_city(city_id):
        raise not_found("cidade")
    principal.require("admin", "manager")
    src = parse_source_url(data.source_url)
    sub = parse_source_url(data.substream_url) if data.substream_url else None
    username = data.username if data.username is not None else (src.username or (sub.username if sub else None))
    password = data.password if data.password is not None else (src.password or (sub.password if sub else None))
    webhook_secret = secrets.token_hex(32) if data.lpr_enabled else None
    with db.transaction() as conn:
        city = cities_dal.get(conn, city_id, for_update=True)  # serialises concurrent creates per city
        if city is None:
            raise not_found("cidade")
        if dal.count_in_city(conn, city_id) >= city.camera_limit:
            raise Conflict("camera_limit_reached", f"limite de {city.camera_limit} câmeras da cidade atingido")
        camera_id = uuid.uuid4()
        values: dict[str, Any] = {
            "id": camera_id,
            "city_id": city_id,
            "name": data.name,
            "source_url": src.url,
            "username": username or None,
            "password_enc": crypto.encrypt(password, str(camera_id)) if password else None,
            "lat": data.location.lat if data.location else None,
            "lon": data.location.lon if data.location else None,
            "address": data.location.address if data.location else None,
            "lpr_enabled": data.lpr_enabled,
            "substream_url": sub.url if sub else None,
            "webhook_secret_enc": crypto.encrypt(webhook_secret, f"webhook:{camera_id}") if webhook_secret else None,
        }
        row = dal.insert(conn, values)
    out = to_public(row)
    if webhook_secret:
        out["webhook_secret"] = webhook_secret  # shown once, at creation (or rotation)
    return out


def list_(
    principal: Principal, city_id: str, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Cameras of a city the caller can see, a page at a time."""
    if not principal.can_see_city(city_id):
        raise not_found("cidade")
    with db.transaction() as conn:
        if cities_dal.get(conn, city_id) is None:
            raise not_found("cidade")
        rows = dal.list_page(conn, city_id, limit, pagination.decode_keyset(cursor))
    items, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [to_public(r) for r in items], nxt


def _digest_changes(patch: CameraPatch, camera_id: str) -> dict[str, Any]:
    """The Intelbras/Dahua push credentials: set or rotate both, or clear both with nulls."""
    fields = patch.model_fields_set & {"lpr_digest_username", "lpr_digest_password"}
    if not fields:
        return {}
    if patch.lpr_digest_username is None and patch.lpr_digest_password is None:
        return {"lpr_digest_username": None, "lpr_digest_password_enc": None}
    changes: dict[str, Any] = {}
    if patch.lpr_digest_username is not None:
        changes["lpr_digest_username"] = patch.lpr_digest_username
    if patch.lpr_digest_password is not None:
        changes["lpr_digest_password_enc"] = crypto.encrypt(patch.lpr_digest_password, f"digest:{camera_id}")
    return changes


def digest_credentials(camera_id: str) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """The camera and its (username, password) for Digest auth; None when it has none or LPR is off."""
    with db.transaction() as conn:
        sec = dal.secrets(conn, camera_id)
    if sec is None or not sec["lpr_enabled"] or not sec["lpr_digest_username"] or not sec["lpr_digest_password_enc"]:
        return sec, None
    return sec, (sec["lpr_digest_username"], crypto.decrypt(sec["lpr_digest_password_enc"], f"digest:{camera_id}"))


def update(principal: Principal, camera_id: str, patch: CameraPatch) -> dict[str, Any]:
    """Managers change a camera of their city (name, source, credentials, location, LPR, secret rotation)."""
    current = visible(principal, camera_id)
    principal.require("admin", "manager")
    changes: dict[str, Any] = {}
    fields = patch.model_fields_set
    if patch.name is not None:
        changes["name"] = patch.name
    if patch.source_url is not None:
        src = parse_source_url(patch.source_url)
        changes["source_url"] = src.url
        if src.username is not None:
            changes["username"] = src.username
        if src.password is not None:
            changes["password_enc"] = crypto.encrypt(src.password, camera_id)
    if "substream_url" in fields:
        # Same rules as source_url: checked, its credentials moved to the camera's (the streams share them).
        sub = parse_source_url(patch.substream_url) if patch.substream_url else None
        changes["substream_url"] = sub.url if sub else None
        if sub is not None and sub.username is not None and "username" not in changes:
            changes["username"] = sub.username
        if sub is not None and sub.password is not None and "password_enc" not in changes:
            changes["password_enc"] = crypto.encrypt(sub.password, camera_id)
    if "username" in fields:
        changes["username"] = patch.username or None
    if "password" in fields:
        changes["password_enc"] = crypto.encrypt(patch.password, camera_id) if patch.password else None
    if "location" in fields:
        loc = patch.location
        changes.update(lat=loc.lat if loc else None, lon=loc.lon if loc else None, address=loc.address if loc else None)
    changes.update(_digest_changes(patch, camera_id))
    new_secret = None
    if patch.lpr_enabled is not None:
        changes["lpr_enabled"] = patch.lpr_enabled
    with db.transaction() as conn:
        sec = dal.secrets(conn, camera_id)
        enabling = patch.lpr_enabled and not current.lpr_enabled
        if patch.lpr_enabled is False and current.lpr_enabled:
            # Turning LPR off retires its secrets: turning it on again issues a new one, never revives these.
            changes.update(webhook_secret_enc=None, webhook_secret_prev_enc=None, webhook_secret_prev_until=None)
        elif enabling:
            new_secret = secrets.token_hex(32)
            changes["webhook_secret_enc"] = crypto.encrypt(new_secret, f"webhook:{camera_id}")
            changes.update(webhook_secret_prev_enc=None, webhook_secret_prev_until=None)
        elif patch.rotate_webhook_secret:
            new_secret = secrets.token_hex(32)
            changes["webhook_secret_enc"] = crypto.encrypt(new_secret, f"webhook:{camera_id}")
            if sec and sec["webhook_secret_enc"] is not None:
                # The old secret keeps working for an overlap period so cameras can be reconfigured.
                changes["webhook_secret_prev_enc"] = sec["webhook_secret_enc"]
                changes["webhook_secret_prev_until"] = datetime.now(UTC) + WEBHOOK_SECRET_OVERLAP
        row = dal.update(conn, camera_id, changes) if changes else dal.get(conn, camera_id, None)
    if row is None:
        raise not_found("câmera")
    out = to_public(row)
    if new_secret:
        out["webhook_secret"] = new_secret
    return out


def delete(principal: Principal, camera_id: str) -> None:
    """Managers remove a camera of their city."""
    visible(principal, camera_id)
    principal.require("admin", "manager")
    with db.transaction() as conn:
        if not dal.delete(conn, camera_id):
            raise not_found("câmera")


def source_with_credentials(camera_id: str) -> str:
    """The camera URL with its credentials, for MediaMTX or a recorder only (never for a response or log)."""
    with db.transaction() as conn:
        sec = dal.secrets(conn, camera_id)
    if sec is None:
        raise not_found("câmera")
    password = crypto.decrypt(sec["password_enc"], camera_id) if sec["password_enc"] else None
    return with_credentials(sec["source_url"], sec["username"], password)


def webhook_secrets(camera_id: str, now: datetime | None = None) -> tuple[dict[str, Any] | None, list[str]]:
    """The camera row and its active webhook secrets (current, plus the previous during the overlap)."""
    now = now or datetime.now(UTC)
    with db.transaction() as conn:
        sec = dal.secrets(conn, camera_id)
    if sec is None or not sec["lpr_enabled"] or sec["webhook_secret_enc"] is None:
        return sec, []
    active = [crypto.decrypt(sec["webhook_secret_enc"], f"webhook:{camera_id}")]
    if (
        sec["webhook_secret_prev_enc"] is not None
        and sec["webhook_secret_prev_until"]
        and sec["webhook_secret_prev_until"] > now
    ):
        active.append(crypto.decrypt(sec["webhook_secret_prev_enc"], f"webhook:{camera_id}"))
    return sec, active


def record_keepalive(conn: db.Conn, camera_id: str, at: datetime, device_info: dict[str, Any] | None) -> None:
    """An LPR camera said it is alive (ITS KeepAlive/DeviceInfo), inside the caller's transaction."""
    dal.record_keepalive(conn, camera_id, at, device_info)


def set_stream_status(camera_id: str, status: str) -> None:
    """What a manager asked of the camera's stream (`streaming` | `stopped`), set by the streams feature."""
    with db.transaction() as conn:
        dal.update(conn, camera_id, {"status": status})


def substream_with_credentials(camera_id: str) -> str | None:
    """The camera's sub-stream URL with its credentials (for MediaMTX only); None when it has none."""
    with db.transaction() as conn:
        sec = dal.secrets(conn, camera_id)
    if sec is None:
        raise not_found("câmera")
    if not sec["substream_url"]:
        return None
    password = crypto.decrypt(sec["password_enc"], camera_id) if sec["password_enc"] else None
    return with_credentials(sec["substream_url"], sec["username"], password)
