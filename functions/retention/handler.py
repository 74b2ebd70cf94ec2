"""RetentionFunction: hourly (EventBridge schedule) expiry of recordings and plate reads past each city's plan."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from gtvision.logic import retention
from gtvision.observability import logger, metrics


@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Run once. The clock is the wall clock, never the event's `time`: a hand-made event can't expire the future."""
    logger.info("retention run", extra={"scheduled_time": (event or {}).get("time")})
    report = retention.run()
    counts = report.counts()
    counts.pop("detail")
    logger.info("retention done", extra={"run_id": report.run_id, **counts})
    return {"run_id": report.run_id, **counts}
