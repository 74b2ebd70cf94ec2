"""Routes of the audit trail and LGPD: /v1/audit, its CSV export, /v1/me and the plate request.

There is no route that changes or deletes an audit entry, on purpose.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.http import Ctx, json_response, paged, route
from chalicelib.resolvers import ADMINS, ANY, MANAGERS
from gtvision.audit import lgpd as me
from gtvision.audit import query as audit_query

bp = Blueprint(__name__)


@route(bp, "/v1/audit", roles=MANAGERS, audit_action="audit.read")
def list_audit(ctx: Ctx) -> Any:
    items, nxt = audit_query.list_(ctx.user, audit_query.parse_filters(ctx.query), ctx.limit(), ctx.cursor())
    return paged(items, nxt)


@route(bp, "/v1/audit/export.csv", roles=MANAGERS, audit_action="audit.export")
def export_audit(ctx: Ctx) -> Any:
    body, nxt = audit_query.export_csv(ctx.user, audit_query.parse_filters(ctx.query), ctx.cursor())
    headers: dict[str, str | list[str]] = {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": 'attachment; filename="gtvision-auditoria.csv"',
    }
    if nxt:
        headers["X-Next-Cursor"] = nxt
    return Response(body=body, headers=headers, status_code=200)


@route(bp, "/v1/me")
def get_me(ctx: Ctx) -> Any:
    return me.profile(ctx.user)


@route(bp, "/v1/me/export", audit_action="lgpd.me_export")
def export_me(ctx: Ctx) -> Any:
    return json_response(
        me.export(ctx.user), headers={"Content-Disposition": 'attachment; filename="meus-dados-gtvision.json"'}
    )


@route(bp, "/v1/me", ("DELETE",), roles=ANY, audit_action="lgpd.me_delete")
def delete_me(ctx: Ctx) -> Any:
    me.delete(ctx.user)
    return json_response(None, 204)


@route(bp, "/v1/lgpd/plates/{plate}", roles=ADMINS, audit_action="lgpd.plate_request")
def plate_request(ctx: Ctx, plate: str) -> Any:
    return me.plate_request(ctx.user, plate)
