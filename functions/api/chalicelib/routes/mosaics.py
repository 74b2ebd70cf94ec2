"""Routes of mosaics (contract: Mosaics; v1.2 "Control room" → video wall)."""

from __future__ import annotations

from chalicelib.routing import Api, Request, page
from gtvision.core.models import Page, PageQuery
from gtvision.mosaics import service as mosaics
from gtvision.mosaics.schemas import Mosaic, MosaicIn, MosaicOut, MosaicPatch

api = Api(__name__)


@api.route("POST", "/v1/mosaics", role="manager", status=201, body=MosaicIn, response=MosaicOut)
def create_mosaic(req: Request[MosaicIn, None]) -> MosaicOut:
    """Create a mosaic of cameras of the caller's city."""
    return mosaics.create(req.user, req.body)


@api.route("GET", "/v1/mosaics", query=PageQuery, response=Page[MosaicOut])
def list_mosaics(req: Request[None, PageQuery]) -> Page[MosaicOut]:
    """List the city's mosaics."""
    return page(*mosaics.list_(req.user, req.query))


@api.route("GET", "/v1/mosaics/{mosaic_id}", response=MosaicOut, audit="mosaic.read")
def get_mosaic(req: Request[None, None], mosaic: Mosaic) -> MosaicOut:
    """One mosaic with each camera's live URLs."""
    return mosaics.get(req.user, mosaic)


@api.route("PATCH", "/v1/mosaics/{mosaic_id}", role="manager", body=MosaicPatch, response=MosaicOut)
def update_mosaic(req: Request[MosaicPatch, None], mosaic: Mosaic) -> MosaicOut:
    """Rename a mosaic or change its cameras, layout or tour (managers of its city)."""
    return mosaics.update(req.user, mosaic, req.body)


@api.route("DELETE", "/v1/mosaics/{mosaic_id}", role="manager", status=204)
def delete_mosaic(req: Request[None, None], mosaic: Mosaic) -> None:
    """Delete a mosaic."""
    mosaics.delete(mosaic)
