"""EventsSocketFunction: the routes of the events WebSocket API ($connect, $default, $disconnect).

$connect refuses a missing/invalid/expired `?token=` with 401 (API Gateway then refuses the
connection); $default answers `subscribe`/`ping` through the route response; $disconnect forgets
the connection.
"""

from __future__ import annotations

import json
from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.core.errors import Unauthorized
    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.live import sockets as live


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    ctx = event["requestContext"]
    route, connection_id = ctx["routeKey"], ctx["connectionId"]
    if route == "$connect":
        token = (event.get("queryStringParameters") or {}).get("token")
        try:
            principal = live.connect(connection_id, token)
        except Unauthorized as exc:
            metrics.add_metric(name="LiveConnectRefused", unit="Count", value=1)
            logger.info("live connection refused", extra={"reason": exc.code})
            return {"statusCode": 401, "body": json.dumps(exc.to_body(), ensure_ascii=False)}
        metrics.add_metric(name="LiveConnections", unit="Count", value=1)
        logger.info("live connection", extra={"connection_id": connection_id, "role": principal.role})
        return {"statusCode": 200}
    if route == "$disconnect":
        live.disconnect(connection_id)
        return {"statusCode": 200}
    reply = live.message(connection_id, event.get("body"))
    return {"statusCode": 200, "body": json.dumps(reply, ensure_ascii=False)}
