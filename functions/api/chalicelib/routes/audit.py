"""Routes of the audit trail and LGPD: /v1/audit, its CSV export, /v1/me and the plate request.

There is no route that changes or deletes an audit entry, on purpose.
"""

from __future__ import annotations

from chalice import Response

from chalicelib.http import json_response
from chalicelib.routing import Api, Request, page
from gtvision.audit import lgpd as me
from gtvision.audit import query as audit_query
from gtvision.audit.schemas import AuditEntry, AuditExportQuery, AuditQuery, MyData, PlateRequest, Profile
from gtvision.core.models import Page

api = Api(__name__)


@api.route("GET", "/v1/audit", role="manager", query=AuditQuery, response=Page[AuditEntry], audit="audit.read")
def list_audit(req: Request[None, AuditQuery]) -> Page[AuditEntry]:
    """Audit entries, newest first (admins: every city; managers: their own)."""
    return page(*audit_query.list_(req.user, req.query, req.query.limit, req.query.cursor))


@api.route(
    "GET", "/v1/audit/export.csv", role="manager", query=AuditExportQuery, response="text/csv", audit="audit.export"
)
def export_audit(req: Request[None, AuditExportQuery]) -> Response:
    """The same entries as CSV for an auditor; a longer range continues with `X-Next-Cursor`."""
    body, nxt = audit_query.export_csv(req.user, req.query)
    headers: dict[str, str | list[str]] = {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="gtvision-auditoria.csv"',
    }
    if nxt:
        headers["X-Next-Cursor"] = nxt
    return Response(body=body, headers=headers, status_code=200)


@api.route("GET", "/v1/me", response=Profile)
def get_me(req: Request[None, None]) -> Profile:
    """The caller's own account."""
    return me.profile(req.user)


@api.route("GET", "/v1/me/export", response=MyData, audit="lgpd.me_export")
def export_me(req: Request[None, None]) -> Response:
    """Every personal datum held on the caller (LGPD art. 18), as a JSON download."""
    data = me.export(req.user).model_dump(mode="python")
    return json_response(data, headers={"Content-Disposition": 'attachment; filename="meus-dados-gtvision.json"'})


@api.route("DELETE", "/v1/me", status=204, audit="lgpd.me_delete")
def delete_me(req: Request[None, None]) -> None:
    """Anonymise the caller's account (the audit trail keeps a pseudonym)."""
    me.delete(req.user)


@api.route("GET", "/v1/lgpd/plates/{plate}", role="admin", response=PlateRequest, audit="lgpd.plate_request")
def plate_request(req: Request[None, None], plate: str) -> PlateRequest:
    """Every read of a plate in every city, for the answer to its holder (LGPD art. 19)."""
    return me.plate_request(plate)
