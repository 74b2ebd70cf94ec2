"""Routes of stream and recording health (contract: Stream and recording health) and MediaMTX's hooks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint

from chalicelib.http import Ctx, json_response, route
from gtvision.core import signatures
from gtvision.core.errors import Unauthorized
from gtvision.core.models import parse
from gtvision.core.observability import logger
from gtvision.core.settings import get_settings
from gtvision.health import poll as stream_health
from gtvision.health import service as stream_metrics
from gtvision.streams.schemas import MediaMTXEvent

bp = Blueprint(__name__)


@route(bp, "/v1/cameras/{camera_id}/stream/metrics", audit_action="streams.metrics")
def get_stream_metrics(ctx: Ctx, camera_id: str) -> Any:
    """Status since when, current kbps/fps/readers/lag and the samples of [from, to) (default: last hour)."""
    result = stream_metrics.camera_metrics(ctx.user, camera_id, ctx.query)
    ctx.audit_city_id = result["city_id"]
    return result


@route(bp, "/v1/cities/{city_id}/health")
def get_city_health(ctx: Ctx, city_id: str) -> Any:
    """Online/offline/unknown counts, stalled recordings, troubled cameras, LPR reads and open alerts."""
    return stream_metrics.city_health(ctx.user, city_id)


@route(bp, "/v1/hooks/mediamtx", ("POST",), auth=False)
def post_mediamtx_hook(ctx: Ctx) -> Any:
    """MediaMTX runOnOnline/runOnOffline: `{"event", "path"}` signed with GTV_MEDIAMTX_HOOK_SECRET."""
    now = datetime.now(UTC)
    secret = get_settings().mediamtx_hook_secret
    try:
        if not secret:  # no secret configured: nobody can sign, so nothing is accepted
            raise signatures.SignatureError("not_configured")
        signatures.verify(ctx.headers.get("x-gtv-signature"), ctx.raw_body, [secret], now.timestamp())
    except signatures.SignatureError as exc:
        logger.info("mediamtx hook refused", extra={"reason": exc.reason})
        raise Unauthorized("invalid_signature", "assinatura inválida") from None
    return json_response(stream_health.apply_hook(parse(MediaMTXEvent, ctx.json()), now), 202)
