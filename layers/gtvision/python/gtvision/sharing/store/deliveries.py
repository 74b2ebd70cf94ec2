"""SQL of `feed_deliveries`: the outbox rows the ingest hook writes, the worker's claim and outcome, stats."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from gtvision.core.db import Conn
from gtvision.core.sql import columns, fetch_all, fetch_one, one
from gtvision.sharing.schemas import Delivery, DeliveryStats, MonthCounts, SharedRead

COLS = columns(Delivery)

#: The agreements reads flow to now (the feed may be stopped: its deliveries wait for the resume).
_IN_SCOPE = (
    "a.status = 'active' AND a.feed_url IS NOT NULL AND a.valid_from <= now() AND now() < a.valid_until"
    " AND n.captured_at >= a.valid_from AND (a.camera_ids IS NULL OR n.camera_id = ANY (a.camera_ids))"
)


_RELATION = re.compile(r"[a-z_][a-z0-9_]*")


def record_reads(conn: Conn, read_ids: list[Any] | None = None, *, relation: str | None = None) -> list[str]:
    """One delivery per agreement in scope of these newly stored reads (one statement for the batch);
    their ids. The reads: by id, or a batch's table of them in this transaction (`relation`, with id, city_id,
    camera_id, captured_at), which spares sending ten thousand ids back to the server that just returned them.
    The one-time EXISTS keeps a deployment without agreements from touching the reads at all."""
    if relation is not None:
        if not _RELATION.fullmatch(relation):
            raise ValueError(f"not a relation name: {relation!r}")
        reads = f"SELECT id, city_id, camera_id, captured_at FROM {relation}"
    else:
        reads = "SELECT r.id, r.city_id, r.camera_id, r.captured_at FROM unnest(%(ids)s::uuid[]) AS i(id)"
        reads += " JOIN plate_reads r ON r.id = i.id"
    rows = conn.execute(
        f"WITH n AS MATERIALIZED ({reads})"
        " INSERT INTO feed_deliveries (agreement_id, kind, read_ids)"
        " SELECT a.id, 'reads', array_agg(n.id ORDER BY n.captured_at, n.id)"
        " FROM agreements a JOIN n ON n.city_id = a.city_id"
        f" WHERE EXISTS (SELECT 1 FROM agreements WHERE status = 'active' AND share_reads) AND a.share_reads"
        f" AND {_IN_SCOPE} GROUP BY a.id RETURNING id",
        {"ids": list(read_ids or [])} if relation is None else {},
    ).fetchall()
    return [str(r["id"]) for r in rows]


def record_hits(conn: Conn, hits: list[tuple[Any, Any]]) -> list[str]:
    """One `hotlist_hit` delivery per (read, agreement's entry) pair whose agreement shares alerts."""
    rows = conn.execute(
        "WITH h AS (SELECT * FROM unnest(%(reads)s::uuid[], %(entries)s::uuid[]) AS h(read_id, entry_id)),"
        " n AS (SELECT r.id, r.camera_id, r.captured_at, h.entry_id FROM h JOIN plate_reads r ON r.id = h.read_id)"
        " INSERT INTO feed_deliveries (agreement_id, kind, read_ids, entry)"
        " SELECT a.id, 'hotlist_hit', ARRAY[n.id], jsonb_build_object('id', w.id, 'plate', w.plate,"
        "  'reason', w.reason, 'source_ref', w.source_ref, 'expires_at', w.expires_at)"
        " FROM n JOIN watchlist w ON w.id = n.entry_id JOIN agreements a ON a.id = w.agreement_id"
        f" WHERE a.share_alerts AND {_IN_SCOPE} RETURNING id",
        {"reads": [r for r, _ in hits], "entries": [e for _, e in hits]},
    ).fetchall()
    return [str(r["id"]) for r in rows]


def get(conn: Conn, delivery_id: str) -> Delivery | None:
    return fetch_one(conn, Delivery, f"SELECT {COLS} FROM feed_deliveries WHERE id = %s", (delivery_id,))


def claim(conn: Conn, delivery: Delivery, lease_s: float, max_reads: int) -> list[Delivery]:
    """Lease the delivery and, for reads, the agreement's other pending read deliveries up to `max_reads`
    reads (one POST carries them all); [] when another worker holds the delivery's lease."""
    extra = ""
    if delivery.kind == "reads":
        extra = (
            " OR id IN (SELECT id FROM feed_deliveries WHERE agreement_id = %(agreement)s AND kind = 'reads'"
            " AND status = 'pending' AND (lease_until IS NULL OR lease_until < now()) AND id <> %(id)s"
            " ORDER BY created_at LIMIT %(more)s FOR UPDATE SKIP LOCKED)"
        )
    # The others are leased only together with the delivery itself: when another worker holds it, nothing is
    # leased (leasing the others anyway would hold them for LEASE_S with nobody sending them).
    rows = fetch_all(
        conn,
        Delivery,
        f"WITH me AS (SELECT id FROM feed_deliveries WHERE id = %(id)s AND status = 'pending'"
        f" AND (lease_until IS NULL OR lease_until < now()) FOR UPDATE SKIP LOCKED)"
        f" UPDATE feed_deliveries SET lease_until = now() + make_interval(secs => %(lease)s),"
        f" attempts = attempts + CASE WHEN id = %(id)s THEN 1 ELSE 0 END, attempted_at = now()"
        f" WHERE status = 'pending' AND (lease_until IS NULL OR lease_until < now()) AND EXISTS (SELECT FROM me)"
        f" AND (id = %(id)s{extra}) RETURNING {COLS}",
        {"id": delivery.id, "agreement": delivery.agreement_id, "lease": lease_s, "more": max_reads},
    )
    if not any(r.id == delivery.id for r in rows):
        return []
    # The delivery first, then the oldest; capped at max_reads reads.
    rows.sort(key=lambda r: (r.id != delivery.id, r.created_at))
    out: list[Delivery] = []
    total = 0
    for row in rows:
        if out and total + len(row.read_ids) > max_reads:
            break
        out.append(row)
        total += len(row.read_ids)
    leftover = [r.id for r in rows if r not in out]
    if leftover:
        release(conn, leftover, None)
    return out


def delivered(conn: Conn, ids: list[Any], agreement_id: Any) -> None:
    conn.execute(
        "UPDATE feed_deliveries SET status = 'delivered', delivered_at = now(), lease_until = NULL, last_error = NULL"
        " WHERE id = ANY (%s::uuid[])",
        (ids,),
    )
    conn.execute("UPDATE agreements SET last_delivered_at = now() WHERE id = %s", (agreement_id,))


def release(conn: Conn, ids: list[Any], error: str | None) -> None:
    """Give leased deliveries back (still pending), noting why."""
    conn.execute(
        "UPDATE feed_deliveries SET lease_until = NULL, last_error = COALESCE(%s, last_error)"
        " WHERE id = ANY (%s::uuid[]) AND status = 'pending'",
        (error, ids),
    )


def dead(conn: Conn, delivery_id: Any, error: str) -> None:
    conn.execute(
        "UPDATE feed_deliveries SET status = 'dead', lease_until = NULL, last_error = %s WHERE id = %s",
        (error, delivery_id),
    )


def revive(conn: Conn, delivery_id: Any) -> Delivery | None:
    """A dead delivery redriven from the DLQ: pending again, with a fresh 24 h."""
    return fetch_one(
        conn,
        Delivery,
        f"UPDATE feed_deliveries SET status = 'pending', created_at = now(), attempts = 0, lease_until = NULL"
        f" WHERE id = %s AND status = 'dead' RETURNING {COLS}",
        (delivery_id,),
    )


def pending_ids(conn: Conn, agreement_id: Any | None, unattempted_for_s: float | None, limit: int) -> list[str]:
    """Pending deliveries to announce again: an agreement's (on resume), or — across flowing agreements —
    those no worker has tried for `unattempted_for_s` (their message was lost)."""
    where = ["d.status = 'pending'", "(d.lease_until IS NULL OR d.lease_until < now())"]
    params: dict[str, Any] = {"n": limit}
    if agreement_id is not None:
        where.append("d.agreement_id = %(agreement)s")
        params["agreement"] = agreement_id
    if unattempted_for_s is not None:
        where.append("COALESCE(d.attempted_at, d.created_at) < now() - make_interval(secs => %(idle)s)")
        where.append("d.attempts = 0")
        params["idle"] = unattempted_for_s
    rows = conn.execute(
        "SELECT d.id FROM feed_deliveries d JOIN agreements a ON a.id = d.agreement_id"
        " WHERE a.status = 'active' AND a.feed_stopped_at IS NULL AND a.valid_from <= now()"
        f" AND now() < a.valid_until AND {' AND '.join(where)} ORDER BY d.created_at LIMIT %(n)s",
        params,
    ).fetchall()
    return [str(r["id"]) for r in rows]


def shared_reads(conn: Conn, read_ids: list[Any]) -> list[SharedRead]:
    """The reads of a delivery with their cameras, in time order (anonymised reads are never sent)."""
    return fetch_all(
        conn,
        SharedRead,
        "SELECT r.id, r.plate, r.captured_at, r.confidence, r.vehicle, r.vehicle_color, r.vehicle_type,"
        " r.camera_id, c.name AS camera_name, c.lat, c.lon"
        " FROM unnest(%s::uuid[]) AS i(id) JOIN plate_reads r ON r.id = i.id LEFT JOIN cameras c ON c.id = r.camera_id"
        " WHERE r.anonymised_at IS NULL ORDER BY r.captured_at, r.id",
        (list(read_ids),),
    )


def stats(conn: Conn, agreement_id: Any) -> DeliveryStats:
    """Reads pending, delivered and failed (dead-lettered), the oldest pending delivery and the last error."""
    row = one(
        conn.execute(
            "SELECT COALESCE(sum(cardinality(read_ids)) FILTER (WHERE status = 'pending'), 0) AS pending,"
            " COALESCE(sum(cardinality(read_ids)) FILTER (WHERE status = 'delivered'), 0) AS delivered,"
            " COALESCE(sum(cardinality(read_ids)) FILTER (WHERE status = 'dead'), 0) AS failed,"
            " min(created_at) FILTER (WHERE status = 'pending') AS oldest_pending,"
            " (SELECT last_error FROM feed_deliveries e WHERE e.agreement_id = %(a)s AND e.last_error IS NOT NULL"
            "   ORDER BY COALESCE(e.attempted_at, e.created_at) DESC LIMIT 1) AS last_error"
            " FROM feed_deliveries WHERE agreement_id = %(a)s",
            {"a": agreement_id},
        )
    )
    return DeliveryStats(
        int(row["pending"]), int(row["delivered"]), int(row["failed"]), row["oldest_pending"], row["last_error"]
    )


def hourly(conn: Conn, agreement_id: Any, hours: int) -> list[int]:
    """Reads delivered in each of the last `hours` hours, oldest first."""
    rows = conn.execute(
        "SELECT h.i, COALESCE(sum(cardinality(d.read_ids)), 0) AS n"
        " FROM generate_series(0, %(h)s - 1) AS h(i)"
        " LEFT JOIN feed_deliveries d ON d.agreement_id = %(a)s AND d.status = 'delivered'"
        "  AND d.delivered_at >= date_trunc('hour', now()) - make_interval(hours => %(h)s - 1 - h.i)"
        "  AND d.delivered_at < date_trunc('hour', now()) - make_interval(hours => %(h)s - 2 - h.i)"
        " GROUP BY h.i ORDER BY h.i",
        {"a": agreement_id, "h": hours},
    ).fetchall()
    return [int(r["n"]) for r in rows]


def lag_by_agreement(conn: Conn) -> dict[str, float]:
    """Seconds the oldest pending delivery of each flowing agreement has waited (0 when none waits)."""
    rows = conn.execute(
        "SELECT a.id, COALESCE(EXTRACT(EPOCH FROM now() - min(d.created_at)), 0) AS lag"
        " FROM agreements a LEFT JOIN feed_deliveries d ON d.agreement_id = a.id AND d.status = 'pending'"
        " WHERE a.status = 'active' AND a.feed_url IS NOT NULL AND a.valid_from <= now() AND now() < a.valid_until"
        " GROUP BY a.id"
    ).fetchall()
    return {str(r["id"]): float(r["lag"]) for r in rows}


def month_counts(conn: Conn, agreement_id: Any, start: datetime, end: datetime) -> MonthCounts:
    """What the monthly report counts, for [start, end)."""
    row = one(
        conn.execute(
            "SELECT"
            " (SELECT COALESCE(sum(cardinality(read_ids)), 0) FROM feed_deliveries WHERE agreement_id = %(a)s"
            "   AND kind = 'reads' AND status = 'delivered' AND delivered_at >= %(s)s AND delivered_at < %(e)s)"
            "   AS reads_shared,"
            " (SELECT count(*) FROM feed_deliveries WHERE agreement_id = %(a)s AND status = 'delivered'"
            "   AND delivered_at >= %(s)s AND delivered_at < %(e)s) AS deliveries,"
            " (SELECT count(*) FROM feed_deliveries WHERE agreement_id = %(a)s AND status = 'dead'"
            "   AND created_at >= %(s)s AND created_at < %(e)s) AS deliveries_failed,"
            " (SELECT count(*) FROM feed_deliveries WHERE agreement_id = %(a)s AND kind = 'hotlist_hit'"
            "   AND created_at >= %(s)s AND created_at < %(e)s) AS hits,"
            " (SELECT COALESCE(sum(entries), 0) FROM agreement_log WHERE agreement_id = %(a)s AND kind = 'hotlist_push'"
            "   AND at >= %(s)s AND at < %(e)s) AS entries_received,"
            " (SELECT count(*) FROM agreement_log WHERE agreement_id = %(a)s AND at >= %(s)s AND at < %(e)s)"
            "   AS accesses",
            {"a": agreement_id, "s": start, "e": end},
        )
    )
    return MonthCounts(**{k: int(v) for k, v in row.items()})
