"""Tamper detection as a feature: each main-stream segment's views judged against the camera's reference
(`recordings.tamper`), the `camera_tampered` incidents it opens and resolves, and the manager's
`POST /v1/cameras/{id}/reference-view`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aws_lambda_powertools.metrics import MetricUnit

from gtvision.alerts import incidents
from gtvision.alerts import service as alerts
from gtvision.core import db
from gtvision.core.errors import Conflict
from gtvision.core.observability import logger, metrics
from gtvision.core.rows import rowtype
from gtvision.core.settings import get_settings
from gtvision.media.keyframes import View
from gtvision.recordings import storage, tamper
from gtvision.recordings.store import views as store
from gtvision.recordings.upload_schemas import CameraPlan, ViewState, ViewUpdate

if TYPE_CHECKING:  # the API's models, imported where an answer is built (ADR 0029)
    from gtvision.recordings.api_schemas import ReferenceViewOut
    from gtvision.tenancy.schemas import Camera

KIND = "camera_tampered"
#: What a reason means, for people (pt-BR), in the alert's detail.
NOTES = {
    "covered": "imagem uniforme ou escura: câmera coberta, tapada ou sem imagem",
    "defocused": "imagem sem nitidez: câmera desfocada ou lente suja",
    "moved": "a cena não confere com a vista de referência: câmera movida ou girada",
}


@rowtype(slots=False)
class Judgement:
    """One segment's views judged: the `camera_views` values it writes and what it does to incidents."""

    values: ViewUpdate
    features: tamper.Features
    step: tamper.Step


def judge(views: list[View], state: ViewState | None, thumb_key: str | None) -> Judgement | None:
    """The segment's features and the camera's next state (its first view becomes the reference)."""
    features = tamper.features(views)
    if features is None:
        return None
    if state is None:
        step = tamper.Step(None, 0, open=False, resolve=False)
    else:
        step = tamper.step(state, tamper.classify(features, state.reference_luma, state.reference_sharpness))
    values = ViewUpdate(
        last_luma=features.luma,
        last_sharpness=features.sharpness,
        last_mean=features.mean,
        last_contrast=features.contrast,
        last_thumb_key=thumb_key,
        suspect_reason=step.reason,
        suspect_count=step.suspect_count,
    )
    return Judgement(values, features, step)


def act(plan: CameraPlan, judgement: Judgement, start: datetime, key: str, state: ViewState | None) -> None:
    """Open or resolve the camera's `camera_tampered` incident after the segment's row committed."""
    step, cid = judgement.step, str(plan.camera_id)
    if not (step.open or step.resolve):
        return
    now = datetime.now(UTC)
    with db.transaction() as conn:
        if step.open and step.reason is not None:
            f = judgement.features
            detail = {
                "reason": step.reason,
                "note": NOTES[step.reason],
                "priority": "high",
                "camera_name": plan.name,
                "segment": key,
                "since": start.isoformat(),
                "contrast": round(f.contrast, 2),
                "sharpness_ratio": round(f.sharpness / state.reference_sharpness, 3) if state else None,
                "correlation": round(tamper.ncc(f.luma, state.reference_luma), 3) if state else None,
            }
            changed = incidents.open_incidents(
                conn,
                [
                    {
                        "city_id": plan.city_id,
                        "kind": KIND,
                        "camera_id": cid,
                        "captured_at": start,
                        "dedup_key": f"{cid}:tamper:{start.isoformat()}",
                        "detail": detail,
                    }
                ],
            )
        else:
            changed = incidents.resolve_incidents(conn, KIND, [cid], now)
    if changed:
        opened = step.open
        metrics.add_metric(
            name="CamerasTampered" if opened else "CamerasTamperResolved", unit=MetricUnit.Count, value=1
        )
        logger.warning(
            "camera tampered" if opened else "camera picture back",
            extra={"camera_id": cid, "reason": step.reason, "segment": key},
        )
    alerts.publish(changed)


def take_reference(camera: Camera) -> ReferenceViewOut:
    """Make the camera's latest recorded view its reference (a camera re-aimed on purpose); an open tamper
    incident ends, since the picture is now what is expected. 409 before the camera's first recording."""
    cid = str(camera.id)
    with db.transaction() as conn:
        state = store.take_reference(conn, cid)
        if state is None:
            raise Conflict("no_recorded_view", "a câmera ainda não tem gravação de onde tirar a vista de referência")
        resolved = incidents.resolve_incidents(conn, KIND, [cid], datetime.now(UTC))
    alerts.publish(resolved)
    return reference_out(state)


def reference_out(state: ViewState) -> ReferenceViewOut:
    from gtvision.recordings.api_schemas import ReferenceViewOut

    key = state.reference_thumb_key
    url = storage.presigned_urls([key], get_settings().presign_ttl_s)[0] if key else None
    return ReferenceViewOut(
        camera_id=str(state.camera_id),
        taken_at=state.reference_at,
        source="manager" if state.reference_source == "manager" else "first_recording",
        thumbnail_url=url,
    )
