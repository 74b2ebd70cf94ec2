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
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from gtvision.core import crypto, db
from gtvision.core.errors import Invalid, NotFound, Unauthorized
from gtvision.core.jsonutil import JsonObject
from gtvision.core.models import parse
from gtvision.core.observability import logger
from gtvision.lpr import digest
from gtvision.lpr import ingest as lpr_ingest
from gtvision.lpr import store as dal
from gtvision.lpr.ingest import CameraRef
from gtvision.lpr.intelbras_schemas import ItsAnswer, SnapInfo, TollgateInfo
from gtvision.lpr.schemas import WebhookRead
from gtvision.tenancy import cameras, cities

NOTIFICATIONS = ("TollgateInfo", "KeepAlive", "DeviceInfo")
REALM = "gtvision-lpr"
SUCCESS = ItsAnswer(Result=True, Message="Success")
MAX_DEVICE_INFO_BYTES = 16 * 1024
#: The request-target a camera signs ends with this (behind a gateway stage prefix too).
_URI = re.compile(r"/v1/lpr/intelbras/(?P<camera>[^/]+)/NotificationInfo/(?P<notification>[A-Za-z]+)$")


class DigestChallenge(Unauthorized):
    """401 with fresh `WWW-Authenticate` challenges (one per algorithm)."""

    def __init__(self, scope: str, *, stale: bool = False, now: datetime | None = None) -> None:
        at = (now or datetime.now(UTC)).timestamp()
        challenges: list[str] = digest.challenges(_key(), scope, REALM, stale=stale, now=at)
        super().__init__(
            "invalid_digest", "autenticação Digest necessária ou inválida", {"WWW-Authenticate": challenges}
        )


def unknown_camera() -> DigestChallenge:
    """A path id that is no camera id at all: the same 401 as a wrong password (ids cannot be probed)."""
    return DigestChallenge(f"intelbras:{uuid.uuid4()}")


def _key() -> bytes:
    return crypto.derived_key(b"gtvision-digest-nonce", purpose="Digest nonces cannot be signed")


def _target(camera_id: str, notification: str) -> Callable[[str], bool]:
    """Whether a Digest `uri` is this request's target, whatever spelling of the camera id the camera used."""

    def matches(uri: str) -> bool:
        m = _URI.search(uri.split("?", 1)[0])
        if m is None or m.group("notification") != notification:
            return False
        try:
            return str(uuid.UUID(m.group("camera"))) == camera_id
        except ValueError:
            return False

    return matches


def authenticate(camera_id: str, notification: str, authorization: str | None, now: datetime) -> CameraRef:
    """The camera whose Digest credentials signed this request; DigestChallenge (401) otherwise.

    `camera_id` is canonical (the route canonicalised it). Unknown camera, LPR off, no credentials, wrong user
    or password, another camera's nonce, an expired one (stale=true) or a replayed (nonce, nc): the same 401
    with fresh challenges.
    """
    if notification not in NOTIFICATIONS:
        raise NotFound("not_found", "notificação inexistente")
    camera, creds = cameras.digest_credentials(camera_id)
    scope = f"intelbras:{camera_id}"
    try:
        verified = digest.verify(
            authorization,
            key=_key(),
            scope=scope,
            realm=REALM,
            method="POST",
            target=_target(camera_id, notification),
            credentials=digest.Credentials(*creds) if creds else None,
            now=now.timestamp(),
        )
        # qop=auth does not cover the body: a captured header must not carry another body (each (nonce, nc) once)
        with db.transaction() as conn:
            if not dal.use_nonce(conn, verified.nonce, verified.nc, digest.nonce_expiry(verified.nonce)):
                raise digest.DigestError("nonce_replayed")
    except digest.DigestError as exc:
        logger.info("intelbras push refused", extra={"reason": exc.reason, "camera_id": camera_id})
        raise DigestChallenge(scope, stale=exc.stale, now=now) from None
    assert camera is not None  # credentials exist only for an existing camera
    return CameraRef(camera["id"], camera["city_id"])


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
    try:
        return naive.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)
    except OverflowError:  # 9999-12-31 23:59:59 on a clock behind UTC is past datetime.max in UTC
        raise Invalid("invalid_accurate_time", "AccurateTime fora do intervalo de datas aceito") from None


def event_id(snap: SnapInfo, plate: str) -> str:
    """The idempotency key of a push without an event id: the same read resent gives the same key."""
    digest_ = hashlib.sha256(f"{snap.DeviceID}|{snap.AccurateTime}|{plate}".encode()).hexdigest()
    return f"its-{digest_[:48]}"


def to_webhook_read(data: TollgateInfo, tz_name: str) -> WebhookRead:
    """The push as a read of our webhook format (confidence 0–100 → 0–1, local time → UTC)."""
    pic = data.Picture
    plate = pic.Plate.PlateNumber
    confidence = pic.Plate.Confidence
    if confidence is None:
        raise Invalid("validation_error", "dados inválidos — Picture.Plate.Confidence: obrigatório")
    vehicle = pic.Vehicle
    image = (pic.NormalPic.Content if pic.NormalPic else None) or (pic.VehiclePic.Content if pic.VehiclePic else None)
    read: JsonObject = {
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
    return parse(WebhookRead, read)


def _timezone_of(camera: CameraRef) -> str:
    city = cities.find(str(camera.city_id))
    return city.timezone if city else "America/Sao_Paulo"


def handle(camera: CameraRef, notification: str, body: Any, raw_body: bytes, now: datetime) -> ItsAnswer:
    """Process an authenticated push; returns what the camera expects (`Result: true` stops its resends)."""
    camera_id = str(camera.id)
    if notification == "TollgateInfo":
        data = parse(TollgateInfo, body)
        if not data.Picture.Plate.PlateNumber or not any(c.isalnum() for c in data.Picture.Plate.PlateNumber):
            # A vehicle with no plate read: nothing to store as a plate read, and a refusal would make the
            # camera resend it forever (it keeps unanswered pushes and retries them).
            logger.info("intelbras push without plate ignored", extra={"camera_id": camera_id})
            return ItsAnswer(Result=True, Message="Sem placa: ignorado")
        read = to_webhook_read(data, _timezone_of(camera))
        read_id, created = lpr_ingest.ingest_event(camera, read, now)
        logger.info("intelbras read", extra={"camera_id": camera_id, "read_id": read_id, "new_read": created})
        return SUCCESS
    info: JsonObject | None = None
    if notification == "DeviceInfo":
        if len(raw_body) > MAX_DEVICE_INFO_BYTES:
            raise Invalid("device_info_too_large", "DeviceInfo maior que 16 KB")
        info = body if isinstance(body, dict) else {"raw": json.dumps(body)[:1024]}
    with db.transaction() as conn:
        cameras.record_keepalive(conn, camera_id, now, info)
    return SUCCESS
