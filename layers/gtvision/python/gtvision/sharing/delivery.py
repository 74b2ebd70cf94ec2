"""The feed worker: one queue message → one delivery (and the agreement's other waiting reads) POSTed, signed,
to the partner's `feed_url`, at least once.

The delivery row is the truth: a message only says "try it". The worker leases the row, sends, and marks it
delivered after a 2xx. A receiver that is down (connection refused, timeout, 408, 429, 5xx) leaves it pending
and the message comes back after `backoff_s` (GTV_FEED_RETRY_BASE_S doubling, GTV_FEED_RETRY_MAX_S cap); after
GTV_FEED_MAX_AGE_S (24 h) the delivery is dead and its message moved to the DLQ, from where a redrive revives
it. A receiver that refuses (any other 4xx, a redirect) stops the agreement's feed until a manager resumes it:
an ops alarm (metric FeedStopped) says so. Suspended or expired agreements send nothing (ADR 0025).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import ValidationError

from gtvision.core import db, errors, signatures, urls
from gtvision.core.jsonutil import dumps
from gtvision.core.observability import logger, metrics
from gtvision.core.settings import get_settings
from gtvision.sharing import agreements
from gtvision.sharing.schemas import Agreement, Delivery, DeliveryJob, SharedRead
from gtvision.sharing.store import agreements as agreements_store
from gtvision.sharing.store import deliveries as store
from gtvision.sharing.store import queue

LEASE_S = 60.0
#: Reads per POST (a backlog after an outage goes out in bodies of this size).
MAX_READS = 500
#: (connect, read) seconds: a receiver slower than this is "down" and is retried later.
TIMEOUT_S = (3.05, 10.0)
_ERROR_CHARS = 300
_session = requests.Session()


class PoisonMessage(errors.PoisonMessage):
    """A message that can never succeed (not JSON, no delivery id, an unknown delivery)."""


class ReceiverDown(errors.TransientError):
    """The receiver did not take the delivery (down, timing out, 408/429/5xx): retried with backoff."""


class DeliveryBusy(errors.TransientError):
    """Another worker is posting this delivery right now: retried later."""


def backoff_s(receive_count: int) -> int:
    """Seconds before the next attempt of a delivery whose receiver is down: base·2^(n-1), capped."""
    settings = get_settings()
    exponent = min(max(receive_count, 1) - 1, 30)
    return max(1, int(min(settings.feed_retry_max_s, settings.feed_retry_base_s * 2**exponent)))


def parse_message(body: str) -> str:
    try:
        return DeliveryJob.model_validate_json(body).delivery_id
    except ValidationError:
        raise PoisonMessage("mensagem sem delivery_id válido") from None


def process(delivery_id: str, body: str, now: datetime | None = None) -> str:
    """Deliver once; returns delivered, skipped (done already), held (the agreement is not flowing: the
    delivery waits for a resume), stopped (the receiver refused: the feed stops) or dead (24 h passed)."""
    now = now or datetime.now(UTC)
    with db.transaction() as conn:
        row = store.get(conn, delivery_id)
        if row is not None and row.status == "dead":
            row = store.revive(conn, delivery_id)  # redriven from the DLQ: try again, for another 24 h
        agreement = agreements_store.get(conn, str(row.agreement_id)) if row is not None else None
    if row is None or agreement is None:
        raise PoisonMessage(f"entrega {delivery_id} não existe")
    if row.status != "pending":
        return "skipped"
    if not agreement.flowing(now) or agreement.feed_stopped_at is not None or not agreement.feed_url:
        return "held"
    if row.created_at < now - timedelta(seconds=get_settings().feed_max_age_s):
        return _dead(row, body)
    with db.transaction() as conn:
        batch = store.claim(conn, row, LEASE_S, MAX_READS)
    if not batch:
        raise DeliveryBusy(f"entrega {delivery_id} em envio por outro worker")
    ids = [d.id for d in batch]
    try:
        status, detail = _send(agreement, batch)
    except Exception as exc:
        with db.transaction() as conn:
            store.release(conn, ids, f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS])
        raise
    if 200 <= status < 300:
        with db.transaction() as conn:
            store.delivered(conn, ids, agreement.id)
        reads = sum(len(d.read_ids) for d in batch)
        metrics.add_metric(name="FeedReadsDelivered", unit="Count", value=reads)
        lag = (datetime.now(UTC) - min(d.created_at for d in batch)).total_seconds()
        metrics.add_metric(name="FeedDeliveryLagSeconds", unit="Seconds", value=round(lag, 3))
        return "delivered"
    error = (f"HTTP {status}: {detail}" if status else detail)[:_ERROR_CHARS]
    with db.transaction() as conn:
        store.release(conn, ids, error)
    if status in (408, 429) or status >= 500:
        raise ReceiverDown(f"receptor respondeu {error}")
    _stop(agreement, error)
    return "stopped"


def _dead(row: Delivery, body: str) -> str:
    age = get_settings().feed_max_age_s
    with db.transaction() as conn:
        store.dead(conn, row.id, f"não entregue em {age // 3600} h: enviada à fila de mensagens mortas")
    queue.dead_letter(body)
    metrics.add_metric(name="FeedDeliveriesDeadLettered", unit="Count", value=1)
    logger.error(
        "feed delivery dead-lettered", extra={"delivery_id": str(row.id), "agreement_id": str(row.agreement_id)}
    )
    return "dead"


def _stop(agreement: Agreement, error: str) -> None:
    """The receiver refused: stop the feed (deliveries keep waiting) and raise the ops alarm."""
    with db.transaction() as conn:
        agreements_store.update(
            conn, str(agreement.id), {"feed_stopped_at": datetime.now(UTC), "feed_stopped_reason": error}
        )
        agreements_store.log(conn, str(agreement.id), "feed_stopped", "feed", detail={"error": error})
    metrics.add_metric(name="FeedStopped", unit="Count", value=1)
    logger.error(
        "feed stopped: the receiver refused a delivery",
        extra={"agreement_id": str(agreement.id), "city_id": str(agreement.city_id), "error": error},
    )


# ------------------------------------------------------------------------------------------ bodies


def read_out(r: SharedRead) -> dict[str, Any]:
    """A read as the feed sends it (contract: "Outbound feed")."""
    raw = r.vehicle or {}
    vehicle = None
    if raw or r.vehicle_color or r.vehicle_type:
        vehicle = {"color": r.vehicle_color, "type": r.vehicle_type, "make": raw.get("make"), "model": raw.get("model")}
    return {
        "id": str(r.id),
        "plate": r.plate,
        "captured_at": r.captured_at,
        "confidence": round(float(r.confidence), 4),
        "vehicle": vehicle,
        "camera": {"id": str(r.camera_id), "name": r.camera_name, "lat": r.lat, "lon": r.lon},
    }


def bodies(agreement: Agreement, batch: list[Delivery]) -> list[bytes]:
    """The POST bodies of a claimed batch: read deliveries merged in chunks of MAX_READS, one per hit."""
    out: list[bytes] = []
    read_ids = [i for d in batch if d.kind == "reads" for i in d.read_ids]
    with db.transaction() as conn:
        reads = {r.id: r for r in store.shared_reads(conn, [i for d in batch for i in d.read_ids])}
    listed = [read_out(reads[i]) for i in read_ids if i in reads]
    for start in range(0, len(listed), MAX_READS):
        out.append(dumps({"agreement_id": str(agreement.id), "reads": listed[start : start + MAX_READS]}).encode())
    for d in batch:
        if d.kind == "hotlist_hit" and d.read_ids and d.read_ids[0] in reads:
            doc: dict[str, Any] = {"type": "hotlist_hit", "entry": d.entry, "read": read_out(reads[d.read_ids[0]])}
            out.append(dumps(doc).encode())
    return out


def _send(agreement: Agreement, batch: list[Delivery]) -> tuple[int, str]:
    """POST every body; (status, detail) of the first that is not a 2xx, or of the last one (status 0: the
    address is forbidden). Raises ReceiverDown when the receiver cannot be reached."""
    url = str(agreement.feed_url)
    if not get_settings().local:  # the name may have been repointed since the agreement was saved
        try:
            urls.check_resolved(urlsplit(url).hostname or "")
        except errors.DomainError as exc:
            return 0, f"feed_url aponta para endereço proibido ({exc.message})"
    secret = agreements.feed_secret(agreement)
    status, detail = 204, "sem leituras (anonimizadas)"
    for body in bodies(agreement, batch):
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GT-Vision-Feed/1",
            "X-GTV-Signature": signatures.sign(secret, body, int(time.time())),
            "X-GTV-Agreement": str(agreement.id),
        }
        try:
            resp = _session.post(url, data=body, headers=headers, timeout=TIMEOUT_S, allow_redirects=False)
        except requests.RequestException as exc:
            raise ReceiverDown(f"receptor inacessível: {type(exc).__name__}") from None
        status, detail = resp.status_code, resp.reason or ""
        resp.close()
        if 300 <= status < 400:
            return status, "redirecionamento não seguido"
        if not 200 <= status < 300:
            return status, detail
    return status, detail
