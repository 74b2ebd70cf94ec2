"""Routes of ops alerts: Alertmanager's webhook (the faults Prometheus finds locally become `ops` alerts)."""

from __future__ import annotations

from chalicelib.routing import Api, Request
from gtvision.alerts import ops
from gtvision.alerts.api_schemas import AlertmanagerWebhook, OpsHookAnswer

api = Api(__name__)


def _alertmanager(req: Request[None, None]) -> None:
    ops.authenticate(req.headers.get("authorization"))


@api.route(
    "POST",
    "/v1/hooks/alertmanager",
    role=None,
    status=202,
    body=AlertmanagerWebhook,
    response=OpsHookAnswer,
    credentials=_alertmanager,
)
def post_alertmanager_hook(req: Request[AlertmanagerWebhook, None]) -> OpsHookAnswer:
    """Alertmanager's webhook (`Authorization: Bearer <GTV_ALERTMANAGER_HOOK_SECRET>`): each firing alert opens
    an `ops` alert (admins), each resolved one sets its `resolved_at`."""
    return ops.receive(req.body)
