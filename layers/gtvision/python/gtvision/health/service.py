"""Reads of stream and recording health for the API: a camera's metrics and a city's health.

What `gtvision.health.poll` records (state, samples, incidents), for the camera or city the route
decorator resolved in the caller's scope.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gtvision.core import db
from gtvision.core.errors import Invalid
from gtvision.core.principal import Principal
from gtvision.health import store as dal
from gtvision.health.api_schemas import (
    CityHealthOut,
    StreamCurrent,
    StreamMetricsOut,
    StreamMetricsQuery,
    StreamSample,
    TroubledCamera,
)
from gtvision.tenancy import cameras as cameras_logic
from gtvision.tenancy.authz import camera_filter
from gtvision.tenancy.schemas import Camera, City

METRICS_MAX_RANGE = timedelta(days=7)


def camera_metrics(camera: Camera, query: StreamMetricsQuery) -> StreamMetricsOut:
    """A camera's stream samples over a range (default: the last hour)."""
    now = datetime.now(UTC)
    from_ = query.from_ or now - timedelta(hours=1)
    to = query.to or now
    if to <= from_:
        raise Invalid("invalid_range", "'to' deve ser posterior a 'from'")
    if to - from_ > METRICS_MAX_RANGE:
        raise Invalid("invalid_range", "o intervalo máximo é de 7 dias")
    camera_id = str(camera.id)
    with db.transaction() as conn:
        state = dal.camera_state(conn, camera_id)
        rows = dal.samples(conn, camera_id, from_, to)
    status = cameras_logic.derived_status(camera.status, state.status if state else None)
    return StreamMetricsOut(
        camera_id=camera_id,
        city_id=str(camera.city_id),
        status=status,  # type: ignore[arg-type]  # derived_status answers online | offline | unknown
        since=state.since if state else None,
        current=StreamCurrent(
            inbound_kbps=state.inbound_kbps if state else None,
            fps=state.fps if state else None,
            frames_in_error=state.frames_in_error if state else None,
            readers=state.readers if state else None,
            readers_by_type=(state.readers_by_type or {}) if state else {},
            codec=state.codec if state else None,
            width=state.width if state else None,
            height=state.height if state else None,
            recording_lag_s=state.recording_lag_s if state else None,
        ),
        samples=[StreamSample.model_validate(r) for r in rows],
    )


def city_health(principal: Principal, city: City) -> CityHealthOut:
    """How many of a city's cameras are online, offline or not recording (of the caller's camera groups' only,
    for a user restricted to them)."""
    city_id = str(city.id)
    with db.transaction() as conn:
        data = dal.city_health(conn, city_id, datetime.now(UTC), camera_filter(principal))
    counts = data.counts
    return CityHealthOut(
        city_id=city_id,
        cameras=counts.cameras,
        online=counts.online,
        offline=counts.offline,
        unknown=counts.unknown,
        stopped=counts.stopped,
        recording_stalled=[str(c) for c in data.stalled],
        lpr_reads_last_hour=data.lpr_reads_last_hour,
        open_alerts=data.open_alerts,
        troubled=[
            TroubledCamera(
                camera_id=str(r.id), name=r.name, status=r.status, since=r.since, recording_lag_s=r.recording_lag_s
            )
            for r in data.troubled
        ],
    )
