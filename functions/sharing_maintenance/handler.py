"""SharingMaintenanceFunction: every minute, re-announce feed deliveries whose message was lost, purge expired
hotlist entries and publish each agreement's feed lag (the lag alarm's metric)."""

from __future__ import annotations

from typing import Any

from gtvision.core.coldstart import imports_without_gc

with imports_without_gc():
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from gtvision.core.observability import logger, metrics, tracer
    from gtvision.sharing import maintenance


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    result = maintenance.run()
    logger.info(
        "sharing maintenance",
        extra={"reannounced": result.reannounced, "purged": result.purged, "max_lag_s": result.max_lag_s},
    )
    return {"reannounced": result.reannounced, "purged": result.purged, "max_lag_s": result.max_lag_s}
