"""ClipReconcilerFunction: every minute, re-queue clips whose job was lost and fail those out of retries."""

from __future__ import annotations

from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.clips import recovery as clip_recovery
    from gtvision.core.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = clip_recovery.reconcile()
    return {"requeued": result.requeued, "failed": result.failed}
