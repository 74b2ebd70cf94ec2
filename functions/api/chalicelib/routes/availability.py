"""Route of the availability (SLA) report (contract v1.2, "Control room")."""

from __future__ import annotations

from chalice import Response

from chalicelib.routing import Api, Request
from gtvision.availability import service as availability
from gtvision.availability.schemas import SlaOut, SlaQuery
from gtvision.tenancy.schemas import City

api = Api(__name__)


@api.route("GET", "/v1/cities/{city_id}/sla", role="operator", query=SlaQuery, response=SlaOut, audit="sla.read")
def get_sla(req: Request[None, SlaQuery], city: City) -> SlaOut | Response:
    """A month's availability per camera (recorded / expected time, incidents, longest gap); `format=csv`
    answers a spreadsheet (`;`, decimal comma, dates in the city's timezone)."""
    out = availability.report(city, req.query, req.user)
    if req.query.format == "csv":
        name = f"disponibilidade-{out.month}.csv"
        headers: dict[str, str | list[str]] = {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
        }
        return Response(body=availability.to_csv(out), status_code=200, headers=headers)
    return out
