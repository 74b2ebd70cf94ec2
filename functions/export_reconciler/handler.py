"""ExportReconcilerFunction: every minute, re-queue export jobs that were lost, fail those out of retries, run
missed fan-ins and end the holds of closed cases whose keep period is over."""

from __future__ import annotations

from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.exports import recovery


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(recovery.reconcile().__dict__)
