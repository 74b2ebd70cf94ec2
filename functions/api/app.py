"""GT-Vision REST API: a chalice app whose routes live in `chalicelib.routes` blueprints (Handler: app.handler),
each imported on the first request it may serve (ADR 0029).

`handler` wraps the app with the Logger/Metrics/Tracer set every function wears, so the metrics a request
adds (the webhook's alerts included) are flushed at the end of that request.
"""

from __future__ import annotations

from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from chalice import Response

    from chalicelib.http import contract_errors, json_response
    from chalicelib.proxy import ProxyChalice
    from chalicelib.routing import Api, Request
    from chalicelib.schemas import OpenApiDoc
    from gtvision.core import snapstart
    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.live import service as live
    from gtvision.tenancy import access

# A logout, a replayed refresh token or a change of a user's rights closes their live sockets at once.
access.subscribe(live.close_on_access_change)

#: The route modules (`chalicelib.routes.<name>`) by the paths of their routes (`proxy.covers`): each is imported
#: on the first request under one of its patterns (ADR 0029), so a cold start does not import every feature.
#: tests/unit/test_api_lazy_routes.py checks that every route a module declares is under one of its patterns.
ROUTE_MODULES: dict[str, tuple[str, ...]] = {
    "core": ("/v1/health",),
    "tenancy": ("/v1/cities", "/v1/cameras/{camera_id}", "/v1/camera-groups", "/v1/users"),
    "mosaics": ("/v1/mosaics",),
    "audit": ("/v1/audit", "/v1/lgpd", "/v1/me"),
    "clips": ("/v1/clips",),
    "availability": ("/v1/cities/{city_id}/sla",),
    "lpr": ("/v1/lpr", "/v1/alerts", "/v1/watchlist"),
    "intelbras": ("/v1/lpr/intelbras",),
    "sentinela": ("/v1/sentinela",),
    "recordings": (
        "/v1/cameras/{camera_id}/playback.m3u8",
        "/v1/cameras/{camera_id}/reference-view",
        "/v1/cameras/{camera_id}/stream",
        "/v1/cameras/{camera_id}/thumbnails",
        "/v1/cameras/{camera_id}/timeline",
    ),
    "console": ("/", "/console"),
    "health": ("/v1/cities/{city_id}/health", "/v1/cameras/{camera_id}/stream/metrics", "/v1/hooks/mediamtx"),
    "sessions": ("/v1/auth", "/v1/me/2fa", "/v1/me/password"),
    "ops": ("/v1/hooks/alertmanager",),
    "sharing": ("/v1/agreements", "/v1/grants"),
    "cases": ("/v1/cases", "/v1/share", "/v1/share.json"),
    "bookmarks": ("/v1/bookmarks", "/v1/cameras/{camera_id}/bookmarks"),
    "privacy": ("/v1/cameras/{camera_id}/privacy-masks",),
}

app = ProxyChalice(
    app_name="gtvision", lazy_routes={f"chalicelib.routes.{name}": paths for name, paths in ROUTE_MODULES.items()}
)
app.register_middleware(contract_errors, "http")
app.api.binary_types.append("application/pdf")  # the agreements' monthly report

_meta = Api("meta")


@_meta.route("GET", "/v1/openapi.json", role=None, response=OpenApiDoc)
def openapi(req: Request[None, None]) -> Response:
    """The OpenAPI 3 document of every route."""
    from chalicelib.openapi import build

    return json_response(build(app))


app.register_blueprint(_meta.bp)
snapstart.warm_up(app.load_routes)  # with SnapStart, the snapshot holds every route module


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """An API Gateway proxy event → the chalice app's proxy response."""
    response: dict[str, Any] = app(event, context)
    return response
