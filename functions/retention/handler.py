"""RetentionFunction: hourly (EventBridge schedule) expiry of recordings and plate reads past each city's plan."""

from __future__ import annotations

import time
from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.retention import service as retention

_MARGIN_S = 60.0


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Run once. The clock is the wall clock, never the event's `time`: a hand-made event can't expire the future."""
    logger.info("retention run", extra={"scheduled_time": (event or {}).get("time")})
    # Stop taking new batches a minute before Lambda's timeout: the run then records itself as incomplete
    # instead of being killed mid-way (which is safe too, but leaves no run record or audit entry).
    deadline = None
    if context is not None:
        remaining = context.get_remaining_time_in_millis() / 1000
        deadline = time.monotonic() + remaining - min(_MARGIN_S, remaining / 10)
    report = retention.run(deadline=deadline)
    counts = report.counts()
    counts.pop("detail")
    logger.info("retention done", extra={"run_id": report.run_id, **counts})
    return {"run_id": report.run_id, **counts}
