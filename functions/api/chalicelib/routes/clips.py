"""Routes of clips (contract: Clips): request, read, list, delete and legal hold."""

from __future__ import annotations

from chalicelib.routes.cases import actor
from chalicelib.routing import Api, Request, page
from gtvision.cases import service as cases
from gtvision.clips import service as clips
from gtvision.clips.api_schemas import ClipIn, ClipOut, ClipQueued, ClipsQuery, HoldIn
from gtvision.clips.schemas import Clip
from gtvision.core.models import Page
from gtvision.tenancy import quotas

api = Api(__name__)


@api.route("POST", "/v1/clips", role="operator", status=202, body=ClipIn, response=ClipQueued, audit="clip.create")
def create_clip(req: Request[ClipIn, None]) -> ClipQueued:
    """Queue a clip of a camera's recordings (202; the worker makes it)."""
    data = req.body
    quotas.check(req.user, "clip")
    req.audit_detail = {
        "camera_id": data.camera_id,
        "start": data.start.isoformat(),
        "end": data.end.isoformat(),
        "mode": data.mode,
    }
    return clips.create(req.user, data)


@api.route("GET", "/v1/clips", role="operator", query=ClipsQuery, response=Page[ClipOut], audit="clip.list")
def list_clips(req: Request[None, ClipsQuery]) -> Page[ClipOut]:
    """List the city's clips, newest first (`camera_id`, `status` filter)."""
    return page(*clips.list_(req.user, req.query))


@api.route("GET", "/v1/clips/{clip_id}", role="operator", response=ClipOut, audit="clip.read")
def get_clip(req: Request[None, None], clip: Clip) -> ClipOut:
    """One clip, with presigned `download_url` and `manifest_url` once ready."""
    return clips.public(clip, check_objects=True)


@api.route("DELETE", "/v1/clips/{clip_id}", role="manager", status=204, audit="clip.delete")
def delete_clip(req: Request[None, None], clip: Clip) -> None:
    """Delete a clip and its objects (manager; 409 while under legal hold)."""
    row = clips.delete(clip)
    req.audit_detail = {"camera_id": str(row.camera_id), "sha256": row.sha256, "status": row.status}


@api.route("POST", "/v1/clips/{clip_id}/hold", role="manager", body=HoldIn, response=ClipOut, audit="clip.hold")
def hold_clip(req: Request[HoldIn, None], clip: Clip) -> ClipOut:
    """Place a legal hold with a reason (and optionally for a case, the clip then one of its items): the clip and
    the segments it was cut from are kept by retention."""
    req.audit_detail = {"reason": req.body.reason, "case_id": req.body.case_id}
    if req.body.case_id:
        case = cases.visible(req.user, req.body.case_id.lower())
        return cases.hold_clip(actor(req), case, str(clip.id), req.body.reason)
    return clips.hold(req.user, clip, req.body)


@api.route("DELETE", "/v1/clips/{clip_id}/hold", role="manager", response=ClipOut, audit="clip.unhold")
def release_clip_hold(req: Request[None, None], clip: Clip) -> ClipOut:
    """Lift the legal hold of a clip (409 while it belongs to a case that keeps it)."""
    cases.ensure_clip_hold_can_lift(clip.hold_case_id)
    return clips.release_hold(clip)
