"""Ops alerts: the platform faults Prometheus finds locally (the alarms template.yaml gives CloudWatch in AWS),
posted by Alertmanager's webhook to ``POST /v1/hooks/alertmanager`` and kept as alerts of kind ``ops``.

Each firing episode of a Prometheus alert (Alertmanager's fingerprint and its start) is one alert row, whose
``detail`` holds the alert's name, severity and summary; Alertmanager's repeats change nothing, and its
resolved notification sets ``resolved_at``. Ops alerts belong to no city: admins list them, and their live
events go to admins only. Alertmanager authenticates with a shared secret (its webhook's
``http_config.authorization``, a bearer credential) compared in constant time.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Any

from gtvision.alerts import store as dal
from gtvision.alerts.api_schemas import AlertmanagerAlert, AlertmanagerWebhook, OpsHookAnswer
from gtvision.alerts.schemas import Alert
from gtvision.alerts.service import NO_CITY, public
from gtvision.core import db
from gtvision.core.errors import Unauthorized
from gtvision.core.observability import logger, metrics
from gtvision.core.settings import get_settings
from gtvision.live import publish as events

#: Labels kept whole in `detail` besides alertname/severity (which queue, which function...).
_DETAIL_LABELS = 20


def authenticate(authorization: str | None) -> None:
    """`Authorization: Bearer <GTV_ALERTMANAGER_HOOK_SECRET>`, compared in constant time; 401 otherwise
    (and always while no secret is configured: nobody can then post)."""
    secret = get_settings().alertmanager_hook_secret
    scheme, _, given = (authorization or "").partition(" ")
    ok = bool(secret) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), secret.encode())
    if not ok:
        logger.info("alertmanager hook refused", extra={"configured": bool(secret)})
        raise Unauthorized("invalid_credentials", "credencial do Alertmanager inválida")


def detail(alert: AlertmanagerAlert) -> dict[str, Any]:
    """What the alerts list shows of a Prometheus alert."""
    labels = {k: v for k, v in sorted(alert.labels.items()) if k not in ("alertname", "severity")}
    return {
        "alertname": alert.labels.get("alertname", "?"),
        "severity": alert.labels.get("severity", "warning"),
        "summary": alert.annotations.get("summary") or alert.annotations.get("description") or "",
        "description": alert.annotations.get("description", ""),
        "labels": dict(list(labels.items())[:_DETAIL_LABELS]),
    }


def _resolved_at(alert: AlertmanagerAlert, now: datetime) -> datetime | None:
    if alert.status != "resolved":
        return None
    ends = alert.ends_at
    return ends if ends is not None and ends.year > 1 and ends >= alert.starts_at else now


def receive(webhook: AlertmanagerWebhook, now: datetime | None = None) -> OpsHookAnswer:
    """Record each alert of one notification; publish what changed (after the commit) to admins."""
    now = now or datetime.now(UTC)
    changed: list[Alert] = []
    with db.transaction() as conn:
        for alert in webhook.alerts:
            key = f"{alert.fingerprint}:{alert.starts_at.astimezone(UTC).isoformat()}"
            row = dal.record_ops_alert(conn, key, alert.starts_at, detail(alert), _resolved_at(alert, now))
            if row is not None:
                changed.append(row)
    opened = sum(1 for r in changed if r.resolved_at is None)
    for row in changed:
        message = public(row).model_dump(mode="python", by_alias=True)
        resolved = row.resolved_at is not None
        logger.warning("ops alert", extra={"alertname": row.detail.get("alertname"), "resolved": resolved})
        # to admins only; a resolution is a change of the alert, as for health incidents (`alerts.publish`)
        events.publish(NO_CITY, "alert.updated" if resolved else "alert", message)
    if opened:
        metrics.add_metric(name="OpsAlertsOpened", unit="Count", value=opened)
    return OpsHookAnswer(received=len(webhook.alerts), opened=opened, resolved=len(changed) - opened)
