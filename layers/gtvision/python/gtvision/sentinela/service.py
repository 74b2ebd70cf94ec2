"""Sentinela: find a vehicle by plate, colour and type — from LPR reads at once, and from the recordings.

A search is a job: pending → processing → completed | failed | cancelled. Stage 1 copies the matching
plate reads into the results when the search is created. Stage 2 (`analyse_video`) plans the recorded
segments of the chosen cameras and range (refused above the configured segment-hours, with the
figure), and sends one SQS message per segment to SentinelaAnalyseFunction: 1 frame/s, frames without
motion skipped, the analyser on the rest, matching sightings stored once per (search, segment). The job
completes when every segment is done and fails when the dead-letter queue takes one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from gtvision.core import db, pagination, vehicles
from gtvision.core.errors import Conflict, Forbidden, Invalid, not_found
from gtvision.core.observability import logger
from gtvision.core.principal import Principal
from gtvision.core.settings import get_settings
from gtvision.lpr import plates
from gtvision.lpr import search as lpr_search
from gtvision.sentinela import store as dal
from gtvision.sentinela.schemas import (
    FINISHED,
    Criteria,
    RecordedSegment,
    Search,
    SearchIn,
    SearchOut,
    Sighting,
    SightingOut,
)
from gtvision.tenancy import cameras
from gtvision.tenancy.authz import in_callers_city

MAX_SPAN = timedelta(days=31)
#: Stage 1 stores at most this many reads (the oldest first); the results say when it was cut.
LPR_RESULTS_CAP = 5000


def _criteria(principal: Principal, data: SearchIn) -> tuple[str, Criteria]:
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
    crit = Criteria.model_validate(
        {
            "plate": plate,
            "color": color,
            "type": kind,
            "from": data.from_.astimezone(UTC),
            "to": data.to.astimezone(UTC),
            "camera_ids": camera_ids,
            "analyse_video": data.analyse_video,
        }
    )
    return city_id, crit


def _segment_hours(segments: list[RecordedSegment]) -> float:
    return sum((s.end_at - s.start_at).total_seconds() for s in segments) / 3600.0


def create(principal: Principal, data: SearchIn) -> Search:
    """Accept a search (returns it as accepted: pending), then run it: stage 1 copies the matching reads, stage 2
    plans and enqueues the recorded segments (refused up front by the cost guard). GET shows the state moving on
    (`completed` at once without video, `processing` while segments are analysed)."""
    city_id, crit = _criteria(principal, data)
    search_id = str(uuid.uuid4())
    planned: list[RecordedSegment] = []
    with db.transaction() as conn:
        if crit.analyse_video:
            planned = dal.recorded_segments(conn, city_id, crit.camera_ids, crit.from_, crit.to)
            hours = _segment_hours(planned)
            limit = get_settings().sentinela_max_segment_hours
            if hours > limit:
                raise Invalid(
                    "search_too_costly",
                    f"a busca analisaria {hours:.2f} horas de gravação em {len(planned)} segmentos; o limite é"
                    f" {limit:g} h — reduza o intervalo ou escolha câmeras",
                )
        accepted = dal.insert_search(conn, search_id, city_id, principal.user_id, crit)
    with db.transaction() as conn:
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
    return accepted


def public(row: Search) -> SearchOut:
    """A Sentinela search as the API shows it, with its progress."""
    total, done = row.segments_total, row.segments_done
    if row.status == "completed":
        progress = 1.0
    elif total:
        progress = round(min(done, total) / total, 4)
    else:
        progress = 0.0
    return SearchOut(
        id=str(row.id),
        city_id=str(row.city_id),
        status=row.status,
        progress=progress,
        criteria=Criteria.model_validate(row.criteria),
        segments_total=total,
        segments_done=done,
        created_at=row.created_at,
        finished_at=row.finished_at,
        error=row.error,
        created_by=str(row.created_by) if row.created_by else None,
    )


def visible(principal: Principal, search_id: str) -> Search:
    """A Sentinela search of the caller's city (admins: any); 404 for any other."""
    with db.transaction() as conn:
        return in_callers_city(conn, principal, dal.get_search, search_id, "busca")


def list_(principal: Principal, limit: int, cursor: str | None) -> tuple[list[SearchOut], str | None]:
    """Sentinela searches of the caller's city (admins: all), newest first."""
    with db.transaction() as conn:
        rows = dal.list_searches(conn, principal.scope, pagination.decode_keyset(cursor), limit)
    items, nxt = pagination.page(rows, limit, ("created_at", "id"))
    return [public(r) for r in items], nxt


def cancel(principal: Principal, search: Search) -> SearchOut:
    """Stop the job: segments not yet analysed are skipped when their messages arrive. Only who started it, or a
    manager of its city (admins: any), may: a viewer cannot stop a colleague's investigation."""
    if str(search.created_by) != principal.user_id and principal.role not in ("manager", "admin"):
        raise Forbidden("not_search_owner", "só quem iniciou a busca (ou um gestor) pode cancelá-la")
    with db.transaction() as conn:
        row = dal.get_search(conn, str(search.id), None, for_update=True)
        if row is None:
            raise not_found("busca")
        if row.status in FINISHED:
            raise Conflict("search_finished", f"a busca já terminou ({row.status})")
        updated = dal.set_status(conn, str(search.id), "cancelled")
    return public(updated or row)


def _sighting_public(row: Sighting) -> SightingOut:
    return SightingOut(
        id=str(row.id),
        camera_id=str(row.camera_id),
        camera_name=row.camera_name,
        lat=row.lat,
        lon=row.lon,
        captured_at=row.captured_at,
        source=row.source,
        plate=row.plate,
        color=row.color,
        type=row.type,
        confidence=None if row.confidence is None else round(float(row.confidence), 4),
        image_url=lpr_search.image_url(row.image_key),
        bbox=row.bbox,
        read_id=str(row.read_id) if row.read_id else None,
    )


def results(search: Search, limit: int, cursor: str | None) -> tuple[list[SightingOut], str | None]:
    """One page of a search's results, oldest first."""
    with db.transaction() as conn:
        rows = dal.results_page(conn, str(search.id), pagination.decode_keyset(cursor), limit)
    items, nxt = pagination.page(rows, limit, ("captured_at", "id"))
    return [_sighting_public(r) for r in items], nxt


def result_ref(principal: Principal, result_id: str) -> tuple[str, datetime, str | None]:
    """(camera id, captured at, plate) of a sighting the caller may see (a case item refers to it); 404 otherwise."""
    with db.transaction() as conn:
        found = dal.result_ref(conn, result_id, principal.scope)
    if found is None:
        raise not_found("avistamento")
    cameras.visible(principal, found[0])
    return found
