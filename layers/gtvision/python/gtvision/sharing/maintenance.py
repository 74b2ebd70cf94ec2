"""The sharing maintenance run (every minute): announce deliveries whose message was lost, purge expired
hotlist entries, and publish each flowing agreement's lag (EMF `FeedLagSeconds` by agreement, and the
maximum, which the template's alarm watches)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from gtvision.core import db
from gtvision.core.observability import metrics
from gtvision.core.rows import rowtype
from gtvision.sharing import feed
from gtvision.sharing.store import deliveries
from gtvision.sharing.store import hotlist as hotlist_store

#: A pending delivery nobody has tried for this long lost its message.
LOST_AFTER_S = 120.0
#: Expired hotlist entries deleted per run at most.
PURGE_LIMIT = 50_000


@rowtype(slots=False)
class MaintenanceResult:
    reannounced: int
    purged: int
    max_lag_s: float


#: Metrics that are a snapshot, not a count (the local /metrics keeps their last value).
GAUGES = ("FeedLagMaxSeconds",)


def run() -> MaintenanceResult:
    with db.transaction() as conn:
        lost = deliveries.pending_ids(conn, None, LOST_AFTER_S, 5000)
    feed.announce(lost)
    with db.transaction() as conn:  # expired entries stopped matching when they expired
        purged = hotlist_store.purge_expired(conn, PURGE_LIMIT)
    with db.transaction() as conn:
        lags = deliveries.lag_by_agreement(conn)
    for agreement_id, lag in lags.items():
        with single_metric(
            name="FeedLagSeconds", unit=MetricUnit.Seconds, value=round(lag, 1), namespace=metrics.namespace
        ) as metric:
            metric.add_dimension(name="service", value="gtvision")
            metric.add_dimension(name="AgreementId", value=agreement_id)
    worst = max(lags.values(), default=0.0)
    metrics.add_metric(name="FeedLagMaxSeconds", unit="Seconds", value=round(worst, 1))
    metrics.add_metric(name="HotlistEntriesPurged", unit="Count", value=purged)
    return MaintenanceResult(len(lost), purged, worst)
