"""Route of the system's own health (no token)."""

from __future__ import annotations

from chalice import Response

from chalicelib.http import json_response
from chalicelib.routing import Api, Request
from gtvision.health import checks as health
from gtvision.health.checks import HealthOut

api = Api(__name__)


@api.route("GET", "/v1/health", role=None, response=HealthOut, also=((503, "dependência indisponível"),))
def get_health(req: Request[None, None]) -> Response:
    """Whether the database, the recordings bucket and the clip queue answer (503 when one does not)."""
    result = health.check()
    return json_response(result.model_dump(), 200 if result.status == "ok" else 503)
