"""Cameras: registration with SSRF-safe URLs, encrypted credentials, per-city limits and LPR secrets.

Every function here takes a camera id in any spelling `uuid.UUID` accepts and canonicalises it first: the
id goes into encryption contexts (`webhook:{id}`, `digest:{id}`, the password's `{id}`), so an upper-case
or braced spelling must never reach them. A malformed id is "no such camera" (404, or None/no secret for
the unauthenticated callers, which answer with their usual 401).
"""

from __future__ import annotations

import dataclasses
import secrets
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from gtvision.core import crypto, db, pagination
from gtvision.core.errors import Conflict, not_found
from gtvision.core.observability import logger
from gtvision.core.principal import Principal
from gtvision.core.urls import has_embedded_credentials, parse_source_url, public_url, with_credentials
from gtvision.tenancy.authz import camera_filter, in_callers_city
from gtvision.tenancy.schemas import Camera, CameraSecrets, City
from gtvision.tenancy.store import cameras as dal
from gtvision.tenancy.store import cities as cities_dal

if TYPE_CHECKING:  # the API's models are built where an answer is: the workers reading cameras never do (ADR 0029)
    from gtvision.tenancy.api_schemas import CameraIn, CameraOut, CameraPatch

WEBHOOK_SECRET_OVERLAP = timedelta(hours=24)


def canonical(camera_id: object) -> str | None:
    """The id lower case and hyphenated (upper case, braces, no hyphens, `urn:uuid:` accepted); None when it
    is no UUID at all."""
    try:
        return str(uuid.UUID(str(camera_id)))
    except (ValueError, TypeError, AttributeError):
        return None


def _canonical_or_404(camera_id: object) -> str:
    cid = canonical(camera_id)
    if cid is None:
        raise not_found("câmera")
    return cid


def derived_status(stream_status: str, health_status: str | None) -> str:
    """The camera's `status` as the API shows it: the observed state (online/offline/unknown) of a started
    camera, `unknown` for one never started, `offline` for one a manager stopped. Same rule as
    `gtvision.health.store.DERIVED_STATUS_SQL`."""
    if stream_status == "streaming":
        return health_status or "unknown"
    return "offline" if stream_status == "stopped" else "unknown"


def public(row: Camera, webhook_secret: str | None = None) -> CameraOut:
    """The camera as the API shows it: never a password, never a secret (but a new webhook secret, once)."""
    from gtvision.tenancy.api_schemas import CameraOut, LocationOut

    location = None
    if row.lat is not None and row.lon is not None:
        location = LocationOut(lat=row.lat, lon=row.lon, address=row.address)
    return CameraOut(
        id=str(row.id),
        city_id=str(row.city_id),
        name=row.name,
        source_url=public_url(row.source_url),
        username=row.username,
        has_credentials=bool(row.username or row.has_password),
        location=location,
        lpr_enabled=row.lpr_enabled,
        substream_url=public_url(row.substream_url) if row.substream_url else None,
        status=derived_status(row.status, row.health_status),
        # What a manager asked for (registered | streaming | stopped): the v1.0 meaning of `status`.
        stream_status=row.status,
        lpr_digest_username=row.lpr_digest_username,
        lpr_keepalive_at=row.lpr_keepalive_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        webhook_secret=webhook_secret,
    )


def get_any(camera_id: str) -> Camera | None:
    """A camera whatever its city (workers and hooks, which have no caller); None when it does not exist."""
    cid = canonical(camera_id)
    if cid is None:
        return None
    with db.transaction() as conn:
        return dal.get(conn, cid, None)


def visible(principal: Principal, camera_id: str) -> Camera:
    """The camera if the caller's city owns it (admins see all) and it is within the caller's camera
    restriction; 404 otherwise — for every feature."""
    cid = _canonical_or_404(camera_id)
    if not principal.can_see_camera(cid):
        raise not_found("câmera")
    with db.transaction() as conn:
        return in_callers_city(conn, principal, dal.get, cid, "câmera")


def create(principal: Principal, city: City, data: CameraIn) -> CameraOut:
    """Register a camera in a city the caller manages (within the city's camera limit)."""
    src = parse_source_url(data.source_url)
    sub = parse_source_url(data.substream_url) if data.substream_url else None
    username = data.username if data.username is not None else (src.username or (sub.username if sub else None))
    password = data.password if data.password is not None else (src.password or (sub.password if sub else None))
    webhook_secret = secrets.token_hex(32) if data.lpr_enabled else None
    with db.transaction() as conn:
        locked = cities_dal.get(conn, str(city.id), for_update=True)  # serialises concurrent creates per city
        if locked is None:
            raise not_found("cidade")
        if dal.count_in_city(conn, str(city.id)) >= locked.camera_limit:
            raise Conflict("camera_limit_reached", f"limite de {locked.camera_limit} câmeras da cidade atingido")
        camera_id = str(uuid.uuid4())
        values: dict[str, object] = {
            "id": camera_id,
            "city_id": city.id,
            "name": data.name,
            "source_url": src.url,
            "username": username or None,
            "password_enc": crypto.encrypt(password, camera_id) if password else None,
            "lat": data.location.lat if data.location else None,
            "lon": data.location.lon if data.location else None,
            "address": data.location.address if data.location else None,
            "lpr_enabled": data.lpr_enabled,
            "substream_url": sub.url if sub else None,
            "webhook_secret_enc": crypto.encrypt(webhook_secret, f"webhook:{camera_id}") if webhook_secret else None,
        }
        row = dal.insert(conn, values)
    # The secret is shown once, at creation (or rotation).
    return public(row, webhook_secret)


def list_(principal: Principal, city: City, limit: int, cursor: str | None) -> tuple[list[CameraOut], str | None]:
    """Cameras of a city the caller can see (only their groups' for a restricted user), a page at a time."""
    with db.transaction() as conn:
        rows = dal.list_page(conn, str(city.id), limit, pagination.decode_keyset(cursor), camera_filter(principal))
    items, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [public(r) for r in items], nxt


def _digest_changes(patch: CameraPatch, camera_id: str) -> dict[str, object]:
    """The Intelbras/Dahua push credentials: set or rotate both, or clear both with nulls."""
    fields = patch.model_fields_set & {"lpr_digest_username", "lpr_digest_password"}
    if not fields:
        return {}
    if patch.lpr_digest_username is None and patch.lpr_digest_password is None:
        return {"lpr_digest_username": None, "lpr_digest_password_enc": None}
    changes: dict[str, object] = {}
    if patch.lpr_digest_username is not None:
        changes["lpr_digest_username"] = patch.lpr_digest_username
    if patch.lpr_digest_password is not None:
        changes["lpr_digest_password_enc"] = crypto.encrypt(patch.lpr_digest_password, f"digest:{camera_id}")
    return changes


def _secrets(camera_id: object) -> tuple[str, CameraSecrets] | None:
    cid = canonical(camera_id)
    if cid is None:
        return None
    with db.transaction() as conn:
        sec = dal.secrets(conn, cid)
    return None if sec is None else (cid, sec)


def digest_credentials(camera_id: str) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """The camera (its columns as a dict) and its (username, password) for Digest auth; None when it has none,
    LPR is off, or the id is no camera's (the caller answers its usual 401: no existence oracle)."""
    found = _secrets(camera_id)
    if found is None:
        return None, None
    cid, sec = found
    row = dataclasses.asdict(sec)
    if not sec.lpr_enabled or not sec.lpr_digest_username or not sec.lpr_digest_password_enc:
        return row, None
    return row, (sec.lpr_digest_username, crypto.decrypt(sec.lpr_digest_password_enc, f"digest:{cid}"))


def _source_changes(src_url: str, camera_id: str) -> dict[str, object]:
    src = parse_source_url(src_url)
    changes: dict[str, object] = {"source_url": src.url}
    if src.username is not None:
        changes["username"] = src.username
    if src.password is not None:
        changes["password_enc"] = crypto.encrypt(src.password, camera_id)
    return changes


def _substream_changes(sub_url: str | None, camera_id: str, changes: Mapping[str, object]) -> dict[str, object]:
    """Same rules as source_url: checked, its credentials moved to the camera's (the streams share them) unless
    the source URL brought its own."""
    sub = parse_source_url(sub_url) if sub_url else None
    out: dict[str, object] = {"substream_url": sub.url if sub else None}
    if sub is not None and sub.username is not None and "username" not in changes:
        out["username"] = sub.username
    if sub is not None and sub.password is not None and "password_enc" not in changes:
        out["password_enc"] = crypto.encrypt(sub.password, camera_id)
    return out


def update(principal: Principal, current: Camera, patch: CameraPatch) -> CameraOut:
    """Managers change a camera of their city (name, source, sub-stream, credentials, location, LPR, secret
    rotation)."""
    camera_id = str(current.id)
    changes: dict[str, object] = {}
    fields = patch.model_fields_set
    if patch.name is not None:
        changes["name"] = patch.name
    if patch.source_url is not None:
        changes.update(_source_changes(patch.source_url, camera_id))
    if "substream_url" in fields:
        changes.update(_substream_changes(patch.substream_url, camera_id, changes))
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
        sec = dal.secrets(conn, camera_id, for_update=True)
        if sec is None:
            raise not_found("câmera")
        enabling = patch.lpr_enabled and not sec.lpr_enabled
        if patch.lpr_enabled is False and sec.lpr_enabled:
            # Turning LPR off retires its secrets: turning it on again issues a new one, never revives these.
            changes.update(webhook_secret_enc=None, webhook_secret_prev_enc=None, webhook_secret_prev_until=None)
        elif enabling:
            new_secret = secrets.token_hex(32)
            changes["webhook_secret_enc"] = crypto.encrypt(new_secret, f"webhook:{camera_id}")
            changes.update(webhook_secret_prev_enc=None, webhook_secret_prev_until=None)
        elif patch.rotate_webhook_secret:
            new_secret = secrets.token_hex(32)
            changes["webhook_secret_enc"] = crypto.encrypt(new_secret, f"webhook:{camera_id}")
            if sec.webhook_secret_enc is not None:
                # The old secret keeps working for an overlap period so cameras can be reconfigured.
                changes["webhook_secret_prev_enc"] = sec.webhook_secret_enc
                changes["webhook_secret_prev_until"] = datetime.now(UTC) + WEBHOOK_SECRET_OVERLAP
        row = dal.update(conn, camera_id, changes) if changes else dal.get(conn, camera_id, None)
    if row is None:
        raise not_found("câmera")
    return public(row, new_secret)


def delete(camera: Camera) -> None:
    """Managers remove a camera of their city."""
    with db.transaction() as conn:
        if not dal.delete(conn, str(camera.id)):
            raise not_found("câmera")


def set_stream_status(camera_id: str, status: str) -> None:
    """What a manager asked of the stream (registered | streaming | stopped), set by the streams feature."""
    cid = _canonical_or_404(camera_id)
    with db.transaction() as conn:
        dal.update(conn, cid, {"status": status})


def _move_url_credentials(conn: db.Conn, sec: CameraSecrets) -> CameraSecrets:
    """Move credentials still inside a stored URL (rows from before they were moved) to the encrypted fields."""
    cid = str(sec.id)
    src = parse_source_url(sec.source_url)
    changes: dict[str, object] = {"source_url": src.url}
    if src.username is not None:
        changes["username"] = src.username
    if src.password is not None:
        changes["password_enc"] = crypto.encrypt(src.password, cid)
    dal.update(conn, cid, changes)
    logger.info("camera URL credentials moved to the encrypted fields", extra={"camera_id": cid})
    moved = dal.secrets(conn, cid)
    assert moved is not None
    return moved


def move_url_credentials(limit: int = 1000) -> int:
    """Move the credentials of every camera whose stored URL still holds them (an upgrade step; the answers
    never showed them, `public_url` drops them on read); how many cameras were fixed."""
    fixed = 0
    with db.transaction() as conn:
        for sec in dal.with_url_credentials(conn, limit):
            if has_embedded_credentials(sec.source_url):
                _move_url_credentials(conn, sec)
                fixed += 1
    return fixed


def source_with_credentials(camera_id: str) -> str:
    """The camera URL with its credentials, for MediaMTX or a recorder only (never for a response or log)."""
    cid = _canonical_or_404(camera_id)
    with db.transaction() as conn:
        sec = dal.secrets(conn, cid, for_update=True)
        if sec is None:
            raise not_found("câmera")
        if has_embedded_credentials(sec.source_url):
            sec = _move_url_credentials(conn, sec)
    password = crypto.decrypt(sec.password_enc, cid) if sec.password_enc else None
    return with_credentials(sec.source_url, sec.username, password)


def webhook_secrets(camera_id: str, now: datetime | None = None) -> tuple[dict[str, Any] | None, list[str]]:
    """The camera (its columns as a dict) and its active webhook secrets (current, plus the previous during the
    overlap); (None, []) for an id that is no camera's."""
    now = now or datetime.now(UTC)
    found = _secrets(camera_id)
    if found is None:
        return None, []
    cid, sec = found
    row = dataclasses.asdict(sec)
    if not sec.lpr_enabled or sec.webhook_secret_enc is None:
        return row, []
    active = [crypto.decrypt(sec.webhook_secret_enc, f"webhook:{cid}")]
    if (
        sec.webhook_secret_prev_enc is not None
        and sec.webhook_secret_prev_until
        and sec.webhook_secret_prev_until > now
    ):
        active.append(crypto.decrypt(sec.webhook_secret_prev_enc, f"webhook:{cid}"))
    return row, active


def record_keepalive(conn: db.Conn, camera_id: str, at: datetime, device_info: Mapping[str, object] | None) -> None:
    """An LPR camera said it is alive (ITS KeepAlive/DeviceInfo), inside the caller's transaction."""
    cid = canonical(camera_id)
    if cid is not None:
        dal.record_keepalive(conn, cid, at, device_info)


def substream_with_credentials(camera_id: str) -> str | None:
    """The camera's sub-stream URL with its credentials (for MediaMTX only); None when it has none."""
    cid = _canonical_or_404(camera_id)
    with db.transaction() as conn:
        sec = dal.secrets(conn, cid)
    if sec is None:
        raise not_found("câmera")
    if not sec.substream_url:
        return None
    password = crypto.decrypt(sec.password_enc, cid) if sec.password_enc else None
    return with_credentials(sec.substream_url, sec.username, password)


def ensure_named(city: Mapping[str, object], name: str, source_url: str) -> tuple[str, str]:
    """(city_id, camera_id) of the camera `name` in the city `city["name"]`/`city["state"]`, each created with
    these values on first use (the local demo's camera: no principal, no quota)."""
    with db.transaction() as conn:
        found = cities_dal.find_by_name(conn, str(city["name"]), str(city["state"]))
        city_id = str((found or cities_dal.insert(conn, dict(city))).id)
        camera = dal.find_by_name(conn, city_id, name)
        if camera is None:
            camera = dal.insert(
                conn, {"city_id": city_id, "name": name, "source_url": source_url, "status": "streaming"}
            )
    return city_id, str(camera.id)
