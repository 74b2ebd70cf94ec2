"""Routes of LPR (contract: LPR): camera webhook, bulk ingest, search, trajectory, watchlist, alerts."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib import http
from chalicelib.routing import Api, Request, page
from gtvision.alerts import service as alerts
from gtvision.alerts.api_schemas import AlertOut, AlertPatch, AlertsQuery, WatchIn, WatchlistQuery, WatchOut
from gtvision.alerts.schemas import Alert, WatchEntry
from gtvision.core.errors import DomainError
from gtvision.core.models import Page, parse
from gtvision.core.observability import metrics
from gtvision.lpr import batch as lpr_batch
from gtvision.lpr import ingest as lpr_ingest
from gtvision.lpr import search as lpr_search
from gtvision.lpr.api_schemas import (
    BulkAccepted,
    BulkIn,
    LprSearchQuery,
    PlateReadOut,
    ReadId,
    TrajectoryOut,
    TrajectoryQuery,
)
from gtvision.lpr.schemas import WebhookRead
from gtvision.tenancy import quotas

api = Api(__name__)


@api.route("POST", "/v1/lpr/events", role=None, status=202, body=WebhookRead, response=ReadId, view_parses_body=True)
def post_lpr_event(req: Request[None, None]) -> ReadId:
    """Camera webhook: HMAC over the raw body (X-GTV-Camera, X-GTV-Signature); 202 with the read id."""
    now = datetime.now(UTC)
    # Size first (declared, then actual): an oversized body is refused before it is hashed or parsed.
    lpr_ingest.check_webhook_size(req.headers.get("content-length"), len(req.raw_body))
    # The signature covers the bytes exactly as received, so it is checked before any parsing.
    camera = lpr_ingest.authenticate_camera(
        req.headers.get("x-gtv-camera"), req.headers.get("x-gtv-signature"), req.raw_body, now
    )
    try:
        read_id, _ = lpr_ingest.ingest_event(camera, parse(WebhookRead, http.parse_json(req.raw_body)), now)
    except DomainError:
        metrics.add_metric(name="LprReadsRejected", unit="Count", value=1)
        raise
    return ReadId(id=read_id)


@api.route("POST", "/v1/lpr/batch", role="manager", status=202, body=BulkIn, response=BulkAccepted, audit="lpr.batch")
def post_lpr_batch(req: Request[BulkIn, None]) -> BulkAccepted:
    """Bulk reads (integrators, backfills): validated now, written by LprIngestFunction from the queue."""
    result = lpr_batch.enqueue_bulk(req.user, req.body)
    req.audit_detail = {"reads": result.accepted}
    return result


@api.route("GET", "/v1/lpr/events", query=LprSearchQuery, response=Page[PlateReadOut], audit="lpr.search")
def search_lpr_events(req: Request[None, LprSearchQuery]) -> Page[PlateReadOut]:
    """Plate reads by plate (exact, prefix, fuzzy), city, camera and time; image_url presigned."""
    scope = lpr_search.read_filter(req.user, req.query)
    if req.query.match == "fuzzy":
        quotas.check(req.user, "fuzzy_search")
    req.audit_city_id = scope.filter.city_id
    items, nxt = lpr_search.search(req.user, req.query, scope)
    req.audit_detail = {"results": len(items)}
    return page(items, nxt)


@api.route("GET", "/v1/lpr/trajectory", query=TrajectoryQuery, response=TrajectoryOut, audit="lpr.trajectory")
def get_lpr_trajectory(req: Request[None, TrajectoryQuery]) -> TrajectoryOut:
    """A plate's reads in time order with camera locations and the implied speed between them."""
    quotas.check(req.user, "trajectory")
    result = lpr_search.trajectory(req.user, req.query)
    req.audit_detail = {"points": len(result.points)}
    return result


@api.route(
    "POST", "/v1/watchlist", role="manager", status=201, body=WatchIn, response=WatchOut, audit="watchlist.create"
)
def create_watch(req: Request[WatchIn, None]) -> WatchOut:
    """Put a plate on the city's watchlist (admins say which city)."""
    entry = alerts.add_watch(req.user, req.body)
    req.audit_city_id = entry.city_id
    return entry


@api.route(
    "GET", "/v1/watchlist", role="manager", query=WatchlistQuery, response=Page[WatchOut], audit="watchlist.list"
)
def list_watch(req: Request[None, WatchlistQuery]) -> Page[WatchOut]:
    """The city's watchlist, oldest first (admins: every city or `city_id`)."""
    return page(*alerts.list_watch(req.user, req.query))


@api.route("DELETE", "/v1/watchlist/{watchlist_id}", role="manager", status=204, audit="watchlist.delete")
def delete_watch(req: Request[None, None], watchlist: WatchEntry) -> None:
    """Take a plate off the city's watchlist."""
    alerts.remove_watch(watchlist)


@api.route("GET", "/v1/alerts", query=AlertsQuery, response=Page[AlertOut], audit="alerts.list")
def list_alerts(req: Request[None, AlertsQuery]) -> Page[AlertOut]:
    """Alerts newest first (`since`, `kind`, `open=true` for unresolved; admins may pass `city_id`)."""
    return page(*alerts.list_alerts(req.user, req.query))


@api.route("PATCH", "/v1/alerts/{alert_id}", role="operator", body=AlertPatch, response=AlertOut, audit="alerts.update")
def update_alert(req: Request[AlertPatch, None], alert: Alert) -> AlertOut:
    """Handle an alert: acknowledged (its reads are kept by retention), closed with a note, or open again."""
    out = alerts.handle(req.user, alert, req.body)
    req.audit_detail = {"status": out.status, "previous": alert.status, "note": req.body.note}
    return out
