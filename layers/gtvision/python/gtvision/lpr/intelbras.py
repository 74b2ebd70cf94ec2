"""Intelbras/Dahua ITS push (`/NotificationInfo/{TollgateInfo|KeepAlive|DeviceInfo}`) with HTTP Digest auth.

The camera posts its own JSON (`Picture.Plate`, `Picture.Vehicle`, `Picture.SnapInfo`, base64 pictures).
A TollgateInfo push becomes a read in our webhook format and goes through the same ingest (validation,
image in S3, idempotency, alerts), so both formats store and search alike. `AccurateTime` is the
camera's local wall clock: it is read in the city's timezone and stored in UTC. A camera resends a push
that was not answered `{"Result": true}`; without an event id in the payload the idempotency key is
derived from (DeviceID, AccurateTime, PlateNumber).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from gtvision.core import crypto, db
from gtvision.core.errors import Invalid, NotFound, Unauthorized
from gtvision.core.models import parse
from gtvision.core.observability import logger
from gtvision.lpr import digest
from gtvision.lpr import ingest as lpr_ingest
from gtvision.lpr.intelbras_schemas import SnapInfo, TollgateInfo
from gtvision.tenancy import cameras, cities

NOTIFICATIONS = ("TollgateInfo", "KeepAlive", "DeviceInfo")
REALM = "gtvision-lpr"
SUCCESS = {"Result": True, "Message": "Success"}
MAX_DEVICE_INFO_BYTES = 16 * 1024


class DigestChallenge(Unauthorized):
    """401 with fresh `WWW-Authenticate` challenges (one per algorithm)."""

    def __init__(self, headers: list[str]) -> None:
        super().__init__("invalid_digest", "autenticação Digest necessária ou inválida")
        self.challenges = headers


def _key() -> bytes:
    return crypto.derived_key(b"gtvision-digest-nonce", purpose="Digest nonces cannot be signed")


def authenticate(camera_id: str, notification: str, authorization: str | None, now: datetime) -> dict[str, Any]:
    """The camera whose Digest credentials signed this request; DigestChallenge (401) otherwise.

    Unknown camera, LPR off, no credentials, wrong user or password, another camera's nonce or an
    expired one: the same 401 with fresh challenges (stale=true only for a genuine expired nonce).
    """
    if notification not in NOTIFICATIONS:
        raise NotFound("not_found", "notificação inexistente")
    camera, creds = cameras.digest_credentials(camera_id)
    path = f"/v1/lpr/intelbras/{camera_id}/NotificationInfo/{notification}"
    scope = f"intelbras:{camera_id}"
    try:
        digest.verify(
            authorization,
            key=_key(),
            scope=scope,
            realm=REALM,
            method="POST",
            path=path,
            credentials=digest.Credentials(*creds) if creds else None,
            now=now.timestamp(),
        )
    except digest.DigestError as exc:
        logger.info("intelbras push refused", extra={"reason": exc.reason, "camera_id": camera_id})
        raise DigestChallenge(digest.challenges(_key(), scope, REALM, stale=exc.stale, now=now.timestamp())) from None
    assert camera is not None  # credentials exist only for an existing camera
    return camera


def local_to_utc(accurate_time: str, tz_name: str) -> datetime:
    """`YYYY-MM-DD HH:MM:SS[.fff]` on the city's wall clock → aware UTC (422 when unreadable)."""
    text = accurate_time.strip().replace("T", " ")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            naive = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    else:
        raise Invalid("invalid_accurate_time", "AccurateTime deve ser 'AAAA-MM-DD HH:MM:SS'")
    return naive.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def event_id(snap: SnapInfo, plate: str) -> str:
    """The idempotency key of a push without an event id: the same read resent gives the same key."""
    digest_ = hashlib.sha256(f"{snap.DeviceID}|{snap.AccurateTime}|{plate}".encode()).hexdigest()
    return f"its-{digest_[:48]}"


def to_webhook_read(data: TollgateInfo, tz_name: str) -> dict[str, Any]:
    """The push as a read of our webhook format (confidence 0–100 → 0–1, local time → UTC)."""
    pic = data.Picture
    plate = pic.Plate.PlateNumber
    confidence = pic.Plate.Confidence
    if confidence is None:
        raise Invalid("validation_error", "dados inválidos — Picture.Plate.Confidence: obrigatório")
    vehicle = pic.Vehicle
    image = (pic.NormalPic.Content if pic.NormalPic else None) or (pic.VehiclePic.Content if pic.VehiclePic else None)
    read: dict[str, Any] = {
        "event_id": event_id(pic.SnapInfo, plate),
        "plate": plate,
        "confidence": round(confidence / 100.0, 4),
        "captured_at": local_to_utc(pic.SnapInfo.AccurateTime, tz_name).isoformat(),
        "direction": pic.SnapInfo.Direction or None,
    }
    if vehicle:
        read["vehicle"] = {
            k: v
            for k, v in {
                "color": vehicle.VehicleColor,
                "type": vehicle.VehicleType,
                "make": vehicle.VehicleSign,
                "model": vehicle.VehicleSeries,
            }.items()
            if v
        }
    if image:
        read["image_jpeg_base64"] = image
    return read


def _timezone_of(camera: dict[str, Any]) -> str:
    city = cities.find(str(camera["city_id"]))
    return city.timezone if city else "America/Sao_Paulo"


def handle(camera: dict[str, Any], notification: str, body: Any, raw_body: bytes, now: datetime) -> dict[str, Any]:
    """Process an authenticated push; returns what the camera expects (`Result: true` stops its resends)."""
    camera_id = str(camera["id"])
    if notification == "TollgateInfo":
        data = parse(TollgateInfo, body)
        if not data.Picture.Plate.PlateNumber or not any(c.isalnum() for c in data.Picture.Plate.PlateNumber):
            # A vehicle with no plate read: nothing to store as a plate read, and a refusal would make the
            # camera resend it forever (it keeps unanswered pushes and retries them).
            logger.info("intelbras push without plate ignored", extra={"camera_id": camera_id})
            return {"Result": True, "Message": "Sem placa: ignorado"}
        read = to_webhook_read(data, _timezone_of(camera))
        read_id, created = lpr_ingest.ingest_event(camera, read, now)
        logger.info("intelbras read", extra={"camera_id": camera_id, "read_id": read_id, "new_read": created})
        return dict(SUCCESS)
    info: dict[str, Any] | None = None
    if notification == "DeviceInfo":
        if len(raw_body) > MAX_DEVICE_INFO_BYTES:
            raise Invalid("device_info_too_large", "DeviceInfo maior que 16 KB")
        info = body if isinstance(body, dict) else {"raw": json.dumps(body)[:1024]}
    with db.transaction() as conn:
        cameras.record_keepalive(conn, camera_id, now, info)
    return dict(SUCCESS)
