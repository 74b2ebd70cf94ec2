"""GT-Vision REST API: a chalice app whose routes live in gtvision.api blueprints (Handler: app.handler).

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
    from chalicelib.routes import (
        audit,
        availability,
        bookmarks,
        cases,
        clips,
        core,
        intelbras,
        lpr,
        mosaics,
        ops,
        privacy,
        sentinela,
        sessions,
        sharing,
        tenancy,
    )
    from chalicelib.routes import console as console_api
    from chalicelib.routes import health as health_api
    from chalicelib.routes import recordings as recordings_api
    from chalicelib.routing import Api, Request
    from chalicelib.schemas import OpenApiDoc
    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.live import service as live
    from gtvision.tenancy import access

# A logout, a replayed refresh token or a change of a user's rights closes their live sockets at once.
access.subscribe(live.close_on_access_change)

app = ProxyChalice(app_name="gtvision")
app.register_middleware(contract_errors, "http")
app.register_blueprint(core.api.bp)
app.register_blueprint(tenancy.api.bp)
app.register_blueprint(mosaics.api.bp)
app.register_blueprint(audit.api.bp)
app.register_blueprint(clips.api.bp)
app.register_blueprint(availability.api.bp)
app.register_blueprint(lpr.api.bp)
app.register_blueprint(intelbras.api.bp)
app.register_blueprint(sentinela.api.bp)
app.register_blueprint(recordings_api.api.bp)
app.register_blueprint(console_api.api.bp)
app.register_blueprint(health_api.api.bp)
app.register_blueprint(sessions.api.bp)
app.register_blueprint(ops.api.bp)
app.register_blueprint(sharing.api.bp)
app.register_blueprint(cases.api.bp)
app.register_blueprint(bookmarks.api.bp)
app.register_blueprint(privacy.api.bp)
app.api.binary_types.append("application/pdf")  # the agreements' monthly report

_meta = Api("meta")


@_meta.route("GET", "/v1/openapi.json", role=None, response=OpenApiDoc)
def openapi(req: Request[None, None]) -> Response:
    """The OpenAPI 3 document of every route."""
    from chalicelib.openapi import build

    return json_response(build(app))


app.register_blueprint(_meta.bp)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """An API Gateway proxy event → the chalice app's proxy response."""
    response: dict[str, Any] = app(event, context)
    return response
