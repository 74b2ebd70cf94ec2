"""LPR ingest: camera webhook reads (signed, idempotent) and batch reads from SQS.

Webhook path: authenticate the camera over the raw body, validate, store the image in S3 and the
read with one INSERT, then evaluate watchlist and clone rules inline in the same transaction (both
are index lookups, see ``alerts.evaluate``) and publish new alerts after commit.
Batch path: already-verified reads (SQS messages of one read or a list) are COPYed into a staging
table and inserted with ON CONFLICT DO NOTHING; a message with an invalid read fails alone.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from gtvision.alerts import service as alerts
from gtvision.core import db, signatures, vehicles
from gtvision.core.errors import Invalid, Malformed, TooLarge, Unauthorized
from gtvision.core.jsonutil import JsonObject
from gtvision.core.observability import logger, metrics
from gtvision.lpr import plates
from gtvision.lpr import store as dal
from gtvision.lpr.schemas import ReadBase, StoredRead, WebhookRead
from gtvision.sharing import feed as sharing_feed
from gtvision.tenancy import cameras

MAX_IMAGE_BYTES = 2 * 1024 * 1024
#: A webhook body: the largest image in base64 (4/3) plus room for the JSON around it.
MAX_WEBHOOK_BYTES = MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024
#: Cameras' clocks drift; a read "from the future" beyond this is refused.
FUTURE_SKEW = timedelta(seconds=120)
#: The oldest read accepted (backfills from a camera's buffer, an integrator's import): a camera whose clock
#: reset reports 1970 or year 1, and such a read is noise that would sort before every real one.
PAST_LIMIT = timedelta(days=366)


class CameraRef(NamedTuple):
    """The camera a push authenticated as: what ingest needs of it."""

    id: Any
    city_id: Any


#: Called after every commit that stored reads, with the reads stored (never with duplicates). See
#: `on_reads_stored`.
Observer = Callable[[list[StoredRead]], None]
_OBSERVERS: list[Observer] = []


def on_reads_stored(observer: Observer) -> Observer:
    """Register `observer(reads)`, called by every ingest path (webhook, Intelbras push, batch) after the
    transaction that stored `reads` committed, once per stored read. An observer that raises is logged and
    counted; the reads stay stored and ingest carries on, so an observer that must never miss a read keeps
    its own durable record (e.g. enqueues them) before returning. Usable as a decorator."""
    _OBSERVERS.append(observer)
    return observer


def observed() -> bool:
    """Whether any observer is registered (a batch then reads back what it stored, to hand it over)."""
    return bool(_OBSERVERS)


def notify(*, stored_reads: list[StoredRead]) -> None:
    """Hand reads committed just now to every observer (called by each ingest path after its commit)."""
    if not stored_reads:
        return
    reads = stored_reads
    for observer in list(_OBSERVERS):
        try:
            observer(reads)
        except Exception:  # noqa: BLE001 - the reads are committed; one observer never fails ingest
            logger.exception("post-ingest observer failed", extra={"observer": getattr(observer, "__name__", "?")})
            metrics.add_metric(name="LprObserverFailed", unit="Count", value=1)


@dataclass
class Read:
    """A validated read, ready to store."""

    event_id: str
    plate: str
    confidence: float
    captured_at: datetime
    vehicle: JsonObject | None
    direction: str | None
    skeleton: str = field(init=False)
    keys: list[str] = field(init=False)
    color: str | None = field(init=False)
    type: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.skeleton, self.keys = plates.skeleton_and_keys(self.plate)
        # Searchable contract values; `vehicle` keeps the camera's own words.
        self.color = vehicles.normalize_color((self.vehicle or {}).get("color"))
        self.type = vehicles.normalize_type((self.vehicle or {}).get("type"))


def stored_plate(raw: str) -> str:
    """The plate as stored (`plates.normalize_plate`); 422 `invalid_plate` otherwise."""
    try:
        return plates.normalize_plate(raw)
    except ValueError as exc:
        raise Invalid("invalid_plate", str(exc)) from None


def time_window(now: datetime) -> tuple[datetime, datetime]:
    """The captured_at a read may have when received at `now`: (earliest, latest) — see `check_captured_at`."""
    return now - PAST_LIMIT, now + FUTURE_SKEW


def check_captured_at(captured_at: datetime, window: tuple[datetime, datetime]) -> None:
    """422 for a read from the future (beyond the clocks' skew) or from over a year ago (a reset clock)."""
    if captured_at > window[1]:
        raise Invalid("captured_at_in_future", "captured_at está no futuro")
    if captured_at < window[0]:
        raise Invalid("captured_at_too_old", "captured_at é anterior a um ano atrás (relógio da câmera errado?)")


def check_storable(*texts: str | None) -> None:
    """422 for a text PostgreSQL cannot hold (a NUL character): refused here, with the read, rather than failing
    the transaction that would store it (and a whole batch of other messages' reads with it)."""
    for text in texts:
        if text is not None and "\x00" in text:
            raise Invalid("invalid_text", "texto com caractere nulo (U+0000)")


def validated(data: ReadBase, now: datetime) -> Read:
    """A read as stored: plate normalised, time checked, texts storable (422 otherwise), vehicle words mapped to
    the contract."""
    plate = stored_plate(data.plate)
    check_captured_at(data.captured_at, time_window(now))
    # The camera's own words as given (fields that are set): what `vehicle` keeps next to the contract values.
    vehicle = {k: v for k, v in vars(data.vehicle).items() if v is not None} if data.vehicle else None
    check_storable(data.event_id, data.direction, *(vehicle or {}).values())
    return Read(
        data.event_id, plate, data.confidence, data.captured_at.astimezone(UTC), vehicle or None, data.direction
    )


def is_jpeg(data: bytes) -> bool:
    """SOI first, EOI last, and a frame header (SOF) with non-zero size before the scan starts."""
    if len(data) < 8 or data[:2] != b"\xff\xd8" or data[-2:] != b"\xff\xd9":
        return False
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return False
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # EOI or start of scan before any frame header
            return False
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2 or i + 2 + length > len(data):
            return False
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # SOFn (not DHT/JPG/DAC)
            if length < 8:
                return False
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return height > 0 and width > 0 and data[i + 9] in (1, 3, 4)
        i += 2 + length
    return False


def decode_image(b64: str) -> bytes:
    """The JPEG of a webhook: 413 above 2 MB, 422 unless it is base64 of a real JPEG."""
    text = b64.strip()
    if len(text) > (MAX_IMAGE_BYTES + 2) // 3 * 4 + 4:  # reject before decoding
        raise TooLarge("image_too_large", "imagem maior que 2 MB")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("invalid_image", "image_jpeg_base64 não é base64 válido") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise TooLarge("image_too_large", "imagem maior que 2 MB")
    if not is_jpeg(data):
        raise Invalid("invalid_image", "a imagem não é um JPEG válido")
    return data


# ------------------------------------------------------------------------------------ webhook


def check_webhook_size(content_length: str | None, received: int) -> None:
    """413 when the declared or received body exceeds what a read can hold — before any HMAC or parse."""
    try:
        declared = int(content_length) if content_length else 0
    except ValueError:
        raise Malformed("invalid_content_length", "Content-Length inválido") from None
    if max(declared, received) > MAX_WEBHOOK_BYTES:
        raise TooLarge("payload_too_large", f"corpo maior que {MAX_WEBHOOK_BYTES} bytes")


def authenticate_camera(camera_id: str | None, signature: str | None, raw_body: bytes, now: datetime) -> CameraRef:
    """The camera whose secret signed `raw_body`; one 401 for every failure (unknown camera, LPR off,
    bad/stale/future signature) so nothing about camera ids leaks."""
    try:
        camera_uuid = str(uuid.UUID(camera_id)) if camera_id else None
    except ValueError:
        camera_uuid = None
    camera, active = cameras.webhook_secrets(camera_uuid, now) if camera_uuid else (None, [])
    try:
        # A throwaway secret when the camera is unknown keeps the work (and the answer) the same as for a
        # wrong signature, so camera ids cannot be probed; made per call, never at init (SnapStart).
        signatures.verify(signature, raw_body, active or [secrets.token_hex(32)], now.timestamp())
        if camera is None or not active:
            raise signatures.SignatureError("unknown_camera")
    except signatures.SignatureError as exc:
        logger.info("lpr webhook refused", extra={"reason": exc.reason})
        raise Unauthorized("invalid_signature", "assinatura inválida") from None
    return CameraRef(camera["id"], camera["city_id"])


def ingest_event(camera: CameraRef, data: WebhookRead, now: datetime) -> tuple[str, bool]:
    """Store one signed read; returns (read id, created). Same (camera, event_id) → same id, nothing new."""
    read = validated(data, now)
    image = decode_image(data.image_jpeg_base64) if data.image_jpeg_base64 else None
    return store_read(camera, read, image)


def _read_id_ints(n: int) -> list[int]:
    ms = (time.time_ns() // 1_000_000) & (2**48 - 1)
    pool = os.urandom(10 * n)
    ids = []
    for i in range(n):
        rand = int.from_bytes(pool[10 * i : 10 * i + 10], "big")
        ids.append(ms << 80 | 0x7 << 76 | (rand >> 68) << 64 | 0b10 << 62 | rand & (2**62 - 1))
    return ids


def read_ids(n: int) -> list[uuid.UUID]:
    """`n` new reads' ids: time-ordered UUIDs (RFC 9562 version 7: milliseconds, then 74 random bits), so reads
    stored together sit together in the primary key instead of landing on random pages of a 10 M-row index.
    One call for many (the random bits come from one read of the OS's source)."""
    return [uuid.UUID(int=value) for value in _read_id_ints(n)]


def read_id_texts(n: int) -> list[str]:
    """`read_ids` as PostgreSQL reads a uuid's text (32 hex digits), for a COPY: no UUID objects made."""
    return [f"{value:032x}" for value in _read_id_ints(n)]


def store_read(camera: CameraRef, read: Read, image: bytes | None = None) -> tuple[str, bool]:
    """The one-read path (webhook, Intelbras push): insert, the alert rules inline, the image, then after the
    commit the alerts and the post-ingest observers. Returns (read id, created)."""
    [new_id] = read_ids(1)
    key = dal.image_key(camera.city_id, camera.id, new_id) if image is not None else None
    with db.transaction() as conn:
        stored = dal.insert_read(
            conn,
            {
                "id": new_id,
                "city_id": camera.city_id,
                "camera_id": camera.id,
                "event_id": read.event_id,
                "plate": read.plate,
                "plate_skeleton": read.skeleton,
                "plate_keys": read.keys,
                "confidence": read.confidence,
                "captured_at": read.captured_at,
                "image_key": key,
                "vehicle": read.vehicle,
                "vehicle_color": read.color,
                "vehicle_type": read.type,
                "direction": read.direction,
            },
        )
        if stored is None:
            existing = dal.read_by_event(conn, camera.id, read.event_id)
            return str(existing.id if existing else None), False
        created = alerts.evaluate(conn, [new_id])
        shared = sharing_feed.record(conn, [new_id], created)  # sharing: deliveries to agreements in scope (outbox)
        # Upload inside the transaction: if S3 fails the row is rolled back and the camera retries.
        if image is not None and key is not None:
            dal.put_image(key, image)
    alerts.publish(created)
    sharing_feed.announce(shared)
    notify(stored_reads=[stored])
    # Every single-read path (webhook, Intelbras push) counts here; batches count in LprIngestFunction.
    metrics.add_metric(name="LprReadsIngested", unit="Count", value=1)
    return str(new_id), True
