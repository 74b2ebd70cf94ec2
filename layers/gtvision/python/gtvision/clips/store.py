"""SQL, S3 and SQS for clips: rows, the worker's claim, source segments, objects and job messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from gtvision.clips.schemas import Clip, ClipJob, EvidenceNames, StaleClip
from gtvision.core import aws
from gtvision.core.db import Conn
from gtvision.core.settings import get_settings
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one
from gtvision.recordings.schemas import Segment

COLS = columns(Clip)


def lock_for_delete(conn: Conn, clip_id: str) -> Clip | None:
    """The clip, row-locked until the transaction ends (a hold placed meanwhile waits for the delete)."""
    return fetch_one(conn, Clip, f"SELECT {COLS} FROM clips WHERE id = %s FOR UPDATE", (clip_id,))


def delete(conn: Conn, clip_id: str) -> None:
    """Delete a clip's row (its objects are deleted first by the caller)."""
    conn.execute("DELETE FROM clips WHERE id = %s", (clip_id,))


def delete_objects(keys: list[str]) -> None:
    """Delete objects of the recordings bucket (a clip and its manifest) in one call."""
    s3 = aws.client("s3")
    s3.delete_objects(
        Bucket=get_settings().recordings_bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
    )


# ------------------------------------------------------------------------------------------- rows


def insert(conn: Conn, values: dict[str, Any]) -> Clip:
    """Insert a queued clip; returns it."""
    cols = ", ".join(values)
    params = ", ".join(f"%({k})s" for k in values)
    return fetch_exactly_one(conn, Clip, f"INSERT INTO clips ({cols}) VALUES ({params}) RETURNING {COLS}", values)


def get(conn: Conn, clip_id: str, city_id: str | None = None) -> Clip | None:
    """One clip; None when missing or (city_id given) in another city."""
    if city_id is None:
        return fetch_one(conn, Clip, f"SELECT {COLS} FROM clips WHERE id = %s", (clip_id,))
    return fetch_one(conn, Clip, f"SELECT {COLS} FROM clips WHERE id = %s AND city_id = %s", (clip_id, city_id))


def list_page(
    conn: Conn,
    city_id: str | None,
    camera_id: str | None,
    status: str | None,
    limit: int,
    after: list[Any] | None,
    only_cameras: list[str] | None = None,
) -> list[Clip]:
    """Newest first, keyset-paginated on (created_at, id)."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("city_id", city_id), ("camera_id", camera_id), ("status", status)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if only_cameras is not None:  # a user restricted to camera groups
        where.append("camera_id = ANY(%s::uuid[])")
        params.append(only_cameras)
    if after:
        where.append("(created_at, id) < (%s::timestamptz, %s::uuid)")
        params += after
    params.append(limit + 1)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    query = f"SELECT {COLS} FROM clips {clause} ORDER BY created_at DESC, id DESC LIMIT %s"
    return fetch_all(conn, Clip, query, params)


def claim(conn: Conn, clip_id: str, token: str, lease_s: int) -> Clip | None:
    """Take a queued clip (or one whose previous worker's lease ran out); None when not claimable."""
    return fetch_one(
        conn,
        Clip,
        f"UPDATE clips SET status = 'processing', claim_token = %(token)s, attempts = attempts + 1,"
        f" lease_until = now() + make_interval(secs => %(lease)s), error = NULL, updated_at = now()"
        f" WHERE id = %(id)s AND (status = 'queued' OR (status = 'processing' AND lease_until < now()))"
        f" RETURNING {COLS}",
        {"id": clip_id, "token": token, "lease": lease_s},
    )


def finish(conn: Conn, clip_id: str, token: str, changes: dict[str, Any]) -> bool:
    """Apply the outcome of a claim, only if the claim is still ours (a slower duplicate loses)."""
    values = {k: Jsonb(v) if k == "manifest" else v for k, v in changes.items()}
    sets = ", ".join(f"{k} = %({k})s" for k in values)
    cur = conn.execute(
        f"UPDATE clips SET {sets}, claim_token = NULL, lease_until = NULL, updated_at = now()"
        " WHERE id = %(id)s AND status = 'processing' AND claim_token = %(token)s",
        {**values, "id": clip_id, "token": token},
    )
    return cur.rowcount == 1


def release(conn: Conn, clip_id: str, token: str, error: str | None = None) -> None:
    """Hand a claimed clip back to the queue (a transient error: the redelivery may claim it again), saying
    why the attempt failed in `error` until the next one ends."""
    conn.execute(
        "UPDATE clips SET status = 'queued', claim_token = NULL, lease_until = NULL, error = %s, updated_at = now()"
        " WHERE id = %s AND status = 'processing' AND claim_token = %s",
        (error, clip_id, token),
    )


def fail_unclaimed(conn: Conn, clip_id: str, error: str) -> None:
    """Fail a clip no worker has taken (its job could not be queued)."""
    conn.execute(
        "UPDATE clips SET status = 'failed', error = %s, updated_at = now() WHERE id = %s AND status = 'queued'",
        (error, clip_id),
    )


def stale(conn: Conn, stale_s: int, limit: int = 500) -> list[StaleClip]:
    """Unfinished clips nobody is working on, locked for the reconciler: `queued` untouched for `stale_s`,
    `processing` whose lease ran out (or claimed longer ago than any worker lives)."""
    return fetch_all(
        conn,
        StaleClip,
        f"SELECT {columns(StaleClip)} FROM clips"
        " WHERE (status IN ('queued', 'processing') AND updated_at < now() - make_interval(secs => %(stale)s))"
        " OR (status = 'processing' AND lease_until < now())"
        " ORDER BY updated_at LIMIT %(n)s FOR UPDATE SKIP LOCKED",
        {"stale": stale_s, "n": limit},
    )


def count_unfinished(conn: Conn) -> int:
    """How many clips are queued or processing."""
    row = conn.execute("SELECT count(*) AS n FROM clips WHERE status IN ('queued', 'processing')").fetchone()
    return int(row["n"]) if row else 0


def requeue(conn: Conn, clip_id: str) -> None:
    """Put a stale clip back to `queued` (any old claim void), counting the re-queue."""
    conn.execute(
        "UPDATE clips SET status = 'queued', claim_token = NULL, lease_until = NULL, requeues = requeues + 1,"
        " updated_at = now() WHERE id = %s AND status IN ('queued', 'processing')",
        (clip_id,),
    )


def fail_stale(conn: Conn, clip_id: str, error: str) -> None:
    """Fail a stale clip whose retry budget is spent (any old claim void)."""
    conn.execute(
        "UPDATE clips SET status = 'failed', error = %s, claim_token = NULL, lease_until = NULL, updated_at = now()"
        " WHERE id = %s AND status IN ('queued', 'processing')",
        (error, clip_id),
    )


def set_hold(
    conn: Conn, clip_id: str, reason: str | None, user_id: str | None, case_id: str | None = None
) -> Clip | None:
    """Set (reason given, optionally for a case) or lift (reason None) the legal hold."""
    return fetch_one(
        conn,
        Clip,
        f"UPDATE clips SET held = %(held)s, hold_reason = %(reason)s, held_by = %(user)s, hold_case_id = %(case)s,"
        f" held_at = CASE WHEN %(held)s THEN now() END, updated_at = now() WHERE id = %(id)s RETURNING {COLS}",
        {"held": reason is not None, "reason": reason, "user": user_id, "case": case_id, "id": clip_id},
    )


def release_case_holds(conn: Conn, case_id: str) -> list[str]:
    """Lift the holds placed for a case (its keep period ended); the ids of the clips released."""
    rows = conn.execute(
        "UPDATE clips SET held = false, hold_reason = NULL, held_by = NULL, held_at = NULL, hold_case_id = NULL,"
        " updated_at = now() WHERE hold_case_id = %s AND held RETURNING id",
        (case_id,),
    ).fetchall()
    return [str(r["id"]) for r in rows]


def replace_segments(
    conn: Conn, clip_id: str, camera_id: str, starts: Sequence[datetime | tuple[datetime, str]]
) -> None:
    """Record exactly which segments the clip is cut from (what retention must keep while held): their starts,
    or (start, quality) pairs when the clip mixes a camera's main stream and sub-stream."""
    conn.execute("DELETE FROM clip_segments WHERE clip_id = %s", (clip_id,))
    pairs = [s if isinstance(s, tuple) else (s, "main") for s in starts]
    if pairs:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO clip_segments (clip_id, camera_id, segment_start, segment_quality)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                [(clip_id, camera_id, start, quality) for start, quality in pairs],
            )


def stored_segments(conn: Conn, clip_id: str) -> list[Segment]:
    """The segments recorded for the clip when it was requested (those still stored), ordered by start."""
    return fetch_all(
        conn,
        Segment,
        f"SELECT {columns(Segment, 's.')} FROM clip_segments cs JOIN segments s"
        " ON s.camera_id = cs.camera_id AND s.start_at = cs.segment_start AND s.quality = cs.segment_quality"
        " WHERE cs.clip_id = %s ORDER BY s.start_at, s.quality",
        (clip_id,),
    )


def context_names(conn: Conn, camera_id: str) -> EvidenceNames:
    """Camera and city names for the evidence manifest."""
    found = fetch_one(
        conn,
        EvidenceNames,
        "SELECT c.name AS camera_name, ci.name AS city_name, ci.state AS city_state"
        " FROM cameras c JOIN cities ci ON ci.id = c.city_id WHERE c.id = %s",
        (camera_id,),
    )
    return found or EvidenceNames(None, None, None)


# -------------------------------------------------------------------------------------- S3 / SQS


def enqueue(clip_id: str) -> None:
    """One job message: the worker reads everything else from the row."""
    body = ClipJob(clip_id=clip_id).model_dump_json()
    aws.client("sqs").send_message(QueueUrl=get_settings().clip_queue_url, MessageBody=body)


def upload_file(path: str, key: str, content_type: str) -> None:
    """Upload a local file to the recordings bucket under `key`."""
    aws.client("s3").upload_file(path, get_settings().recordings_bucket, key, ExtraArgs={"ContentType": content_type})


def put_json(key: str, document: dict[str, Any]) -> None:
    """Store a JSON document in the recordings bucket under `key`."""
    aws.client("s3").put_object(
        Bucket=get_settings().recordings_bucket,
        Key=key,
        Body=json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"),
        ContentType="application/json",
    )


def presign(key: str, filename: str | None = None) -> str:
    """A time-limited GET URL; `filename` makes browsers save it under that name."""
    params: dict[str, Any] = {"Bucket": get_settings().recordings_bucket, "Key": key}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
    return str(
        aws.client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=get_settings().presign_ttl_s)
    )
