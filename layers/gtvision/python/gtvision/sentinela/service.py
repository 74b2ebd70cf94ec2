"""Sentinela: find a vehicle by plate, colour and type — from LPR reads at once, and from the recordings.

A search is a job: pending → processing → completed | failed | cancelled. Stage 1 copies the matching
plate reads into the results when the search is created. Stage 2 (`analyse_video`) plans the recorded
segments of the chosen cameras and range (refused above the configured segment-hours, with the
figure), and sends one SQS message per segment to SentinelaAnalyseFunction: 1 frame/s, frames without
motion skipped, the analyser on the rest, matching sightings stored once per (search, segment). The job
completes when every segment is done and fails when the dead-letter queue takes one.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from gtvision.core import db, objects, pagination
from gtvision.core.errors import Conflict, Invalid, Malformed, not_found
from gtvision.core.models import parse
from gtvision.core.observability import logger
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.lpr import plates, vehicles
from gtvision.lpr import store as lpr_dal
from gtvision.media import ffmpeg
from gtvision.sentinela import store as dal
from gtvision.sentinela.schemas import SearchIn
from gtvision.tenancy import cameras

if TYPE_CHECKING:  # the analysers load with the first segment (the API never needs them)
    from gtvision.media.analysers import Analyser, Detection

MAX_SPAN = timedelta(days=31)
#: Stage 1 stores at most this many reads (the oldest first); the results say when it was cut.
LPR_RESULTS_CAP = 5000
FFMPEG_TIMEOUT_S = 600.0


def _criteria(principal: Principal, data: SearchIn) -> tuple[str, dict[str, Any]]:
    """(city, normalised criteria) — 422 for bad values, 404 for cameras the caller cannot see."""
    if not (data.plate or data.color or data.type):
        raise Invalid("criteria_required", "informe ao menos placa, cor ou tipo")
    if data.from_ >= data.to:
        raise Invalid("invalid_range", "from deve ser anterior a to")
    if data.to - data.from_ > MAX_SPAN:
        raise Invalid("range_too_long", "intervalo máximo de 31 dias")
    if data.analyse_video and not (data.color or data.type):
        raise Invalid("video_needs_color_or_type", "a análise de vídeo procura por cor e/ou tipo de veículo")
    try:
        plate = plates.normalize_plate(data.plate) if data.plate else None
        color = vehicles.query_color(data.color)
        kind = vehicles.query_type(data.type)
    except ValueError as exc:
        raise Invalid("invalid_criteria", str(exc)) from None
    camera_ids = sorted({str(uuid.UUID(c)) for c in data.camera_ids or []}) or None
    city_id = principal.city_id
    for camera_id in camera_ids or []:
        cam = cameras.visible(principal, camera_id)
        if city_id is None:
            city_id = str(cam.city_id)
        elif str(cam.city_id) != city_id:
            raise Invalid("cameras_of_many_cities", "as câmeras de uma busca devem ser da mesma cidade")
    if city_id is None:
        raise Invalid("camera_ids_required", "administradores informam camera_ids (define a cidade da busca)")
    crit = {
        "plate": plate,
        "color": color,
        "type": kind,
        "from": data.from_.astimezone(UTC).isoformat(),
        "to": data.to.astimezone(UTC).isoformat(),
        "camera_ids": camera_ids,
        "analyse_video": data.analyse_video,
    }
    return city_id, crit


def _segment_hours(segments: list[dict[str, Any]]) -> float:
    return float(sum((s["end_at"] - s["start_at"]).total_seconds() for s in segments)) / 3600.0


def create(principal: Principal, body: Any) -> dict[str, Any]:
    """Create the job: stage 1 now; stage 2 planned and enqueued (or refused by the cost guard)."""
    city_id, crit = _criteria(principal, parse(SearchIn, body))
    search_id = str(uuid.uuid4())
    from_, to = datetime.fromisoformat(crit["from"]), datetime.fromisoformat(crit["to"])
    planned: list[dict[str, Any]] = []
    with db.transaction() as conn:
        if crit["analyse_video"]:
            planned = dal.recorded_segments(conn, city_id, crit["camera_ids"], from_, to)
            hours = _segment_hours(planned)
            limit = get_settings().sentinela_max_segment_hours
            if hours > limit:
                raise Invalid(
                    "search_too_costly",
                    f"a busca analisaria {hours:.2f} horas de gravação em {len(planned)} segmentos; o limite é"
                    f" {limit:g} h — reduza o intervalo ou escolha câmeras",
                )
        dal.insert_search(
            conn,
            {"id": search_id, "city_id": city_id, "created_by": principal.user_id, "criteria": crit,
             "status": "pending"},
        )  # fmt: skip
        dal.copy_lpr_reads(conn, search_id, city_id, crit, LPR_RESULTS_CAP)
        if planned:
            dal.plan_segments(conn, search_id, planned)
        else:
            dal.set_status(conn, search_id, "completed")
    if planned:
        try:
            dal.enqueue_segments(search_id, planned)
        except Exception:
            logger.exception("sentinela enqueue failed", extra={"search_id": search_id})
            with db.transaction() as conn:
                dal.set_status(conn, search_id, "failed", "fila de análise indisponível; refaça a busca")
    return get(principal, search_id)


def to_public(row: dict[str, Any]) -> dict[str, Any]:
    """A Sentinela search as the API shows it, with its progress."""
    crit = dict(row["criteria"])
    total, done = row["segments_total"], row["segments_done"]
    if row["status"] == "completed":
        progress = 1.0
    elif total:
        progress = round(min(done, total) / total, 4)
    else:
        progress = 0.0
    return {
        "id": str(row["id"]),
        "city_id": str(row["city_id"]),
        "status": row["status"],
        "progress": progress,
        "criteria": crit,
        "segments_total": total,
        "segments_done": done,
        "created_at": row["created_at"],
        "finished_at": row["finished_at"],
        "error": row["error"],
    }


def _visible(principal: Principal, search_id: str, *, for_update: bool = False, conn: Any = None) -> dict[str, Any]:
    city = principal.scope
    if conn is not None:
        row = dal.get_search(conn, search_id, city, for_update=for_update)
    else:
        with db.transaction() as c:
            row = dal.get_search(c, search_id, city)
    if row is None:
        raise not_found("busca")
    return row


def get(principal: Principal, search_id: str) -> dict[str, Any]:
    """A Sentinela search of the caller's city; 404 for any other."""
    return to_public(_visible(principal, search_id))


def list_(principal: Principal, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """Sentinela searches of the caller's city (admins: all), newest first."""
    with db.transaction() as conn:
        rows = dal.list_searches(conn, principal.scope, pagination.decode_keyset(cursor), limit)
    items, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [to_public(r) for r in items], nxt


def cancel(principal: Principal, search_id: str) -> dict[str, Any]:
    """Stop the job: segments not yet analysed are skipped when their messages arrive."""
    with db.transaction() as conn:
        row = _visible(principal, search_id, for_update=True, conn=conn)
        if row["status"] in dal.FINISHED:
            raise Conflict("search_finished", f"a busca já terminou ({row['status']})")
        updated = dal.set_status(conn, search_id, "cancelled")
    return to_public(updated or row)


def _result_public(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "camera_id": str(row["camera_id"]),
        "camera_name": row["camera_name"],
        "lat": row["lat"],
        "lon": row["lon"],
        "captured_at": row["captured_at"],
        "source": row["source"],
        "plate": row["plate"],
        "color": row["color"],
        "type": row["type"],
        "confidence": None if row["confidence"] is None else round(float(row["confidence"]), 4),
        "image_url": lpr_dal.presign(row["image_key"]) if row["image_key"] else None,
        "bbox": row["bbox"],
        "read_id": str(row["read_id"]) if row["read_id"] else None,
    }


def results(
    principal: Principal, search_id: str, limit: int, cursor: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]], str | None]:
    """The search and one page of its results, oldest first."""
    search = _visible(principal, search_id)
    with db.transaction() as conn:
        rows = dal.results_page(conn, search_id, pagination.decode_keyset(cursor), limit)
    items, nxt = pagination.page(rows, limit, ("captured_at", "id"))
    return search, [_result_public(r) for r in items], nxt


def result_ref(principal: Principal, result_id: str) -> tuple[str, datetime, str | None]:
    """(camera id, captured at, plate) of a sighting the caller may see (a case item refers to it); 404 otherwise."""
    with db.transaction() as conn:
        found = dal.result_ref(conn, result_id, principal.scope)
    if found is None:
        raise not_found("avistamento")
    cameras.visible(principal, found[0])
    return found


# ------------------------------------------------------------------------------ stage 2 worker


@dataclass(frozen=True)
class SegmentTask:
    search_id: str
    camera_id: str
    start_at: datetime


def parse_message(body: str) -> SegmentTask:
    """The segment task of an analysis queue message, or `PoisonMessage`."""
    try:
        doc = json.loads(body)
        return SegmentTask(
            str(uuid.UUID(doc["search_id"])), str(uuid.UUID(doc["camera_id"])), datetime.fromisoformat(doc["start_at"])
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise Malformed("malformed_message", "mensagem da Sentinela inválida") from exc


def _matches(det: Detection, crit: dict[str, Any]) -> bool:
    return (not crit.get("color") or det.color == crit["color"]) and (not crit.get("type") or det.type == crit["type"])


def analyse_segment(task: SegmentTask, analyser: Analyser | None = None) -> str:
    """Analyse one planned segment once; returns the outcome (done, duplicate, skipped, cancelled)."""
    from gtvision.media import analysers, frames

    with db.transaction() as conn:
        job = dal.segment_job(conn, task.search_id, task.camera_id, task.start_at)
    if job is None:
        return "unknown"
    if job["job_status"] != "pending":
        return "duplicate"
    if job["search_status"] in dal.FINISHED:
        with db.transaction() as conn:
            dal.finish_segment(conn, task.search_id, task.camera_id, task.start_at, "skipped")
        return "cancelled" if job["search_status"] == "cancelled" else "skipped"
    if job["s3_key"] is None:  # the recording expired (retention) before its turn
        with db.transaction() as conn:
            dal.finish_segment(
                conn, task.search_id, task.camera_id, task.start_at, "skipped", error="gravação expirada"
            )
            dal.complete_if_done(conn, task.search_id)
        return "skipped"
    crit = dict(job["criteria"])
    analyser = analyser or analysers.choose()
    with tempfile.TemporaryDirectory(prefix="sentinela-") as work:
        src = f"{work}/segment"
        objects.download(get_settings().recordings_bucket, job["s3_key"], src)
        sampled = frames.extract(src, work, FFMPEG_TIMEOUT_S, pixels=analyser.needs_pixels)
        if not sampled:
            raise ffmpeg.MediaError("nenhum quadro decodificado")
        moving = frames.moving_seconds(sampled)
        found = analyser.analyse(sampled, moving)
        by_second = {f.second: f for f in sampled}
        sightings = []
        for second, dets in sorted(found.items()):
            frame = by_second[second]
            for index, det in enumerate(d for d in dets if _matches(d, crit)):
                key = dal.frame_key(job["city_id"], task.search_id, task.camera_id, task.start_at, second, index)
                dal.put_frame(key, frame.jpeg())  # same key on a redelivery: overwriting is harmless
                sightings.append(
                    {"captured_at": task.start_at + timedelta(seconds=second), "color": det.color, "type": det.type,
                     "confidence": det.confidence, "image_key": key, "bbox": det.bbox}
                )  # fmt: skip
    with db.transaction() as conn:
        stored = dal.finish_segment(
            conn, task.search_id, task.camera_id, task.start_at, "done", frames=len(sampled), sightings=sightings
        )
        dal.complete_if_done(conn, task.search_id)
    logger.info(
        "sentinela segment analysed",
        extra={"search_id": task.search_id, "frames": len(sampled), "moving": len(moving), "sightings": len(sightings),
               "analyser": analyser.name},
    )  # fmt: skip
    return "done" if stored else "duplicate"


def dead_letter(task: SegmentTask, reason: str) -> None:
    """A segment the analysis gave up on (dead-letter queue): it fails, and so does its search."""
    with db.transaction() as conn:
        dal.finish_segment(conn, task.search_id, task.camera_id, task.start_at, "failed", error=reason)
        where = f"{task.camera_id} {task.start_at.isoformat()}"
        dal.set_status(conn, task.search_id, "failed", f"segmento {where} não pôde ser analisado")
