"""The outbound feed's entry point for ingest: which new reads (and hotlist hits) go to which agreement.

`record` runs inside the ingest transaction — one statement for the whole batch (two when a hotlist entry
matched) — so a stored read and its deliveries commit together (an outbox). `announce` puts one message per
delivery on the feed queue after the commit; a message lost there is re-announced by the maintenance run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gtvision.alerts.schemas import Alert
from gtvision.core.db import Conn
from gtvision.core.observability import logger, metrics
from gtvision.core.settings import get_settings
from gtvision.sharing.schemas import DeliveryJob
from gtvision.sharing.store import deliveries as store
from gtvision.sharing.store import queue


def record(conn: Conn, read_ids: list[Any], alerts: Sequence[Alert], *, relation: str | None = None) -> list[str]:
    """Deliveries for newly stored reads and the hotlist alerts they raised; their ids, to `announce`. A batch
    names its table of new reads instead (`relation`, see `store.record_reads`)."""
    if not read_ids and relation is None:
        return []
    ids = store.record_reads(conn, read_ids, relation=relation)
    hits = [(a.read_ids[0], a.watchlist_id) for a in alerts if a.kind == "hotlist"]
    if hits:
        ids += store.record_hits(conn, hits)
    return ids


def announce(delivery_ids: list[str]) -> None:
    """One feed-queue message per delivery (after the commit). Never raises: the rows are the truth."""
    if not delivery_ids:
        return
    if not get_settings().feed_queue_url:
        logger.warning("FEED_QUEUE_URL not set: deliveries wait for the maintenance run")
        return
    try:
        queue.send([DeliveryJob(delivery_id=i).model_dump_json() for i in delivery_ids])
    except Exception:  # noqa: BLE001 - the deliveries are stored; the maintenance run announces them again
        logger.exception("feed deliveries not queued", extra={"deliveries": len(delivery_ids)})
        metrics.add_metric(name="FeedAnnounceFailed", unit="Count", value=1)
