"""LPR batch ingest: SQS messages of already-verified reads (integrators, backfills, `POST /v1/lpr/batch`) stored by
LprIngestFunction, thousands per transaction, at the same cost per read whatever the message size.

One batch is one transaction: the messages are parsed (a message with an invalid read fails alone), their reads
deduplicated (first wins) and COPYed into a staging table; one INSERT … SELECT … ON CONFLICT DO NOTHING stores
the new ones, reading their camera's city in the same join, and writes what it stored into a second temporary
table, which the alert rules then read (`alerts.evaluate_batch`): neither step goes back to `plate_reads` by id,
so the work per read stays flat as batches grow (docs/benchmarks.md, "LPR ingest"). A message whose camera is
unknown fails whole, none of its reads stored. The sharing feed's deliveries are written in the same
transaction (`sharing.feed.record`). After the commit: the alerts, the feed's announcements, then the
post-ingest observers (`lpr.ingest.on_reads_stored`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import ValidationError

from gtvision.alerts import service as alerts
from gtvision.alerts.schemas import Alert
from gtvision.core import db
from gtvision.core.errors import Invalid, Malformed, PoisonMessage
from gtvision.core.gcpause import cyclic_gc_paused
from gtvision.core.models import parse
from gtvision.core.principal import Principal
from gtvision.core.vehicles import normalize_color, normalize_type
from gtvision.lpr import ingest, plates
from gtvision.lpr import store as dal
from gtvision.lpr.schemas import BatchRead, ReadsMessage, StoredRead, VehicleFields, reads_fields
from gtvision.sharing import feed as sharing_feed
from gtvision.tenancy import cameras

if TYPE_CHECKING:  # the API's models, imported where an answer is built (ADR 0029)
    from gtvision.lpr.api_schemas import BulkAccepted, BulkIn

#: Reads per SQS message sent by the bulk endpoint (well under SQS's 256 KiB with no images).
READS_PER_MESSAGE = 500


def parse_message(body: str) -> list[BatchRead]:
    """One SQS message: a read object, a list of reads, or {"reads": [...]}; Malformed/Invalid otherwise."""
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise Malformed("malformed_json", "mensagem não é JSON válido") from exc
    if not doc or not isinstance(doc, (dict, list)) or (isinstance(doc, dict) and not doc.get("reads", True)):
        raise Malformed("malformed_body", "mensagem sem leituras")
    return parse(ReadsMessage, {"reads": doc} if isinstance(doc, list) else doc).reads


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str | None) -> str:
    """A value in COPY's text format (NULL is `\\N`)."""
    if value is None:
        return "\\N"
    return value if value.isprintable() and "\\" not in value else value.translate(_COPY_ESCAPES)


def line_of(msg: int, data: BatchRead, now: datetime, read_id: uuid.UUID) -> tuple[tuple[uuid.UUID, str], str]:
    """A read as a line of the staging COPY (`store.STAGING_COLS` order) — the values `ingest.validated` gives
    the webhook's reads, written as text here instead of through per-value adapters (the batch's hot loop) —
    with its (camera_id, event_id)."""
    read = ingest.validated(data, now)
    # The same JSON as the webhook's `read.vehicle` (the fields set), written by pydantic (twice as fast as json)
    vehicle = data.vehicle.model_dump_json(exclude_none=True) if read.vehicle and data.vehicle else None
    fields = (
        *(str(msg), str(read_id), str(data.camera_id), _text(read.event_id), read.plate, read.skeleton),
        *("{" + ",".join(read.keys) + "}", repr(read.confidence), read.captured_at.isoformat(), _text(vehicle)),
        *(_text(read.direction), _text(read.color), _text(read.type)),
    )
    return (data.camera_id, read.event_id), "\t".join(fields) + "\n"


Line = tuple[tuple[uuid.UUID, str], str]

#: A vehicle's words as the camera sent them (colour, type, make, model) → what its read's line holds: the JSON of
#: the words set, the contract colour and type, all as COPY text. Cameras send few distinct combinations, so each
#: is worked out once per process (bounded: cleared when full).
_VEHICLES: dict[tuple[str | None, ...], tuple[str, str, str]] = {}
_VEHICLE_WORDS = ("color", "type", "make", "model")
_NO_VEHICLE = ("\\N", "\\N", "\\N")


def _vehicle_text(vehicle: VehicleFields | None) -> tuple[str, str, str]:
    """`line_of`'s vehicle, contract colour and contract type for a read's `vehicle` (Invalid for a NUL)."""
    if not vehicle:
        return _NO_VEHICLE
    key = (vehicle.get("color"), vehicle.get("type"), vehicle.get("make"), vehicle.get("model"))
    known = _VEHICLES.get(key)
    if known is None:
        words = {name: word for name, word in zip(_VEHICLE_WORDS, key, strict=True) if word is not None}
        ingest.check_storable(*words.values())
        known = _NO_VEHICLE
        if words:
            as_json = json.dumps(words, ensure_ascii=False, separators=(",", ":"))
            known = (_text(as_json), _text(normalize_color(key[0])), _text(normalize_type(key[1])))
        if len(_VEHICLES) >= 4096:
            _VEHICLES.clear()
        _VEHICLES[key] = known
    return known


def lines_of(idx: int, body: str, now: datetime, camera_texts: dict[uuid.UUID, str]) -> list[Line]:
    """The staging lines of one message, the same as `line_of` gives for each of `parse_message(body)`'s reads.

    The usual message, {"reads": [...]}, is validated by `schemas.ReadsFields` straight from the JSON and its
    lines written from the dicts (no models; each vehicle's words worked out once, `_vehicle_text`) — a third of
    the path's CPU per read before. Any message those refuse takes the model path, whose errors are the
    contract's; a read of a valid message can still be refused (plate, time, NUL): Invalid, as there.
    `camera_texts`: the batch's camera ids written so far."""
    try:
        doc = reads_fields().validate_json(body)
    except ValidationError:
        reads = parse_message(body)
        return [line_of(idx, data, now, rid) for data, rid in zip(reads, ingest.read_ids(len(reads)), strict=True)]
    window = ingest.time_window(now)
    msg = str(idx)
    out: list[Line] = []
    for read, read_id in zip(doc["reads"], ingest.read_id_texts(len(doc["reads"])), strict=True):
        plate = ingest.stored_plate(read["plate"])
        captured_at = read["captured_at"]
        ingest.check_captured_at(captured_at, window)
        event_id, direction = read["event_id"], read.get("direction")
        ingest.check_storable(event_id, direction)
        vehicle, color, kind = _vehicle_text(read.get("vehicle"))
        camera = read["camera_id"]
        camera_text = camera_texts.get(camera)
        if camera_text is None:
            camera_text = camera_texts[camera] = str(camera)
        skeleton = plates.skeleton(plate)
        line = "\t".join(
            (msg, read_id, camera_text, _text(event_id), plate, skeleton, plates.keys_array_text(skeleton))
            + (repr(read["confidence"]), captured_at.isoformat(), vehicle, _text(direction), color, kind)
        )
        out.append(((camera, event_id), line + "\n"))
    return out


@dataclass
class BatchResult:
    inserted: int
    duplicates: int
    #: message index → why it can never be stored (an invalid read, an unknown camera): poison.
    failed: dict[int, PoisonMessage]
    alerts: int


def ingest_batch(messages: list[str], now: datetime | None = None) -> BatchResult:
    """Store the reads of many messages in one transaction; invalid messages fail alone. The cyclic GC is
    paused meanwhile (`core.gcpause`: its passes over the batch's objects grew with the batch)."""
    with cyclic_gc_paused():
        return _ingest_batch(messages, now)


def _ingest_batch(messages: list[str], now: datetime | None) -> BatchResult:
    now = now or datetime.now(UTC)
    failed: dict[int, PoisonMessage] = {}
    lines: list[str] = []
    of_message: list[int] = []
    seen: set[tuple[uuid.UUID, str]] = set()
    repeated = 0
    camera_texts: dict[uuid.UUID, str] = {}
    for idx, body in enumerate(messages):
        try:
            mine = lines_of(idx, body, now, camera_texts)
        except (Invalid, Malformed) as exc:
            failed[idx] = PoisonMessage(exc.code)
            continue
        for key, line in mine:
            if key in seen:  # a read resent within the batch is stored once
                repeated += 1
                continue
            seen.add(key)
            lines.append(line)
            of_message.append(idx)
    created: list[Alert] = []
    stored: list[StoredRead] = []
    inserted = 0
    shared: list[str] = []
    if lines:
        with db.transaction() as conn:
            inserted, unknown = dal.store_batch(conn, "".join(lines))
            created = alerts.evaluate_batch(conn, dal.NEW_READS_TABLE)
            # sharing: deliveries to the agreements in scope, committed with the reads (an outbox)
            shared = sharing_feed.record(conn, [], created, relation=dal.NEW_READS_TABLE) if inserted else []
            stored = dal.new_reads(conn) if ingest.observed() else []
        for idx in unknown:
            failed[idx] = PoisonMessage("unknown_camera")
    alerts.publish(created)
    sharing_feed.announce(shared)
    ingest.notify(stored_reads=stored)
    refused = sum(1 for idx in of_message if idx in failed)
    return BatchResult(inserted, len(lines) - refused - inserted + repeated, failed, len(created))


def enqueue_bulk(principal: Principal, data: BulkIn, now: datetime | None = None) -> BulkAccepted:
    """Managers' bulk endpoint: validate every read and camera now, enqueue for the ingest function."""
    from gtvision.lpr.api_schemas import BulkAccepted

    now = now or datetime.now(UTC)
    for i, item in enumerate(data.reads):
        try:
            ingest.validated(item, now)
        except Invalid as exc:
            raise Invalid(exc.code, f"reads[{i}]: {exc.message}") from None
    for camera_id in {str(r.camera_id) for r in data.reads}:
        cameras.visible(principal, camera_id)
    bodies = [
        ReadsMessage(reads=data.reads[i : i + READS_PER_MESSAGE]).model_dump_json(exclude_none=True)
        for i in range(0, len(data.reads), READS_PER_MESSAGE)
    ]
    dal.enqueue_reads(bodies)
    return BulkAccepted(accepted=len(data.reads), messages=len(bodies))
