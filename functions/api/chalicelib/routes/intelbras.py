"""Route of Intelbras/Dahua ITS cameras (contract: Sentinela): TollgateInfo, KeepAlive and DeviceInfo pushes."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib import http
from chalicelib.routing import Api, Request
from gtvision.lpr import intelbras
from gtvision.lpr.intelbras_schemas import ItsAnswer, TollgateInfo

api = Api(__name__)


@api.route(
    "POST",
    "/v1/lpr/intelbras/{camera_id}/NotificationInfo/{notification}",
    role=None,
    body=TollgateInfo,
    response=ItsAnswer,
    view_parses_body=True,
    bad_id=intelbras.unknown_camera,
)
def intelbras_push(req: Request[None, None], camera_id: str, notification: str) -> ItsAnswer:
    """HTTP Digest (RFC 7616, MD5/SHA-256, qop=auth) per camera; answers `{"Result": true, "Message": "Success"}`."""
    now = datetime.now(UTC)
    camera = intelbras.authenticate(camera_id, notification, req.headers.get("authorization"), now)
    body = http.parse_json(req.raw_body) if req.raw_body.strip() else {}
    return intelbras.handle(camera, notification, body, req.raw_body, now)
