"""Routes of Sentinela (contract: Sentinela — vehicle search): search jobs, their state and results."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.http import Ctx, json_response, paged, route
from chalicelib.resolvers import ANY
from gtvision.sentinela import service as sentinela

bp = Blueprint(__name__)


@route(bp, "/v1/sentinela/searches", ("POST",), roles=ANY, audit_action="sentinela.search")
def create_search(ctx: Ctx) -> Any:
    """Plate/colour/type in a time range: LPR reads at once; recordings analysed when `analyse_video`."""
    search = sentinela.create(ctx.user, ctx.json())
    ctx.audit_city_id = search["city_id"]
    ctx.audit_detail = {"search_id": search["id"], "criteria": search["criteria"]}
    return json_response(search, 202)


@route(bp, "/v1/sentinela/searches")
def list_searches(ctx: Ctx) -> Any:
    items, nxt = sentinela.list_(ctx.user, ctx.limit(), ctx.cursor())
    return paged(items, nxt)


@route(bp, "/v1/sentinela/searches/{search_id}")
def get_search(ctx: Ctx, search_id: str) -> Any:
    return sentinela.get(ctx.user, search_id)


@route(bp, "/v1/sentinela/searches/{search_id}", ("DELETE",), roles=ANY, audit_action="sentinela.cancel")
def cancel_search(ctx: Ctx, search_id: str) -> Any:
    search = sentinela.cancel(ctx.user, search_id)
    ctx.audit_city_id = search["city_id"]
    return search


@route(bp, "/v1/sentinela/searches/{search_id}/results", audit_action="sentinela.results")
def search_results(ctx: Ctx, search_id: str) -> Any:
    """Sightings by time (LPR reads and video frames), image_url presigned."""
    search, items, nxt = sentinela.results(ctx.user, search_id, ctx.limit(), ctx.cursor())
    ctx.audit_city_id = str(search["city_id"])
    ctx.audit_detail = {"results": len(items)}
    return paged(items, nxt)
