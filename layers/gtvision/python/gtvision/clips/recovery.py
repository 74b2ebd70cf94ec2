"""The clip reconciler: no clip stays `queued` or `processing` for good (ADR 0010).

A clip's job message can be lost — a restart of the local emulator, a DLQ after the last receive, a
worker killed mid-cut whose message was already deleted — and the worker only looks at a clip when a
message arrives. Every minute the reconciler takes the clips nobody is working on (`queued` and
untouched for `GTV_CLIP_STALE_S`, or `processing` with an expired lease) and queues their job again;
once a clip's budget is spent it fails it with a reason the user can read.
"""

from __future__ import annotations

from gtvision.clips import store as dal
from gtvision.clips.schemas import MAX_ATTEMPTS, StaleClip
from gtvision.clips.service import announce
from gtvision.core import db
from gtvision.core.observability import logger, metrics
from gtvision.core.rows import rowtype
from gtvision.core.settings import get_settings

#: How often the reconciler re-queues one clip before failing it.
MAX_REQUEUES = 3


@rowtype(slots=False)
class Reconciled:
    requeued: list[str]
    failed: list[str]


def reconcile(stale_s: int | None = None) -> Reconciled:
    """Re-queue stale clips, fail those whose budget is spent; safe to run concurrently (rows are locked)."""
    stale_s = stale_s or get_settings().clip_stale_s
    requeued: list[str] = []
    failed: list[str] = []
    with db.transaction() as conn:
        for row in dal.stale(conn, stale_s):
            clip_id = str(row.id)
            if row.requeues >= MAX_REQUEUES or row.attempts >= MAX_ATTEMPTS:
                dal.fail_stale(conn, clip_id, _reason(row))
                failed.append(clip_id)
            else:
                dal.requeue(conn, clip_id)
                requeued.append(clip_id)
    sent = []
    for clip_id in requeued:  # after the commit: the worker must find the row queued
        try:
            dal.enqueue(clip_id)
            sent.append(clip_id)
        except Exception:  # noqa: BLE001 - still queued and stale again after stale_s: the next run retries
            logger.exception("stale clip not re-queued", extra={"clip_id": clip_id})
    for clip_id in sent + failed:
        announce(clip_id)  # clip.status: queued again, or failed with its reason
    metrics.add_metric(name="ClipsRequeued", unit="Count", value=len(sent))
    metrics.add_metric(name="ClipsFailedStale", unit="Count", value=len(failed))
    if sent or failed:
        logger.warning("stale clips reconciled", extra={"requeued": sent, "failed": failed})
    return Reconciled(sent, failed)


def _reason(row: StaleClip) -> str:
    if row.status == "processing":
        return (
            f"o processamento do recorte foi interrompido (tentativa {row.attempts} de {MAX_ATTEMPTS}) "
            "e não pode ser retomado; peça o recorte de novo"
        )
    return (
        f"o recorte ficou parado na fila e foi reenfileirado {row.requeues} vezes sem ser processado; "
        "peça o recorte de novo"
    )
