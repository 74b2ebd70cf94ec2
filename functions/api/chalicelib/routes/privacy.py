"""Routes of privacy masks (contract: Cases and evidence → Privacy masks): managers draw, every reader of the
camera gets them (the console draws them over live and playback)."""

from __future__ import annotations

from chalicelib.routing import Api, Request
from gtvision.privacy import service as privacy
from gtvision.privacy.api_schemas import MasksIn, MasksOut
from gtvision.tenancy.schemas import Camera

api = Api(__name__)


@api.route("GET", "/v1/cameras/{camera_id}/privacy-masks", role="viewer", response=MasksOut)
def get_masks(req: Request[None, None], camera: Camera) -> MasksOut:
    """The camera's masks (polygons in 0–1 frame coordinates)."""
    return privacy.get(camera)


@api.route(
    "PUT",
    "/v1/cameras/{camera_id}/privacy-masks",
    role="manager",
    body=MasksIn,
    response=MasksOut,
    audit="privacy.masks",
)
def put_masks(req: Request[MasksIn, None], camera: Camera) -> MasksOut:
    """Replace the camera's masks (manager); burned into clips, exports and thumbnails from now on."""
    req.audit_detail = {"masks": len(req.body.masks)}
    return privacy.put(req.user, camera, req.body)
