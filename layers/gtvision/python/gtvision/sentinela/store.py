"""SQL and storage of Sentinela searches: jobs, their planned segments, results (LPR reads and video sightings)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from gtvision.core import aws
from gtvision.core.db import Conn
from gtvision.core.settings import get_settings
from gtvision.core.sql import NamedParams, add_where, columns, fetch_all, fetch_exactly_one, fetch_one
from gtvision.recordings import tiers
from gtvision.sentinela.schemas import (
    Criteria,
    RecordedSegment,
    Search,
    SegmentJob,
    SegmentTask,
    Sighting,
    VideoSighting,
)

SEARCH_COLS = columns(Search)
RESULT_COLS = (
    "s.id, s.search_id, s.camera_id, s.captured_at, s.source, s.read_id, s.segment_start, s.plate, s.color, s.type,"
    " s.confidence, s.image_key, s.bbox, c.name AS camera_name, c.lat, c.lon"
)


def insert_search(conn: Conn, search_id: str, city_id: str, created_by: str | None, criteria: Criteria) -> Search:
    """Insert a pending Sentinela search; returns it."""
    return fetch_exactly_one(
        conn,
        Search,
        "INSERT INTO sentinela_searches (id, city_id, created_by, criteria, status)"
        f" VALUES (%s, %s, %s, %s, 'pending') RETURNING {SEARCH_COLS}",
        (search_id, city_id, created_by, Jsonb(criteria.model_dump(mode="json", by_alias=True))),
    )


def get_search(conn: Conn, search_id: str, city_id: str | None, *, for_update: bool = False) -> Search | None:
    """One search; None when missing or (city_id given) in another city."""
    lock = " FOR UPDATE" if for_update else ""
    return fetch_one(
        conn,
        Search,
        f"SELECT {SEARCH_COLS} FROM sentinela_searches WHERE id = %(id)s"
        f" AND (%(city)s::uuid IS NULL OR city_id = %(city)s){lock}",
        {"id": search_id, "city": city_id},
    )


def list_searches(conn: Conn, city_id: str | None, after: list[Any] | None, limit: int) -> list[Search]:
    """Sentinela searches newest first, optionally of one city (keyset page)."""
    where = ["(%(city)s::uuid IS NULL OR city_id = %(city)s)"]
    params: NamedParams = {"city": city_id, "n": limit + 1}
    if after:
        where.append("(created_at, id) < (%(a_at)s, %(a_id)s)")
        params.update(a_at=after[0], a_id=after[1])
    return fetch_all(
        conn,
        Search,
        f"SELECT {SEARCH_COLS} FROM sentinela_searches WHERE {' AND '.join(where)}"
        " ORDER BY created_at DESC, id DESC LIMIT %(n)s",
        params,
    )


def set_status(conn: Conn, search_id: str, status: str, error: str | None = None) -> Search | None:
    """Move a search that has not finished to `status` (finished_at set for final states)."""
    return fetch_one(
        conn,
        Search,
        "UPDATE sentinela_searches SET status = %(status)s, error = coalesce(%(error)s, error),"
        " finished_at = CASE WHEN %(status)s IN ('completed', 'failed', 'cancelled') THEN now() END"
        f" WHERE id = %(id)s AND status NOT IN ('completed', 'failed', 'cancelled') RETURNING {SEARCH_COLS}",
        {"id": search_id, "status": status, "error": error},
    )


# ------------------------------------------------------------------------------ stage 1: LPR reads


def copy_lpr_reads(conn: Conn, search_id: str, city_id: str, crit: Criteria, cap: int) -> int:
    """Insert the matching plate reads of the city as results (index scans: plate, colour or type + time)."""
    where = ["r.city_id = %(city)s", "r.anonymised_at IS NULL", "r.captured_at >= %(from)s", "r.captured_at < %(to)s"]
    params: NamedParams = {"city": city_id, "from": crit.from_, "to": crit.to, "search": search_id, "cap": cap}
    add_where(where, params, "r.plate = %(plate)s", plate=crit.plate)
    add_where(where, params, "r.vehicle_color = %(color)s", color=crit.color)
    add_where(where, params, "r.vehicle_type = %(vtype)s", vtype=crit.type)
    add_where(where, params, "r.camera_id = ANY(%(cams)s::uuid[])", cams=crit.camera_ids)
    return conn.execute(
        "INSERT INTO sentinela_results (search_id, camera_id, captured_at, source, read_id, plate, color, type,"
        " confidence, image_key)"
        " SELECT %(search)s, r.camera_id, r.captured_at, 'lpr', r.id, r.plate, r.vehicle_color, r.vehicle_type,"
        f" r.confidence, r.image_key FROM plate_reads r WHERE {' AND '.join(where)}"
        " ORDER BY r.captured_at LIMIT %(cap)s ON CONFLICT DO NOTHING",
        params,
    ).rowcount


# ------------------------------------------------------------------------------ stage 2: segments


def recorded_segments(
    conn: Conn, city_id: str, camera_ids: list[str] | None, from_: datetime, to: datetime
) -> list[RecordedSegment]:
    """The city's recording segments overlapping [from_, to) (of `camera_ids` when given), by time: where a camera
    records two tiers, its main segments and the sub-stream's only in main's gaps (`recordings.tiers.best`), so
    each span is analysed once, at the best quality recorded."""
    params: NamedParams = {"city": city_id, "from": from_, "to": to, "cams": camera_ids}
    cams = " AND camera_id = ANY(%(cams)s::uuid[])" if camera_ids else ""
    rows = fetch_all(
        conn,
        RecordedSegment,
        f"SELECT {columns(RecordedSegment)} FROM segments WHERE city_id = %(city)s"
        " AND start_at >= %(from)s - interval '2 hours' AND start_at < %(to)s AND end_at > %(from)s"
        f"{cams} ORDER BY start_at, camera_id",
        params,
    )
    by_camera: dict[Any, list[RecordedSegment]] = {}
    for row in rows:
        by_camera.setdefault(row.camera_id, []).append(row)
    chosen = [row for camera_rows in by_camera.values() for row in tiers.best(camera_rows)]
    return sorted(chosen, key=lambda r: (r.start_at, str(r.camera_id), r.quality))


def plan_segments(conn: Conn, search_id: str, segments: list[RecordedSegment]) -> None:
    """Record the segments a search will analyse (once each); its total is what was planned, so the search
    completes when each planned segment is finished."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO sentinela_segments (search_id, camera_id, start_at, segment_quality) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            [(search_id, s.camera_id, s.start_at, s.quality) for s in segments],
        )
    conn.execute(
        "UPDATE sentinela_searches SET status = 'processing',"
        " segments_total = (SELECT count(*) FROM sentinela_segments WHERE search_id = %s) WHERE id = %s",
        (search_id, search_id),
    )


def segment_job(conn: Conn, task: SegmentTask) -> SegmentJob | None:
    """The planned segment with its search's state and the recording's object key."""
    return fetch_one(
        conn,
        SegmentJob,
        "SELECT j.status AS job_status, q.status AS search_status, q.city_id, q.criteria, g.s3_key, g.end_at"
        " FROM sentinela_segments j JOIN sentinela_searches q ON q.id = j.search_id"
        " LEFT JOIN segments g ON g.camera_id = j.camera_id AND g.start_at = j.start_at"
        " AND g.quality = j.segment_quality"
        " WHERE j.search_id = %s AND j.camera_id = %s AND j.start_at = %s AND j.segment_quality = %s",
        (task.search_id, task.camera_id, task.start_at, task.quality),
    )


def finish_segment(
    conn: Conn,
    task: SegmentTask,
    status: str,
    frames: int | None = None,
    sightings: list[VideoSighting] | None = None,
    error: str | None = None,
) -> bool:
    """Mark a pending segment done/failed/skipped and store its sightings, once; False if already finished."""
    row = conn.execute(
        "UPDATE sentinela_segments SET status = %s, frames = %s, sightings = %s, error = %s, finished_at = now()"
        " WHERE search_id = %s AND camera_id = %s AND start_at = %s AND segment_quality = %s AND status = 'pending'"
        " RETURNING search_id",
        (status, frames, len(sightings or []), error, task.search_id, task.camera_id, task.start_at, task.quality),
    ).fetchone()
    if row is None:
        return False
    if sightings:
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO sentinela_results (search_id, camera_id, captured_at, source, segment_start, color, type,"
                " confidence, image_key, bbox) VALUES (%s, %s, %s, 'video', %s, %s, %s, %s, %s, %s)",
                [
                    (task.search_id, task.camera_id, s.captured_at, task.start_at, s.color, s.type)
                    + (s.confidence, s.image_key, Jsonb(s.bbox))
                    for s in sightings
                ],
            )
    conn.execute("UPDATE sentinela_searches SET segments_done = segments_done + 1 WHERE id = %s", (task.search_id,))
    return True


def complete_if_done(conn: Conn, search_id: str) -> Search | None:
    """Complete a processing search whose every planned segment has finished; segments whose media could not
    be read are counted in its `error`."""
    return fetch_one(
        conn,
        Search,
        "UPDATE sentinela_searches q SET status = 'completed', finished_at = now(), error = coalesce(("
        "   SELECT count(*) || ' segmento(s) com mídia ilegível não analisado(s)' FROM sentinela_segments j"
        "   WHERE j.search_id = q.id AND j.status = 'failed' HAVING count(*) > 0), q.error)"
        " WHERE q.id = %s AND q.status = 'processing' AND q.segments_done >= q.segments_total"
        f" RETURNING {columns(Search, 'q.')}",
        (search_id,),
    )


def results_page(conn: Conn, search_id: str, after: list[Any] | None, limit: int) -> list[Sighting]:
    """A search's detections in capture order (keyset page)."""
    where = ["s.search_id = %(search)s"]
    params: NamedParams = {"search": search_id, "n": limit + 1}
    if after:
        where.append("(s.captured_at, s.id) > (%(a_at)s, %(a_id)s)")
        params.update(a_at=after[0], a_id=after[1])
    return fetch_all(
        conn,
        Sighting,
        f"SELECT {RESULT_COLS} FROM sentinela_results s LEFT JOIN cameras c ON c.id = s.camera_id"
        f" WHERE {' AND '.join(where)} ORDER BY s.captured_at, s.id LIMIT %(n)s",
        params,
    )


# ------------------------------------------------------------------------------ S3 / SQS


def frame_key(city_id: Any, task: SegmentTask, second: int, index: int) -> str:
    """The S3 key of a frame a search kept as evidence of a detection."""
    start = f"{task.start_at:%Y%m%dT%H%M%S%f}"
    tier = "" if task.quality == "main" else f"-{task.quality}"
    return f"sentinela/{city_id}/{task.search_id}/{task.camera_id}/{start}-{second:05d}-{index}{tier}.jpg"


def put_frame(key: str, data: bytes) -> None:
    """Store a detection's JPEG frame in the recordings bucket."""
    aws.client("s3").put_object(Bucket=get_settings().recordings_bucket, Key=key, Body=data, ContentType="image/jpeg")


def enqueue_segments(search_id: str, segments: list[RecordedSegment]) -> None:
    """One message per segment to SentinelaAnalyseFunction's queue, 10 per call."""
    sqs = aws.client("sqs")
    url = get_settings().sentinela_queue_url
    bodies = [
        json.dumps(
            {
                "search_id": search_id,
                "camera_id": str(s.camera_id),
                "start_at": s.start_at.isoformat(),
                "quality": s.quality,
            }
        )
        for s in segments
    ]
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        resp = sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": b} for i, b in enumerate(chunk)]
        )
        if resp.get("Failed"):
            raise RuntimeError(f"SQS refused {len(resp['Failed'])} Sentinela messages")


def result_ref(conn: Conn, result_id: str, city_id: str | None) -> tuple[str, datetime, str | None] | None:
    """(camera id, captured at, plate) of a sighting of a search of the city (any city when None)."""
    row = conn.execute(
        "SELECT r.camera_id, r.captured_at, r.plate FROM sentinela_results r"
        " JOIN sentinela_searches s ON s.id = r.search_id WHERE r.id = %s AND (%s::uuid IS NULL OR s.city_id = %s)",
        (result_id, city_id, city_id),
    ).fetchone()
    return (str(row["camera_id"]), row["captured_at"], row["plate"]) if row else None
