"""SQL, S3 and SQS of exports: the package row, one part per camera, claims (leases), the fan-in, objects and
job messages."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from gtvision.core import aws
from gtvision.core.db import Conn
from gtvision.core.settings import get_settings
from gtvision.core.sql import columns, fetch_all, fetch_exactly_one, fetch_one
from gtvision.exports.schemas import Export, ExportJob, ExportPart, StaleExport, StalePart

COLS = columns(Export)
PART_COLS = columns(ExportPart)
_UNFINISHED = "('queued', 'processing')"


def part_key(export_id: str, camera_id: str) -> str:
    """Deterministic key of a camera's file: a redelivered job overwrites, never adds."""
    return f"exports/{export_id}/{camera_id}.mp4"


def package_key(export_id: str) -> str:
    return f"exports/{export_id}/pacote.zip"


# ---------------------------------------------------------------------------------------------- rows


def insert(conn: Conn, values: dict[str, Any], camera_ids: list[str]) -> Export:
    """Insert a queued export and one queued part per camera (in the order given)."""
    cols = ", ".join(values)
    params = ", ".join(f"%({k})s" for k in values)
    row = fetch_exactly_one(
        conn, Export, f"INSERT INTO case_exports ({cols}) VALUES ({params}) RETURNING {COLS}", values
    )
    conn.execute(
        "INSERT INTO export_parts (export_id, camera_id, position)"
        " SELECT %s, c, p::int - 1 FROM unnest(%s::uuid[]) WITH ORDINALITY AS u(c, p)",
        (row.id, camera_ids),
    )
    return row


def get(conn: Conn, export_id: str, *, lock: bool = False) -> Export | None:
    suffix = " FOR UPDATE" if lock else ""
    return fetch_one(conn, Export, f"SELECT {COLS} FROM case_exports WHERE id = %s{suffix}", (export_id,))


def of_case(conn: Conn, case_id: str, limit: int, after: list[Any] | None) -> list[Export]:
    """A case's exports, newest first (keyset on (created_at, id))."""
    where, params = "case_id = %s", [case_id]
    if after:
        where += " AND (created_at, id) < (%s::timestamptz, %s::uuid)"
        params += after
    return fetch_all(
        conn,
        Export,
        f"SELECT {COLS} FROM case_exports WHERE {where} ORDER BY created_at DESC, id DESC LIMIT %s",
        [*params, limit + 1],
    )


def ready_of_case(conn: Conn, case_id: str) -> list[Export]:
    """A case's finished packages (what a share link offers), newest first."""
    return fetch_all(
        conn,
        Export,
        f"SELECT {COLS} FROM case_exports WHERE case_id = %s AND status = 'ready'"
        " ORDER BY created_at DESC, id DESC LIMIT 200",
        (case_id,),
    )


def parts(conn: Conn, export_id: str) -> list[ExportPart]:
    return fetch_all(
        conn, ExportPart, f"SELECT {PART_COLS} FROM export_parts WHERE export_id = %s ORDER BY position", (export_id,)
    )


def part(conn: Conn, export_id: str, camera_id: str) -> ExportPart | None:
    return fetch_one(
        conn,
        ExportPart,
        f"SELECT {PART_COLS} FROM export_parts WHERE export_id = %s AND camera_id = %s",
        (export_id, camera_id),
    )


# ---------------------------------------------------------------------------------------------- parts


def claim_part(conn: Conn, export_id: str, camera_id: str, token: str, lease_s: int) -> ExportPart | None:
    """Take a queued part (or one whose worker's lease ran out) of an unfinished export; None otherwise."""
    row = fetch_one(
        conn,
        ExportPart,
        f"UPDATE export_parts p SET status = 'processing', claim_token = %(token)s, attempts = p.attempts + 1,"
        f" lease_until = now() + make_interval(secs => %(lease)s), error = NULL, updated_at = now()"
        f" FROM case_exports e WHERE e.id = p.export_id AND e.status IN {_UNFINISHED}"
        f" AND p.export_id = %(e)s AND p.camera_id = %(c)s"
        f" AND (p.status = 'queued' OR (p.status = 'processing' AND p.lease_until < now()))"
        f" RETURNING {columns(ExportPart, 'p.')}",
        {"e": export_id, "c": camera_id, "token": token, "lease": lease_s},
    )
    if row is not None:
        conn.execute(
            "UPDATE case_exports SET status = 'processing', updated_at = now() WHERE id = %s AND status = 'queued'",
            (export_id,),
        )
    return row


def finish_part(conn: Conn, export_id: str, camera_id: str, token: str, changes: dict[str, Any]) -> bool:
    """Apply the outcome of a claim, only while the claim is still ours."""
    values = {k: Jsonb(v) if k == "detail" else v for k, v in changes.items()}
    sets = ", ".join(f"{k} = %({k})s" for k in values)
    cur = conn.execute(
        f"UPDATE export_parts SET {sets}, claim_token = NULL, lease_until = NULL, updated_at = now()"
        " WHERE export_id = %(e)s AND camera_id = %(c)s AND status = 'processing' AND claim_token = %(token)s",
        {**values, "e": export_id, "c": camera_id, "token": token},
    )
    return cur.rowcount == 1


def release_part(conn: Conn, export_id: str, camera_id: str, token: str) -> None:
    """Hand a claimed part back to the queue (a transient error)."""
    conn.execute(
        "UPDATE export_parts SET status = 'queued', claim_token = NULL, lease_until = NULL, updated_at = now()"
        " WHERE export_id = %s AND camera_id = %s AND status = 'processing' AND claim_token = %s",
        (export_id, camera_id, token),
    )


def stale_parts(conn: Conn, stale_s: int, limit: int = 500) -> list[StalePart]:
    """Unfinished parts nobody works on (queued untouched for `stale_s`, processing with an expired lease), of
    unfinished exports, locked for the reconciler."""
    return fetch_all(
        conn,
        StalePart,
        f"SELECT {columns(StalePart, 'p.')} FROM export_parts p JOIN case_exports e ON e.id = p.export_id"
        f" WHERE e.status IN {_UNFINISHED} AND ((p.status IN {_UNFINISHED}"
        " AND p.updated_at < now() - make_interval(secs => %(stale)s))"
        " OR (p.status = 'processing' AND p.lease_until < now()))"
        " ORDER BY p.updated_at LIMIT %(n)s FOR UPDATE OF p SKIP LOCKED",
        {"stale": stale_s, "n": limit},
    )


def requeue_part(conn: Conn, export_id: str, camera_id: str) -> None:
    conn.execute(
        "UPDATE export_parts SET status = 'queued', claim_token = NULL, lease_until = NULL, requeues = requeues + 1,"
        f" updated_at = now() WHERE export_id = %s AND camera_id = %s AND status IN {_UNFINISHED}",
        (export_id, camera_id),
    )


def fail_part(conn: Conn, export_id: str, camera_id: str, error: str) -> None:
    conn.execute(
        "UPDATE export_parts SET status = 'failed', error = %s, claim_token = NULL, lease_until = NULL,"
        f" updated_at = now() WHERE export_id = %s AND camera_id = %s AND status IN {_UNFINISHED}",
        (error, export_id, camera_id),
    )


def fan_in(conn: Conn, export_id: str) -> str | None:
    """With the export row locked: once every part is finished, move the export on — `packaging` when all are
    ready, `failed` (naming the failed cameras) otherwise. Returns the new status, or None (parts pending, or
    another part's worker already moved it)."""
    export = get(conn, export_id, lock=True)
    if export is None or export.status not in ("queued", "processing"):
        return None
    rows = parts(conn, export_id)
    if any(p.status in ("queued", "processing") for p in rows):
        return None
    failed = [p for p in rows if p.status == "failed"]
    if failed:
        reasons = "; ".join(f"câmera {p.camera_id}: {p.error or 'falhou'}" for p in failed)
        fail(conn, export_id, f"{len(failed)} de {len(rows)} câmera(s) sem arquivo — {reasons}"[:1000])
        return "failed"
    conn.execute("UPDATE case_exports SET status = 'packaging', updated_at = now() WHERE id = %s", (export_id,))
    return "packaging"


def unfinished_with_parts_done(conn: Conn, limit: int = 100) -> list[str]:
    """Exports still queued/processing although every part finished (a fan-in that never ran)."""
    rows = conn.execute(
        f"SELECT e.id FROM case_exports e WHERE e.status IN {_UNFINISHED}"
        " AND e.updated_at < now() - interval '30 seconds'"
        f" AND NOT EXISTS (SELECT 1 FROM export_parts p WHERE p.export_id = e.id AND p.status IN {_UNFINISHED})"
        " ORDER BY e.updated_at LIMIT %s",
        (limit,),
    ).fetchall()
    return [str(r["id"]) for r in rows]


# -------------------------------------------------------------------------------------------- package


def claim_package(conn: Conn, export_id: str, token: str, lease_s: int) -> Export | None:
    """Take an export ready to be packaged (or whose packager's lease ran out)."""
    return fetch_one(
        conn,
        Export,
        f"UPDATE case_exports SET claim_token = %(token)s, attempts = attempts + 1, updated_at = now(),"
        f" lease_until = now() + make_interval(secs => %(lease)s) WHERE id = %(id)s AND status = 'packaging'"
        f" AND (claim_token IS NULL OR lease_until < now()) RETURNING {COLS}",
        {"id": export_id, "token": token, "lease": lease_s},
    )


def finish_package(conn: Conn, export_id: str, token: str, changes: dict[str, Any]) -> bool:
    values = {k: Jsonb(v) if k == "manifest" else v for k, v in changes.items()}
    sets = ", ".join(f"{k} = %({k})s" for k in values)
    cur = conn.execute(
        f"UPDATE case_exports SET {sets}, claim_token = NULL, lease_until = NULL, finished_at = now(),"
        " updated_at = now() WHERE id = %(id)s AND status = 'packaging' AND claim_token = %(token)s",
        {**values, "id": export_id, "token": token},
    )
    return cur.rowcount == 1


def release_package(conn: Conn, export_id: str, token: str) -> None:
    conn.execute(
        "UPDATE case_exports SET claim_token = NULL, lease_until = NULL, updated_at = now()"
        " WHERE id = %s AND status = 'packaging' AND claim_token = %s",
        (export_id, token),
    )


def stale_packages(conn: Conn, stale_s: int, limit: int = 100) -> list[StaleExport]:
    """Packages waiting with nobody on them: unclaimed for `stale_s`, or claimed with an expired lease."""
    return fetch_all(
        conn,
        StaleExport,
        f"SELECT {columns(StaleExport)} FROM case_exports WHERE status = 'packaging'"
        " AND ((claim_token IS NULL AND updated_at < now() - make_interval(secs => %(stale)s))"
        " OR lease_until < now()) ORDER BY updated_at LIMIT %(n)s FOR UPDATE SKIP LOCKED",
        {"stale": stale_s, "n": limit},
    )


def requeue_package(conn: Conn, export_id: str) -> None:
    conn.execute(
        "UPDATE case_exports SET claim_token = NULL, lease_until = NULL, requeues = requeues + 1, updated_at = now()"
        " WHERE id = %s AND status = 'packaging'",
        (export_id,),
    )


def fail(conn: Conn, export_id: str, error: str) -> None:
    """Fail an unfinished export (any claim void)."""
    conn.execute(
        "UPDATE case_exports SET status = 'failed', error = %s, claim_token = NULL, lease_until = NULL,"
        " finished_at = now(), updated_at = now() WHERE id = %s AND status IN ('queued', 'processing', 'packaging')",
        (error[:1000], export_id),
    )


def source_names(conn: Conn, camera_ids: list[str]) -> dict[str, str]:
    """Camera id → name, for file names and documents."""
    rows = conn.execute("SELECT id, name FROM cameras WHERE id = ANY(%s::uuid[])", (camera_ids,)).fetchall()
    return {str(r["id"]): str(r["name"]) for r in rows}


# ------------------------------------------------------------------------------------------- S3 / SQS


def enqueue_part(export_id: str, camera_id: str, in_image: bool) -> None:
    """One part job: parts that redact or burn in the clock go to the image function's queue."""
    settings = get_settings()
    url = settings.redaction_queue_url if in_image else settings.export_queue_url
    body = ExportJob(export_id=export_id, camera_id=camera_id).model_dump_json()
    aws.client("sqs").send_message(QueueUrl=url, MessageBody=body)


def enqueue_package(export_id: str) -> None:
    body = ExportJob(export_id=export_id).model_dump_json()
    aws.client("sqs").send_message(QueueUrl=get_settings().export_package_queue_url, MessageBody=body)


def upload_file(path: str, key: str, content_type: str) -> None:
    aws.client("s3").upload_file(path, get_settings().recordings_bucket, key, ExtraArgs={"ContentType": content_type})


def presign(key: str, filename: str, expires_s: int | None = None) -> str:
    """A time-limited GET URL that saves under `filename`."""
    params = {
        "Bucket": get_settings().recordings_bucket,
        "Key": key,
        "ResponseContentDisposition": f'attachment; filename="{filename}"',
    }
    ttl = expires_s or get_settings().presign_ttl_s
    return str(aws.client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=ttl))
