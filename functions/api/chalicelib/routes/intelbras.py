"""Route of Intelbras/Dahua ITS cameras (contract: Sentinela): TollgateInfo, KeepAlive and DeviceInfo pushes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalice import Blueprint, Response

from chalicelib.http import Ctx, dumps, route
from gtvision.lpr import intelbras

bp = Blueprint(__name__)


@route(bp, "/v1/lpr/intelbras/{camera_id}/NotificationInfo/{notification}", ("POST",), auth=False)
def intelbras_push(ctx: Ctx, camera_id: str, notification: str) -> Any:
    """HTTP Digest (RFC 7616, MD5/SHA-256, qop=auth) per camera; answers `{"Result": true, "Message": "Success"}`."""
    now = datetime.now(UTC)
    try:
        camera = intelbras.authenticate(camera_id, notification, ctx.headers.get("authorization"), now)
    except intelbras.DigestChallenge as exc:
        return Response(
            body=dumps(exc.to_body()),
            status_code=401,
            headers={"Content-Type": "application/json; charset=utf-8", "WWW-Authenticate": exc.challenges},
        )
    body = ctx.json() if ctx.raw_body.strip() else {}
    return intelbras.handle(camera, notification, body, ctx.raw_body, now)
