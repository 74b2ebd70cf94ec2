"""SQL and storage of LPR plate reads: single and bulk inserts, searches, trajectories, images.

Watchlists and alerts (the rules' inputs included) are in ``gtvision.alerts.store``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from gtvision.core import aws
from gtvision.core.db import Conn
from gtvision.core.rows import rowtype
from gtvision.core.settings import get_settings
from gtvision.core.sql import NamedParams, add_where, columns, fetch_all, fetch_one
from gtvision.lpr.schemas import PlateReadRow, RankedRead, StoredRead, TrajectoryRow

READ_COLS = columns(PlateReadRow, "r.")
STORED_COLS = columns(StoredRead)

#: Columns of the bulk staging table, in COPY order.
STAGING_COLS: tuple[str, ...] = ("msg", "id", "camera_id", "event_id", "plate", "plate_skeleton", "plate_keys")
STAGING_COLS += ("confidence", "captured_at", "vehicle", "direction", "vehicle_color", "vehicle_type")


def image_key(city_id: Any, camera_id: Any, read_id: Any) -> str:
    """The S3 key of a plate read's image."""
    return f"lpr/{city_id}/{camera_id}/{read_id}.jpg"


# ---------------------------------------------------------------------------------- plate reads


def insert_read(conn: Conn, values: Mapping[str, Any]) -> StoredRead | None:
    """Insert one read; None when (camera_id, event_id) is already stored (nothing written)."""
    return fetch_one(
        conn,
        StoredRead,
        "INSERT INTO plate_reads (id, city_id, camera_id, event_id, plate, plate_skeleton, plate_keys, confidence,"
        " captured_at, image_key, vehicle, direction, vehicle_color, vehicle_type)"
        " VALUES (%(id)s, %(city_id)s, %(camera_id)s, %(event_id)s, %(plate)s, %(plate_skeleton)s, %(plate_keys)s,"
        " %(confidence)s, %(captured_at)s, %(image_key)s, %(vehicle)s, %(direction)s, %(vehicle_color)s,"
        " %(vehicle_type)s)"
        f" ON CONFLICT (camera_id, event_id) DO NOTHING RETURNING {STORED_COLS}",
        {
            "vehicle_color": None,
            "vehicle_type": None,
            **values,
            "vehicle": Jsonb(values["vehicle"]) if values.get("vehicle") is not None else None,
        },
    )


def read_by_event(conn: Conn, camera_id: Any, event_id: str) -> StoredRead | None:
    """The camera's read with `event_id`, None when there is none."""
    return fetch_one(
        conn,
        StoredRead,
        f"SELECT {STORED_COLS} FROM plate_reads WHERE camera_id = %s AND event_id = %s",
        (camera_id, event_id),
    )


#: The batch's new reads, for the alert rules (`alerts.evaluate_batch`) and the post-ingest observers.
NEW_READS_TABLE = "lpr_new_reads"
_STAGING_DDL = (
    "CREATE TEMP TABLE IF NOT EXISTS lpr_staging (msg int, id uuid, camera_id uuid, event_id text, plate text,"
    " plate_skeleton text, plate_keys text[], confidence real, captured_at timestamptz, vehicle jsonb,"
    " direction text, vehicle_color text, vehicle_type text) ON COMMIT DELETE ROWS"
)
_NEW_DDL = (
    f"CREATE TEMP TABLE IF NOT EXISTS {NEW_READS_TABLE} (id uuid, city_id uuid, camera_id uuid, event_id text,"
    " plate text, plate_keys text[], confidence real, captured_at timestamptz, vehicle_color text,"
    " vehicle_type text, image_key text) ON COMMIT DELETE ROWS"
)


def store_batch(conn: Conn, copy_text: str) -> tuple[int, set[int]]:
    """Store a batch's reads (`copy_text`: COPY text lines in STAGING_COLS order, no (camera_id, event_id) twice):
    COPY into a staging table, then one INSERT of the new ones, which also writes them into NEW_READS_TABLE.

    Returns (reads stored now, indexes of the messages refused because a camera of theirs is unknown: none of
    their reads is stored). Reads already stored (same camera and event id) are skipped.
    """
    conn.execute(_STAGING_DDL)
    conn.execute(_NEW_DDL)
    with conn.cursor() as cur, cur.copy(f"COPY lpr_staging ({', '.join(STAGING_COLS)}) FROM STDIN") as copy:
        copy.write(copy_text)
    refused = {
        r["msg"]
        for r in conn.execute(
            "SELECT DISTINCT s.msg FROM lpr_staging s LEFT JOIN cameras c ON c.id = s.camera_id WHERE c.id IS NULL"
        ).fetchall()
    }
    stored = conn.execute(
        "WITH ins AS (INSERT INTO plate_reads (id, city_id, camera_id, event_id, plate, plate_skeleton, plate_keys,"
        " confidence, captured_at, vehicle, direction, vehicle_color, vehicle_type)"
        " SELECT s.id, c.city_id, s.camera_id, s.event_id, s.plate, s.plate_skeleton, s.plate_keys, s.confidence,"
        " s.captured_at, s.vehicle, s.direction, s.vehicle_color, s.vehicle_type"
        " FROM lpr_staging s JOIN cameras c ON c.id = s.camera_id WHERE s.msg <> ALL(%s::int[])"
        " ON CONFLICT (camera_id, event_id) DO NOTHING"
        " RETURNING id, city_id, camera_id, event_id, plate, plate_keys, confidence, captured_at, vehicle_color,"
        " vehicle_type, image_key)"
        f" INSERT INTO {NEW_READS_TABLE} SELECT * FROM ins",
        (sorted(refused),),
    ).rowcount
    return stored, refused


def new_reads(conn: Conn) -> list[StoredRead]:
    """What `store_batch` stored in this transaction (for the post-ingest observers)."""
    return fetch_all(conn, StoredRead, f"SELECT {STORED_COLS} FROM {NEW_READS_TABLE}")


@rowtype(slots=False)
class ReadFilter:
    """Which reads a search may see: city (None = all, admins only), camera, [from, to), vehicle; `cameras`:
    only these cameras' reads (a user restricted to camera groups), None for no such restriction."""

    city_id: str | None = None
    camera_id: str | None = None
    from_: datetime | None = None
    to: datetime | None = None
    color: str | None = None
    type: str | None = None
    cameras: list[str] | None = None

    def sql(self) -> tuple[list[str], NamedParams]:
        """The WHERE clauses and parameters of this filter (anonymised reads never match)."""
        where = ["r.anonymised_at IS NULL"]
        params: NamedParams = {}
        add_where(where, params, "r.city_id = %(city_id)s", city_id=self.city_id)
        add_where(where, params, "r.camera_id = %(camera_id)s", camera_id=self.camera_id)
        add_where(where, params, "r.captured_at >= %(from_)s", from_=self.from_)
        add_where(where, params, "r.captured_at < %(to)s", to=self.to)
        add_where(where, params, "r.vehicle_color = %(color)s", color=self.color)
        add_where(where, params, "r.vehicle_type = %(vtype)s", vtype=self.type)
        if self.cameras is not None:  # not add_where: no camera at all ([]) must match nothing
            where.append("r.camera_id = ANY(%(cameras)s::uuid[])")
            params["cameras"] = self.cameras
        return where, params


def search_page(
    conn: Conn, flt: ReadFilter, plate: str | None, prefix: bool, after: list[Any] | None, limit: int
) -> list[PlateReadRow]:
    """Reads newest first; `plate` matched exactly, or as a prefix when `prefix` (B-tree range scan)."""
    where, params = flt.sql()
    if plate and prefix:
        # plate is [A-Z0-9]+ (clean_plate), so it holds no LIKE metacharacters.
        add_where(where, params, "r.plate LIKE %(pattern)s", pattern=plate + "%")
    elif plate:
        add_where(where, params, "r.plate = %(plate)s", plate=plate)
    if after:
        add_where(where, params, "(r.captured_at, r.id) < (%(a_at)s, %(a_id)s)", a_at=after[0], a_id=after[1])
    params["n"] = limit + 1
    return fetch_all(
        conn,
        PlateReadRow,
        f"SELECT {READ_COLS} FROM plate_reads r WHERE {' AND '.join(where)}"
        " ORDER BY r.captured_at DESC, r.id DESC LIMIT %(n)s",
        params,
    )


def fuzzy_candidates(conn: Conn, flt: ReadFilter, skeleton: str, keys: list[str], cap: int) -> list[str]:
    """Distinct plates sharing a wildcard key with the query: GIN probes of the skeleton's group keys, then the
    wildcard test, through the `plate_fuzzy_candidates` function so the plan can't fall back to a sequential
    scan (migrations 0016, 0042)."""
    rows = conn.execute(
        "SELECT plate FROM plate_fuzzy_candidates(%s, %s::text[], %s, %s, %s, %s, %s, %s, %s, %s::uuid[]) AS plate",
        (skeleton, keys, cap, flt.city_id, flt.camera_id, flt.from_, flt.to, flt.color, flt.type, flt.cameras),
    ).fetchall()
    return [r["plate"] for r in rows]


def fuzzy_page(
    conn: Conn,
    flt: ReadFilter,
    ranked: list[tuple[str, float, int]],
    keys: list[str],
    after: list[Any] | None,
    limit: int,
) -> list[RankedRead]:
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
    return fetch_all(
        conn,
        RankedRead,
        f"SELECT {READ_COLS}, k.dist AS distance FROM plate_reads r"
        " JOIN unnest(%(plates)s::text[], %(dists)s::float8[], %(ranks)s::int[]) k(plate, dist, rank) USING (plate)"
        f" WHERE r.plate_keys && %(keys)s::text[] AND {' AND '.join(where)}"
        " ORDER BY k.dist, k.rank, k.plate, r.captured_at DESC, r.id DESC LIMIT %(n)s",
        params,
    )


def trajectory(conn: Conn, flt: ReadFilter, plate: str, limit: int) -> list[TrajectoryRow]:
    """The plate's reads in time order, with each camera's name and location."""
    where, params = flt.sql()
    params.update(plate=plate, n=limit)
    return fetch_all(
        conn,
        TrajectoryRow,
        f"SELECT {READ_COLS}, c.name AS camera_name, c.lat, c.lon FROM plate_reads r"
        " LEFT JOIN cameras c ON c.id = r.camera_id"
        f" WHERE r.plate = %(plate)s AND {' AND '.join(where)} ORDER BY r.captured_at, r.id LIMIT %(n)s",
        params,
    )


# ---------------------------------------------------------------------------------- Digest nonces


def use_nonce(conn: Conn, nonce: str, nc: str, expires_at: datetime) -> bool:
    """Record that a Digest (nonce, nc) pair was accepted; False when it already was (a replay). Pairs of
    expired nonces are forgotten here too (they can no longer pass the nonce check)."""
    conn.execute("DELETE FROM digest_nonce_uses WHERE expires_at < now()")
    row = conn.execute(
        "INSERT INTO digest_nonce_uses (nonce, nc, expires_at) VALUES (%s, %s, %s)"
        " ON CONFLICT (nonce, nc) DO NOTHING RETURNING nonce",
        (nonce, nc, expires_at),
    ).fetchone()
    return row is not None


# ---------------------------------------------------------------------------------- S3 / SQS / SNS


def put_image(key: str, data: bytes) -> None:
    """Store a plate read's JPEG in the recordings bucket."""
    aws.client("s3").put_object(Bucket=get_settings().recordings_bucket, Key=key, Body=data, ContentType="image/jpeg")


def presign(key: str) -> str:
    """A presigned GET URL of a plate read's image."""
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


def read_ref(conn: Conn, read_id: str, city_id: str | None) -> tuple[str, datetime, str] | None:
    """(camera id, captured at, plate) of a read of the city (any city when None); None when not there."""
    row = conn.execute(
        "SELECT camera_id, captured_at, plate FROM plate_reads WHERE id = %s AND (%s::uuid IS NULL OR city_id = %s)",
        (read_id, city_id, city_id),
    ).fetchone()
    return (str(row["camera_id"]), row["captured_at"], str(row["plate"])) if row else None
