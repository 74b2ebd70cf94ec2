"""SQL and storage of LPR: plate reads (single and bulk), searches, trajectories, watchlist, alerts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from gtvision import aws
from gtvision.db import Conn
from gtvision.settings import get_settings

READ_COLS = (
    "r.id, r.city_id, r.camera_id, r.event_id, r.plate, r.confidence, r.captured_at, r.image_key, r.vehicle,"
    " r.direction, r.created_at, r.vehicle_color, r.vehicle_type"
)

#: Columns of the bulk staging table, in COPY order.
STAGING_COLS = (
    "msg", "id", "camera_id", "event_id", "plate", "plate_skeleton", "plate_keys", "confidence", "captured_at",
    "vehicle", "direction", "vehicle_color", "vehicle_type",
)  # fmt: skip


def image_key(city_id: Any, camera_id: Any, read_id: Any) -> str:
    return f"lpr/{city_id}/{camera_id}/{read_id}.jpg"


# ---------------------------------------------------------------------------------- plate reads


def insert_read(conn: Conn, values: dict[str, Any]) -> bool:
    """Insert one read; False when (camera_id, event_id) is already stored (nothing written)."""
    row = conn.execute(
        "INSERT INTO plate_reads (id, city_id, camera_id, event_id, plate, plate_skeleton, plate_keys, confidence,"
        " captured_at, image_key, vehicle, direction, vehicle_color, vehicle_type)"
        " VALUES (%(id)s, %(city_id)s, %(camera_id)s, %(event_id)s, %(plate)s, %(plate_skeleton)s, %(plate_keys)s,"
        " %(confidence)s, %(captured_at)s, %(image_key)s, %(vehicle)s, %(direction)s, %(vehicle_color)s,"
        " %(vehicle_type)s)"
        " ON CONFLICT (camera_id, event_id) DO NOTHING RETURNING id",
        {"vehicle_color": None, "vehicle_type": None, **values,
         "vehicle": Jsonb(values["vehicle"]) if values.get("vehicle") is not None else None},  # fmt: skip
    ).fetchone()
    return row is not None


def read_id_by_event(conn: Conn, camera_id: str, event_id: str) -> Any:
    row = conn.execute(
        "SELECT id FROM plate_reads WHERE camera_id = %s AND event_id = %s", (camera_id, event_id)
    ).fetchone()
    return row["id"] if row else None


def bulk_insert(conn: Conn, rows: Sequence[tuple[Any, ...]]) -> tuple[list[Any], set[int]]:
    """COPY `rows` (STAGING_COLS order) into a staging table, then insert the new ones in one statement.

    Returns (ids of reads inserted now, message indexes refused because their camera is unknown);
    every read of a refused message is left out. Duplicates (camera_id, event_id) are skipped.
    """
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS lpr_staging (msg int, id uuid, camera_id uuid, event_id text, plate text,"
        " plate_skeleton text, plate_keys text[], confidence real, captured_at timestamptz, vehicle jsonb,"
        " direction text, vehicle_color text, vehicle_type text) ON COMMIT DELETE ROWS"
    )
    with conn.cursor() as cur:
        with cur.copy(f"COPY lpr_staging ({', '.join(STAGING_COLS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    unknown = {
        r["msg"]
        for r in conn.execute(
            "SELECT DISTINCT s.msg FROM lpr_staging s"
            " WHERE NOT EXISTS (SELECT 1 FROM cameras c WHERE c.id = s.camera_id)"
        ).fetchall()
    }
    inserted = conn.execute(
        "INSERT INTO plate_reads (id, city_id, camera_id, event_id, plate, plate_skeleton, plate_keys, confidence,"
        " captured_at, vehicle, direction, vehicle_color, vehicle_type)"
        " SELECT s.id, c.city_id, s.camera_id, s.event_id, s.plate, s.plate_skeleton, s.plate_keys, s.confidence,"
        " s.captured_at, s.vehicle, s.direction, s.vehicle_color, s.vehicle_type"
        " FROM lpr_staging s JOIN cameras c ON c.id = s.camera_id"
        " ON CONFLICT (camera_id, event_id) DO NOTHING RETURNING id"
    ).fetchall()
    conn.execute("TRUNCATE lpr_staging")
    return [r["id"] for r in inserted], unknown


def _add(where: list[str], params: dict[str, Any], clause: str, **values: Any) -> None:
    """Append `clause` (and its parameters) when every value is given."""
    if all(v is not None and v != "" and v != [] for v in values.values()):
        where.append(clause)
        params.update(values)


@dataclass(frozen=True)
class ReadFilter:
    """Which reads a search may see: city (None = all, admins only), camera, [from, to)."""

    city_id: str | None = None
    camera_id: str | None = None
    from_: datetime | None = None
    to: datetime | None = None
    color: str | None = None
    type: str | None = None

    def sql(self) -> tuple[list[str], dict[str, Any]]:
        where = ["r.anonymised_at IS NULL"]
        params: dict[str, Any] = {}
        _add(where, params, "r.city_id = %(city_id)s", city_id=self.city_id)
        _add(where, params, "r.camera_id = %(camera_id)s", camera_id=self.camera_id)
        _add(where, params, "r.captured_at >= %(from_)s", from_=self.from_)
        _add(where, params, "r.captured_at < %(to)s", to=self.to)
        _add(where, params, "r.vehicle_color = %(color)s", color=self.color)
        _add(where, params, "r.vehicle_type = %(vtype)s", vtype=self.type)
        return where, params


def search_page(
    conn: Conn, flt: ReadFilter, plate: str | None, prefix: bool, after: list[Any] | None, limit: int
) -> list[dict[str, Any]]:
    """Reads newest first; `plate` matched exactly, or as a prefix when `prefix` (B-tree range scan)."""
    where, params = flt.sql()
    if plate and prefix:
        # plate is [A-Z0-9]+ (clean_plate), so it holds no LIKE metacharacters.
        _add(where, params, "r.plate LIKE %(pattern)s", pattern=plate + "%")
    elif plate:
        _add(where, params, "r.plate = %(plate)s", plate=plate)
    if after:
        _add(where, params, "(r.captured_at, r.id) < (%(a_at)s, %(a_id)s)", a_at=after[0], a_id=after[1])
    params["n"] = limit + 1
    return conn.execute(
        f"SELECT {READ_COLS} FROM plate_reads r WHERE {' AND '.join(where)}"
        " ORDER BY r.captured_at DESC, r.id DESC LIMIT %(n)s",
        params,
    ).fetchall()


def fuzzy_candidates(conn: Conn, flt: ReadFilter, keys: list[str], cap: int) -> list[str]:
    """Distinct plates sharing a wildcard key with the query (GIN probes of the 7 keys)."""
    where, params = flt.sql()
    params.update(keys=keys, cap=cap)
    rows = conn.execute(
        f"SELECT DISTINCT r.plate FROM plate_reads r WHERE r.plate_keys && %(keys)s::text[] AND {' AND '.join(where)}"
        " LIMIT %(cap)s",
        params,
    ).fetchall()
    return [r["plate"] for r in rows]


def fuzzy_page(conn: Conn, flt: ReadFilter, ranked: list[tuple[str, float, int]], keys: list[str],
               after: list[Any] | None, limit: int) -> list[dict[str, Any]]:  # fmt: skip
    """Reads of the `ranked` (plate, distance, rank) ordered by (distance, rank, plate), then newest first;
    `after` is the cursor's (distance, plate, at, id) plus the rank the caller derives from the plate."""
    where, params = flt.sql()
    plates, dists, ranks = (list(col) for col in zip(*ranked, strict=True)) if ranked else ([], [], [])
    params.update(plates=plates, dists=dists, ranks=ranks, keys=keys, n=limit + 1)
    if after:
        where.append(
            "((k.dist, k.rank, k.plate) > (%(a_dist)s, %(a_rank)s, %(a_plate)s)"
            " OR ((k.dist, k.rank, k.plate) = (%(a_dist)s, %(a_rank)s, %(a_plate)s)"
            " AND (r.captured_at, r.id) < (%(a_at)s, %(a_id)s)))"
        )
        params.update(a_dist=after[0], a_plate=after[1], a_at=after[2], a_id=after[3], a_rank=after[4])
    return conn.execute(
        f"SELECT {READ_COLS}, k.dist AS distance FROM plate_reads r"
        " JOIN unnest(%(plates)s::text[], %(dists)s::float8[], %(ranks)s::int[]) k(plate, dist, rank) USING (plate)"
        f" WHERE r.plate_keys && %(keys)s::text[] AND {' AND '.join(where)}"
        " ORDER BY k.dist, k.rank, k.plate, r.captured_at DESC, r.id DESC LIMIT %(n)s",
        params,
    ).fetchall()


def trajectory(conn: Conn, flt: ReadFilter, plate: str, limit: int) -> list[dict[str, Any]]:
    """The plate's reads in time order, with each camera's name and location."""
    where, params = flt.sql()
    params.update(plate=plate, n=limit)
    return conn.execute(
        f"SELECT {READ_COLS}, c.name AS camera_name, c.lat, c.lon FROM plate_reads r"
        " LEFT JOIN cameras c ON c.id = r.camera_id"
        f" WHERE r.plate = %(plate)s AND {' AND '.join(where)} ORDER BY r.captured_at, r.id LIMIT %(n)s",
        params,
    ).fetchall()


# ---------------------------------------------------------------------------------- alerts' inputs


#: The newly stored reads, materialised once: joining an unnested id list (hash/index join) instead
#: of `id = ANY (array)`, which the planner may evaluate as a filter per row (quadratic on big batches).
_NEW_READS = (
    "WITH n AS MATERIALIZED (SELECT r.id, r.city_id, r.plate, r.plate_keys, r.camera_id, r.captured_at, r.confidence"
    " FROM unnest(%(ids)s::uuid[]) AS i(id) JOIN plate_reads r ON r.id = i.id) "
)


def watchlist_hits(conn: Conn, read_ids: list[Any]) -> list[dict[str, Any]]:
    """(read, watchlist entry) pairs: same plate, or a shared wildcard key when the entry is fuzzy.

    Both sides are equality joins (plate; read key = entry key in watchlist_keys), so a batch of
    reads costs one hash or index join whatever the size of the list.
    """
    cols = (
        "n.id AS read_id, n.city_id, n.plate, n.camera_id, n.captured_at, n.confidence,"
        " w.id AS watchlist_id, w.plate AS watch_plate, w.reason, w.fuzzy"
    )
    return conn.execute(
        _NEW_READS + f"SELECT {cols} FROM n JOIN watchlist w ON w.city_id = n.city_id AND w.plate = n.plate"
        f" UNION SELECT {cols} FROM n CROSS JOIN unnest(n.plate_keys) AS k(key)"
        " JOIN watchlist_keys wk ON wk.city_id = n.city_id AND wk.key = k.key"
        " JOIN watchlist w ON w.id = wk.watchlist_id",
        {"ids": list(read_ids)},
    ).fetchall()


def clone_pairs(conn: Conn, read_ids: list[Any], window_s: int) -> list[dict[str, Any]]:
    """Each new read with the same plate's reads in its city within ±window at another located camera.

    One (city_id, plate, captured_at) range probe per new read (LATERAL … OFFSET 0 keeps the planner
    from turning it into a hash join over the whole table).
    """
    return conn.execute(
        _NEW_READS + "SELECT n.id AS read_id, n.city_id, n.plate, n.camera_id, n.captured_at, cn.lat, cn.lon,"
        " o.id AS other_id, o.camera_id AS other_camera_id, o.captured_at AS other_captured_at,"
        " co.lat AS other_lat, co.lon AS other_lon"
        " FROM n JOIN cameras cn ON cn.id = n.camera_id"
        " CROSS JOIN LATERAL ("
        "   SELECT p.id, p.camera_id, p.captured_at FROM plate_reads p"
        "   WHERE p.city_id = n.city_id AND p.plate = n.plate"
        "   AND p.captured_at >= n.captured_at - make_interval(secs => %(w)s)"
        "   AND p.captured_at <= n.captured_at + make_interval(secs => %(w)s)"
        "   AND p.camera_id <> n.camera_id AND p.anonymised_at IS NULL OFFSET 0) o"
        " JOIN cameras co ON co.id = o.camera_id"
        " WHERE cn.lat IS NOT NULL AND cn.lon IS NOT NULL AND co.lat IS NOT NULL AND co.lon IS NOT NULL",
        {"ids": list(read_ids), "w": window_s},
    ).fetchall()


# ---------------------------------------------------------------------------------- alerts

ALERT_COLS = (
    "id, city_id, kind, plate, camera_id, captured_at, read_ids, watchlist_id, status, detail, created_at, resolved_at"
)


def insert_alerts(conn: Conn, alerts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert, 500 rows a statement, skipping any whose (kind, dedup_key) exists; returns the new rows."""
    fields = ("city_id", "kind", "plate", "camera_id", "captured_at", "read_ids", "watchlist_id", "dedup_key", "detail")
    row_sql = "(%s, %s, %s, %s, %s, %s::uuid[], %s, %s, %s)"
    created: list[dict[str, Any]] = []
    for start in range(0, len(alerts), 500):
        chunk = alerts[start : start + 500]
        params: list[Any] = []
        for a in chunk:
            params += [Jsonb(a.get("detail") or {}) if f == "detail" else a[f] for f in fields]
        created += conn.execute(
            f"INSERT INTO alerts ({', '.join(fields)}) VALUES {', '.join([row_sql] * len(chunk))}"
            f" ON CONFLICT (kind, dedup_key) DO NOTHING RETURNING {ALERT_COLS}",
            params,
        ).fetchall()
    return created


def list_alerts(
    conn: Conn,
    city_id: str | None,
    since: datetime | None,
    kind: str | None,
    after: list[Any] | None,
    limit: int,
    open_only: bool = False,
) -> list[dict[str, Any]]:
    where: list[str] = ["resolved_at IS NULL"] if open_only else ["true"]
    params: dict[str, Any] = {"n": limit + 1}
    _add(where, params, "city_id = %(city_id)s", city_id=city_id)
    _add(where, params, "created_at >= %(since)s", since=since)
    _add(where, params, "kind = %(kind)s", kind=kind)
    if after:
        _add(where, params, "(created_at, id) < (%(a_at)s, %(a_id)s)", a_at=after[0], a_id=after[1])
    return conn.execute(
        f"SELECT {ALERT_COLS} FROM alerts WHERE {' AND '.join(where)} ORDER BY created_at DESC, id DESC LIMIT %(n)s",
        params,
    ).fetchall()


def set_alert_status(conn: Conn, alert_id: str, city_id: str | None, status: str) -> dict[str, Any] | None:
    """Move an alert to `status`; None when missing or (city_id given) in another city."""
    return conn.execute(
        f"UPDATE alerts SET status = %(status)s WHERE id = %(id)s AND (%(city)s::uuid IS NULL OR city_id = %(city)s)"
        f" RETURNING {ALERT_COLS}",
        {"status": status, "id": alert_id, "city": city_id},
    ).fetchone()


def alert_visible(conn: Conn, alert_id: str, city_id: str | None) -> bool:
    """Whether the alert exists (and, city_id given, belongs to that city)."""
    row = conn.execute(
        "SELECT 1 FROM alerts WHERE id = %(id)s AND (%(city)s::uuid IS NULL OR city_id = %(city)s)",
        {"id": alert_id, "city": city_id},
    ).fetchone()
    return row is not None


# ---------------------------------------------------------------------------------- watchlist

WATCH_COLS = "id, city_id, plate, reason, fuzzy, created_by, created_at"


def insert_watch(conn: Conn, values: dict[str, Any], keys: list[str]) -> dict[str, Any] | None:
    """The new entry (with its fuzzy `keys` indexed), or None when the plate is already on the city's list."""
    row = conn.execute(
        "INSERT INTO watchlist (city_id, plate, reason, fuzzy, created_by)"
        " VALUES (%(city_id)s, %(plate)s, %(reason)s, %(fuzzy)s, %(created_by)s)"
        f" ON CONFLICT (city_id, plate) DO NOTHING RETURNING {WATCH_COLS}",
        values,
    ).fetchone()
    if row is not None and keys:
        conn.execute(
            "INSERT INTO watchlist_keys (city_id, key, watchlist_id) SELECT %s, k, %s FROM unnest(%s::text[]) k",
            (row["city_id"], row["id"], keys),
        )
    return row


def list_watch(
    conn: Conn, city_id: str | None, after: list[Any] | None, limit: int
) -> list[dict[str, Any]]:
    where: list[str] = ["true"]
    params: dict[str, Any] = {"n": limit + 1}
    _add(where, params, "city_id = %(city_id)s", city_id=city_id)
    if after:
        _add(where, params, "(created_at, id) > (%(a_at)s, %(a_id)s)", a_at=after[0], a_id=after[1])
    return conn.execute(
        f"SELECT {WATCH_COLS} FROM watchlist WHERE {' AND '.join(where)} ORDER BY created_at, id LIMIT %(n)s", params
    ).fetchall()


def watch_visible(conn: Conn, watch_id: str, city_id: str | None) -> bool:
    """Whether the watchlist entry exists (and, city_id given, belongs to that city)."""
    row = conn.execute(
        "SELECT 1 FROM watchlist WHERE id = %(id)s AND (%(city)s::uuid IS NULL OR city_id = %(city)s)",
        {"id": watch_id, "city": city_id},
    ).fetchone()
    return row is not None


def delete_watch(conn: Conn, watch_id: str, city_id: str | None) -> bool:
    if city_id is None:
        return conn.execute("DELETE FROM watchlist WHERE id = %s", (watch_id,)).rowcount == 1
    return conn.execute("DELETE FROM watchlist WHERE id = %s AND city_id = %s", (watch_id, city_id)).rowcount == 1


# ---------------------------------------------------------------------------------- S3 / SQS / SNS


def put_image(key: str, data: bytes) -> None:
    aws.client("s3").put_object(Bucket=get_settings().recordings_bucket, Key=key, Body=data, ContentType="image/jpeg")


def presign(key: str) -> str:
    return str(
        aws.client("s3").generate_presigned_url(
            "get_object",
            Params={"Bucket": get_settings().recordings_bucket, "Key": key},
            ExpiresIn=get_settings().presign_ttl_s,
        )
    )


def enqueue_reads(bodies: list[str]) -> None:
    """Send batch-ingest messages (each a JSON list of reads) to the LPR reads queue, 10 per call."""
    sqs = aws.client("sqs")
    url = get_settings().lpr_queue_url
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        resp = sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(chunk)]
        )
        if resp.get("Failed"):
            raise RuntimeError(f"SQS refused {len(resp['Failed'])} LPR batch messages")


def publish_alert(message: dict[str, Any]) -> None:
    aws.client("sns").publish(
        TopicArn=get_settings().alerts_topic_arn,
        Message=json.dumps(message, ensure_ascii=False, default=str),
        Subject=f"GT-Vision alert: {message['kind']}",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": str(message["kind"])},
            "city_id": {"DataType": "String", "StringValue": str(message["city_id"])},
        },
    )
