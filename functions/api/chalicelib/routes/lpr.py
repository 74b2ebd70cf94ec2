"""Routes of LPR (contract: LPR): camera webhook, bulk ingest, search, trajectory, watchlist, alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint

from chalicelib.http import Ctx, json_response, paged, route
from chalicelib.resolvers import MANAGERS, OPERATORS
from gtvision.alerts import service as alerts
from gtvision.alerts.schemas import AlertPatch, WatchIn
from gtvision.core.errors import DomainError, Invalid
from gtvision.core.models import parse
from gtvision.core.observability import metrics
from gtvision.core.timeutil import query_time
from gtvision.lpr import ingest as lpr_ingest
from gtvision.lpr import search as lpr_search
from gtvision.tenancy import quotas

bp = Blueprint(__name__)


@route(bp, "/v1/lpr/events", ("POST",), auth=False)
def post_lpr_event(ctx: Ctx) -> Any:
    """Camera webhook: HMAC over the raw body (X-GTV-Camera, X-GTV-Signature); 202 with the read id."""
    now = datetime.now(UTC)
    # Size first (declared, then actual): an oversized body is refused before it is hashed or parsed.
    lpr_ingest.check_webhook_size(ctx.headers.get("content-length"), len(ctx.raw_body))
    # The signature covers the bytes exactly as received, so it is checked before any parsing.
    camera = lpr_ingest.authenticate_camera(
        ctx.headers.get("x-gtv-camera"), ctx.headers.get("x-gtv-signature"), ctx.raw_body, now
    )
    try:
        read_id, _ = lpr_ingest.ingest_event(camera, ctx.json(), now)
    except DomainError:
        metrics.add_metric(name="LprReadsRejected", unit="Count", value=1)
        raise
    return json_response({"id": read_id}, 202)


@route(bp, "/v1/lpr/batch", ("POST",), audit_action="lpr.batch")
def post_lpr_batch(ctx: Ctx) -> Any:
    """Bulk reads (integrators, backfills): validated now, written by LprIngestFunction from the queue."""
    result = lpr_ingest.enqueue_bulk(ctx.user, ctx.json())
    ctx.audit_detail = {"reads": result["accepted"]}
    return json_response(result, 202)


@route(bp, "/v1/lpr/events", audit_action="lpr.search")
def search_lpr_events(ctx: Ctx) -> Any:
    """Plate reads by plate (exact, prefix, fuzzy), city, camera and time; image_url presigned."""
    query = lpr_search.search_query(ctx.user, ctx.query)
    if query.match == "fuzzy":
        quotas.check(ctx.user, "fuzzy_search")
    ctx.audit_city_id = query.filter.city_id
    items, nxt = lpr_search.search(query, ctx.limit(), ctx.cursor(), ctx.user)
    ctx.audit_detail = {"results": len(items)}
    return paged(items, nxt)


@route(bp, "/v1/lpr/trajectory", audit_action="lpr.trajectory")
def get_lpr_trajectory(ctx: Ctx) -> Any:
    """A plate's reads in time order with camera locations and the implied speed between them."""
    quotas.check(ctx.user, "trajectory")
    result = lpr_search.trajectory(ctx.user, ctx.query)
    ctx.audit_detail = {"points": len(result["points"])}
    return result


@route(bp, "/v1/watchlist", ("POST",), audit_action="watchlist.create")
def create_watch(ctx: Ctx) -> Any:
    entry = alerts.add_watch(ctx.user, parse(WatchIn, ctx.json()))
    ctx.audit_city_id = entry["city_id"]
    return json_response(entry, 201)


@route(bp, "/v1/watchlist", roles=MANAGERS, audit_action="watchlist.list")
def list_watch(ctx: Ctx) -> Any:
    items, nxt = alerts.list_watch(ctx.user, ctx.query.get("city_id") or None, ctx.limit(), ctx.cursor())
    return paged(items, nxt)


@route(bp, "/v1/watchlist/{watchlist_id}", ("DELETE",), audit_action="watchlist.delete")
def delete_watch(ctx: Ctx, watchlist_id: str) -> Any:
    alerts.remove_watch(ctx.user, watchlist_id)
    return json_response(None, 204)


@route(bp, "/v1/alerts", audit_action="alerts.list")
def list_alerts(ctx: Ctx) -> Any:
    """Alerts newest first (`since`, `kind`, `open=true` for unresolved; admins may pass `city_id`)."""
    open_param = (ctx.query.get("open") or "").lower()
    if open_param not in ("", "true", "false"):
        raise Invalid("invalid_open", "open deve ser true ou false")
    items, nxt = alerts.list_alerts(
        ctx.user,
        ctx.query.get("city_id") or None,
        query_time(ctx.query.get("since"), "since"),
        ctx.query.get("kind") or None,
        ctx.limit(),
        ctx.cursor(),
        open_only=open_param == "true",
    )
    return paged(items, nxt)


@route(bp, "/v1/alerts/{alert_id}", ("PATCH",), roles=OPERATORS, audit_action="alerts.update")
def update_alert(ctx: Ctx, alert_id: str) -> Any:
    """Set an alert's status: open, investigating (its reads are kept by retention) or closed."""
    alert = alerts.set_status(ctx.user, alert_id, parse(AlertPatch, ctx.json()))
    ctx.audit_city_id = alert["city_id"]
    ctx.audit_detail = {"status": alert["status"]}
    return alert
