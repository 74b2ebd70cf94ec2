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
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gtvision.alerts import service as alerts
from gtvision.core import db, signatures
from gtvision.core.errors import Invalid, Malformed, TooLarge, Unauthorized
from gtvision.core.models import parse
from gtvision.core.observability import logger, metrics
from gtvision.core.principal import Principal
from gtvision.lpr import plates, vehicles
from gtvision.lpr import store as dal
from gtvision.lpr.schemas import BulkIn, ReadBase, ReadsMessage, WebhookRead
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
#: Reads per SQS message sent by the bulk endpoint (well under SQS's 256 KiB with no images).
READS_PER_MESSAGE = 500


@dataclass
class Read:
    """A validated read, ready to store."""

    event_id: str
    plate: str
    confidence: float
    captured_at: datetime
    vehicle: dict[str, Any] | None
    direction: str | None
    skeleton: str = field(init=False)
    keys: list[str] = field(init=False)
    color: str | None = field(init=False)
    type: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.skeleton = plates.ocr_skeleton(self.plate)
        self.keys = plates.fuzzy_keys(self.plate)
        # Searchable contract values; `vehicle` keeps the camera's own words.
        self.color = vehicles.normalize_color((self.vehicle or {}).get("color"))
        self.type = vehicles.normalize_type((self.vehicle or {}).get("type"))


def _validated(data: ReadBase, now: datetime) -> Read:
    try:
        plate = plates.normalize_plate(data.plate)
    except ValueError as exc:
        raise Invalid("invalid_plate", str(exc)) from None
    if data.captured_at > now + FUTURE_SKEW:
        raise Invalid("captured_at_in_future", "captured_at está no futuro")
    if data.captured_at < now - PAST_LIMIT:
        raise Invalid("captured_at_too_old", "captured_at é anterior a um ano atrás (relógio da câmera errado?)")
    vehicle = data.vehicle.model_dump(exclude_none=True) if data.vehicle else None
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


def authenticate_camera(camera_id: str | None, signature: str | None, raw_body: bytes, now: datetime) -> dict[str, Any]:
    """The camera whose secret signed `raw_body`; one 401 for every failure (unknown camera, LPR off,
    bad/stale/future signature) so nothing about camera ids leaks."""
    camera: dict[str, Any] | None = None
    active: list[str] = []
    if camera_id:
        try:
            camera_uuid = str(uuid.UUID(camera_id))
        except ValueError:
            camera_uuid = None
        if camera_uuid:
            camera, active = cameras.webhook_secrets(camera_uuid, now)
    try:
        # A throwaway secret when the camera is unknown keeps the work (and the answer) the same as for a
        # wrong signature, so camera ids cannot be probed; made per call, never at init (SnapStart).
        signatures.verify(signature, raw_body, active or [secrets.token_hex(32)], now.timestamp())
        if camera is None or not active:
            raise signatures.SignatureError("unknown_camera")
    except signatures.SignatureError as exc:
        logger.info("lpr webhook refused", extra={"reason": exc.reason})
        raise Unauthorized("invalid_signature", "assinatura inválida") from None
    return camera


def ingest_event(camera: dict[str, Any], body: Any, now: datetime) -> tuple[str, bool]:
    """Store one signed read; returns (read id, created). Same (camera, event_id) → same id, nothing new."""
    data = parse(WebhookRead, body)
    read = _validated(data, now)
    image = decode_image(data.image_jpeg_base64) if data.image_jpeg_base64 else None
    read_id = uuid.uuid4()
    key = dal.image_key(camera["city_id"], camera["id"], read_id) if image is not None else None
    with db.transaction() as conn:
        inserted = dal.insert_read(
            conn,
            {
                "id": read_id,
                "city_id": camera["city_id"],
                "camera_id": camera["id"],
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
        if not inserted:
            existing = dal.read_id_by_event(conn, camera["id"], read.event_id)
            return str(existing), False
        created = alerts.evaluate(conn, [read_id])
        shared = sharing_feed.record(conn, [read_id], created)  # sharing: deliveries to agreements in scope
        # Upload inside the transaction: if S3 fails the row is rolled back and the camera retries.
        if image is not None and key is not None:
            dal.put_image(key, image)
    alerts.publish(created)
    sharing_feed.announce(shared)
    # Every single-read path (webhook, Intelbras push) counts here; batches count in LprIngestFunction.
    metrics.add_metric(name="LprReadsIngested", unit="Count", value=1)
    return str(read_id), True


# ------------------------------------------------------------------------------------ batch ingest


def parse_message(body: str, now: datetime) -> list[tuple[uuid.UUID, Read]]:
    """One SQS message: a read object, a list of reads, or {"reads": [...]}; raises on any invalid read."""
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise Malformed("malformed_json", "mensagem não é JSON válido") from exc
    if not doc or not isinstance(doc, (dict, list)) or (isinstance(doc, dict) and not doc.get("reads", True)):
        raise Malformed("malformed_body", "mensagem sem leituras")
    message = parse(ReadsMessage, {"reads": doc} if isinstance(doc, list) else doc)
    return [(data.camera_id, _validated(data, now)) for data in message.reads]


@dataclass
class BatchResult:
    inserted: int
    duplicates: int
    failed: dict[int, str]  # message index → reason
    alerts: int


def ingest_batch(messages: list[str], now: datetime | None = None) -> BatchResult:
    """Write the reads of many messages with one COPY + one INSERT; invalid messages fail alone."""
    now = now or datetime.now(UTC)
    failed: dict[int, str] = {}
    rows: list[tuple[Any, ...]] = []
    for idx, body in enumerate(messages):
        try:
            reads = parse_message(body, now)
        except (Invalid, Malformed) as exc:
            failed[idx] = exc.code
            continue
        for camera_id, r in reads:
            rows.append(
                (
                    idx,
                    uuid.uuid4(),
                    camera_id,
                    r.event_id,
                    r.plate,
                    r.skeleton,
                    r.keys,
                    r.confidence,
                    r.captured_at,
                    json.dumps(r.vehicle) if r.vehicle else None,
                    r.direction,
                    r.color,
                    r.type,
                )
            )
    created: list[dict[str, Any]] = []
    inserted: list[Any] = []
    shared: list[str] = []
    if rows:
        with db.transaction() as conn:
            inserted, unknown = dal.bulk_insert(conn, rows)
            created = alerts.evaluate(conn, inserted)
            shared = sharing_feed.record(conn, inserted, created)  # sharing: deliveries to agreements in scope
        for idx in unknown:
            failed[idx] = "unknown_camera"
    alerts.publish(created)
    sharing_feed.announce(shared)
    refused = sum(1 for r in rows if r[0] in failed)
    return BatchResult(len(inserted), len(rows) - refused - len(inserted), failed, len(created))


def enqueue_bulk(principal: Principal, body: Any, now: datetime | None = None) -> dict[str, Any]:
    """Managers' bulk endpoint: validate every read and camera now, enqueue for the ingest function."""
    principal.require("admin", "manager")
    now = now or datetime.now(UTC)
    data = parse(BulkIn, body)
    for i, item in enumerate(data.reads):
        try:
            _validated(item, now)
        except Invalid as exc:
            raise Invalid(exc.code, f"reads[{i}]: {exc.message}") from None
    for camera_id in {str(r.camera_id) for r in data.reads}:
        cameras.visible(principal, camera_id)
    bodies = [
        ReadsMessage(reads=data.reads[i : i + READS_PER_MESSAGE]).model_dump_json(exclude_none=True)
        for i in range(0, len(data.reads), READS_PER_MESSAGE)
    ]
    dal.enqueue_reads(bodies)
    return {"accepted": len(data.reads), "messages": len(bodies)}
