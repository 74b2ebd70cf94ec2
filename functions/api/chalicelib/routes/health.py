"""Routes of stream and recording health (contract: Stream and recording health) and MediaMTX's hooks."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.routing import Api, Request
from gtvision.core import signatures
from gtvision.core.errors import Unauthorized
from gtvision.core.observability import logger
from gtvision.core.settings import get_settings
from gtvision.health import events as stream_events
from gtvision.health import service as stream_metrics
from gtvision.health.api_schemas import CityHealthOut, StreamMetricsOut, StreamMetricsQuery
from gtvision.streams.api_schemas import HookAccepted, MediaMTXEvent
from gtvision.tenancy.schemas import Camera, City

api = Api(__name__)


@api.route(
    "GET",
    "/v1/cameras/{camera_id}/stream/metrics",
    query=StreamMetricsQuery,
    response=StreamMetricsOut,
    audit="streams.metrics",
)
def get_stream_metrics(req: Request[None, StreamMetricsQuery], camera: Camera) -> StreamMetricsOut:
    """Status since when, current kbps/fps/readers/lag and the samples of [from, to) (default: last hour)."""
    return stream_metrics.camera_metrics(camera, req.query)


@api.route("GET", "/v1/cities/{city_id}/health", response=CityHealthOut)
def get_city_health(req: Request[None, None], city: City) -> CityHealthOut:
    """Online/offline/unknown counts, stalled recordings, troubled cameras, LPR reads and open alerts."""
    return stream_metrics.city_health(req.user, city)


@api.route("POST", "/v1/hooks/mediamtx", role=None, status=202, body=MediaMTXEvent, response=HookAccepted)
def post_mediamtx_hook(req: Request[MediaMTXEvent, None]) -> HookAccepted:
    """MediaMTX runOnOnline/runOnOffline: `{"event", "path"}` signed with GTV_MEDIAMTX_HOOK_SECRET."""
    now = datetime.now(UTC)
    secret = get_settings().mediamtx_hook_secret
    try:
        if not secret:  # no secret configured: nobody can sign, so nothing is accepted
            raise signatures.SignatureError("not_configured")
        signatures.verify(req.headers.get("x-gtv-signature"), req.raw_body, [secret], now.timestamp())
    except signatures.SignatureError as exc:
        logger.info("mediamtx hook refused", extra={"reason": exc.reason})
        raise Unauthorized("invalid_signature", "assinatura inválida") from None
    return stream_events.apply_hook(req.body, now)
