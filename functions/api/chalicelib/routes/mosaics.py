"""Routes of mosaics (contract: Mosaics)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.http import Ctx, json_response, paged, route
from gtvision.core.models import parse
from gtvision.mosaics import service as mosaics
from gtvision.mosaics.schemas import MosaicIn, MosaicPatch

bp = Blueprint(__name__)


@route(bp, "/v1/mosaics", ("POST",))
def create_mosaic(ctx: Ctx) -> Any:
    """Create a mosaic of 1–4 cameras of the caller's city."""
    return json_response(mosaics.create(ctx.user, parse(MosaicIn, ctx.json())), 201)


@route(bp, "/v1/mosaics")
def list_mosaics(ctx: Ctx) -> Any:
    """List the city's mosaics."""
    items, nxt = mosaics.list_(ctx.user, ctx.limit(), ctx.cursor())
    return paged(items, nxt)


@route(bp, "/v1/mosaics/{mosaic_id}", audit_action="mosaic.read")
def get_mosaic(ctx: Ctx, mosaic_id: str) -> Any:
    """One mosaic with each camera's live URLs."""
    return mosaics.get(ctx.user, mosaic_id)


@route(bp, "/v1/mosaics/{mosaic_id}", ("PATCH",))
def update_mosaic(ctx: Ctx, mosaic_id: str) -> Any:
    """Rename a mosaic or change its cameras or layout (managers of its city)."""
    return mosaics.update(ctx.user, mosaic_id, parse(MosaicPatch, ctx.json()))


@route(bp, "/v1/mosaics/{mosaic_id}", ("DELETE",))
def delete_mosaic(ctx: Ctx, mosaic_id: str) -> Any:
    """Delete a mosaic."""
    mosaics.delete(ctx.user, mosaic_id)
    return json_response(None, 204)
