"""StreamHealthFunction: every minute (EventBridge schedule), the health of every started camera."""

from __future__ import annotations

from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.health import poll as stream_health


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One poll of MediaMTX's path list; the clock is the wall clock, never the event's `time`."""
    logger.info("stream health run", extra={"scheduled_time": (event or {}).get("time")})
    report = stream_health.poll().as_dict()
    logger.info("stream health done", extra={k: v for k, v in report.items() if k != "partitions_dropped"})
    return report
