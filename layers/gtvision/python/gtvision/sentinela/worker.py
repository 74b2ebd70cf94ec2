"""Sentinela's stage 2: one planned recording segment analysed per queue message (SentinelaAnalyseFunction).

1 frame per second is decoded, frames without motion are skipped, the analyser looks at the rest, and the
sightings that match the search's colour/type are stored once per (search, segment). A segment whose media
cannot be read is rejected: it fails alone and the search goes on. A segment that kept failing for other
reasons reaches the dead-letter queue, whose consumer fails it and its search.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gtvision.core import db, objects
from gtvision.core.errors import PoisonMessage
from gtvision.core.observability import logger
from gtvision.core.settings import get_settings
from gtvision.media import ffmpeg
from gtvision.sentinela import store as dal
from gtvision.sentinela.schemas import FINISHED, Criteria, SegmentTask, VideoSighting

if TYPE_CHECKING:  # the analysers load with the first segment (the API never needs them)
    from gtvision.media.analysers import Analyser, Detection

FFMPEG_TIMEOUT_S = 600.0


def parse_message(body: str) -> SegmentTask:
    """The segment task of an analysis queue message; `PoisonMessage` when it is not one."""
    try:
        doc = json.loads(body)
        quality = doc.get("quality", "main")
        if quality not in ("main", "sub"):
            raise ValueError("quality")
        camera_id = str(uuid.UUID(doc["camera_id"]))
        return SegmentTask(str(uuid.UUID(doc["search_id"])), camera_id, _start(doc["start_at"]), quality)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PoisonMessage("mensagem da Sentinela inválida") from exc


def _start(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError("start_at")
    return datetime.fromisoformat(value)


def _matches(det: Detection, crit: Criteria) -> bool:
    return (not crit.color or det.color == crit.color) and (not crit.type or det.type == crit.type)


def analyse_segment(task: SegmentTask, analyser: Analyser | None = None) -> str:
    """Analyse one planned segment once; returns the outcome (done, duplicate, skipped, cancelled)."""
    from gtvision.media import analysers, frames

    with db.transaction() as conn:
        job = dal.segment_job(conn, task)
    if job is None:
        return "unknown"
    if job.job_status != "pending":
        return "duplicate"
    if job.search_status in FINISHED:
        with db.transaction() as conn:
            dal.finish_segment(conn, task, "skipped")
        return "cancelled" if job.search_status == "cancelled" else "skipped"
    if job.s3_key is None:  # the recording expired (retention) before its turn
        with db.transaction() as conn:
            dal.finish_segment(conn, task, "skipped", error="gravação expirada")
            dal.complete_if_done(conn, task.search_id)
        return "skipped"
    crit = Criteria.model_validate(job.criteria)
    analyser = analyser or analysers.choose()
    with tempfile.TemporaryDirectory(prefix="sentinela-") as work:
        src = f"{work}/segment"
        objects.download(get_settings().recordings_bucket, job.s3_key, src)
        sampled = frames.extract(src, work, FFMPEG_TIMEOUT_S, pixels=analyser.needs_pixels)
        if not sampled:
            raise ffmpeg.MediaError("nenhum quadro decodificado")
        moving = frames.moving_seconds(sampled)
        found = analyser.analyse(sampled, moving)
        by_second = {f.second: f for f in sampled}
        sightings: list[VideoSighting] = []
        for second, dets in sorted(found.items()):
            frame = by_second[second]
            for index, det in enumerate(d for d in dets if _matches(d, crit)):
                key = dal.frame_key(job.city_id, task, second, index)
                dal.put_frame(key, frame.jpeg())  # same key on a redelivery: overwriting is harmless
                at = task.start_at + timedelta(seconds=second)
                sightings.append(VideoSighting(at, det.color, det.type, det.confidence, key, det.bbox))
    with db.transaction() as conn:
        stored = dal.finish_segment(conn, task, "done", frames=len(sampled), sightings=sightings)
        dal.complete_if_done(conn, task.search_id)
    logger.info(
        "sentinela segment analysed",
        extra={
            "search_id": task.search_id,
            "frames": len(sampled),
            "moving": len(moving),
            "sightings": len(sightings),
            "analyser": analyser.name,
        },
    )
    return "done" if stored else "duplicate"


def reject(task: SegmentTask, reason: str) -> None:
    """A segment whose media cannot be read: it fails with the reason, the rest of the search goes on (its
    `error` counts such segments once it completes)."""
    with db.transaction() as conn:
        dal.finish_segment(conn, task, "failed", error=reason)
        dal.complete_if_done(conn, task.search_id)


def fail(task: SegmentTask, reason: str) -> None:
    """A segment the analysis gave up on (the dead-letter queue): it fails, and so does its search."""
    with db.transaction() as conn:
        dal.finish_segment(conn, task, "failed", error=reason)
        where = f"{task.camera_id} {task.start_at.isoformat()}" + ("" if task.quality == "main" else " (sub-stream)")
        dal.set_status(conn, task.search_id, "failed", f"segmento {where} não pôde ser analisado")
